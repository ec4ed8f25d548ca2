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

// providerKeys are the providers of a MetricProvider as their YAML keys are
// spelt, each with whether it is set; plugins come last.
func (p *MetricProvider) providerKeys() []struct {
	key string
	set bool
} {
	return []struct {
		key string
		set bool
	}{
		{"prometheus", p.Prometheus != nil}, {"web", p.Web != nil}, {"job", p.Job != nil},
		{"kayenta", p.Kayenta != nil}, {"datadog", p.Datadog != nil}, {"wavefront", p.Wavefront != nil},
		{"newRelic", p.NewRelic != nil}, {"cloudWatch", p.CloudWatch != nil}, {"graphite", p.Graphite != nil},
		{"influxdb", p.Influxdb != nil}, {"skywalking", p.SkyWalking != nil}, {"plugin", len(p.Plugin) > 0},
	}
}

// Type is the provider a metric uses, as its YAML key is spelt ("prometheus",
// "web", "job", ..., "plugin"); "" when none is set. With several set (which
// validation rejects), the first in the order above.
func (p *MetricProvider) Type() string {
	for _, k := range p.providerKeys() {
		if k.set {
			return k.key
		}
	}
	return ""
}

// Count is how many providers are set, each plugin counting once (the
// controller requires exactly one).
func (p *MetricProvider) Count() int {
	n := len(p.Plugin)
	for _, k := range p.providerKeys() {
		if k.set && k.key != "plugin" {
			n++
		}
	}
	return n
}

// RunTypeExperiment is the type reported for the runs an Experiment owns (they
// carry no rollout-type label).
const RunTypeExperiment = "Experiment"

// RunType is why the run exists: its rollout-type label (Background, Step,
// PrePromotion, PostPromotion) or RunTypeExperiment for runs an Experiment
// owns; "" for a run created by hand.
func (r *AnalysisRun) RunType() string {
	if t := r.Labels[RolloutTypeLabel]; t != "" {
		return t
	}
	for _, ref := range r.OwnerReferences {
		if ref.Kind == "Experiment" {
			return RunTypeExperiment
		}
	}
	return ""
}
