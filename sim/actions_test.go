package sim

import (
	"testing"

	"k8s.io/utils/ptr"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// The plugin's `promote` patch, one row per case of upstream's promote command.
func TestPromotePatch(t *testing.T) {
	canary := func(idx int32, steps int, mod func(*v1alpha1.Rollout)) *v1alpha1.Rollout {
		ro := &v1alpha1.Rollout{}
		ro.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{Steps: make([]v1alpha1.CanaryStep, steps)}
		ro.Status.CurrentStepIndex = ptr.To(idx)
		if mod != nil {
			mod(ro)
		}
		return ro
	}
	pause := []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonCanaryPauseStep}}
	tests := []struct {
		name       string
		ro         *v1alpha1.Rollout
		wantIdx    int32
		wantPaused bool
		wantCtrl   bool
	}{
		{"paused at a pause step: the pause is cleared, the controller advances", canary(1, 3, func(ro *v1alpha1.Rollout) {
			ro.Status.PauseConditions, ro.Status.ControllerPause = pause, true
		}), 1, false, true},
		{"inconclusive step analysis: skipped, no new run", canary(2, 3, func(ro *v1alpha1.Rollout) {
			ro.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonInconclusiveAnalysis}}
			ro.Status.ControllerPause = true
			ro.Status.Canary.CurrentStepAnalysisRunStatus = &v1alpha1.RolloutAnalysisRunStatus{Status: v1alpha1.AnalysisPhaseInconclusive}
		}), 3, false, false},
		{"not paused: skips the current step", canary(0, 3, nil), 1, false, false},
		{"never past the last step", canary(3, 3, nil), 3, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			promote(tt.ro)
			if *tt.ro.Status.CurrentStepIndex != tt.wantIdx || (len(tt.ro.Status.PauseConditions) > 0) != tt.wantPaused || tt.ro.Status.ControllerPause != tt.wantCtrl {
				t.Fatalf("index %d, pause conditions %v, controllerPause %v", *tt.ro.Status.CurrentStepIndex, tt.ro.Status.PauseConditions, tt.ro.Status.ControllerPause)
			}
		})
	}
}
