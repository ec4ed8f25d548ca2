package rollout

import (
	"testing"

	"k8s.io/utils/ptr"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Cases from upstream NewRSNewReplicas (utils/replicaset/replicaset.go) and its
// tests in utils/replicaset/replicaset_test.go.
func TestBlueGreenNewReplicas(t *testing.T) {
	base := func(f func(*v1alpha1.Rollout)) *v1alpha1.Rollout {
		ro := &v1alpha1.Rollout{
			Spec: v1alpha1.RolloutSpec{
				Replicas: ptr.To[int32](5),
				Strategy: v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{PreviewReplicaCount: ptr.To[int32](2)}},
			},
			Status: v1alpha1.RolloutStatus{CurrentPodHash: "new", BlueGreen: v1alpha1.BlueGreenStatus{ActiveSelector: "old"}},
		}
		if f != nil {
			f(ro)
		}
		return ro
	}
	tests := []struct {
		name         string
		ro           *v1alpha1.Rollout
		activeExists bool
		want         int32
	}{
		{"no previewReplicaCount", base(func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.BlueGreen.PreviewReplicaCount = nil }), true, 5},
		{"before the switch", base(nil), true, 2},
		{"no active ReplicaSet", base(nil), false, 5},
		{"new ReplicaSet is active", base(func(ro *v1alpha1.Rollout) { ro.Status.BlueGreen.ActiveSelector = "new" }), true, 5},
		{"full promotion ignores the preview count", base(func(ro *v1alpha1.Rollout) { ro.Status.PromoteFull = true }), true, 5},
		{"checkpoint passed, not paused", base(func(ro *v1alpha1.Rollout) { ro.Status.BlueGreen.ScaleUpPreviewCheckPoint = true }), true, 5},
		{"checkpoint passed but a pause condition stands", base(func(ro *v1alpha1.Rollout) {
			ro.Status.BlueGreen.ScaleUpPreviewCheckPoint = true
			ro.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonBlueGreenPause}}
		}), true, 2},
		{"checkpoint passed but manually paused", base(func(ro *v1alpha1.Rollout) {
			ro.Status.BlueGreen.ScaleUpPreviewCheckPoint = true
			ro.Spec.Paused = true
		}), true, 2},
		{"checkpoint of an earlier template", base(func(ro *v1alpha1.Rollout) {
			ro.Status.BlueGreen.ScaleUpPreviewCheckPoint = true
			ro.Status.CurrentPodHash = "previous"
		}), true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BlueGreenNewReplicas(tt.ro, "new", tt.activeExists); got != tt.want {
				t.Errorf("BlueGreenNewReplicas = %d, want %d", got, tt.want)
			}
		})
	}
}
