package sim

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Expect is what the user expects of a run; `rollsim test` checks it. Every field
// is optional; a scenario without an expect block is not a test.
type Expect struct {
	Outcome string    `json:"outcome,omitempty"`
	Within  *Duration `json:"within,omitempty"`
	// Message must equal the rollout's message exactly; MessageContains only
	// needs to appear in it.
	Message         string `json:"message,omitempty"`
	MessageContains string `json:"messageContains,omitempty"`
	// PromotedAt and AbortedAt require that verdict, decided inside the range.
	PromotedAt   *TimeRange              `json:"promotedAt,omitempty"`
	AbortedAt    *TimeRange              `json:"abortedAt,omitempty"`
	AnalysisRuns []RunExpectation        `json:"analysisRuns,omitempty"`
	Experiments  []ExperimentExpectation `json:"experiments,omitempty"`
}

// RunExpectation matches an AnalysisRun by every field that is set; it holds
// when at least one run matches.
type RunExpectation struct {
	Name            string `json:"name,omitempty"`
	Type            string `json:"type,omitempty"`
	Phase           string `json:"phase,omitempty"`
	Message         string `json:"message,omitempty"`
	MessageContains string `json:"messageContains,omitempty"`
	// Metrics: every entry must match one of the run's metric results.
	Metrics []MetricExpectation `json:"metrics,omitempty"`
}

// MetricExpectation pins one metric result of a run: its phase and counters.
// Measurements is the metric's count (errors included), as the controller
// keeps it, not the number of measurements retained in the status.
type MetricExpectation struct {
	Name             string `json:"name"`
	Phase            string `json:"phase,omitempty"`
	Measurements     *int32 `json:"measurements,omitempty"`
	Successful       *int32 `json:"successful,omitempty"`
	Failed           *int32 `json:"failed,omitempty"`
	Inconclusive     *int32 `json:"inconclusive,omitempty"`
	Error            *int32 `json:"error,omitempty"`
	ConsecutiveError *int32 `json:"consecutiveError,omitempty"`
}

// ExperimentExpectation matches an Experiment by every field that is set.
type ExperimentExpectation struct {
	Name            string `json:"name,omitempty"`
	Phase           string `json:"phase,omitempty"`
	Message         string `json:"message,omitempty"`
	MessageContains string `json:"messageContains,omitempty"`
}

// TimeRange is an inclusive range of virtual offsets. In YAML it is either an
// object {min: 5m, max: 10m} (either bound may be left out), a string
// "5m..10m" (either side may be empty), or a single duration "5m" (exactly).
type TimeRange struct {
	Min *Duration `json:"min,omitempty"`
	Max *Duration `json:"max,omitempty"`
}

// UnmarshalJSON accepts the three spellings of a range and rejects an empty or
// inverted one.
func (r *TimeRange) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		lo, hi, isRange := strings.Cut(s, "..")
		parse := func(v string) (*Duration, error) {
			v = strings.TrimSpace(v)
			if v == "" {
				return nil, nil
			}
			d, err := time.ParseDuration(v)
			if err != nil {
				return nil, fmt.Errorf("invalid duration %q in range %q (want e.g. \"5m..10m\", \"..10m\" or \"7m\")", v, s)
			}
			return &Duration{d}, nil
		}
		var err error
		if r.Min, err = parse(lo); err != nil {
			return err
		}
		if !isRange {
			r.Max = r.Min
		} else if r.Max, err = parse(hi); err != nil {
			return err
		}
		if r.Min != nil && r.Max != nil && r.Min.Duration > r.Max.Duration {
			return fmt.Errorf("range %q: min %s is after max %s", s, r.Min.Duration, r.Max.Duration)
		}
	} else {
		type plain TimeRange
		var p plain
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return fmt.Errorf("want a range such as {min: 5m, max: 10m} or \"5m..10m\": %v", err)
		}
		*r = TimeRange(p)
	}
	switch {
	case r.Min == nil && r.Max == nil:
		return fmt.Errorf("empty range: give min, max or both")
	case r.Min != nil && r.Max != nil && r.Min.Duration > r.Max.Duration:
		return fmt.Errorf("min %s is after max %s", r.Min.Duration, r.Max.Duration)
	}
	return nil
}

