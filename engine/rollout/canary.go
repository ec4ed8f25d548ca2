package rollout

import (
	"context"
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// canary is one reconcile of a canary rollout (upstream rolloutCanary).
func (s *state) canary(ctx context.Context) error {
	templateChanged := s.newRS == nil || s.ro.Status.CurrentPodHash != s.newRS.Labels[PodTemplateHashLabel]
	if err := s.ensureNewRS(ctx); err != nil {
		return err
	}
	s.baseStatus()
	if templateChanged {
		// A new revision: start over from the first step.
		s.pause.clear = true
		s.pause.removeAbort = true
		// The recorded router weights carry over (upstream resetRolloutStatus
		// clears only the step and run statuses): the stable keeps its share.
		s.newStatus.Canary = v1alpha1.CanaryStatus{Weights: s.ro.Status.Canary.Weights}
		if n := int32(len(s.steps())); n > 0 {
			s.newStatus.CurrentStepIndex = ptr.To[int32](0)
			if s.ro.Status.StableRS == s.newRS.Labels[PodTemplateHashLabel] {
				// Back to the stable template: nothing to step through.
				s.newStatus.CurrentStepIndex = ptr.To(n)
				s.event(engine.EventNormal, "SkipSteps", "Rollback to stable ReplicaSets")
			} else if s.isRollbackWithinWindow() && rsReplicas(s.newRS) > 0 {
				// Back to a ReplicaSet that still runs, within rollbackWindow
				// (upstream syncRolloutStatusCanary).
				s.newStatus.CurrentStepIndex = ptr.To(n)
				s.event(engine.EventNormal, "SkipSteps", "Rollback to active ReplicaSets within RollbackWindow")
			}
		}
		return s.persist(ctx)
	}
	if restarted, err := s.restartPods(ctx); err != nil || restarted > 0 {
		return err // restart.go: availability is stale until the next reconcile
	}

	s.reconcileTrafficRouting()
	if err := s.reconcileExperiments(ctx); err != nil {
		return err
	}
	if err := s.reconcileAnalysisRuns(ctx); err != nil {
		return err
	}
	if len(s.pause.add) > 0 {
		return s.syncStatus(ctx)
	}
	scaled, err := s.scaleReplicaSets(ctx)
	if err != nil {
		return err
	}
	if scaled {
		return s.syncStatus(ctx)
	}
	s.reconcilePause()
	return s.syncStatus(ctx)
}

func (s *state) steps() []v1alpha1.CanaryStep {
	if s.ro.Spec.Strategy.Canary == nil {
		return nil
	}
	return s.ro.Spec.Strategy.Canary.Steps
}

// currentStep returns the step at the status' index, or nil past the end.
func (s *state) currentStep() (*v1alpha1.CanaryStep, int32) {
	idx := int32(0)
	if s.ro.Status.CurrentStepIndex != nil {
		idx = *s.ro.Status.CurrentStepIndex
	}
	steps := s.steps()
	if int(idx) >= len(steps) || idx < 0 {
		return nil, idx
	}
	return &steps[idx], idx
}

// baseStatus starts the new status from what the controller recomputes on every
// reconcile; fields not carried over here are dropped, as upstream's status patch does.
func (s *state) baseStatus() {
	old := s.ro.Status
	st := v1alpha1.RolloutStatus{
		CurrentPodHash:   s.newRS.Labels[PodTemplateHashLabel],
		StableRS:         old.StableRS,
		CurrentStepIndex: old.CurrentStepIndex,
		CollisionCount:   old.CollisionCount,
		Conditions:       old.Conditions,
		RestartedAt:      old.RestartedAt,
	}
	old.Canary.DeepCopyInto(&st.Canary)
	old.BlueGreen.DeepCopyInto(&st.BlueGreen)
	st.PromoteFull = old.PromoteFull && st.CurrentPodHash != st.StableRS
	s.newStatus = st
	s.countReplicas()
}

func (s *state) countReplicas() {
	st := &s.newStatus
	st.Replicas, st.ReadyReplicas, st.AvailableReplicas = 0, 0, 0
	for _, rs := range s.allRSs {
		st.Replicas += rs.Status.Replicas
		st.ReadyReplicas += rs.Status.ReadyReplicas
		st.AvailableReplicas += rs.Status.AvailableReplicas
	}
	st.HPAReplicas = st.Replicas
	st.UpdatedReplicas = 0
	if s.newRS != nil {
		st.UpdatedReplicas = s.newRS.Status.Replicas
	}
	if s.ro.Spec.Selector != nil {
		st.Selector = s.r.selectorString(s.ro)
	}
}

// currentWeight is the canary weight the current step asks for
// (upstream GetCurrentSetWeight): the nearest setWeight at or before the step.
func (s *state) currentWeight() int32 {
	if s.pause.aborted(s.ro) {
		return 0
	}
	_, idx := s.currentStep()
	steps := s.steps()
	if int(idx) >= len(steps) {
		return maxWeight
	}
	for i := idx; i >= 0; i-- {
		if w := steps[i].SetWeight; w != nil {
			return clampWeight(*w)
		}
	}
	return 0
}

// abortDelayApplies: an aborted traffic-routed canary is scaled down with a delay,
// except with dynamicStableScale and no explicit abortScaleDownDelaySeconds (it then
// drains with its weight) (upstream shouldDelayScaleDownOnAbort).
func (s *state) abortDelayApplies() bool {
	c := s.ro.Spec.Strategy.Canary
	if c.DynamicStableScale && c.AbortScaleDownDelaySeconds == nil {
		return false
	}
	return s.pause.aborted(s.ro) && c.TrafficRouting != nil && s.hasDistinctStable()
}

// halted: the controller does not scale while the user paused the rollout or an
// inconclusive analysis holds it.
func (s *state) halted() bool {
	return s.ro.Spec.Paused ||
		pauseCondition(s.ro, v1alpha1.PauseReasonInconclusiveAnalysis) != nil ||
		pauseCondition(s.ro, v1alpha1.PauseReasonInconclusiveExperiment) != nil
}

func (s *state) hasDistinctStable() bool {
	return s.stableRS != nil && s.newRS != nil && s.stableRS.Name != s.newRS.Name
}

// desiredCounts is what the new and stable ReplicaSets should have now.
func (s *state) desiredCounts() (int32, int32) {
	if s.ro.Spec.Strategy.Canary.TrafficRouting != nil {
		return s.trafficRoutedCounts()
	}
	return basicCanaryCounts(s.ro, s.currentWeight(), s.newRS, s.stableRS, s.otherRSs)
}

// scaleReplicaSets moves the stable, then the new, then the older ReplicaSets one
// move per reconcile (upstream reconcileCanaryReplicaSets).
func (s *state) scaleReplicaSets(ctx context.Context) (bool, error) {
	if s.halted() {
		return false, nil
	}
	wantNew, wantStable := s.desiredCounts()
	if s.hasDistinctStable() {
		if scaled, err := s.scale(ctx, s.stableRS, wantStable); scaled || err != nil {
			return scaled, err
		}
	}
	if s.abortDelayApplies() && wantNew < rsReplicas(s.newRS) {
		// A traffic-routed canary is kept until the stable is fully available, then
		// scaled down abortScaleDownDelaySeconds later (0: kept up).
		delay, scaleDown := delaySeconds(s.ro.Spec.Strategy.Canary.AbortScaleDownDelaySeconds)
		if !scaleDown || s.stableRS == nil || s.stableRS.Status.AvailableReplicas < specReplicas(s.ro) {
			return false, nil
		}
		if scaled, err := s.delayedScaleDown(ctx, s.newRS, delay); scaled || err != nil {
			return scaled, err
		}
	} else if scaled, err := s.scale(ctx, s.newRS, wantNew); scaled || err != nil {
		return scaled, err
	}
	return s.scaleDownOlder(ctx)
}

// scaleDownOlder drains ReplicaSets that are neither new nor stable, keeping
// spec.replicas - maxUnavailable pods available.
func (s *state) scaleDownOlder(ctx context.Context) (bool, error) {
	older := append([]*appsv1.ReplicaSet(nil), s.otherRSs...)
	if sumReplicas(older) == 0 {
		return false, nil
	}
	_, unavail := surgeAndUnavailable(s.ro)
	budget := sumAvailable(s.allRSs) - (specReplicas(s.ro) - unavail)
	if budget <= 0 {
		return false, nil
	}
	sort.Slice(older, func(i, j int) bool { return revisionOf(older[i]) > revisionOf(older[j]) })
	scaledAny := false
	for _, rs := range older {
		if budget <= 0 {
			break
		}
		n := rsReplicas(rs)
		if n == 0 {
			continue
		}
		want := max(0, n-budget)
		var scaled bool
		var err error
		if s.ro.Spec.Strategy.Canary.TrafficRouting != nil {
			// Traffic-routed: old pods take no traffic. The previous stable is kept
			// scaleDownDelaySeconds after the switch; other old ones go at once.
			if s.fullyPromoted() && !s.ro.Spec.Strategy.Canary.DynamicStableScale {
				delay, _ := delaySeconds(s.ro.Spec.Strategy.Canary.ScaleDownDelaySeconds)
				if scaled, err = s.delayedScaleDown(ctx, rs, delay); err != nil {
					return false, err
				}
				scaledAny = scaledAny || scaled
				continue
			}
			want = 0
		}
		scaled, err = s.scale(ctx, rs, want)
		if err != nil {
			return false, err
		}
		scaledAny = scaledAny || scaled
		budget -= n - want
	}
	return scaledAny, nil
}

// reconcilePause adds the CanaryPauseStep condition when a pause step is reached and
// asks to be woken when a timed pause ends (upstream reconcileCanaryPause).
func (s *state) reconcilePause() {
	if s.ro.Spec.Paused || s.ro.Status.PromoteFull {
		return
	}
	step, _ := s.currentStep()
	if step == nil || step.Pause == nil {
		return
	}
	cond := pauseCondition(s.ro, v1alpha1.PauseReasonCanaryPauseStep)
	if cond == nil {
		if !s.ro.Status.ControllerPause {
			s.pause.add = append(s.pause.add, v1alpha1.PauseReasonCanaryPauseStep)
		}
		return
	}
	if step.Pause.Duration != nil {
		s.requeueAt(cond.StartTime.Add(time.Duration(step.Pause.DurationSeconds()) * time.Second))
	}
}

// pauseStepDone: the user resumed (controllerPause without a condition) or the
// duration has passed.
func (s *state) pauseStepDone(p v1alpha1.RolloutPause) bool {
	cond := pauseCondition(s.ro, v1alpha1.PauseReasonCanaryPauseStep)
	if s.ro.Status.ControllerPause && cond == nil {
		return true
	}
	if p.Duration != nil && cond != nil {
		end := cond.StartTime.Add(time.Duration(p.DurationSeconds()) * time.Second)
		// The controller wakes just after `end`; the boundary instant counts as done.
		return !s.r.Clock.Now().Before(end)
	}
	return false
}

// atDesiredCounts: the new ReplicaSet has all its desired pods available, the stable
// is at its desired size and (basic canary) no older pod is left.
func (s *state) atDesiredCounts() bool {
	wantNew, wantStable := s.desiredCounts()
	if s.newRS == nil || rsReplicas(s.newRS) != wantNew || s.newRS.Status.AvailableReplicas != wantNew {
		return false
	}
	if s.hasDistinctStable() && (rsReplicas(s.stableRS) != wantStable || s.stableRS.Status.Replicas != wantStable) {
		return false
	}
	if s.ro.Spec.Strategy.Canary.TrafficRouting == nil && sumAvailable(s.otherRSs) != 0 {
		return false
	}
	return true
}

func (s *state) stepCompleted() bool {
	if s.ro.Spec.Paused {
		return false
	}
	step, _ := s.currentStep()
	switch {
	case step == nil:
		return false
	case step.Pause != nil:
		return s.pauseStepDone(*step.Pause)
	case step.SetWeight != nil, step.SetCanaryScale != nil:
		return s.atDesiredCounts()
	case step.Analysis != nil:
		return s.stepRun != nil && s.stepRun.Status.Phase == v1alpha1.AnalysisPhaseSuccessful
	case step.Experiment != nil:
		return s.currentEx != nil && s.currentEx.Status.Phase == v1alpha1.AnalysisPhaseSuccessful
	case step.SetHeaderRoute != nil, step.SetMirrorRoute != nil, step.Plugin != nil:
		return true
	}
	return false
}

// fullPromotionReason says why the new ReplicaSet becomes stable now, or "".
func (s *state) fullPromotionReason() string {
	if s.stableRS == nil {
		return "Initial deploy"
	}
	if s.pause.aborted(s.ro) {
		return ""
	}
	if s.newRS == nil || s.newRS.Status.AvailableReplicas != specReplicas(s.ro) {
		return ""
	}
	if s.ro.Status.PromoteFull {
		return "Full promotion requested"
	}
	if s.isFastRollback() {
		if s.isRollbackWithinWindow() {
			return "Rollback within window"
		}
		return "Fast rollback"
	}
	_, idx := s.currentStep()
	n := len(s.steps())
	if n == 0 || int(idx) == n {
		return fmt.Sprintf("Completed all %d canary steps", n)
	}
	return ""
}

// syncStatus decides promotion, abort bookkeeping and step advance, then persists
// (upstream syncRolloutStatusCanary).
func (s *state) syncStatus(ctx context.Context) error {
	st := &s.newStatus
	n := int32(len(s.steps()))
	_, idx := s.currentStep()
	if s.ro.Status.PromoteFull || s.isRollbackWithinWindow() {
		s.pause.clear = true
		s.pause.removeAbort = true
		if n > 0 {
			idx = n
			st.CurrentStepIndex = ptr.To(n)
		}
	}
	if reason := s.fullPromotionReason(); reason != "" {
		s.promote(reason)
		return s.persist(ctx)
	}
	if s.pause.aborted(s.ro) {
		if n > 0 {
			if st.StableRS == st.CurrentPodHash {
				st.CurrentStepIndex = ptr.To(n)
			} else {
				st.CurrentStepIndex = ptr.To[int32](0)
			}
		}
		return s.persist(ctx)
	}
	if step, _ := s.currentStep(); step != nil && s.stepCompleted() {
		idx++
		st.Canary.CurrentStepAnalysisRunStatus = nil
		s.event(engine.EventNormal, "RolloutStepCompleted", fmt.Sprintf("Rollout step %d/%d completed (%s)", idx, n, StepString(*step)))
		s.pause.remove = append(s.pause.remove, v1alpha1.PauseReasonCanaryPauseStep)
	}
	if n > 0 {
		st.CurrentStepIndex = ptr.To(idx)
	}
	return s.persist(ctx)
}

// promote makes the new ReplicaSet stable (upstream promoteStable).
func (s *state) promote(reason string) {
	st := &s.newStatus
	s.pause.clear = true
	s.pause.removeAbort = true
	st.PromoteFull = false
	if n := int32(len(s.steps())); n > 0 {
		st.CurrentStepIndex = ptr.To(n)
	} else {
		st.CurrentStepIndex = nil
	}
	if st.StableRS != st.CurrentPodHash {
		st.StableRS = st.CurrentPodHash
		s.event(engine.EventNormal, "RolloutCompleted", fmt.Sprintf("Rollout completed update to revision %s (%s): %s", s.revision(), st.CurrentPodHash, reason))
	}
}

// StepString renders a step as the controller does in events
// (`setWeight: 20`, `pause: 5m`, `pause`, `analysis`).
func StepString(step v1alpha1.CanaryStep) string {
	switch {
	case step.SetWeight != nil:
		return fmt.Sprintf("setWeight: %d", *step.SetWeight)
	case step.Pause != nil:
		if step.Pause.Duration != nil {
			return "pause: " + step.Pause.Duration.String()
		}
		return "pause"
	case step.Analysis != nil:
		return "analysis"
	case step.Experiment != nil:
		return "experiment"
	case step.SetCanaryScale != nil:
		return "setCanaryScale"
	case step.SetHeaderRoute != nil:
		return "setHeaderRoute: " + step.SetHeaderRoute.Name
	case step.SetMirrorRoute != nil:
		return "setMirrorRoute: " + step.SetMirrorRoute.Name
	case step.Plugin != nil:
		return "plugin: " + step.Plugin.Name
	}
	return "unknown"
}
