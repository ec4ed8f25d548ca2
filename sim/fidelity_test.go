package sim_test

import (
	"testing"

	"github.com/rollsim/rollsim/engine/rollout"
	"github.com/rollsim/rollsim/sim"
)

// Final-state facts of the controller-fidelity scenarios that the expect block
// cannot state (upstream behaviour named in each scenario's comment).
func TestFidelityFinalState(t *testing.T) {
	hasEvent := func(res *sim.Result, reason string) bool {
		for _, e := range res.Timeline {
			if e.Reason == reason {
				return true
			}
		}
		return false
	}
	revisionOf := func(res *sim.Result, rs string) string {
		for _, r := range res.ReplicaSets {
			if r.Name == rs {
				return r.Annotations[rollout.RevisionAnnotation]
			}
		}
		return "(no ReplicaSet " + rs + ")"
	}
	tests := []struct {
		file  string
		check func(t *testing.T, res *sim.Result)
	}{
		{"abort-after-promotion.yaml", func(t *testing.T, res *sim.Result) {
			if res.Rollout.Status.Abort || res.Rollout.Status.AbortedAt != nil {
				t.Errorf("abort left on a fully promoted rollout: abort=%v abortedAt=%v", res.Rollout.Status.Abort, res.Rollout.Status.AbortedAt)
			}
			if hasEvent(res, rollout.ReasonAborted) {
				t.Error("RolloutAborted event for an abort of a fully promoted rollout")
			}
			if res.Rollout.Status.Phase != "Healthy" {
				t.Errorf("phase %s, want Healthy", res.Rollout.Status.Phase)
			}
		}},
		{"bluegreen-fast-rollback.yaml", func(t *testing.T, res *sim.Result) {
			if len(res.AnalysisRuns) != 1 {
				t.Errorf("%d AnalysisRuns, want 1 (no pre-promotion run for the fast rollback)", len(res.AnalysisRuns))
			}
			if got := revisionOf(res, "frontend-c549b5f48"); got != "3" {
				t.Errorf("reused ReplicaSet has revision %s, want 3", got)
			}
			if hasEvent(res, "RolloutPaused") {
				t.Error("a fast-tracked rollback paused")
			}
		}},
		{"canary-rollback-window.yaml", func(t *testing.T, res *sim.Result) {
			if len(res.AnalysisRuns) != 2 {
				t.Errorf("%d AnalysisRuns, want 2 (none for the rollback within the window)", len(res.AnalysisRuns))
			}
			if got := revisionOf(res, "window-5c55db8655"); got != "4" {
				t.Errorf("reused ReplicaSet has revision %s, want 4", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tt.check(t, runFile(t, "../scenarios/"+tt.file))
		})
	}
}
