package rollout

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

func TestPhase(t *testing.T) {
	canary := v1alpha1.RolloutSpec{Replicas: ptr.To[int32](3), Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{}}}
	paused := canary
	paused.Paused = true
	full := v1alpha1.RolloutStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3, StableRS: "a", CurrentPodHash: "a"}
	with := func(f func(*v1alpha1.RolloutStatus)) v1alpha1.RolloutStatus {
		s := full
		f(&s)
		return s
	}
	blueGreen := v1alpha1.RolloutSpec{Replicas: ptr.To[int32](3), Strategy: v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{ActiveService: "active"}}}
	blueGreenPost := v1alpha1.RolloutSpec{Replicas: ptr.To[int32](3), Strategy: v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{
		ActiveService: "active", PostPromotionAnalysis: &v1alpha1.RolloutAnalysis{}}}}
	withBG := func(f func(*v1alpha1.RolloutStatus)) v1alpha1.RolloutStatus {
		s := full
		s.BlueGreen = v1alpha1.BlueGreenStatus{ActiveSelector: "a", PreviewSelector: "a"}
		f(&s)
		return s
	}
	tests := []struct {
		name    string
		spec    v1alpha1.RolloutSpec
		status  v1alpha1.RolloutStatus
		phase   v1alpha1.RolloutPhase
		message string
	}{
		{"invalid spec first", canary, with(func(s *v1alpha1.RolloutStatus) {
			s.Conditions = []v1alpha1.RolloutCondition{{Type: v1alpha1.InvalidSpec, Message: "bad"}}
		}), v1alpha1.RolloutPhaseDegraded, "InvalidSpec: bad"},
		{"aborted", canary, with(func(s *v1alpha1.RolloutStatus) {
			s.Conditions = []v1alpha1.RolloutCondition{{Type: v1alpha1.RolloutProgressing, Reason: ReasonAborted, Message: "Rollout aborted update to revision 2"}}
		}), v1alpha1.RolloutPhaseDegraded, "RolloutAborted: Rollout aborted update to revision 2"},
		{"progress deadline", canary, with(func(s *v1alpha1.RolloutStatus) {
			s.Conditions = []v1alpha1.RolloutCondition{{Type: v1alpha1.RolloutProgressing, Reason: ReasonTimedOut, Message: `ReplicaSet "x" has timed out progressing.`}}
		}), v1alpha1.RolloutPhaseDegraded, `ProgressDeadlineExceeded: ReplicaSet "x" has timed out progressing.`},
		{"manually paused", paused, full, v1alpha1.RolloutPhasePaused, "manually paused"},
		{"pause condition", canary, with(func(s *v1alpha1.RolloutStatus) {
			s.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonCanaryPauseStep}}
		}), v1alpha1.RolloutPhasePaused, "CanaryPauseStep"},
		{"not all updated", canary, with(func(s *v1alpha1.RolloutStatus) { s.UpdatedReplicas = 1 }), v1alpha1.RolloutPhaseProgressing, "more replicas need to be updated"},
		{"updated not available", canary, with(func(s *v1alpha1.RolloutStatus) { s.AvailableReplicas = 2 }), v1alpha1.RolloutPhaseProgressing, "updated replicas are still becoming available"},
		{"old pods left", canary, with(func(s *v1alpha1.RolloutStatus) { s.Replicas = 4 }), v1alpha1.RolloutPhaseProgressing, "old replicas are pending termination"},
		{"steps left", canary, with(func(s *v1alpha1.RolloutStatus) { s.StableRS = "b" }), v1alpha1.RolloutPhaseProgressing, "waiting for all steps to complete"},
		{"healthy", canary, full, v1alpha1.RolloutPhaseHealthy, ""},
		// Blue-green (upstream CalculateRolloutPhase): old pods left do not matter.
		{"blue-green cutover pending", blueGreen, withBG(func(s *v1alpha1.RolloutStatus) { s.BlueGreen.ActiveSelector = "old" }), v1alpha1.RolloutPhaseProgressing, "active service cutover pending"},
		{"blue-green waiting for post-promotion analysis", blueGreenPost, withBG(func(s *v1alpha1.RolloutStatus) { s.StableRS = "old" }), v1alpha1.RolloutPhaseProgressing, "waiting for analysis to complete"},
		{"blue-green post-promotion analysis done, not yet stable", blueGreenPost, withBG(func(s *v1alpha1.RolloutStatus) {
			s.StableRS = "old"
			s.BlueGreen.PostPromotionAnalysisRunStatus = &v1alpha1.RolloutAnalysisRunStatus{Status: v1alpha1.AnalysisPhaseSuccessful}
		}), v1alpha1.RolloutPhaseProgressing, "waiting for post-promotion verification to complete"},
		{"blue-green promoted, old ReplicaSet still scaled up", blueGreen, withBG(func(s *v1alpha1.RolloutStatus) { s.Replicas = 6 }), v1alpha1.RolloutPhaseHealthy, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, m := Phase(tt.spec, tt.status)
			if p != tt.phase || m != tt.message {
				t.Fatalf("got %s %q, want %s %q", p, m, tt.phase, tt.message)
			}
		})
	}
}

