package scenario

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Expect is what the user expects of a run; `rollsim test` checks it. Every field
// is optional; a scenario without an expect block is not a test.
type Expect struct {
	// The verdict: Promoted, Aborted, Paused or Incomplete.
	Outcome string `json:"outcome,omitempty"`
	// The verdict must be decided at or before this offset from the update.
	Within *Duration `json:"within,omitempty"`
	// Message must equal the rollout's message exactly; MessageContains only
	// needs to appear in it.
	Message string `json:"message,omitempty"`
	// Text the rollout's message must contain.
	MessageContains string `json:"messageContains,omitempty"`
	// PromotedAt and AbortedAt require that verdict, decided inside the range.
	PromotedAt *TimeRange `json:"promotedAt,omitempty"`
	// The rollout must abort inside this range.
	AbortedAt *TimeRange `json:"abortedAt,omitempty"`
	// AnalysisRuns that must exist: each entry must match at least one run.
	AnalysisRuns []RunExpectation `json:"analysisRuns,omitempty"`
	// Experiments that must exist: each entry must match at least one.
	Experiments []ExperimentExpectation `json:"experiments,omitempty"`
}

// RunExpectation matches an AnalysisRun by every field that is set; it holds
// when at least one run matches.
type RunExpectation struct {
	// The run's name.
	Name string `json:"name,omitempty"`
	// The run's type: Background, Step, PrePromotion, PostPromotion or Experiment.
	Type string `json:"type,omitempty"`
	// The run's phase.
	Phase string `json:"phase,omitempty"`
	// The run's message, exactly.
	Message string `json:"message,omitempty"`
	// Text the run's message must contain.
	MessageContains string `json:"messageContains,omitempty"`
	// Metrics: every entry must match one of the run's metric results.
	Metrics []MetricExpectation `json:"metrics,omitempty"`
}

// MetricExpectation pins one metric result of a run: its phase and counters.
// Measurements is the metric's count (errors included), as the controller
// keeps it, not the number of measurements retained in the status.
type MetricExpectation struct {
	// The metric's name.
	Name string `json:"name"`
	// The metric result's phase.
	Phase string `json:"phase,omitempty"`
	// The metric's count of measurements (errors included), as the controller keeps it.
	Measurements *int32 `json:"measurements,omitempty"`
	// Successful measurements.
	Successful *int32 `json:"successful,omitempty"`
	// Failed measurements.
	Failed *int32 `json:"failed,omitempty"`
	// Inconclusive measurements.
	Inconclusive *int32 `json:"inconclusive,omitempty"`
	// Measurements that errored.
	Error *int32 `json:"error,omitempty"`
	// The consecutive-error count at the end.
	ConsecutiveError *int32 `json:"consecutiveError,omitempty"`
}

// ExperimentExpectation matches an Experiment by every field that is set.
type ExperimentExpectation struct {
	// The Experiment's name.
	Name string `json:"name,omitempty"`
	// The Experiment's phase.
	Phase string `json:"phase,omitempty"`
	// The Experiment's message, exactly.
	Message string `json:"message,omitempty"`
	// Text the Experiment's message must contain.
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
