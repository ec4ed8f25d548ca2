package sim

import (
	"fmt"
	"strings"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Check compares a result with its scenario's expect block and returns one line per
// mismatch (none: the expectation holds). The lines are stable: they only depend
// on the result.
func Check(res *Result) []string {
	e := res.Expect
	if e == nil {
		return nil
	}
	var fails []string
	failf := func(format string, args ...any) { fails = append(fails, fmt.Sprintf(format, args...)) }
	decided := "undecided"
	if res.DecidedAt != nil {
		decided = "at " + res.DecidedAt.String()
	}
	if e.Outcome != "" && e.Outcome != res.Verdict {
		failf("outcome: want %s, got %s", e.Outcome, res.Verdict)
	}
	if res.Unsettled != "" {
		failf("the run stopped early: %s", res.Unsettled)
	}
	if e.Within != nil {
		switch {
		case res.DecidedAt == nil:
			failf("within: want a decision by %s, got none (verdict %s)", e.Within.Duration, res.Verdict)
		case *res.DecidedAt > e.Within.Duration:
			failf("within: want a decision by %s, decided at %s", e.Within.Duration, *res.DecidedAt)
		}
	}
	for _, x := range []struct {
		field, verdict string
		r              *scenario.TimeRange
	}{{"promotedAt", scenario.Promoted, e.PromotedAt}, {"abortedAt", scenario.Aborted, e.AbortedAt}} {
		if x.r == nil {
			continue
		}
		if res.Verdict != x.verdict || res.DecidedAt == nil || !x.r.Contains(*res.DecidedAt) {
			failf("%s: want %s in %s, got %s %s", x.field, x.verdict, x.r, res.Verdict, decided)
		}
	}
	if e.Message != "" && e.Message != res.Message {
		failf("message: want %q, got %q", e.Message, res.Message)
	}
	if e.MessageContains != "" && !strings.Contains(res.Message, e.MessageContains) {
		failf("messageContains: want a message containing %q, got %q", e.MessageContains, res.Message)
	}
	for i, want := range e.AnalysisRuns {
		if why := matchRuns(res.AnalysisRuns, want); why != "" {
			failf("analysisRuns[%d]: %s", i, why)
		}
	}
	exps := res.ExperimentList()
	for i, want := range e.Experiments {
		if !anyExperimentMatches(exps, want) {
			failf("experiments[%d]: no Experiment matches %s (have %s)", i, describeExperimentWant(want), describeExperiments(exps))
		}
	}
	return fails
}

// ExperimentList returns the run's Experiments.
func (res *Result) ExperimentList() []v1alpha1.Experiment { return res.Experiments }

// matchRuns returns "" when a run matches want, else why none does: the runs
// that match everything but the metrics are named with the first metric mismatch.
func matchRuns(runs []v1alpha1.AnalysisRun, want scenario.RunExpectation) string {
	var near []string
	for i := range runs {
		r := &runs[i]
		if (want.Name != "" && want.Name != r.Name) ||
			(want.Type != "" && want.Type != r.RunType()) ||
			(want.Phase != "" && want.Phase != string(r.Status.Phase)) ||
			(want.Message != "" && want.Message != r.Status.Message) ||
			(want.MessageContains != "" && !strings.Contains(r.Status.Message, want.MessageContains)) {
			continue
		}
		why := ""
		for _, m := range want.Metrics {
			if why = matchMetric(r, m); why != "" {
				break
			}
		}
		if why == "" {
			return ""
		}
		near = append(near, r.Name+": "+why)
	}
	if len(near) > 0 {
		return strings.Join(near, "; ")
	}
	return fmt.Sprintf("no AnalysisRun matches %s (have %s)", describeWant(want), describeRuns(runs))
}

func matchMetric(run *v1alpha1.AnalysisRun, want scenario.MetricExpectation) string {
	for _, mr := range run.Status.MetricResults {
		if mr.Name != want.Name {
			continue
		}
		if want.Phase != "" && want.Phase != string(mr.Phase) {
			return fmt.Sprintf("metric %q: phase: want %s, got %s", want.Name, want.Phase, mr.Phase)
		}
		for _, c := range []struct {
			field string
			want  *int32
			got   int32
		}{
			{"measurements", want.Measurements, mr.Count},
			{"successful", want.Successful, mr.Successful},
			{"failed", want.Failed, mr.Failed},
			{"inconclusive", want.Inconclusive, mr.Inconclusive},
			{"error", want.Error, mr.Error},
			{"consecutiveError", want.ConsecutiveError, mr.ConsecutiveError},
		} {
			if c.want != nil && *c.want != c.got {
				return fmt.Sprintf("metric %q: %s: want %d, got %d", want.Name, c.field, *c.want, c.got)
			}
		}
		return ""
	}
	var names []string
	for _, mr := range run.Status.MetricResults {
		names = append(names, mr.Name)
	}
	have := "none"
	if len(names) > 0 {
		have = strings.Join(names, ", ")
	}
	return fmt.Sprintf("no metric %q (have %s)", want.Name, have)
}

func describeFields(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			parts = append(parts, fmt.Sprintf("%s=%q", kv[i], kv[i+1]))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func describeWant(w scenario.RunExpectation) string {
	return describeFields("name", w.Name, "type", w.Type, "phase", w.Phase, "message", w.Message, "messageContains", w.MessageContains)
}

func describeRuns(runs []v1alpha1.AnalysisRun) string {
	if len(runs) == 0 {
		return "none"
	}
	var parts []string
	for i := range runs {
		parts = append(parts, fmt.Sprintf("%s %s %s", runs[i].Name, runs[i].RunType(), runs[i].Status.Phase))
	}
	return strings.Join(parts, "; ")
}

func anyExperimentMatches(exps []v1alpha1.Experiment, want scenario.ExperimentExpectation) bool {
	for i := range exps {
		x := &exps[i]
		if (want.Name == "" || want.Name == x.Name) &&
			(want.Phase == "" || want.Phase == string(x.Status.Phase)) &&
			(want.Message == "" || want.Message == x.Status.Message) &&
			(want.MessageContains == "" || strings.Contains(x.Status.Message, want.MessageContains)) {
			return true
		}
	}
	return false
}

func describeExperimentWant(w scenario.ExperimentExpectation) string {
	return describeFields("name", w.Name, "phase", w.Phase, "message", w.Message, "messageContains", w.MessageContains)
}

func describeExperiments(exps []v1alpha1.Experiment) string {
	if len(exps) == 0 {
		return "none"
	}
	var parts []string
	for i := range exps {
		parts = append(parts, fmt.Sprintf("%s %s", exps[i].Name, exps[i].Status.Phase))
	}
	return strings.Join(parts, "; ")
}
