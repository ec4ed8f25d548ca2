package sim

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rollsim/rollsim/engine"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/analysis"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/rollout"
)

// Record is what the run saw as it went, beyond the final objects: every
// measurement with the state it was judged in, and the canary's weight over
// time. Reports use it to explain a verdict; the final AnalysisRuns keep only
// the last measurements (measurementRetention) and no history of counters.
type Record struct {
	Measurements []MeasurementRecord
	// Weights has one entry per change of the canary's step or weight.
	Weights []WeightRecord
	// Statuses has one entry per change of the rollout's phase or message, as
	// `kubectl argo rollouts get rollout` would have shown it, from the start
	// of the warmup (so a transient Degraded is visible).
	Statuses []StatusRecord
}

// StatusRecord is the rollout's status from At on.
type StatusRecord struct {
	At      time.Duration
	Phase   string // Progressing | Paused | Degraded | Healthy
	Message string
}

// WeightRecord is the canary's weight from At on.
type WeightRecord struct {
	At time.Duration
	// Step is "index/steps" ("2/5"); empty without steps.
	Step string
	// SetWeight is what the steps ask for (0 when aborted, 100 when promoted).
	SetWeight int32
	// ActualWeight is the traffic router's weight, or for a basic canary the
	// canary's share of the available pods.
	ActualWeight int32
	Aborted      bool
}

// MeasurementRecord is one completed measurement and how it was judged.
type MeasurementRecord struct {
	// WeightsBefore is how many Weights were recorded before this measurement.
	WeightsBefore int
	At            time.Duration
	Run           string
	RunType       string // Background | Step | PrePromotion | PostPromotion | Experiment
	Metric        string
	Provider      string // prometheus, web, job, ...
	// Query is what was asked with the args substituted: the PromQL query, the
	// web URL; empty for providers without one.
	Query string
	// Value is the value as the conditions saw it ("[0.93]", "[]", "[NaN]").
	Value   string
	Phase   string
	Message string
	// SuccessCondition and FailureCondition are the metric's conditions and
	// Held says which of them held ("successCondition held", ...).
	SuccessCondition string
	FailureCondition string
	Held             string
	DryRun           bool
	// MetricPhase and RunPhase are the phases right after this measurement.
	MetricPhase string
	RunPhase    string
	Counts      Counts
	Limits      analysis.Limits
}

// Counts are a metric's counters right after a measurement.
type Counts struct {
	Count, Successful, Failed, Inconclusive, Error, ConsecutiveError, ConsecutiveSuccess int32
}

// held says which condition decided a phase. It follows the controller's
// decision table: Failed when the failureCondition holds (or, without one,
// when the successCondition does not), Successful when the successCondition
// holds (or, without one, when the failureCondition does not), Inconclusive
// when neither holds.
func held(phase, success, failure string) string {
	switch phase {
	case string(v1alpha1.AnalysisPhaseSuccessful):
		switch {
		case success != "":
			return "successCondition held"
		case failure != "":
			return "failureCondition did not hold"
		}
		return "no conditions: Successful"
	case string(v1alpha1.AnalysisPhaseFailed):
		if failure != "" {
			return "failureCondition held"
		}
		return "successCondition did not hold"
	case string(v1alpha1.AnalysisPhaseInconclusive):
		return "neither condition held"
	case string(v1alpha1.AnalysisPhaseError):
		return "not evaluated (error)"
	}
	return ""
}

// recordMeasurement notes a completed measurement of run's metric result mr.
func (r *runner) recordMeasurement(run *v1alpha1.AnalysisRun, mr *v1alpha1.MetricResult, m *v1alpha1.Measurement) {
	rec := MeasurementRecord{
		At: r.offset(), Run: run.Name, RunType: run.RunType(), Metric: mr.Name,
		Value: m.Value, Phase: string(m.Phase), Message: m.Message, DryRun: mr.DryRun,
		MetricPhase: string(mr.Phase), RunPhase: string(run.Status.Phase),
		Counts: Counts{Count: mr.Count, Successful: mr.Successful, Failed: mr.Failed, Inconclusive: mr.Inconclusive,
			Error: mr.Error, ConsecutiveError: mr.ConsecutiveError, ConsecutiveSuccess: mr.ConsecutiveSuccess},
	}
	if m.StartedAt != nil {
		rec.At = m.StartedAt.Time.Sub(r.set.Start)
	}
	if info := r.metricInfo(run, mr.Name); info != nil {
		rec.Provider = info.provider
		rec.SuccessCondition, rec.FailureCondition = info.success, info.failure
		rec.Limits = info.limits
		rec.Query = strings.TrimSpace(mr.Metadata["ResolvedPrometheusQuery"])
		if rec.Query == "" {
			rec.Query = info.query
		}
		// Dry-run metrics are judged but never fail the run.
		rec.Held = held(rec.Phase, rec.SuccessCondition, rec.FailureCondition)
	}
	// The weight changes recorded so far: one at this same instant but after
	// this point (the step the measurement completed, the abort it caused) was
	// not in force when it was taken.
	rec.WeightsBefore = len(r.rec.Weights)
	r.rec.Measurements = append(r.rec.Measurements, rec)
}

// metricRecord is what the record of a measurement says of its metric: the same
// for every measurement of a run, so resolved once per run and metric.
type metricRecord struct {
	provider         string
	success, failure string // conditions with plain args substituted
	limits           analysis.Limits
	query            string // resolvedQuery without the provider's metadata
}

type metricRecordKey struct {
	run    types.UID
	metric string
}

