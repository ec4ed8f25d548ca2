package reports

import (
	"fmt"
	"io"
)

// CaseStatus is how one scenario of `rollsim test` ended.
type CaseStatus int

const (
	// Passed: every expectation held.
	Passed CaseStatus = iota
	// Failed: some expectation did not hold (Failures say which).
	Failed
	// Skipped: the scenario has no expect block; it was not run.
	Skipped
	// Invalid: the file could not be loaded or run (Error says why); the
	// others still ran.
	Invalid
)

// Case is one scenario file of `rollsim test`, as the CLI, JUnit and the
// Markdown summary show it.
type Case struct {
	// Suite is the PATH argument the file came from (the file itself, or the
	// folder that was walked): one JUnit <testsuite> each.
	Suite string
	File  string
	// Name is the scenario's metadata.name (the file when it did not load).
	Name   string
	Status CaseStatus
	// Summary is the verdict in a few words ("Aborted at 5m10s").
	Summary  string
	Failures []string
	// Error is the invalid input's message (Status Invalid).
	Error string
	// Seconds is the wall time of the run. It goes to JUnit only (its
	// consumers expect wall time); stdout stays byte-identical across reruns.
	Seconds float64
	// VirtualSeconds is the simulated time the run covered.
	VirtualSeconds float64
}

// Tally counts cases by status.
type Tally struct{ Passed, Failed, Skipped, Invalid int }

// Count tallies the cases.
func Count(cases []Case) Tally {
	var t Tally
	for _, c := range cases {
		switch c.Status {
		case Passed:
			t.Passed++
		case Failed:
			t.Failed++
		case Skipped:
			t.Skipped++
		case Invalid:
			t.Invalid++
		}
	}
	return t
}

// String is the closing line: "N passed, M failed, K skipped", invalid files
// counted as failed (each has its own ERROR line above).
func (t Tally) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", t.Passed, t.Failed+t.Invalid, t.Skipped)
}

// TestLines writes what `rollsim test` prints: one line per case (PASS, FAIL
// with every mismatch below it, SKIP, ERROR), then the closing line. It depends
// on the cases only, never on the wall clock.
func TestLines(w io.Writer, cases []Case) error {
	for _, c := range cases {
		var err error
		switch c.Status {
		case Passed:
			_, err = fmt.Fprintf(w, "PASS  %s  %s  (%s)\n", c.Name, c.Summary, c.File)
		case Failed:
			_, err = fmt.Fprintf(w, "FAIL  %s  %s  (%s)\n", c.Name, c.Summary, c.File)
			for _, f := range c.Failures {
				if err == nil {
					_, err = fmt.Fprintf(w, "      %s\n", f)
				}
			}
		case Skipped:
			_, err = fmt.Fprintf(w, "SKIP  %s  no expect block  (%s)\n", c.Name, c.File)
		case Invalid:
			_, err = fmt.Fprintf(w, "ERROR %s\n", c.Error)
		}
		if err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, Count(cases))
	return err
}
