package main

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
)

type testOptions struct {
	paths     []string
	junit     string
	apiserver string
	out       io.Writer
}

func newTestCommand() *cobra.Command {
	o := &testOptions{}
	cmd := &cobra.Command{
		Use:   "test [PATH...]",
		Short: "Run every scenario that has an expect block and check it",
		Long: `Run every scenario with an 'expect' block (folders are walked for *.yaml; YAML files
without a Scenario document, such as referenced manifests, are skipped) and print
one line per scenario, then 'N passed, M failed'. Exit code 1 when an expectation
fails, 2 on invalid input.`,
		Example: `  # Every scenario under scenarios/
  rollsim test scenarios/

  # With a JUnit report for CI
  rollsim test scenarios/ --junit rollsim.xml

  # Through a real API server (started once for all scenarios)
  rollsim test --apiserver envtest scenarios/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.paths = args
			if len(o.paths) == 0 {
				o.paths = []string{"."}
			}
			o.out = cmd.OutOrStdout()
			if err := checkAPIServer(o.apiserver); err != nil {
				return err
			}
			return o.run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.junit, "junit", "", "also write a JUnit XML report to this file")
	cmd.Flags().StringVar(&o.apiserver, "apiserver", "memory", apiserverFlagHelp)
	return cmd
}

type caseResult struct {
	file, name, summary string
	failures            []string
	seconds             float64
}

// collect lists the scenario files: named files as given, folders walked.
func (o *testOptions) collect() ([]string, error) {
	var files []string
	for _, p := range o.paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, usageError("%v", err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, usageError("%v", err)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

func (o *testOptions) run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	files, err := o.collect()
	if err != nil {
		return err
	}
	named := map[string]bool{}
	for _, p := range o.paths {
		named[p] = true
	}
	env, stop, err := startAPIServer(o.apiserver)
	if err != nil {
		return err
	}
	defer stop()
	var results []caseResult
	passed, failed := 0, 0
	for _, f := range files {
		in, err := sim.Load(f)
		if errors.Is(err, sim.ErrNoScenario) && !named[f] {
			continue
		}
		if err != nil {
			return inputOrFailure(err)
		}
		if in.Scenario.Spec.Expect == nil {
			continue
		}
		began := time.Now()
		res, err := sim.Run(ctx, in, sim.Options{Envtest: env})
		if err != nil {
			return inputOrFailure(err)
		}
		c := caseResult{file: f, name: res.Scenario, summary: reports.Summary(res), failures: sim.Check(res), seconds: time.Since(began).Seconds()}
		results = append(results, c)
		if len(c.failures) == 0 {
			passed++
			fmt.Fprintf(o.out, "PASS  %s  %s  (%s)\n", c.name, c.summary, f)
		} else {
			failed++
			fmt.Fprintf(o.out, "FAIL  %s  %s  (%s)\n      %s\n", c.name, c.summary, f, c.failures[0])
			for _, more := range c.failures[1:] {
				fmt.Fprintf(o.out, "      %s\n", more)
			}
		}
	}
	fmt.Fprintf(o.out, "%d passed, %d failed\n", passed, failed)
	if o.junit != "" {
		if err := writeJUnit(o.junit, results); err != nil {
			return err
		}
	}
	if failed > 0 {
		return &exitError{code: 1, err: errors.New("")}
	}
	return nil
}

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(path string, results []caseResult) error {
	s := junitSuite{Name: "rollsim", Tests: len(results)}
	for _, r := range results {
		c := junitCase{Name: r.name, ClassName: r.file, Time: fmt.Sprintf("%.3f", r.seconds)}
		if len(r.failures) > 0 {
			s.Failures++
			c.Failure = &junitFailure{Message: r.failures[0], Text: strings.Join(r.failures, "\n")}
		}
		s.Cases = append(s.Cases, c)
	}
	b, err := xml.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(b, '\n')...), 0o644)
}
