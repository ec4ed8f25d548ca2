package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
)

// runScenario runs one loaded scenario.
type runScenario func(ctx context.Context, in *scenario.Input) (*sim.Result, error)

// runCases loads every file in order (invalid input stops everything, exit 2),
// then runs the scenarios that have an expect block on up to workers
// goroutines. Results come back in file order, whatever finished first: each
// run owns its world, clock and random source, so parallel runs are the same
// as serial ones.
func (o *testOptions) runCases(ctx context.Context, files []string, named map[string]bool, workers int, run runScenario) ([]caseResult, error) {
	type job struct {
		file string
		in   *scenario.Input
	}
	var jobs []job
	for _, f := range files {
		in, err := scenario.Load(f)
		if errors.Is(err, scenario.ErrNoScenario) && !named[f] {
			continue
		}
		if err != nil {
			return nil, inputOrFailure(err)
		}
		if in.Scenario.Spec.Expect == nil {
			continue
		}
		jobs = append(jobs, job{f, in})
	}
	results := make([]caseResult, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < max(1, min(workers, len(jobs))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				began := time.Now()
				res, err := run(ctx, j.in)
				if err != nil {
					errs[i] = err
					continue
				}
				results[i] = caseResult{file: j.file, name: res.Scenario, summary: reports.Summary(res), failures: sim.Check(res),
					seconds: time.Since(began).Seconds(), res: res}
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, inputOrFailure(err)
		}
	}
	return results, nil
}

// checkGolden compares (or with --update rewrites) each scenario's text and
// JSON reports under o.golden, named after the scenario file. A difference is
// a failure of that scenario.
func (o *testOptions) checkGolden(results []caseResult) error {
	if o.golden == "" {
		return nil
	}
	if o.update {
		if err := os.MkdirAll(o.golden, 0o755); err != nil {
			return usageError("--golden: %v", err)
		}
	}
	for i := range results {
		c := &results[i]
		base := strings.TrimSuffix(filepath.Base(c.file), filepath.Ext(c.file))
		var text, js bytes.Buffer
		if err := reports.Text(&text, c.res); err != nil {
			return err
		}
		if err := reports.JSON(&js, reports.Build(c.res)); err != nil {
			return err
		}
		for _, g := range []struct {
			path string
			got  []byte
		}{{filepath.Join(o.golden, base+".txt"), text.Bytes()}, {filepath.Join(o.golden, base+".json"), js.Bytes()}} {
			if o.update {
				if err := os.WriteFile(g.path, g.got, 0o644); err != nil {
					return err
				}
				continue
			}
			want, err := os.ReadFile(g.path)
			if err != nil {
				c.failures = append(c.failures, fmt.Sprintf("golden: %s is missing (rewrite with --update)", g.path))
				continue
			}
			if line := firstDifferentLine(want, g.got); line > 0 {
				c.failures = append(c.failures, fmt.Sprintf("golden: report differs from %s at line %d (rewrite with --update)", g.path, line))
			}
		}
	}
	return nil
}

func firstDifferentLine(a, b []byte) int {
	if bytes.Equal(a, b) {
		return 0
	}
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		if i >= len(la) || i >= len(lb) || la[i] != lb[i] {
			return i + 1
		}
	}
	return 1
}

// report prints one line per scenario and the closing line, and writes the
// JUnit and Markdown files. It returns exit code 1 when anything failed.
func (o *testOptions) report(results []caseResult) error {
	passed, failed := 0, 0
	for _, c := range results {
		if len(c.failures) == 0 {
			passed++
			fmt.Fprintf(o.out, "PASS  %s  %s  (%s)\n", c.name, c.summary, c.file)
			continue
		}
		failed++
		fmt.Fprintf(o.out, "FAIL  %s  %s  (%s)\n      %s\n", c.name, c.summary, c.file, c.failures[0])
		for _, more := range c.failures[1:] {
			fmt.Fprintf(o.out, "      %s\n", more)
		}
	}
	fmt.Fprintf(o.out, "%d passed, %d failed\n", passed, failed)
	if o.junit != "" {
		if err := writeJUnit(o.junit, results); err != nil {
			return err
		}
	}
	if o.markdown != "" {
		if err := writeMarkdownSummary(o.markdown, results, passed, failed); err != nil {
			return err
		}
	}
	if failed > 0 {
		return &exitError{code: 1, err: errors.New("")}
	}
	return nil
}

// writeMarkdownSummary appends a summary table to path, as GitHub Actions
// expects of $GITHUB_STEP_SUMMARY (appending lets several steps share it).
func writeMarkdownSummary(path string, results []caseResult, passed, failed int) error {
	var b strings.Builder
	icon := "✅"
	if failed > 0 {
		icon = "❌"
	}
	fmt.Fprintf(&b, "### %s rollsim test: %d passed, %d failed\n\n", icon, passed, failed)
	fmt.Fprintf(&b, "| | scenario | verdict | file | first mismatch |\n|---|---|---|---|---|\n")
	for _, c := range results {
		mark, why := "✅", ""
		if len(c.failures) > 0 {
			mark, why = "❌", c.failures[0]
		}
		fmt.Fprintf(&b, "| %s | %s | %s | `%s` | %s |\n", mark, mdCell(c.name), c.summary, c.file, mdCell(why))
	}
	b.WriteString("\n")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func mdCell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