// Contains reports whether d lies in the range.
func (r *TimeRange) Contains(d time.Duration) bool {
	return (r.Min == nil || d >= r.Min.Duration) && (r.Max == nil || d <= r.Max.Duration)
}

func (r *TimeRange) String() string {
	switch {
	case r.Min != nil && r.Max != nil && r.Min.Duration == r.Max.Duration:
		return r.Min.Duration.String()
	case r.Min != nil && r.Max != nil:
		return r.Min.Duration.String() + ".." + r.Max.Duration.String()
	case r.Min != nil:
		return r.Min.Duration.String() + ".."
	default:
		return ".." + r.Max.Duration.String()
	}
}

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
		r              *TimeRange
	}{{"promotedAt", Promoted, e.PromotedAt}, {"abortedAt", Aborted, e.AbortedAt}} {
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

// RunType is the run's rollout-type label, or "Experiment" for runs an
// Experiment owns.
func RunType(run *v1alpha1.AnalysisRun) string {
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

// matchRuns returns "" when a run matches want, else why none does: the runs
// that match everything but the metrics are named with the first metric mismatch.
func matchRuns(runs []v1alpha1.AnalysisRun, want RunExpectation) string {
	var near []string
	for i := range runs {
		r := &runs[i]
		if (want.Name != "" && want.Name != r.Name) ||
			(want.Type != "" && want.Type != RunType(r)) ||
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

func matchMetric(run *v1alpha1.AnalysisRun, want MetricExpectation) string {
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

func describeWant(w RunExpectation) string {
	return describeFields("name", w.Name, "type", w.Type, "phase", w.Phase, "message", w.Message, "messageContains", w.MessageContains)
}

func describeRuns(runs []v1alpha1.AnalysisRun) string {
	if len(runs) == 0 {
		return "none"
	}
	var parts []string
	for i := range runs {
		parts = append(parts, fmt.Sprintf("%s %s %s", runs[i].Name, RunType(&runs[i]), runs[i].Status.Phase))
	}
	return strings.Join(parts, "; ")
}

func anyExperimentMatches(exps []v1alpha1.Experiment, want ExperimentExpectation) bool {
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

func describeExperimentWant(w ExperimentExpectation) string {
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

// validate rejects expectations that can never hold because a name is misspelt:
// it returns the field path and what is wrong.
func (e *Expect) validate() (string, error) {
	if e == nil {
		return "", nil
	}
	phases := []string{"Pending", "Running", "Successful", "Failed", "Error", "Inconclusive"}
	oneOf := func(v string, allowed []string) error {
		if v == "" {
			return nil
		}
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("unknown value %q (want one of %s)", v, strings.Join(allowed, ", "))
	}
	for i, r := range e.AnalysisRuns {
		p := fmt.Sprintf("spec.expect.analysisRuns[%d]", i)
		if err := oneOf(r.Type, []string{"Background", "Step", "PrePromotion", "PostPromotion", "Experiment"}); err != nil {
			return p + ".type", err
		}
		if err := oneOf(r.Phase, phases); err != nil {
			return p + ".phase", err
		}
		for j, m := range r.Metrics {
			mp := fmt.Sprintf("%s.metrics[%d]", p, j)
			if m.Name == "" {
				return mp + ".name", fmt.Errorf("required: the metric's name")
			}
			if err := oneOf(m.Phase, phases); err != nil {
				return mp + ".phase", err
			}
			for _, c := range []struct {
				f string
				v *int32
			}{{"measurements", m.Measurements}, {"successful", m.Successful}, {"failed", m.Failed},
				{"inconclusive", m.Inconclusive}, {"error", m.Error}, {"consecutiveError", m.ConsecutiveError}} {
				if c.v != nil && *c.v < 0 {
					return mp + "." + c.f, fmt.Errorf("must not be negative, got %d", *c.v)
				}
			}
		}
	}
	for i, x := range e.Experiments {
		if err := oneOf(x.Phase, phases); err != nil {
			return fmt.Sprintf("spec.expect.experiments[%d].phase", i), err
		}
	}
	if e.Within != nil && e.Within.Duration < 0 {
		return "spec.expect.within", fmt.Errorf("must not be negative")
	}
	return "", nil
}
