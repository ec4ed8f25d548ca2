package sim

import (
	"context"
	"fmt"

	"github.com/rollsim/rollsim/sim/scenario"

	"k8s.io/utils/ptr"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// scheduleActions plays the scenario's human actions at their times.
func (r *runner) scheduleActions(ctx context.Context) {
	for _, a := range r.in.Scenario.Spec.Actions {
		a := a
		r.clock.At(r.set.Start.Add(a.At.Duration), workEvent, func() {
			if err := r.act(ctx, a); err != nil {
				r.fail(fmt.Errorf("action %s at %s: %w", a.Name(), a.At.Duration, err))
			}
		})
	}
}

// act does what `kubectl argo rollouts <verb>` does: patch the Rollout's spec or
// status and let the controller react (the plugin's promote/abort/retry logic,
// upstream pkg/kubectl-argo-rollouts/cmd).
func (r *runner) act(ctx context.Context, a scenario.Action) error {
	var ro v1alpha1.Rollout
	if err := r.c.Get(ctx, r.roKey, &ro); err != nil {
		return err
	}
	object := "Rollout/" + ro.Name
	switch {
	case a.Update != nil:
		return r.applyUpdate(ctx, *a.Update)
	case a.Scale != nil:
		return r.scale(ctx, &ro, *a.Scale.Replicas)
	case a.Undo != nil:
		return r.undo(ctx, &ro, a.Undo.ToRevision)
	case a.Apply != nil:
		return r.apply(ctx, *a.Apply)
	case a.Delete != nil:
		return r.remove(ctx, *a.Delete)
	case a.Restart != nil:
		return r.restart(ctx, &ro, a.Restart)
	case a.Pause != nil:
		ro.Spec.Paused = true
		ro.Generation++
		r.note(object, "ActionPause", fmt.Sprintf("rollout '%s' paused", ro.Name))
		return r.c.Update(ctx, &ro)
	case a.Resume != nil:
		ro.Spec.Paused = false
		ro.Generation++
		r.note(object, "ActionResume", fmt.Sprintf("rollout '%s' resumed", ro.Name))
		return r.c.Update(ctx, &ro)
	case a.Abort != nil:
		ro.Status.Abort = true
		r.note(object, "ActionAbort", fmt.Sprintf("rollout '%s' aborted", ro.Name))
		return r.c.Status().Update(ctx, &ro)
	case a.Retry != nil:
		ro.Status.Abort = false
		r.note(object, "ActionRetry", fmt.Sprintf("rollout '%s' retried", ro.Name))
		return r.c.Status().Update(ctx, &ro)
	case a.PromoteFull != nil:
		if ro.Spec.Paused {
			ro.Spec.Paused = false
			ro.Generation++
			if err := r.c.Update(ctx, &ro); err != nil {
				return err
			}
		}
		if ro.Status.CurrentPodHash != ro.Status.StableRS {
			ro.Status.PromoteFull = true
			if err := r.c.Status().Update(ctx, &ro); err != nil {
				return err
			}
		}
		r.note(object, "ActionPromoteFull", fmt.Sprintf("rollout '%s' fully promoted", ro.Name))
		return nil
	case a.Promote != nil:
		if ro.Spec.Paused {
			ro.Spec.Paused = false
			ro.Generation++
			if err := r.c.Update(ctx, &ro); err != nil {
				return err
			}
		}
		promote(&ro)
		r.note(object, "ActionPromote", fmt.Sprintf("rollout '%s' promoted", ro.Name))
		return r.c.Status().Update(ctx, &ro)
	}
	return nil
}

// promote is the plugin's status patch for `promote` (without --full).
func promote(ro *v1alpha1.Rollout) {
	st := &ro.Status
	steps := int32(0)
	if ro.Spec.Strategy.Canary != nil {
		steps = int32(len(ro.Spec.Strategy.Canary.Steps))
	}
	idx := int32(0)
	if st.CurrentStepIndex != nil {
		idx = *st.CurrentStepIndex
	}
	next := min(idx+1, steps)
	switch {
	case ro.Spec.Strategy.Canary != nil && st.Canary.CurrentStepAnalysisRunStatus != nil &&
		st.Canary.CurrentStepAnalysisRunStatus.Status == v1alpha1.AnalysisPhaseInconclusive &&
		len(st.PauseConditions) > 0 && st.ControllerPause:
		// The inconclusive step is skipped, no new run.
		st.PauseConditions = nil
		st.ControllerPause = false
		st.CurrentStepIndex = ptr.To(next)
	case len(st.PauseConditions) > 0:
		st.PauseConditions = nil
	case ro.Spec.Strategy.Canary != nil:
		st.PauseConditions = nil
		st.CurrentStepIndex = ptr.To(next)
	}
}
