package rollout

import (
	"fmt"

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
		default:
			s.setCondition(st, cond(v1alpha1.RolloutProgressing, corev1.ConditionTrue, ReasonRSUpdated,
				fmt.Sprintf("ReplicaSet %q is progressing.", s.newRS.Name)))
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
