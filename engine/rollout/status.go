package rollout

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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

// healthy is upstream's RolloutHealthy: every desired pod is updated and available
// and the strategy is done (blue-green: the services select the new pods; canary:
// all steps, the update stable, no old pods left).
func (s *state) healthy(st *v1alpha1.RolloutStatus) bool {
	return Healthy(s.ro.Spec, st)
}

// Healthy is upstream's RolloutHealthy (utils/conditions) over a spec and a status.
func Healthy(spec v1alpha1.RolloutSpec, st *v1alpha1.RolloutStatus) bool {
	replicas := int32(1)
	if spec.Replicas != nil {
		replicas = *spec.Replicas
	}
	done := true
	if bg := spec.Strategy.BlueGreen; bg != nil {
		done = st.BlueGreen.ActiveSelector == st.CurrentPodHash &&
			(bg.PreviewService == "" || st.BlueGreen.PreviewSelector == st.CurrentPodHash)
	}
	if c := spec.Strategy.Canary; c != nil {
		allSteps := len(c.Steps) == 0 || st.CurrentStepIndex == nil || int(*st.CurrentStepIndex) == len(c.Steps)
		done = allSteps && st.StableRS != "" && st.StableRS == st.CurrentPodHash && st.Replicas == replicas
	}
	return st.UpdatedReplicas == replicas && st.AvailableReplicas == replicas && done
}

// completed is upstream's RolloutCompleted: the update is the stable revision.
func completed(st *v1alpha1.RolloutStatus) bool {
	return st.StableRS != "" && st.StableRS == st.CurrentPodHash
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
			// A condition only: upstream checkPausedConditions records no event.
			s.setCondition(st, cond(v1alpha1.RolloutProgressing, corev1.ConditionUnknown, ReasonRetry, messageRetry))
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
	if s.available(st) {
		s.setCondition(st, cond(v1alpha1.RolloutAvailable, corev1.ConditionTrue, ReasonAvailable, messageAvailable))
	} else {
		s.setCondition(st, cond(v1alpha1.RolloutAvailable, corev1.ConditionFalse, ReasonAvailable, messageNotAvailable))
	}
	if paused {
		s.setCondition(st, cond(v1alpha1.RolloutPaused, corev1.ConditionTrue, ReasonPaused, messagePaused))
	} else if findCondition(st, v1alpha1.RolloutPaused) != nil {
		s.setCondition(st, cond(v1alpha1.RolloutPaused, corev1.ConditionFalse, ReasonPaused, messagePaused))
	}
	if completed(st) {
		s.setCondition(st, cond(v1alpha1.RolloutCompleted, corev1.ConditionTrue, ReasonCompleted, ReasonCompleted))
	} else if s.setCondition(st, cond(v1alpha1.RolloutCompleted, corev1.ConditionFalse, ReasonCompleted, ReasonCompleted)) {
		// Upstream calculateRolloutConditions: the event marks the start of an update.
		s.event(engine.EventNormal, ReasonNotCompleted, fmt.Sprintf("Rollout not completed, started update to revision %s (%s)", s.revision(), st.CurrentPodHash))
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
	if bg := spec.Strategy.BlueGreen; bg != nil {
		if st.BlueGreen.ActiveSelector == "" || st.BlueGreen.ActiveSelector != st.CurrentPodHash {
			return v1alpha1.RolloutPhaseProgressing, "active service cutover pending"
		}
		if !completed(&st) {
			post := st.BlueGreen.PostPromotionAnalysisRunStatus
			if bg.PostPromotionAnalysis != nil && (post == nil || !post.Status.Completed()) {
				return v1alpha1.RolloutPhaseProgressing, "waiting for analysis to complete"
			}
			return v1alpha1.RolloutPhaseProgressing, "waiting for post-promotion verification to complete"
		}
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
	strategy := false
	if s.ro.Spec.Strategy.BlueGreen != nil {
		strategy = old.BlueGreen.ActiveSelector != st.BlueGreen.ActiveSelector || old.BlueGreen.PreviewSelector != st.BlueGreen.PreviewSelector
	}
	if s.ro.Spec.Strategy.Canary != nil {
		strategy = old.StableRS != st.StableRS || (old.CurrentStepIndex != nil && st.CurrentStepIndex != nil && idx(old.CurrentStepIndex) != idx(st.CurrentStepIndex))
	}
	// Old pods that went away count as progress too.
	oldPodsBefore, oldPodsNow := old.Replicas-old.UpdatedReplicas, st.Replicas-st.UpdatedReplicas
	return old.UpdatedReplicas != st.UpdatedReplicas || oldPodsNow < oldPodsBefore ||
		old.ReadyReplicas < st.ReadyReplicas || old.AvailableReplicas < st.AvailableReplicas ||
		old.CurrentPodHash != st.CurrentPodHash || strategy
}

// available: blue-green, the active ReplicaSet is saturated; canary, enough pods
// are available over all ReplicaSets (upstream calculateRolloutConditions).
func (s *state) available(st *v1alpha1.RolloutStatus) bool {
	if s.ro.Spec.Strategy.BlueGreen != nil {
		rs := s.rsByHash(st.BlueGreen.ActiveSelector)
		n := specReplicas(s.ro)
		return rs != nil && rsReplicas(rs) == n && rs.Status.AvailableReplicas == n
	}
	return sumAvailable(s.allRSs) >= specReplicas(s.ro)
}

func (s *state) rsByHash(hash string) *appsv1.ReplicaSet {
	if hash == "" {
		return nil
	}
	for _, rs := range s.allRSs {
		if rs.Labels[PodTemplateHashLabel] == hash {
			return rs
		}
	}
	return nil
}

// blueGreenCounts: a blue-green status counts the active ReplicaSet's pods as
// available and ready, and selects them (upstream syncRolloutStatusBlueGreen);
// without an active ReplicaSet, all of them.
func (s *state) blueGreenCounts(st *v1alpha1.RolloutStatus) {
	rs := s.rsByHash(st.BlueGreen.ActiveSelector)
	if rs == nil {
		return
	}
	st.HPAReplicas = rs.Status.Replicas
	st.AvailableReplicas = rs.Status.AvailableReplicas
	st.ReadyReplicas = rs.Status.ReadyReplicas
	if rs.Spec.Selector != nil {
		if sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector); err == nil {
			st.Selector = sel.String()
		}
	}
}

// waitingForScaleDown: a ReplicaSet that is neither new nor stable still waits
// for its scale-down deadline (upstream isWaitingForReplicaSetScaleDown).
func (s *state) waitingForScaleDown() bool {
	for _, rs := range s.otherRSs {
		if _, ok := rs.Annotations[ScaleDownDeadlineAnnotation]; ok {
			return true
		}
	}
	return false
}

func (s *state) timeoutMessage() string {
	return fmt.Sprintf("ReplicaSet %q has timed out progressing.", s.newRS.Name)
}

// checkProgressDeadline decides, before pause and abort are settled, whether the
// rollout has made no progress for progressDeadlineSeconds (not counted while it
// waits at a pause, analysis or experiment step, or is paused), and aborts if
// progressDeadlineAbort says so. Otherwise it asks to be woken at the deadline.
func (s *state) checkProgressDeadline(st *v1alpha1.RolloutStatus) {
	if s.pause.aborted(s.ro) || s.healthy(st) || s.ro.Spec.Paused || len(s.ro.Status.PauseConditions) > 0 || s.waitingForScaleDown() {
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
