package rollout

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Values of the rollout-type label for blue-green runs.
const (
	TypePrePromotion  = "PrePromotion"
	TypePostPromotion = "PostPromotion"
)

// blueGreen is one reconcile of a blue-green rollout (upstream rollout/bluegreen.go):
// the new ReplicaSet comes up behind the preview service, the pre-promotion analysis
// and the optional pause gate the switch of the active service, the post-promotion
// analysis gates making it stable, and the old ReplicaSet goes away after
// scaleDownDelaySeconds.
func (s *state) blueGreen(ctx context.Context) error {
	templateChanged := s.newRS == nil || s.ro.Status.CurrentPodHash != s.newRS.Labels[PodTemplateHashLabel]
	if err := s.ensureNewRS(ctx); err != nil {
		return err
	}
	s.baseStatus()
	hash := s.newStatus.CurrentPodHash
	bg := s.ro.Spec.Strategy.BlueGreen
	if templateChanged && s.stableRS != nil {
		// A new template (upstream resetRolloutStatus): start over.
		s.pause.clear = true
		s.pause.removeAbort = true
		s.newStatus.PromoteFull = false
		s.newStatus.BlueGreen.PrePromotionAnalysisRunStatus = nil
		s.newStatus.BlueGreen.PostPromotionAnalysisRunStatus = nil
		s.newStatus.BlueGreen.ScaleUpPreviewCheckPoint = false
		return s.persist(ctx)
	}
	if _, err := s.restartPods(ctx); err != nil {
		return err // restart.go
	}
	if s.stableRS == nil {
		return s.blueGreenInitialDeploy(ctx)
	}
	if err := s.removeScaleDownDeadlines(ctx); err != nil {
		return err
	}
	if err := s.reconcileBlueGreenAnalysis(ctx); err != nil {
		return err
	}
	if len(s.pause.add) > 0 {
		return s.persist(ctx)
	}
	aborted := s.pause.aborted(s.ro)
	active := s.ro.Status.BlueGreen.ActiveSelector
	switched := active == hash
	if switched {
		// Past the switch the preview checkpoint has served its purpose.
		s.newStatus.BlueGreen.ScaleUpPreviewCheckPoint = false
	}

	if done, err := s.scaleNewBlueGreen(ctx, aborted); done || err != nil {
		return err
	}
	if err := s.scaleDownOldBlueGreen(ctx); err != nil {
		return err
	}
	s.newStatus.BlueGreen.PreviewSelector = hash

	if aborted {
		s.newStatus.BlueGreen.ActiveSelector = s.ro.Status.StableRS
		return s.persist(ctx)
	}

	if !switched {
		preDone := s.completedPrePromotionAnalysis()
		s.reconcileBlueGreenPause(preDone)
		// The active service follows the new ReplicaSet once it is saturated at full
		// size and the pause and pre-promotion analysis are done, or at once when the
		// update is fast-tracked (upstream reconcileActiveService).
		if !s.halted() && s.readyForPause() && s.saturated() &&
			(s.blueGreenFastTracked() || (s.blueGreenPauseDone() && preDone)) {
			s.newStatus.BlueGreen.ActiveSelector = hash
			s.pause.remove = append(s.pause.remove, v1alpha1.PauseReasonBlueGreenPause)
			s.event(engine.EventNormal, "SwitchService", fmt.Sprintf("Switched selector for service '%s' from '%s' to '%s'", bg.ActiveService, active, hash))
		} else {
			s.newStatus.BlueGreen.ScaleUpPreviewCheckPoint = s.scaleUpPreviewCheckPoint(preDone)
			return s.persist(ctx)
		}
		// Switched in this reconcile: promotion is decided on the new selector in
		// the same reconcile (upstream syncRolloutStatusBlueGreen after
		// reconcileActiveService), which a fast rollback depends on.
		s.newStatus.BlueGreen.ScaleUpPreviewCheckPoint = false
	}

	if reason := s.blueGreenPromotionReason(); reason != "" {
		s.promote(reason)
	}
	return s.persist(ctx)
}