func TestStepString(t *testing.T) {
	d := intstr.FromString("5m")
	tests := []struct {
		step v1alpha1.CanaryStep
		want string
	}{
		{v1alpha1.CanaryStep{SetWeight: ptr.To[int32](20)}, "setWeight: 20"},
		{v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: &d}}, "pause: 5m"},
		{v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}}, "pause"},
		{v1alpha1.CanaryStep{Analysis: &v1alpha1.RolloutAnalysis{}}, "analysis"},
	}
	for _, tt := range tests {
		if got := StepString(tt.step); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestRolloutField(t *testing.T) {
	ro := &v1alpha1.Rollout{}
	ro.Name = "app"
	ro.Labels = map[string]string{"env": "prod"}
	ro.Annotations = map[string]string{"rollout.argoproj.io/revision": "2"}
	ro.Spec.Replicas = ptr.To[int32](3)
	ro.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: "CanaryPauseStep"}}
	tests := []struct{ path, want, err string }{
		{"metadata.name", "app", ""},
		{"metadata.labels['env']", "prod", ""},
		{"metadata.annotations['rollout.argoproj.io/revision']", "2", ""},
		{"spec.replicas", "3", ""},
		{"status.pauseConditions[0].reason", "CanaryPauseStep", ""},
		{"status.pauseConditions[3].reason", "", "index 3 out of range"},
		{"status.pauseConditions[x].reason", "", "invalid index 'x'"},
		{"spec.nope", "", "invalid path spec.nope in rollout"},
		{"spec", "", "must terminate in a primitive value"},
	}
	for _, tt := range tests {
		got, err := rolloutField(ro, tt.path)
		if tt.err != "" {
			if err == nil || !contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.path, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q %v, want %q", tt.path, got, err, tt.want)
		}
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0))
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// Cases from upstream RolloutHealthy (utils/conditions/conditions.go).
func TestHealthy(t *testing.T) {
	bg := v1alpha1.RolloutSpec{Replicas: ptr.To[int32](3), Strategy: v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{ActiveService: "a", PreviewService: "p"}}}
	bgNoPreview := v1alpha1.RolloutSpec{Replicas: ptr.To[int32](3), Strategy: v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{ActiveService: "a"}}}
	canary := v1alpha1.RolloutSpec{Replicas: ptr.To[int32](3), Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{Steps: []v1alpha1.CanaryStep{{SetWeight: ptr.To[int32](50)}}}}}
	st := func(f func(*v1alpha1.RolloutStatus)) *v1alpha1.RolloutStatus {
		s := &v1alpha1.RolloutStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3, CurrentPodHash: "n", StableRS: "n",
			CurrentStepIndex: ptr.To[int32](1), BlueGreen: v1alpha1.BlueGreenStatus{ActiveSelector: "n", PreviewSelector: "n"}}
		if f != nil {
			f(s)
		}
		return s
	}
	tests := []struct {
		name string
		spec v1alpha1.RolloutSpec
		st   *v1alpha1.RolloutStatus
		want bool
	}{
		{"blue-green done", bg, st(nil), true},
		{"blue-green with the old ReplicaSet in its scale-down delay", bg, st(func(s *v1alpha1.RolloutStatus) { s.Replicas = 6 }), true},
		{"blue-green active on the old pods", bg, st(func(s *v1alpha1.RolloutStatus) { s.BlueGreen.ActiveSelector = "o" }), false},
		{"blue-green preview elsewhere", bg, st(func(s *v1alpha1.RolloutStatus) { s.BlueGreen.PreviewSelector = "o" }), false},
		{"blue-green without a preview service", bgNoPreview, st(func(s *v1alpha1.RolloutStatus) { s.BlueGreen.PreviewSelector = "" }), true},
		{"blue-green not all available", bg, st(func(s *v1alpha1.RolloutStatus) { s.AvailableReplicas = 2 }), false},
		{"canary done", canary, st(nil), true},
		{"canary old pods left", canary, st(func(s *v1alpha1.RolloutStatus) { s.Replicas = 4 }), false},
		{"canary steps left", canary, st(func(s *v1alpha1.RolloutStatus) { s.CurrentStepIndex = ptr.To[int32](0) }), false},
		{"canary not stable", canary, st(func(s *v1alpha1.RolloutStatus) { s.StableRS = "o" }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Healthy(tt.spec, tt.st); got != tt.want {
				t.Errorf("Healthy = %v, want %v", got, tt.want)
			}
		})
	}
}
