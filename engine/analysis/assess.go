package analysis

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// phaseOrder ranks completed phases from best to worst (upstream analysisStatusOrder).
var phaseOrder = []v1alpha1.AnalysisPhase{
	v1alpha1.AnalysisPhasePending,
	v1alpha1.AnalysisPhaseRunning,
	v1alpha1.AnalysisPhaseSuccessful,
	v1alpha1.AnalysisPhaseInconclusive,
	v1alpha1.AnalysisPhaseError,
	v1alpha1.AnalysisPhaseFailed,
}

func rank(p v1alpha1.AnalysisPhase) int {
	for i, q := range phaseOrder {
		if p == q {
			return i
		}
	}
	return 0
}

// Worse reports whether next is a worse outcome than current.
func Worse(current, next v1alpha1.AnalysisPhase) bool { return rank(next) > rank(current) }

func intOr(v *intstr.IntOrString, def int) int {
	if v == nil {
		return def
	}
	return v.IntValue()
}

// limitBreach is upstream's assessMetricFailureInconclusiveOrError. The checks run in
// sequence and a later one overwrites an earlier one: Error > Inconclusive > Failed.
func limitBreach(m v1alpha1.Metric, res v1alpha1.MetricResult) (v1alpha1.AnalysisPhase, string) {
	var phase v1alpha1.AnalysisPhase
	var reason string
	lim := LimitsOf(&m)
	if fl := lim.FailureLimit; fl >= 0 && res.Failed > fl {
		phase, reason = v1alpha1.AnalysisPhaseFailed, fmt.Sprintf("failed (%d) > failureLimit (%d)", res.Failed, fl)
	}
	if il := lim.InconclusiveLimit; res.Inconclusive > il {
		phase, reason = v1alpha1.AnalysisPhaseInconclusive, fmt.Sprintf("inconclusive (%d) > inconclusiveLimit (%d)", res.Inconclusive, il)
	}
	if el := lim.ConsecutiveErrorLimit; res.ConsecutiveError > el {
		phase, reason = v1alpha1.AnalysisPhaseError, fmt.Sprintf("consecutiveErrors (%d) > consecutiveErrorLimit (%d)", res.ConsecutiveError, el)
	}
	return phase, reason
}

// assessMetric decides a metric's phase from its counters (upstream assessMetricStatus).
func assessMetric(m v1alpha1.Metric, res v1alpha1.MetricResult, stopping bool) v1alpha1.AnalysisPhase {
	if res.Phase.Completed() {
		return res.Phase
	}
	if len(res.Measurements) == 0 {
		if stopping {
			return v1alpha1.AnalysisPhaseSuccessful
		}
		return v1alpha1.AnalysisPhasePending
	}
	if !res.Measurements[len(res.Measurements)-1].Phase.Completed() {
		return v1alpha1.AnalysisPhaseRunning
	}
	if phase, _ := limitBreach(m, res); phase != "" {
		return phase
	}
	csl := intOr(m.ConsecutiveSuccessLimit, 0)
	if csl > 0 && res.ConsecutiveSuccess >= int32(csl) {
		return v1alpha1.AnalysisPhaseSuccessful
	}
	if c := m.EffectiveCount(); c != nil && res.Count >= int32(c.IntValue()) {
		failureApplies := m.FailureLimit == nil || m.FailureLimit.IntValue() >= 0
		switch {
		case failureApplies && csl > 0:
			// Neither consecutiveSuccessLimit met nor failureLimit broken.
			return v1alpha1.AnalysisPhaseInconclusive
		case csl > 0:
			return v1alpha1.AnalysisPhaseFailed
		}
		return v1alpha1.AnalysisPhaseSuccessful
	}
	if stopping {
		return v1alpha1.AnalysisPhaseSuccessful
	}
	return v1alpha1.AnalysisPhaseRunning
}

// assessRun updates metric phases, summaries and events, and returns the run's phase
// and message (upstream assessRunStatus).
func (r *Reconciler) assessRun(run *v1alpha1.AnalysisRun, metrics []v1alpha1.Metric, dryRun map[string]bool) (v1alpha1.AnalysisPhase, string) {
	// Evaluated from the metric phases as they stood before this assessment.
	stopping := terminating(run)
	if run.Status.StartedAt == nil {
		now := r.now()
		run.Status.StartedAt = &now
	}
	var worst v1alpha1.AnalysisPhase
	var message string
	if run.Spec.Terminate {
		message = "Run Terminated"
	}
	everythingCompleted := true
	var summary, drySummary v1alpha1.RunSummary

	for _, m := range metrics {
		isDry := dryRun[m.Name]
		if isDry {
			drySummary.Count++
		} else {
			summary.Count++
		}
		res := result(run, m.Name)
		if res == nil {
			// Not measured yet, e.g. waiting for initialDelay.
			everythingCompleted = false
			continue
		}
		phase := assessMetric(m, *res, stopping)
		if res.Phase != phase {
			if phase.Completed() && r.Recorder != nil {
				r.Recorder.Event(run, eventType(phase), "Metric"+string(phase),
					fmt.Sprintf("Metric '%s' Completed. Result: %s", m.Name, phase))
			}
			if n := len(res.Measurements); n > 0 {
				res.Message = res.Measurements[n-1].Message
			}
			res.Phase = phase
		}
		if !phase.Completed() {
			everythingCompleted = false
			continue
		}
		breach, reason := limitBreach(m, *res)
		if isDry {
			if worst == "" {
				worst = v1alpha1.AnalysisPhaseSuccessful
			}
			if reason != "" {
				res.Message = fmt.Sprintf("Metric assessed %s due to %s", phase, reason)
			}
			tally(&drySummary, breach)
			continue
		}
		if worst == "" || Worse(worst, phase) {
			worst = phase
			if reason != "" {
				message = fmt.Sprintf("Metric \"%s\" assessed %s due to %s", m.Name, phase, reason)
				if res.Message != "" {
					message += fmt.Sprintf(": \"Error Message: %s\"", res.Message)
				}
			}
		}
		tally(&summary, breach)
	}
	message = strings.TrimSpace(message)
	run.Status.RunSummary = summary
	if prev := run.Status.DryRunSummary; prev == nil || *prev != drySummary {
		// Replaced, never written through: an unchanged one stays shared
		// (and the summary is only allocated when it changed).
		changed := drySummary
		run.Status.DryRunSummary = &changed
	}
	if stopping {
		if worst == "" {
			return v1alpha1.AnalysisPhaseSuccessful, message
		}
		return worst, message
	}
	if !everythingCompleted || worst == "" {
		return v1alpha1.AnalysisPhaseRunning, ""
	}
	return worst, message
}

// tally counts a completed metric by its limit-check outcome, not its phase: a metric
// with no breached limit counts as successful even if it ended Inconclusive.
func tally(s *v1alpha1.RunSummary, breach v1alpha1.AnalysisPhase) {
	switch breach {
	case v1alpha1.AnalysisPhaseError:
		s.Error++
	case v1alpha1.AnalysisPhaseFailed:
		s.Failed++
	case v1alpha1.AnalysisPhaseInconclusive:
		s.Inconclusive++
	default:
		s.Successful++
	}
}
