package rollout

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Condition reasons and messages written by the controller (utils/conditions upstream).
const (
	ReasonAborted        = "RolloutAborted"
	ReasonTimedOut       = "ProgressDeadlineExceeded"
	ReasonRSUpdated      = "ReplicaSetUpdated"
	ReasonNewRSAvailable = "NewReplicaSetAvailable"
	ReasonPaused         = "RolloutPaused"
	ReasonResumed        = "RolloutResumed"
	ReasonAvailable      = "AvailableReason"
	ReasonHealthy        = "RolloutHealthy"
	ReasonCompleted      = "RolloutCompleted"
	ReasonNotCompleted   = "RolloutNotCompleted"
	messageAvailable     = "Rollout has minimum availability"
	messageNotAvailable  = "Rollout does not have minimum availability"
	messageHealthy       = "Rollout is healthy"
	messageNotHealthy    = "Rollout is not healthy"
	messagePaused        = "Rollout is paused"
	ReasonRetry          = "RolloutRetry"
	messageRetry         = "Retrying Rollout after abort"
	messageResumed       = "Rollout is resumed"
)

func findCondition(st *v1alpha1.RolloutStatus, t v1alpha1.RolloutConditionType) *v1alpha1.RolloutCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

// setCondition adds or replaces a condition; an identical status and reason only
// bumps nothing (upstream SetRolloutCondition). It reports whether anything changed.
func (s *state) setCondition(st *v1alpha1.RolloutStatus, c v1alpha1.RolloutCondition) bool {
	now := s.now()
	cur := findCondition(st, c.Type)
	if cur != nil && cur.Status == c.Status && cur.Reason == c.Reason && cur.Message == c.Message {
		return false
	}
	c.LastUpdateTime = now
	c.LastTransitionTime = now
	if cur != nil && cur.Status == c.Status {
		c.LastTransitionTime = cur.LastTransitionTime
	}
	if cur != nil && cur.Status == c.Status && cur.Reason == c.Reason {
		// Same reason: the message is kept as first written (so an abort's detailed
		// message survives later reconciles).
		return false
	}
	var out []v1alpha1.RolloutCondition
	for _, x := range st.Conditions {
		if x.Type != c.Type {
			out = append(out, x)
		}
	}
	st.Conditions = append(out, c)
	return true
}

func cond(t v1alpha1.RolloutConditionType, status corev1.ConditionStatus, reason, message string) v1alpha1.RolloutCondition {
	return v1alpha1.RolloutCondition{Type: t, Status: status, Reason: reason, Message: message}
}

// healthy: every desired pod is updated and available and the update is stable.
func (s *state) healthy(st *v1alpha1.RolloutStatus) bool {
	replicas := specReplicas(s.ro)
	return st.UpdatedReplicas == replicas && st.Replicas == replicas && st.AvailableReplicas == replicas &&
		st.StableRS != "" && st.StableRS == st.CurrentPodHash
}

