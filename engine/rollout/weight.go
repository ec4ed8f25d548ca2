package rollout

import "github.com/rollsim/rollsim/engine/api/v1alpha1"

// SetWeight is the canary weight a canary rollout's current step asks for, as
// the controller and `kubectl argo rollouts get rollout` compute it (upstream
// replicasetutil.GetCurrentSetWeight): 0 once aborted, 100 past the last step,
// otherwise the nearest setWeight at or before the current step (0 if none).
func SetWeight(ro *v1alpha1.Rollout) int32 {
	if ro.Spec.Strategy.Canary == nil {
		return 0
	}
	return stepsWeight(ro.Spec.Strategy.Canary.Steps, ro.Status.CurrentStepIndex, ro.Status.Abort)
}

func stepsWeight(steps []v1alpha1.CanaryStep, index *int32, aborted bool) int32 {
	if aborted {
		return 0
	}
	idx := int32(0)
	if index != nil {
		idx = *index
	}
	if idx < 0 || int(idx) >= len(steps) {
		return maxWeight
	}
	for i := idx; i >= 0; i-- {
		if w := steps[i].SetWeight; w != nil {
			return *w
		}
	}
	return 0
}