// metricInfo describes run's metric named name (nil: the run has none).
func (r *runner) metricInfo(run *v1alpha1.AnalysisRun, name string) *metricRecord {
	k := metricRecordKey{run.UID, name}
	if info, ok := r.metricRecords[k]; ok {
		return info
	}
	var info *metricRecord
	for i := range run.Spec.Metrics {
		spec := &run.Spec.Metrics[i]
		if spec.Name != name {
			continue
		}
		info = &metricRecord{provider: spec.Provider.Type(), success: spec.SuccessCondition, failure: spec.FailureCondition}
		// Conditions and limits as the controller evaluated them: with plain
		// (non-secret) args substituted, e.g. a {{args.threshold}}.
		if resolved, err := analysis.ResolveMetric(*spec, plainArgs(run.Spec.Args)); err == nil {
			info.success, info.failure = resolved.SuccessCondition, resolved.FailureCondition
			spec = &resolved
		}
		info.limits = analysis.LimitsOf(spec)
		info.query = resolvedQuery(spec, run.Spec.Args, nil)
	}
	if r.metricRecords == nil {
		r.metricRecords = map[metricRecordKey]*metricRecord{}
	}
	r.metricRecords[k] = info
	return info
}

// resolvedQuery is the query or URL of a metric with its args substituted, as
// the provider saw it (secret values stay as placeholders).
func resolvedQuery(spec *v1alpha1.Metric, args []v1alpha1.Argument, meta map[string]string) string {
	if q := meta["ResolvedPrometheusQuery"]; q != "" {
		return strings.TrimSpace(q)
	}
	var plain []v1alpha1.Argument
	for _, a := range args {
		if a.Value != nil {
			plain = append(plain, a)
		}
	}
	m := *spec
	if resolved, err := analysis.ResolveMetric(m, plain); err == nil {
		m = resolved
	}
	switch {
	case m.Provider.Prometheus != nil:
		return strings.TrimSpace(m.Provider.Prometheus.Query)
	case m.Provider.Web != nil:
		return m.Provider.Web.URL
	}
	return ""
}

// recordWeight notes the canary's step and weight when they change.
func (r *runner) recordWeight(ro *v1alpha1.Rollout) {
	if !r.updated {
		return
	}
	c := ro.Spec.Strategy.Canary
	if c == nil {
		return
	}
	st := ro.Status
	w := WeightRecord{At: r.offset(), Aborted: st.Abort}
	idx := int32(0)
	if st.CurrentStepIndex != nil {
		idx = *st.CurrentStepIndex
	}
	if len(c.Steps) > 0 {
		w.Step = fmt.Sprintf("%d/%d", idx, len(c.Steps))
	}
	done := st.StableRS != "" && st.StableRS == st.CurrentPodHash
	w.SetWeight = rollout.SetWeight(ro)
	if done && !st.Abort {
		w.SetWeight = 100
	}
	switch {
	case done && !st.Abort:
		w.ActualWeight = 100
	case c.TrafficRouting != nil && st.Canary.Weights != nil:
		w.ActualWeight = st.Canary.Weights.Canary.Weight
	case c.TrafficRouting != nil:
		w.ActualWeight = 0
	default:
		w.ActualWeight = r.podShare(ro)
	}
	if n := len(r.rec.Weights); n > 0 {
		last := r.rec.Weights[n-1]
		if last.Step == w.Step && last.SetWeight == w.SetWeight && last.ActualWeight == w.ActualWeight && last.Aborted == w.Aborted {
			return
		}
		if last.At == w.At {
			r.rec.Weights[n-1] = w
			return
		}
	}
	r.rec.Weights = append(r.rec.Weights, w)
}

// podShare is the canary's share (percent) of the available pods: how
// kube-proxy splits a basic canary's traffic.
func (r *runner) podShare(ro *v1alpha1.Rollout) int32 {
	var list appsv1.ReplicaSetList
	if err := engine.ListReadOnly(context.Background(), r.c, &list, client.InNamespace(ro.Namespace)); err != nil {
		return 0
	}
	canaryHash := ro.Status.CurrentPodHash
	if canaryHash == ro.Status.StableRS {
		canaryHash = ""
	}
	var canary, total int32
	for _, rs := range list.Items {
		if !ownedBy(&rs, ro) {
			continue
		}
		total += rs.Status.AvailableReplicas
		if canaryHash != "" && rs.Labels["rollouts-pod-template-hash"] == canaryHash {
			canary += rs.Status.AvailableReplicas
		}
	}
	if total == 0 {
		return 0
	}
	return canary * 100 / total
}

func ownedBy(rs *appsv1.ReplicaSet, ro *v1alpha1.Rollout) bool {
	for _, ref := range rs.OwnerReferences {
		if ref.Kind == "Rollout" && ref.Name == ro.Name {
			return true
		}
	}
	return false
}

// plainArgs are the args with literal values; secret-backed ones get a placeholder
// so that substitution succeeds without revealing them.
func plainArgs(args []v1alpha1.Argument) []v1alpha1.Argument {
	out := make([]v1alpha1.Argument, 0, len(args))
	for _, a := range args {
		a := *a.DeepCopy()
		if a.Value == nil {
			v := "*****"
			a.Value, a.ValueFrom = &v, nil
		}
		out = append(out, a)
	}
	return out
}

// recordStatus notes a change of the rollout's phase or message.
func (r *runner) recordStatus(ro *v1alpha1.Rollout) {
	phase, msg := string(ro.Status.Phase), ro.Status.Message
	if phase == "" {
		return
	}
	if n := len(r.rec.Statuses); n > 0 && r.rec.Statuses[n-1].Phase == phase && r.rec.Statuses[n-1].Message == msg {
		return
	}
	r.rec.Statuses = append(r.rec.Statuses, StatusRecord{At: r.offset(), Phase: phase, Message: msg})
	text := phase
	if msg != "" {
		text += ": " + msg
	}
	r.note("Rollout/"+ro.Name, "StatusChanged", text)
}