// conditions recomputes Healthy, Progressing (incl. abort), Available, Paused and
// Completed (upstream calculateRolloutConditions, canary parts).
func (s *state) conditions(st *v1alpha1.RolloutStatus) {
	paused := len(st.PauseConditions) > 0 || s.ro.Spec.Paused
	aborted := s.pause.aborted(s.ro)
	isHealthy := !paused && s.healthy(st)
	if isHealthy {
		s.setCondition(st, cond(v1alpha1.RolloutHealthy, corev1.ConditionTrue, ReasonHealthy, messageHealthy))
	} else {
		s.setCondition(st, cond(v1alpha1.RolloutHealthy, corev1.ConditionFalse, ReasonHealthy, messageNotHealthy))
	}
	if aborted {
		msg := fmt.Sprintf("Rollout aborted update to revision %s", s.revision())
		if s.pause.abortMessage != "" {
			msg += ": " + s.pause.abortMessage
		}
		if s.setCondition(st, cond(v1alpha1.RolloutProgressing, corev1.ConditionFalse, ReasonAborted, msg)) {
			s.event(engine.EventWarning, ReasonAborted, msg)
		}
	} else {
		retried := s.ro.Status.AbortedAt != nil && !s.ro.Status.Abort
		switch {
		case retried:
			if s.setCondition(st, cond(v1alpha1.RolloutProgressing, corev1.ConditionUnknown, ReasonRetry, messageRetry)) {
				s.event(engine.EventNormal, ReasonRetry, messageRetry)
			}
		case isHealthy:
			s.setCondition(st, cond(v1alpha1.RolloutProgressing, corev1.ConditionTrue, ReasonNewRSAvailable,
				fmt.Sprintf("ReplicaSet %q has successfully progressed.", s.newRS.Name)))
		case paused:
			s.setCondition(st, cond(v1alpha1.RolloutProgressing, corev1.ConditionUnknown, ReasonPaused, messagePaused))
		case s.timedOut:
			s.setCondition(st, cond(v1alpha1.RolloutProgressing, corev1.ConditionFalse, ReasonTimedOut, s.timeoutMessage()))
		case s.progressed(st) || !progressingSince(st):
			// Progress refreshes lastUpdateTime: the deadline counts from the last progress.
			now := s.now()
			c := cond(v1alpha1.RolloutProgressing, corev1.ConditionTrue, ReasonRSUpdated, fmt.Sprintf("ReplicaSet %q is progressing.", s.newRS.Name))
			c.LastUpdateTime, c.LastTransitionTime = now, now
			if cur := findCondition(st, v1alpha1.RolloutProgressing); cur != nil && cur.Status == corev1.ConditionTrue {
				c.LastTransitionTime = cur.LastTransitionTime
			}
			removeCondition(st, v1alpha1.RolloutProgressing)
			st.Conditions = append(st.Conditions, c)
		}
	}
	if st.AvailableReplicas >= specReplicas(s.ro) {
		s.setCondition(st, cond(v1alpha1.RolloutAvailable, corev1.ConditionTrue, ReasonAvailable, messageAvailable))
	} else {
		s.setCondition(st, cond(v1alpha1.RolloutAvailable, corev1.ConditionFalse, ReasonAvailable, messageNotAvailable))
	}
	if paused {
		s.setCondition(st, cond(v1alpha1.RolloutPaused, corev1.ConditionTrue, ReasonPaused, messagePaused))
	} else if findCondition(st, v1alpha1.RolloutPaused) != nil {
		s.setCondition(st, cond(v1alpha1.RolloutPaused, corev1.ConditionFalse, ReasonPaused, messagePaused))
	}
	if isHealthy {
		s.setCondition(st, cond(v1alpha1.RolloutCompleted, corev1.ConditionTrue, ReasonCompleted, ReasonCompleted))
	} else {
		s.setCondition(st, cond(v1alpha1.RolloutCompleted, corev1.ConditionFalse, ReasonCompleted, ReasonCompleted))
	}
}

