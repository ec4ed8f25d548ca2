package sim

import (
	"fmt"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Check compares a result with its scenario's expect block and returns one line per
// mismatch (none: the expectation holds).
func Check(res *Result) []string {
	e := res.Expect
	if e == nil {
		return nil
	}
	var fails []string
	if e.Outcome != "" && e.Outcome != res.Verdict {
		fails = append(fails, fmt.Sprintf("outcome: want %s, got %s", e.Outcome, res.Verdict))
	}
	if e.Within != nil {
		switch {
		case res.DecidedAt == nil:
			fails = append(fails, fmt.Sprintf("within: want a decision by %s, got none (verdict %s)", e.Within.Duration, res.Verdict))
		case *res.DecidedAt > e.Within.Duration:
			fails = append(fails, fmt.Sprintf("within: want a decision by %s, decided at %s", e.Within.Duration, *res.DecidedAt))
		}
	}
	if e.Message != "" && e.Message != res.Message {
		fails = append(fails, fmt.Sprintf("message: want %q, got %q", e.Message, res.Message))
	}
	for i, want := range e.AnalysisRuns {
		if !anyRunMatches(res.AnalysisRuns, want) {
			fails = append(fails, fmt.Sprintf("analysisRuns[%d]: no AnalysisRun matches %s (have %s)", i, describeWant(want), describeRuns(res.AnalysisRuns)))
		}
	}
	return fails
}

func runType(run *v1alpha1.AnalysisRun) string {
	if t := run.Labels["rollout-type"]; t != "" {
		return t
	}
	for _, ref := range run.OwnerReferences {
		if ref.Kind == "Experiment" {
			return "Experiment"
		}
	}
	return ""
}

func anyRunMatches(runs []v1alpha1.AnalysisRun, want RunExpectation) bool {
	for i := range runs {
		r := &runs[i]
		if (want.Name == "" || want.Name == r.Name) &&
			(want.Type == "" || want.Type == runType(r)) &&
			(want.Phase == "" || want.Phase == string(r.Status.Phase)) &&
			(want.Message == "" || want.Message == r.Status.Message) {
			return true
		}
	}
	return false
}

func describeWant(w RunExpectation) string {
	s := ""
	add := func(k, v string) {
		if v == "" {
			return
		}
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%s=%q", k, v)
	}
	add("name", w.Name)
	add("type", w.Type)
	add("phase", w.Phase)
	add("message", w.Message)
	return "{" + s + "}"
}

func describeRuns(runs []v1alpha1.AnalysisRun) string {
	if len(runs) == 0 {
		return "none"
	}
	s := ""
	for i := range runs {
		if i > 0 {
			s += "; "
		}
		s += fmt.Sprintf("%s %s %s", runs[i].Name, runType(&runs[i]), runs[i].Status.Phase)
	}
	return s
}
