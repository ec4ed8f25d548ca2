package v1alpha1

import (
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// Duration parses d as a Go duration ("30s", "1m30s"). The empty string is
// an error, like time.ParseDuration("").
func (d DurationString) Duration() (time.Duration, error) {
	return time.ParseDuration(string(d))
}

// DurationSeconds returns the pause length in whole seconds, as the upstream
// controller reads it: 0 when no duration is set (an indefinite pause), the
// integer itself for an int, the number for a string of digits ("30"), the
// truncated seconds of a Go duration string ("1m30s" → 90), and -1 when the
// string is neither.
func (p RolloutPause) DurationSeconds() int32 {
	if p.Duration == nil {
		return 0
	}
	if p.Duration.Type != intstr.String {
		return p.Duration.IntVal
	}
	if n, err := strconv.ParseInt(p.Duration.StrVal, 10, 32); err == nil {
		return int32(n)
	}
	d, err := time.ParseDuration(p.Duration.StrVal)
	if err != nil {
		return -1
	}
	return int32(d.Seconds())
}

// DurationFromInt returns a pause duration of i seconds.
func DurationFromInt(i int) *intstr.IntOrString {
	d := intstr.FromInt(i)
	return &d
}

// DurationFromString returns a pause duration given as a string ("30s").
func DurationFromString(s string) *intstr.IntOrString {
	d := intstr.FromString(s)
	return &d
}

// EffectiveCount is the number of measurements a metric takes, as upstream
// decides it: a Count that is unset or zero (a string count that is not a
// plain number, e.g. an unresolved "{{args.n}}", counts as zero) means 1
// when there is no Interval and nil (unbounded: measure until the run ends)
// when there is one; any other Count is returned as is.
func (m Metric) EffectiveCount() *intstr.IntOrString {
	if m.Count == nil || m.Count.IntValue() == 0 {
		if m.Interval == "" {
			one := intstr.FromInt32(1)
			return &one
		}
		return nil
	}
	return m.Count
}

// Completed reports whether the phase is final (Successful, Failed, Error or Inconclusive).
func (p AnalysisPhase) Completed() bool {
	switch p {
	case AnalysisPhaseSuccessful, AnalysisPhaseFailed, AnalysisPhaseError, AnalysisPhaseInconclusive:
		return true
	}
	return false
}

// Completed reports whether the template status is final (Successful, Failed or Error).
func (s TemplateStatusCode) Completed() bool {
	switch s {
	case TemplateStatusSuccessful, TemplateStatusFailed, TemplateStatusError:
		return true
	}
	return false
}

// IsClusterScope reports whether the reference is to a ClusterAnalysisTemplate.
func (r AnalysisTemplateRef) IsClusterScope() bool { return isTrue(r.ClusterScope) }

// IsClusterScope reports whether the reference is to a ClusterAnalysisTemplate.
func (r RolloutExperimentStepAnalysisTemplateRef) IsClusterScope() bool {
	return isTrue(r.ClusterScope)
}

// IsClusterScope reports whether the reference is to a ClusterAnalysisTemplate.
func (r ExperimentAnalysisTemplateRef) IsClusterScope() bool { return isTrue(r.ClusterScope) }

func isTrue(b *bool) bool { return b != nil && *b }