// Phase derives the phase and message `kubectl argo rollouts get rollout` shows
// (upstream CalculateRolloutPhase), first match wins.
func Phase(spec v1alpha1.RolloutSpec, st v1alpha1.RolloutStatus) (v1alpha1.RolloutPhase, string) {
	for _, c := range st.Conditions {
		if c.Type == v1alpha1.InvalidSpec {
			return v1alpha1.RolloutPhaseDegraded, fmt.Sprintf("%s: %s", v1alpha1.InvalidSpec, c.Message)
		}
		if c.Reason == ReasonAborted || c.Reason == ReasonTimedOut {
			return v1alpha1.RolloutPhaseDegraded, fmt.Sprintf("%s: %s", c.Reason, c.Message)
		}
	}
	if spec.Paused {
		return v1alpha1.RolloutPhasePaused, "manually paused"
	}
	if len(st.PauseConditions) > 0 {
		return v1alpha1.RolloutPhasePaused, string(st.PauseConditions[0].Reason)
	}
	replicas := int32(1)
	if spec.Replicas != nil {
		replicas = *spec.Replicas
	}
	if st.UpdatedReplicas < replicas {
		return v1alpha1.RolloutPhaseProgressing, "more replicas need to be updated"
	}
	if st.AvailableReplicas < st.UpdatedReplicas {
		return v1alpha1.RolloutPhaseProgressing, "updated replicas are still becoming available"
	}
	if spec.Strategy.Canary != nil {
		if spec.Strategy.Canary.TrafficRouting == nil && st.Replicas > st.UpdatedReplicas {
			return v1alpha1.RolloutPhaseProgressing, "old replicas are pending termination"
		}
		if st.StableRS == "" || st.StableRS != st.CurrentPodHash {
			return v1alpha1.RolloutPhaseProgressing, "waiting for all steps to complete"
		}
	}
	return v1alpha1.RolloutPhaseHealthy, ""
}

func removeCondition(st *v1alpha1.RolloutStatus, t v1alpha1.RolloutConditionType) {
	var out []v1alpha1.RolloutCondition
	for _, c := range st.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	st.Conditions = out
}

// progressingSince: the Progressing condition already says ReplicaSetUpdated.
func progressingSince(st *v1alpha1.RolloutStatus) bool {
	c := findCondition(st, v1alpha1.RolloutProgressing)
	return c != nil && c.Reason == ReasonRSUpdated && c.Status == corev1.ConditionTrue
}

// progressed is upstream's RolloutProgressing: replica counts or the canary's
// position moved since the last status.
func (s *state) progressed(st *v1alpha1.RolloutStatus) bool {
	old := s.ro.Status
	idx := func(p *int32) int32 {
		if p == nil {
			return -1
		}
		return *p
	}
	return old.UpdatedReplicas != st.UpdatedReplicas || old.ReadyReplicas < st.ReadyReplicas ||
		old.AvailableReplicas < st.AvailableReplicas || old.CurrentPodHash != st.CurrentPodHash ||
		idx(old.CurrentStepIndex) != idx(st.CurrentStepIndex) || old.StableRS != st.StableRS
}

func (s *state) timeoutMessage() string {
	return fmt.Sprintf("ReplicaSet %q has timed out progressing.", s.newRS.Name)
}

// checkProgressDeadline decides, before pause and abort are settled, whether the
// rollout has made no progress for progressDeadlineSeconds (not counted while it
// waits at a pause, analysis or experiment step, or is paused), and aborts if
// progressDeadlineAbort says so. Otherwise it asks to be woken at the deadline.
func (s *state) checkProgressDeadline(st *v1alpha1.RolloutStatus) {
	if s.pause.aborted(s.ro) || s.healthy(st) || s.ro.Spec.Paused || len(s.ro.Status.PauseConditions) > 0 {
		return
	}
	if step, _ := s.currentStep(); step != nil && (step.Pause != nil || step.Analysis != nil || step.Experiment != nil) {
		return
	}
	if s.progressed(st) {
		return
	}
	c := findCondition(&s.ro.Status, v1alpha1.RolloutProgressing)
	if c == nil || c.Reason == ReasonNewRSAvailable {
		return
	}
	deadline := int32(600)
	if s.ro.Spec.ProgressDeadlineSeconds != nil {
		deadline = *s.ro.Spec.ProgressDeadlineSeconds
	}
	at := c.LastUpdateTime.Add(time.Duration(deadline) * time.Second)
	if c.Reason == ReasonTimedOut || s.r.Clock.Now().After(at) {
		s.timedOut = true
		if s.ro.Spec.ProgressDeadlineAbort && !s.ro.Status.Abort {
			s.pause.abort(s.timeoutMessage())
		}
		return
	}
	// Woken just after the deadline (the controller compares "after").
	s.requeueAt(at.Add(time.Second))
}
