package reports

import (
	"fmt"
	"strings"
	"time"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

// failedStandalone returns the first standalone Experiment (one no Rollout
// owns: its own manifest in the scenario) that failed or errored. Its failure
// is what the run is about, whatever the rollout did meanwhile.
func failedStandalone(res *sim.Result) *v1alpha1.Experiment {
	if res.ExperimentsOnly {
		return nil // the verdict is already the Experiments'
	}
	for i := range res.Experiments {
		x := &res.Experiments[i]
		owned := false
		for _, ref := range x.OwnerReferences {
			owned = owned || ref.Kind == "Rollout"
		}
		if !owned && (x.Status.Phase == v1alpha1.AnalysisPhaseFailed || x.Status.Phase == v1alpha1.AnalysisPhaseError) {
			return x
		}
	}
	return nil
}

// Headline is the report's first words: the verdict, or a standalone
// Experiment's failure, with what an Incomplete rollout was waiting for.
func Headline(res *sim.Result) string {
	if res.ExperimentsOnly {
		return experimentsHeadline(res)
	}
	if x := failedStandalone(res); x != nil {
		s := fmt.Sprintf("Experiment %s %s", x.Name, x.Status.Phase)
		if res.Verdict != "" {
			s += fmt.Sprintf(" (rollout %s)", Summary(res))
		}
		return s
	}
	s := Summary(res)
	if res.Verdict == scenario.Incomplete {
		if w := Waiting(res); w != "" {
			s += ": " + w
		}
	}
	return s
}

// Waiting says, from the final rollout status, what an undecided rollout was
// waiting for when the run stopped: "waiting at step 3/5 (pause 1h) at until
// 3h0m0s", with the controller's status message.
func Waiting(res *sim.Result) string {
	if res.ExperimentsOnly {
		return experimentsState(res)
	}
	ro := res.Rollout
	if ro == nil {
		return ""
	}
	st := &ro.Status
	var parts []string
	switch {
	case ro.Spec.Strategy.Canary != nil && len(ro.Spec.Strategy.Canary.Steps) > 0:
		steps := ro.Spec.Strategy.Canary.Steps
		idx := 0
		if st.CurrentStepIndex != nil {
			idx = int(*st.CurrentStepIndex)
		}
		if idx < len(steps) {
			parts = append(parts, fmt.Sprintf("waiting at step %d/%d (%s)", idx+1, len(steps), stepText(steps[idx])))
		} else {
			parts = append(parts, fmt.Sprintf("all %d steps done, waiting for the update to become stable", len(steps)))
		}
	case ro.Spec.Strategy.BlueGreen != nil:
		parts = append(parts, "waiting for the blue-green promotion")
	default:
		parts = append(parts, "waiting for the update to become stable")
	}
	for _, c := range st.PauseConditions {
		parts = append(parts, fmt.Sprintf("paused (%s) since %s", c.Reason, offset(c.StartTime.Time.Sub(res.Start))))
	}
	for _, run := range res.AnalysisRuns {
		if run.Status.Phase == v1alpha1.AnalysisPhaseRunning || run.Status.Phase == v1alpha1.AnalysisPhasePending || run.Status.Phase == "" {
			parts = append(parts, fmt.Sprintf("%s analysis %s %s", strings.ToLower(orDash(runTypeOf(&run))), run.Name, orDash(string(run.Status.Phase))))
		}
	}
	at := res.Until
	if at == 0 {
		at = res.Ended
	}
	s := strings.Join(parts, "; ") + " at until " + scenario.ShortDuration(at)
	paused := false
	for _, c := range st.PauseConditions {
		paused = paused || string(c.Reason) == st.Message
	}
	if st.Message != "" && !paused {
		s += " (" + string(st.Phase) + ": " + st.Message + ")"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stepText names a canary step as the manifest writes it.
func stepText(s v1alpha1.CanaryStep) string {
	switch {
	case s.SetWeight != nil:
		return fmt.Sprintf("setWeight %d", *s.SetWeight)
	case s.Pause != nil && s.Pause.Duration == nil:
		return "pause until promoted"
	case s.Pause != nil:
		return "pause " + scenario.ShortDuration(time.Duration(s.Pause.DurationSeconds())*time.Second)
	case s.Analysis != nil:
		var names []string
		for _, t := range s.Analysis.Templates {
			names = append(names, t.TemplateName)
		}
		return "analysis " + strings.Join(names, ", ")
	case s.Experiment != nil:
		return "experiment"
	case s.SetCanaryScale != nil:
		return "setCanaryScale"
	case s.SetHeaderRoute != nil:
		return "setHeaderRoute"
	case s.SetMirrorRoute != nil:
		return "setMirrorRoute"
	case s.Plugin != nil:
		return "plugin"
	}
	return "step"
}

// CaseSummary is the verdict in a few words for `rollsim test`'s line: the
// Summary, or a failed standalone Experiment first.
func CaseSummary(res *sim.Result) string {
	if res.ExperimentsOnly {
		return experimentsHeadline(res)
	}
	if x := failedStandalone(res); x != nil {
		return fmt.Sprintf("Experiment %s %s (rollout %s)", x.Name, x.Status.Phase, Summary(res))
	}
	return Summary(res)
}

// runTypeOf is the run's rollout-type label, or "Experiment" for runs an
// Experiment owns.
func runTypeOf(run *v1alpha1.AnalysisRun) string {
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
