package sim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rollsim/rollsim/engine/rollout"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
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
		{"bluegreen-scale-down-revision-limit.yaml", func(t *testing.T, res *sim.Result) {
			for _, rs := range res.ReplicaSets {
				_, delayed := rs.Annotations[rollout.ScaleDownDeadlineAnnotation]
				got := *rs.Spec.Replicas
				switch rs.Annotations[rollout.RevisionAnnotation] {
				case "1":
					if got != 0 {
						t.Errorf("revision 1 has %d replicas, want 0 (beyond scaleDownDelayRevisionLimit)", got)
					}
				case "2":
					if got != 2 || !delayed {
						t.Errorf("revision 2 has %d replicas (deadline %v), want 2 inside its delay", got, delayed)
					}
				}
			}
		}},
		{"background-inconclusive-pauses.yaml", func(t *testing.T, res *sim.Result) {
			st := res.Rollout.Status
			if st.CurrentStepIndex == nil || *st.CurrentStepIndex != 2 {
				t.Errorf("step index %v, want 2 (the timed pause completes while the inconclusive pause stands)", st.CurrentStepIndex)
			}
			for _, rs := range res.ReplicaSets {
				want := map[string]int32{"1": 3, "2": 1}[rs.Annotations[rollout.RevisionAnnotation]]
				if got := *rs.Spec.Replicas; got != want {
					t.Errorf("revision %s has %d replicas, want %d (no scaling while halted)", rs.Annotations[rollout.RevisionAnnotation], got, want)
				}
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

func progressing(res *sim.Result) (string, string) {
	for _, c := range res.Rollout.Status.Conditions {
		if c.Type == "Progressing" {
			return c.Reason, c.Message
		}
	}
	return "", ""
}

// The progress deadline degrades the rollout while nothing moves and the next
// progress replaces it (upstream calculateRolloutConditions).
func TestProgressDeadlineRecovers(t *testing.T) {
	in, err := scenario.Load("../scenarios/progress-deadline-recovers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in.Scenario.Spec.Until = &scenario.Duration{Duration: 90 * time.Second}
	res, err := sim.Run(context.Background(), in, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if reason, _ := progressing(res); reason != rollout.ReasonTimedOut || res.Rollout.Status.Phase != "Degraded" {
		t.Errorf("at 90s: Progressing %s, phase %s; want %s, Degraded", reason, res.Rollout.Status.Phase, rollout.ReasonTimedOut)
	}
	res = runFile(t, "../scenarios/progress-deadline-recovers.yaml")
	if reason, _ := progressing(res); reason != rollout.ReasonNewRSAvailable || res.Rollout.Status.Phase != "Healthy" {
		t.Errorf("at the end: Progressing %s, phase %s; want %s, Healthy", reason, res.Rollout.Status.Phase, rollout.ReasonNewRSAvailable)
	}
}

// A promoted blue-green rollout whose old ReplicaSet waits out a long scale-down
// delay is Healthy and counts the active pods (upstream syncRolloutStatusBlueGreen,
// RolloutHealthy, isWaitingForReplicaSetScaleDown).
func TestBlueGreenHealthyDuringScaleDownDelay(t *testing.T) {
	res := runFile(t, "../scenarios/bluegreen-scale-down-delay-healthy.yaml")
	st := res.Rollout.Status
	if reason, msg := progressing(res); reason != rollout.ReasonNewRSAvailable || st.Phase != "Healthy" {
		t.Errorf("Progressing %s (%s), phase %s; want %s, Healthy", reason, msg, st.Phase, rollout.ReasonNewRSAvailable)
	}
	if st.Replicas != 6 || st.AvailableReplicas != 3 || st.ReadyReplicas != 3 || st.UpdatedReplicas != 3 {
		t.Errorf("replicas %d, available %d, ready %d, updated %d; want 6, 3, 3, 3 (upstream e2e TestBlueGreenUpdate)",
			st.Replicas, st.AvailableReplicas, st.ReadyReplicas, st.UpdatedReplicas)
	}
}

// After a dynamicStableScale abort the canary keeps its weight until the stable
// pods that take the traffic back are Ready, then steps down to 0 (upstream
// calculateDesiredWeightOnAbortOrStableRollback).
func TestDynamicStableScaleAbortWeights(t *testing.T) {
	res := runFile(t, "../scenarios/dynamic-stable-scale-abort.yaml")
	type point struct {
		at     time.Duration
		weight int32
	}
	var got []point
	for _, w := range res.Record.Weights {
		if w.Aborted {
			got = append(got, point{w.At, w.ActualWeight})
		}
	}
	want := []point{{5 * time.Minute, 75}, {5*time.Minute + 10*time.Second, 25}, {5*time.Minute + 20*time.Second, 0}}
	if len(got) != len(want) {
		t.Fatalf("weights after the abort %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("weights after the abort %v, want %v", got, want)
			break
		}
	}
}

// The Rollout's events, in order, as upstream's e2e tests expect them
// (ExpectRolloutEvents in test/e2e/functional_test.go). The timeline's own
// entries (the update, people's actions) are not controller events.
func TestUpstreamEventOrder(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"e2e-abort-retry-promote.yaml", []string{ // TestRolloutAbortRetryPromote
			"RolloutAddedToInformer", "RolloutUpdated", "NewReplicaSetCreated", "RolloutNotCompleted", "ScalingReplicaSet", "RolloutCompleted",
			"RolloutUpdated", "NewReplicaSetCreated", "RolloutNotCompleted", "ScalingReplicaSet", "RolloutStepCompleted", "RolloutPaused",
			"ScalingReplicaSet", "RolloutAborted",
			"ScalingReplicaSet", "RolloutStepCompleted", "RolloutPaused", "RolloutStepCompleted", "RolloutResumed", "ScalingReplicaSet", "RolloutCompleted",
		}},
		{"e2e-bluegreen-update.yaml", []string{ // TestBlueGreenUpdate
			"RolloutAddedToInformer", "RolloutUpdated", "NewReplicaSetCreated", "ScalingReplicaSet", "RolloutCompleted", "SwitchService",
			"RolloutUpdated", "NewReplicaSetCreated", "RolloutNotCompleted", "ScalingReplicaSet", "SwitchService", "RolloutCompleted",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := runFile(t, "../scenarios/"+tt.file)
			var got []string
			for _, e := range res.Timeline {
				if e.Event && e.Object == "Rollout/"+res.Rollout.Name {
					got = append(got, e.Reason)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("events\n got  %v\n want %v", got, tt.want)
			}
			if tt.file == "e2e-bluegreen-update.yaml" {
				st := res.Rollout.Status
				if st.Replicas != 6 || st.UpdatedReplicas != 3 || st.ReadyReplicas != 3 || st.AvailableReplicas != 3 {
					t.Errorf("replicas %d/%d/%d/%d (current/updated/ready/available), want 6/3/3/3", st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas)
				}
			}
		})
	}
}