// blueGreenInitialDeploy: the first ReplicaSet is made stable at once and the
// active service then selects it (upstream shouldFullPromote's "Initial
// deploy" before reconcileActiveService's switch from no selector).
func (s *state) blueGreenInitialDeploy(ctx context.Context) error {
	hash := s.newStatus.CurrentPodHash
	if _, err := s.scale(ctx, s.newRS, specReplicas(s.ro)); err != nil {
		return err
	}
	s.promote("Initial deploy")
	if s.newStatus.BlueGreen.ActiveSelector != hash {
		s.event(engine.EventNormal, "SwitchService", fmt.Sprintf("Switched selector for service '%s' from '%s' to '%s'", s.ro.Spec.Strategy.BlueGreen.ActiveService, s.newStatus.BlueGreen.ActiveSelector, hash))
	}
	s.newStatus.BlueGreen.ActiveSelector = hash
	s.newStatus.BlueGreen.PreviewSelector = hash
	return s.persist(ctx)
}

// scaleNewBlueGreen scales the new ReplicaSet (upstream reconcileNewReplicaSet
// with NewRSNewReplicas); after an abort it goes away abortScaleDownDelaySeconds
// after the active service is back on the stable. done: this reconcile ends
// here (the status was written, or a write failed).
func (s *state) scaleNewBlueGreen(ctx context.Context, aborted bool) (done bool, err error) {
	if s.halted() {
		return false, nil
	}
	want := BlueGreenNewReplicas(s.ro, s.newRS.Labels[PodTemplateHashLabel], s.activeRS() != nil)
	if aborted && s.stableRS != nil && s.stableRS.Name != s.newRS.Name {
		if delay, ok := delaySeconds(s.ro.Spec.Strategy.BlueGreen.AbortScaleDownDelaySeconds); ok {
			if scaled, err := s.delayedScaleDown(ctx, s.newRS, delay); scaled || err != nil {
				return true, s.afterWrite(ctx, err)
			}
		}
		return false, nil
	}
	if rsReplicas(s.newRS) != want {
		if _, err := s.scale(ctx, s.newRS, want); err != nil {
			return true, err
		}
		return true, s.persist(ctx)
	}
	return false, nil
}

func (s *state) afterWrite(ctx context.Context, err error) error {
	if err != nil {
		return err
	}
	return s.persist(ctx)
}

// blueGreenPauseDone is upstream's CompletedBlueGreenPause.
func (s *state) blueGreenPauseDone() bool {
	bg := s.ro.Spec.Strategy.BlueGreen
	cond := pauseCondition(s.ro, v1alpha1.PauseReasonBlueGreenPause)
	if len(s.pause.add) > 0 {
		return false
	}
	if s.ro.Status.BlueGreen.ScaleUpPreviewCheckPoint {
		return true
	}
	if bg.AutoPromotionEnabled == nil || *bg.AutoPromotionEnabled {
		if bg.AutoPromotionSeconds == 0 {
			return true
		}
		if cond != nil {
			return !s.r.Clock.Now().Before(cond.StartTime.Add(time.Duration(bg.AutoPromotionSeconds) * time.Second))
		}
		return false
	}
	return s.ro.Status.ControllerPause && cond == nil
}

