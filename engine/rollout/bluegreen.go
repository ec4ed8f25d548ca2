package rollout

import (
	"context"
	"fmt"
	"time"

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
	if templateChanged {
		s.pause.clear = true
		s.pause.removeAbort = true
		return s.persist(ctx)
	}
	if _, err := s.restartPods(ctx); err != nil {
		return err // restart.go
	}
	bg := s.ro.Spec.Strategy.BlueGreen
	if s.stableRS == nil {
		// Initial deploy: the first ReplicaSet is made active and stable at once.
		if _, err := s.scale(ctx, s.newRS, specReplicas(s.ro)); err != nil {
			return err
		}
		s.newStatus.BlueGreen.ActiveSelector = hash
		s.newStatus.BlueGreen.PreviewSelector = hash
		s.promote("Initial deploy")
		return s.persist(ctx)
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

	// Scale the new ReplicaSet: full size (or previewReplicaCount until the switch);
	// after an abort it goes away abortScaleDownDelaySeconds after the active
	// service is back on the stable.
	if !s.halted() {
		want := specReplicas(s.ro)
		if bg.PreviewReplicaCount != nil && !switched && !s.ro.Status.PromoteFull {
			want = *bg.PreviewReplicaCount
		}
		if aborted && s.stableRS != nil && s.stableRS.Name != s.newRS.Name {
			if delay, ok := delaySeconds(bg.AbortScaleDownDelaySeconds); ok {
				if scaled, err := s.delayedScaleDown(ctx, s.newRS, delay); scaled || err != nil {
					return s.afterWrite(ctx, err)
				}
			}
		} else if rsReplicas(s.newRS) != want {
			if _, err := s.scale(ctx, s.newRS, want); err != nil {
				return err
			}
			return s.persist(ctx)
		}
	}
	s.newStatus.BlueGreen.PreviewSelector = hash

	if aborted {
		s.newStatus.BlueGreen.ActiveSelector = s.ro.Status.StableRS
		return s.persist(ctx)
	}

	saturated := s.newRS.Status.AvailableReplicas == rsReplicas(s.newRS) && rsReplicas(s.newRS) > 0
	preDone := bg.PrePromotionAnalysis == nil || len(bg.PrePromotionAnalysis.Templates) == 0 ||
		(s.preRun != nil && s.preRun.Status.Phase == v1alpha1.AnalysisPhaseSuccessful)
	needsPause := (bg.AutoPromotionEnabled != nil && !*bg.AutoPromotionEnabled) || bg.AutoPromotionSeconds > 0

	if !switched {
		full := s.ro.Status.PromoteFull
		ready := saturated && (full || bg.PreviewReplicaCount == nil || rsReplicas(s.newRS) == specReplicas(s.ro))
		if bg.PreviewReplicaCount != nil && !full && rsReplicas(s.newRS) < specReplicas(s.ro) && preDone && (!needsPause || s.blueGreenPauseDone()) {
			// previewReplicaCount: scale up to full size before the switch.
			if _, err := s.scale(ctx, s.newRS, specReplicas(s.ro)); err != nil {
				return err
			}
			return s.persist(ctx)
		}
		if needsPause && preDone && saturated && !full {
			cond := pauseCondition(s.ro, v1alpha1.PauseReasonBlueGreenPause)
			if cond == nil && !s.ro.Status.ControllerPause {
				s.pause.add = append(s.pause.add, v1alpha1.PauseReasonBlueGreenPause)
				return s.persist(ctx)
			}
			if cond != nil && bg.AutoPromotionSeconds > 0 {
				s.requeueAt(cond.StartTime.Add(time.Duration(bg.AutoPromotionSeconds)*time.Second + time.Second))
			}
		}
		if ready && (full || (preDone && (!needsPause || s.blueGreenPauseDone()))) {
			s.newStatus.BlueGreen.ActiveSelector = hash
			s.pause.remove = append(s.pause.remove, v1alpha1.PauseReasonBlueGreenPause)
			s.event(engine.EventNormal, "SwitchService", fmt.Sprintf("Switched selector for service '%s' from '%s' to '%s'", bg.ActiveService, active, hash))
		}
		return s.persist(ctx)
	}

	if reason := s.blueGreenPromotionReason(); reason != "" {
		s.promote(reason)
	}
	if s.fullyPromotedNow() {
		if err := s.scaleDownOldBlueGreen(ctx); err != nil {
			return err
		}
	}
	return s.persist(ctx)
}

func (s *state) afterWrite(ctx context.Context, err error) error {
	if err != nil {
		return err
	}
	return s.persist(ctx)
}

func (s *state) fullyPromotedNow() bool {
	return s.newStatus.StableRS != "" && s.newStatus.StableRS == s.newStatus.CurrentPodHash
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
	if s.ro.Status.PromoteFull {
		return "Full promotion requested"
	}
	if s.pause.aborted(s.ro) || s.newStatus.BlueGreen.ActiveSelector != s.newStatus.CurrentPodHash {
		return ""
	}
	post := s.ro.Spec.Strategy.BlueGreen.PostPromotionAnalysis
	if post != nil && len(post.Templates) > 0 && (s.postRun == nil || s.postRun.Status.Phase != v1alpha1.AnalysisPhaseSuccessful) {
		return ""
	}
	return "Completed blue-green update"
}

// scaleDownOldBlueGreen scales the previous ReplicaSets to zero
// scaleDownDelaySeconds after the switch.
func (s *state) scaleDownOldBlueGreen(ctx context.Context) error {
	delay, ok := delaySeconds(s.ro.Spec.Strategy.BlueGreen.ScaleDownDelaySeconds)
	for _, rs := range s.allRSs {
		if rs.Name == s.newRS.Name || rsReplicas(rs) == 0 {
			continue
		}
		var err error
		if ok {
			_, err = s.delayedScaleDown(ctx, rs, delay)
		} else {
			_, err = s.scale(ctx, rs, 0)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// reconcileBlueGreenAnalysis runs the pre-promotion analysis once the new
// ReplicaSet is saturated and before the switch, and the post-promotion analysis
// after it; an Inconclusive run pauses, Failed or Error aborts. Blue-green keeps the
// run references in its status after they complete.
func (s *state) reconcileBlueGreenAnalysis(ctx context.Context) error {
	bg := s.ro.Spec.Strategy.BlueGreen
	hash := s.newStatus.CurrentPodHash
	cancel := s.pause.aborted(s.ro) || s.ro.Status.PromoteFull || s.fullyPromoted()
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
