package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollsim/rollsim/internal/parallel"
	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

type testOptions struct {
	paths     []string
	junit     string
	markdown  string
	golden    string
	update    bool
	parallel  int
	apiserver string
	progress  string
	out       io.Writer
	stderr    io.Writer
}

func newTestCommand() *cobra.Command {
	o := &testOptions{}
	cmd := &cobra.Command{
		Use:   "test [PATH...]",
		Short: "Run every scenario that has an expect block and check it",
		Long: `Run every scenario with an 'expect' block (folders are walked for *.yaml; YAML files
without a Scenario document, such as referenced manifests, are passed over) and print
one line per scenario, then 'N passed, M failed, K skipped'. Scenarios without an
expect block are listed as skipped. An invalid file gets an ERROR line and the others
still run. Scenarios run in parallel, one per CPU; the output is in file order all
the same, and the same on every run.

Exit code 1 when an expectation fails, 2 when a file is invalid (whatever else failed).

--junit writes a JUnit XML report (one <testsuite> per PATH, <failure> for a failed
expectation, <error> for invalid input, <skipped> without an expect block; wall-clock
times). --markdown appends a summary, as GitHub Actions reads $GITHUB_STEP_SUMMARY.
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
		ValidArgsFunction: completeScenarioFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Complete(cmd, args)
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.junit, "junit", "", "also write a JUnit XML report to this file")
	cmd.Flags().StringVar(&o.markdown, "markdown", "", "also append a Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY)")
	cmd.Flags().StringVar(&o.golden, "golden", "", "compare each scenario's text and JSON reports with FOLDER/<file>.txt|json")
	cmd.Flags().BoolVar(&o.update, "update", false, "rewrite the golden reports under --golden instead of comparing")
	cmd.Flags().IntVar(&o.parallel, "parallel", 0, "scenarios run at once (default: one per CPU)")
	progressModes.addFlag(cmd, &o.progress, "progress", "", "auto", "progress bar on stderr")
	addAPIServerFlag(cmd, &o.apiserver)
	_ = cmd.MarkFlagFilename("junit", "xml")
	_ = cmd.MarkFlagFilename("markdown", "md")
	_ = cmd.MarkFlagDirname("golden")
	return cmd
}

// Complete fills the options from the command line.
func (o *testOptions) Complete(cmd *cobra.Command, args []string) {
	o.paths = args
	if len(o.paths) == 0 {
		o.paths = []string{"."}
	}
	o.out, o.stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
}

// Validate rejects bad flags before anything runs.
func (o *testOptions) Validate() error {
	if o.update && o.golden == "" {
		return usageError("--update needs --golden FOLDER")
	}
	if err := progressModes.check("--progress", o.progress); err != nil {
		return err
	}
	if o.parallel < 0 {
		return usageError("--parallel %d: want 0 (one per CPU) or more", o.parallel)
	}
	return checkAPIServer(o.apiserver)
}

// testFile is one file to test and the PATH argument it came from.
type testFile struct{ suite, path string }

// collect lists the scenario files: named files as given, folders walked in
// name order.
func (o *testOptions) collect() ([]testFile, error) {
	var files []testFile
	for _, p := range o.paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, usageError("%v", err)
		}
		if !st.IsDir() {
			files = append(files, testFile{p, p})
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && isScenarioFileName(path) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, usageError("%v", err)
		}
		sort.Strings(found)
		for _, f := range found {
			files = append(files, testFile{p, f})
		}
	}
	return files, nil
}

func isScenarioFileName(path string) bool {
	return strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")
}

// testCase is one file's case and what running it needs.
type testCase struct {
	reports.Case
	in  *scenario.Input
	res *sim.Result
	// crashed: the simulation itself failed (a rollsim bug, exit 3).
	crashed bool
}

// Run loads every file, runs the scenarios that have an expect block, and
// reports. The exit code comes last: 2 when a file was invalid, else 1 when an
// expectation failed.
func (o *testOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	files, err := o.collect()
	if err != nil {
		return err
	}
	cases := o.load(files)
	if err := o.runAll(ctx, cases); err != nil {
		return err
	}
	if err := o.checkGolden(cases); err != nil {
		return err
	}
	return o.report(cases)
}

// load reads every file in order. A folder walk passes over files without a
// Scenario document (referenced manifests); a file named on the command line
// must have one.
func (o *testOptions) load(files []testFile) []*testCase {
	var cases []*testCase
	for _, f := range files {
		c := &testCase{Case: reports.Case{Suite: f.suite, File: f.path, Name: f.path}}
		in, err := scenario.Load(f.path)
		switch {
		case errors.Is(err, scenario.ErrNoScenario) && f.suite != f.path:
			continue
		case err != nil:
			c.invalid(err)
		case in.Scenario.Spec.Expect == nil:
			c.Name, c.Status = in.Scenario.Metadata.Name, reports.Skipped
		default:
			c.Name, c.in = in.Scenario.Metadata.Name, in
		}
		cases = append(cases, c)
	}
	return cases
}

func (c *testCase) invalid(err error) {
	c.Status, c.Error = reports.Invalid, err.Error()
	if !scenario.IsInputError(err) {
		c.crashed = true
		c.Error = fmt.Sprintf("%s: simulation failed: %v", c.File, err)
	}
}

// runAll runs the loaded scenarios on the parallel workers (one with a shared
// API server). Each run owns its world, clock and random source, so parallel
// runs are the same as serial ones.
func (o *testOptions) runAll(ctx context.Context, cases []*testCase) error {
	var todo []*testCase
	for _, c := range cases {
		if c.in != nil {
			todo = append(todo, c)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	env, stop, err := startAPIServer(o.apiserver, o.stderr)
	if err != nil {
		return err
	}
	defer stop()
	workers := runtime.GOMAXPROCS(0)
	if env != nil {
		workers = 1 // one API server for all scenarios
	}
	if o.parallel > 0 {
		workers = o.parallel
	}
	bar := newProgressBar(o.stderr, o.progress, "scenarios")
	defer bar.finish()
	_, err = parallel.Run(ctx, len(todo), workers, func(ctx context.Context, i int) (struct{}, error) {
		c := todo[i]
		// Wall time is read here only, for JUnit; the run never sees it.
		began := time.Now()
		res, err := sim.Run(ctx, c.in, sim.Options{Envtest: env})
		c.Seconds = time.Since(began).Seconds()
		if err != nil {
			if ctx.Err() != nil {
				return struct{}{}, ctx.Err()
			}
			c.invalid(err)
			return struct{}{}, nil
		}
		c.res = res
		c.Summary, c.VirtualSeconds = reports.CaseSummary(res), res.Ended.Seconds()
		c.Failures = sim.Check(res)
		c.Status = reports.Passed
		if len(c.Failures) > 0 {
			c.Status = reports.Failed
		}
		return struct{}{}, nil
	}, bar.update)
	return err
}

// report prints one line per case and the closing line, writes the JUnit and
// Markdown files, and returns the exit code.
func (o *testOptions) report(cases []*testCase) error {
	all := make([]reports.Case, len(cases))
	crashed := false
	for i, c := range cases {
		all[i] = c.Case
		crashed = crashed || c.crashed
	}
	if err := reports.TestLines(o.out, all); err != nil {
		return err
	}
	if o.junit != "" {
		if err := writeFile(o.junit, false, func(w io.Writer) error { return reports.JUnit(w, all) }); err != nil {
			return usageError("--junit: %v", err)
		}
	}
	if o.markdown != "" {
		// Appending lets several steps share $GITHUB_STEP_SUMMARY.
		if err := writeFile(o.markdown, true, func(w io.Writer) error { return reports.TestSummary(w, all) }); err != nil {
			return usageError("--markdown: %v", err)
		}
	}
	t := reports.Count(all)
	switch {
	case crashed:
		return &exitError{code: 3, err: errors.New("a simulation failed (a rollsim bug): see the ERROR lines")}
	case t.Invalid == 1:
		return &exitError{code: 2, err: errors.New("1 invalid scenario file")}
	case t.Invalid > 1:
		return &exitError{code: 2, err: fmt.Errorf("%d invalid scenario files", t.Invalid)}
	case t.Failed > 0:
		return &exitError{code: 1, err: errors.New("")}
	}
	return nil
}

// writeFile writes (or appends to) path what render writes.
func writeFile(path string, appendTo bool, render func(io.Writer) error) error {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return err
	}
	if err := render(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