// blueGreenPromotionReason: the active service runs the new ReplicaSet and the
// post-promotion analysis (if any) succeeded.
func (s *state) blueGreenPromotionReason() string {
	// The order of the checks is upstream's (shouldFullPromote).
	if s.newStatus.BlueGreen.ActiveSelector != s.newStatus.CurrentPodHash {
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
	if s.pause.aborted(s.ro) {
		return ""
	}
	post := s.ro.Spec.Strategy.BlueGreen.PostPromotionAnalysis
	if post != nil && len(post.Templates) > 0 && (s.postRun == nil || s.postRun.Status.Phase != v1alpha1.AnalysisPhaseSuccessful) {
		return ""
	}
	return "Completed blue-green update"
}

// scaleDownOldBlueGreen scales down the ReplicaSets no service or status field
// references any more, scaleDownDelaySeconds after they were left, keeping at most
// scaleDownDelayRevisionLimit of them in their delay (the newest): older ones go at
// once (upstream scaleDownOldReplicaSetsForBlueGreen and scaleDownDelayHelper).
func (s *state) scaleDownOldBlueGreen(ctx context.Context) error {
	bg := s.ro.Spec.Strategy.BlueGreen
	if pauseCondition(s.ro, v1alpha1.PauseReasonInconclusiveAnalysis) != nil {
		return nil
	}
	hash := s.newRS.Labels[PodTemplateHashLabel]
	skipPost := s.ro.Status.StableRS == hash || s.ro.Status.BlueGreen.ActiveSelector != hash
	if bg.PostPromotionAnalysis != nil && bg.ScaleDownDelaySeconds == nil && !skipPost &&
		(s.postRun == nil || s.postRun.Status.Phase != v1alpha1.AnalysisPhaseSuccessful) {
		// Without an explicit delay the old pods wait for the post-promotion analysis.
		return nil
	}
	// The ReplicaSets that are neither new nor stable (upstream otherRSs).
	old := append([]*appsv1.ReplicaSet(nil), s.otherRSs...)
	sort.SliceStable(old, func(i, j int) bool { return revisionOf(old[i]) > revisionOf(old[j]) })
	limit := int32(math.MaxInt32)
	if bg.ScaleDownDelayRevisionLimit != nil {
		limit = *bg.ScaleDownDelayRevisionLimit
	}
	delay, delayed := delaySeconds(bg.ScaleDownDelaySeconds)
	now := s.r.Clock.Now()
	annotated := int32(0)
	for _, rs := range old {
		if s.referenced(rs) || rsReplicas(rs) == 0 {
			continue
		}
		if _, has := rs.Annotations[ScaleDownDeadlineAnnotation]; !has {
			if annotated < limit && delayed {
				annotated++
				deadline, _, _ := ScaleDownDeadline(rs, now, delay)
				if err := s.r.Client.Update(ctx, rs); err != nil {
					return fmt.Errorf("annotating ReplicaSet %s: %w", rs.Name, err)
				}
				s.requeueAt(deadline)
				continue
			}
		} else {
			annotated++
			if annotated <= limit {
				if deadline, passed, err := scaleDownDeadlineOf(rs, now); err == nil && !passed {
					s.requeueAt(deadline)
					continue
				}
			}
		}
		if _, err := s.scale(ctx, rs, 0); err != nil {
			return err
		}
	}
	return nil
}

// referenced: a status field still names the ReplicaSet (upstream
// isReplicaSetReferenced, without the live service lookups rollsim's status
// already mirrors).
func (s *state) referenced(rs *appsv1.ReplicaSet) bool {
	h := rs.Labels[PodTemplateHashLabel]
	if h == "" {
		return false
	}
	st := s.ro.Status
	for _, ref := range []string{st.StableRS, st.CurrentPodHash, st.BlueGreen.ActiveSelector, st.BlueGreen.PreviewSelector} {
		if ref == h {
			return true
		}
	}
	return false
}

// reconcileBlueGreenAnalysis runs the pre-promotion analysis once the new
// ReplicaSet is saturated and before the switch, and the post-promotion analysis
// after it; an Inconclusive run pauses, Failed or Error aborts. Blue-green keeps the
// run references in its status after they complete.
func (s *state) reconcileBlueGreenAnalysis(ctx context.Context) error {
	bg := s.ro.Spec.Strategy.BlueGreen
	hash := s.newStatus.CurrentPodHash
	cancel := s.pause.aborted(s.ro) || s.ro.Status.PromoteFull || s.fullyPromoted() || s.isFastRollback()
	st := &s.newStatus.BlueGreen
	if cancel {
		return s.terminate(ctx, s.preRun, s.postRun)
	}
	active := s.ro.Status.BlueGreen.ActiveSelector
	saturated := s.newRS != nil && s.newRS.Status.AvailableReplicas == rsReplicas(s.newRS) && rsReplicas(s.newRS) > 0

	if bg.PrePromotionAnalysis != nil && len(bg.PrePromotionAnalysis.Templates) > 0 {
		skip := active == hash || active == "" || (s.preRun == nil && !saturated)
		if !skip && pauseCondition(s.ro, v1alpha1.PauseReasonInconclusiveAnalysis) == nil && s.needsNewRun(s.preRun) {
			run, err := s.createRun(ctx, bg.PrePromotionAnalysis, "pre", map[string]string{PodTemplateHashLabel: hash, RolloutTypeLabel: TypePrePromotion})
			if err != nil {
				return err
			}
			s.preRun = run
		} else if s.preRun != nil && !skip {
			s.outcome(s.preRun, "Blue/green pre-promotion analysis phase error/failed")
		}
	}
	if bg.PostPromotionAnalysis != nil && len(bg.PostPromotionAnalysis.Templates) > 0 {
		skip := active != hash || (s.postRun == nil && !saturated)
		if !skip && pauseCondition(s.ro, v1alpha1.PauseReasonInconclusiveAnalysis) == nil && s.needsNewRun(s.postRun) {
			run, err := s.createRun(ctx, bg.PostPromotionAnalysis, "post", map[string]string{PodTemplateHashLabel: hash, RolloutTypeLabel: TypePostPromotion})
			if err != nil {
				return err
			}
			s.postRun = run
		} else if s.postRun != nil && !skip {
			s.outcome(s.postRun, "Blue/green post-promotion analysis phase error/failed")
		}
	}
	prevPre, prevPost := s.ro.Status.BlueGreen.PrePromotionAnalysisRunStatus, s.ro.Status.BlueGreen.PostPromotionAnalysisRunStatus
	st.PrePromotionAnalysisRunStatus = runStatus(s.preRun)
	st.PostPromotionAnalysisRunStatus = runStatus(s.postRun)
	s.statusChangeEvent(prevPre, s.preRun, TypePrePromotion)
	s.statusChangeEvent(prevPost, s.postRun, TypePostPromotion)
	return nil
}

// activeRS is the ReplicaSet the active service selects, if any.
func (s *state) activeRS() *appsv1.ReplicaSet {
	active := s.ro.Status.BlueGreen.ActiveSelector
	if active == "" {
		return nil
	}
	for _, rs := range s.allRSs {
		if rs.Labels[PodTemplateHashLabel] == active {
			return rs
		}
	}
	return nil
}

// BlueGreenNewReplicas is the size of the new (preview) ReplicaSet (upstream
// NewRSNewReplicas, blue-green part): previewReplicaCount until the switch, unless
// a full promotion was asked for or the preview scale-up checkpoint was passed and
// nothing pauses the rollout; full size once it is active or nothing is.
func BlueGreenNewReplicas(ro *v1alpha1.Rollout, newHash string, activeExists bool) int32 {
	full := specReplicas(ro)
	bg := ro.Spec.Strategy.BlueGreen
	if bg == nil || bg.PreviewReplicaCount == nil {
		return full
	}
	switch {
	case !activeExists || ro.Status.BlueGreen.ActiveSelector == newHash:
		return full
	case ro.Status.PromoteFull:
		return full
	case newHash != ro.Status.CurrentPodHash:
		// A new update starts at the preview size.
		return *bg.PreviewReplicaCount
	case !ro.Spec.Paused && len(ro.Status.PauseConditions) == 0 && ro.Status.BlueGreen.ScaleUpPreviewCheckPoint:
		return full
	}
	return *bg.PreviewReplicaCount
}

// readyForPause: the new ReplicaSet is at the size it should have now and all of it
// is available (upstream ReadyForPause).
func (s *state) readyForPause() bool {
	want := BlueGreenNewReplicas(s.ro, s.newRS.Labels[PodTemplateHashLabel], s.activeRS() != nil)
	return rsReplicas(s.newRS) == want && s.newRS.Status.AvailableReplicas == want
}

// saturated: the new ReplicaSet runs spec.replicas available pods (upstream IsSaturated).
func (s *state) saturated() bool {
	n := specReplicas(s.ro)
	return rsReplicas(s.newRS) == n && s.newRS.Status.AvailableReplicas == n
}

func (s *state) completedPrePromotionAnalysis() bool {
	pre := s.ro.Spec.Strategy.BlueGreen.PrePromotionAnalysis
	return pre == nil || len(pre.Templates) == 0 ||
		(s.preRun != nil && s.preRun.Status.Phase == v1alpha1.AnalysisPhaseSuccessful)
}

// blueGreenFastTracked: the switch needs no pause (upstream isBlueGreenFastTracked):
// a fast rollback, a full promotion, or an active service that selects nothing or
// already the new ReplicaSet.
func (s *state) blueGreenFastTracked() bool {
	active := s.ro.Status.BlueGreen.ActiveSelector
	return s.isFastRollback() || s.ro.Status.PromoteFull || active == "" || active == s.newStatus.CurrentPodHash
}

// reconcileBlueGreenPause adds the BlueGreenPause condition when the controller
// manages the pause and removes it when the pause is complete or not needed
// (upstream reconcileBlueGreenPause).
func (s *state) reconcileBlueGreenPause(preDone bool) {
	bg := s.ro.Spec.Strategy.BlueGreen
	if s.pause.aborted(s.ro) || !s.readyForPause() || s.halted() {
		return
	}
	needsPause := (bg.AutoPromotionEnabled != nil && !*bg.AutoPromotionEnabled) || bg.AutoPromotionSeconds > 0
	if s.blueGreenFastTracked() || s.ro.Status.BlueGreen.ScaleUpPreviewCheckPoint || !needsPause {
		s.pause.remove = append(s.pause.remove, v1alpha1.PauseReasonBlueGreenPause)
		return
	}
	if !preDone {
		return
	}
	cond := pauseCondition(s.ro, v1alpha1.PauseReasonBlueGreenPause)
	switch {
	case cond == nil && !s.ro.Status.ControllerPause:
		s.pause.add = append(s.pause.add, v1alpha1.PauseReasonBlueGreenPause)
	case cond != nil && s.blueGreenPauseDone():
		s.pause.remove = append(s.pause.remove, v1alpha1.PauseReasonBlueGreenPause)
	case cond != nil && bg.AutoPromotionSeconds > 0:
		// The controller compares "after" the deadline: woken a second later.
		s.requeueAt(cond.StartTime.Add(time.Duration(bg.AutoPromotionSeconds)*time.Second + time.Second))
	}
}

// scaleUpPreviewCheckPoint is the one-way trip-wire of previewReplicaCount (upstream
// calculateScaleUpPreviewCheckPoint): set once the pre-promotion analysis and the
// pause are done and the preview pods are available, kept until the switch or a
// new template.
func (s *state) scaleUpPreviewCheckPoint(preDone bool) bool {
	bg := s.ro.Spec.Strategy.BlueGreen
	if bg.PreviewReplicaCount == nil {
		return false
	}
	if s.ro.Status.BlueGreen.ScaleUpPreviewCheckPoint {
		return true
	}
	if !preDone || !s.blueGreenPauseDone() {
		return false
	}
	return *bg.PreviewReplicaCount == s.newRS.Status.AvailableReplicas
}

// removeScaleDownDeadlines takes the scale-down deadline off the new ReplicaSet
// (unless an abort is scaling it down) and the stable one: a rollback to a
// ReplicaSet still inside its delay keeps its pods (upstream removeScaleDownDeadlines).
func (s *state) removeScaleDownDeadlines(ctx context.Context) error {
	var rss []*appsv1.ReplicaSet
	if !s.pause.aborted(s.ro) {
		rss = append(rss, s.newRS)
	}
	if s.hasDistinctStable() {
		rss = append(rss, s.stableRS)
	}
	for _, rs := range rss {
		if _, ok := rs.Annotations[ScaleDownDeadlineAnnotation]; !ok {
			continue
		}
		ownAnnotations(&rs.ObjectMeta)
		delete(rs.Annotations, ScaleDownDeadlineAnnotation)
		if err := s.r.Client.Update(ctx, rs); err != nil {
			return fmt.Errorf("removing scale-down deadline of %s: %w", rs.Name, err)
		}
	}
	return nil
}
