package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/spf13/cobra"

	"github.com/rollsim/rollsim/sim"
)

type testOptions struct {
	paths     []string
	junit     string
	markdown  string
	golden    string
	update    bool
	parallel  int
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
one line per scenario, then 'N passed, M failed'. Scenarios run in parallel, one
per CPU; the output is in file order all the same. Exit code 1 when an expectation
fails, 2 on invalid input.

With --golden FOLDER each scenario's text and JSON reports must also equal
FOLDER/<file>.txt and FOLDER/<file>.json; --update rewrites them.`,
		Example: `  # Every scenario under scenarios/
  rollsim test scenarios/

  # With a JUnit report for CI
  rollsim test scenarios/ --junit rollsim.xml

  # A summary on the GitHub Actions run page
  rollsim test scenarios/ --markdown "$GITHUB_STEP_SUMMARY"

  # Pin every report, then check them on each change
  rollsim test scenarios/ --golden testdata/golden --update
  rollsim test scenarios/ --golden testdata/golden

  # Through a real API server (started once for all scenarios)
  rollsim test --apiserver envtest scenarios/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.update && o.golden == "" {
				return usageError("--update needs --golden FOLDER")
			}
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
	cmd.Flags().StringVar(&o.markdown, "markdown", "", "also append a Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY)")
	cmd.Flags().StringVar(&o.golden, "golden", "", "compare each scenario's text and JSON reports with FOLDER/<file>.txt|json")
	cmd.Flags().BoolVar(&o.update, "update", false, "rewrite the golden reports under --golden instead of comparing")
	cmd.Flags().IntVar(&o.parallel, "parallel", 0, "scenarios run at once (default: one per CPU)")
	cmd.Flags().StringVar(&o.apiserver, "apiserver", "memory", apiserverFlagHelp)
	return cmd
}

type caseResult struct {
	file, name, summary string
	failures            []string
	seconds             float64
	res                 *sim.Result
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
	workers := runtime.GOMAXPROCS(0)
	if o.apiserver != "" && o.apiserver != "memory" {
		workers = 1 // one API server for all scenarios
	}
	if o.parallel > 0 {
		workers = o.parallel
	}
	results, err := o.runCases(ctx, files, named, workers, func(ctx context.Context, in *scenario.Input) (*sim.Result, error) {
		return sim.Run(ctx, in, sim.Options{Envtest: env})
	})
	if err != nil {
		return err
	}
	if err := o.checkGolden(results); err != nil {
		return err
	}
	return o.report(results)
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
