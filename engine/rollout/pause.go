package rollout

import (
	"slices"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// pauseChanges collects what a reconcile decided about pausing and aborting; it is
// applied to the new status once, when the status is persisted (upstream pauseContext).
type pauseChanges struct {
	add          []v1alpha1.PauseReason
	remove       []v1alpha1.PauseReason
	clear        bool
	addAbort     bool
	removeAbort  bool
	abortMessage string
}

func (p *pauseChanges) aborted(ro *v1alpha1.Rollout) bool {
	if p.removeAbort {
		return false
	}
	return p.addAbort || ro.Status.Abort
}

func (p *pauseChanges) abort(message string) {
	p.addAbort = true
	p.abortMessage = message
}

func (p *pauseChanges) apply(s *state, st *v1alpha1.RolloutStatus) {
	if p.addAbort || (!p.removeAbort && s.ro.Status.Abort) {
		st.Abort = true
		if s.ro.Status.AbortedAt != nil {
			st.AbortedAt = s.ro.Status.AbortedAt
		} else {
			now := s.now()
			st.AbortedAt = &now
		}
		// An abort clears pause conditions and the controller pause.
		st.PauseConditions = nil
		st.ControllerPause = false
		return
	}
	st.Abort = false
	st.AbortedAt = nil
	if p.clear {
		st.PauseConditions = nil
		st.ControllerPause = false
		return
	}
	// A handful of reasons at most: slices rather than sets.
	var conds []v1alpha1.PauseCondition
	for _, c := range s.ro.Status.PauseConditions {
		if !slices.Contains(p.remove, c.Reason) {
			conds = append(conds, c)
		}
	}
	controllerPause := s.ro.Status.ControllerPause
	for _, r := range p.add {
		// Not already a condition, kept or removed, nor added just now.
		if pauseCondition(s.ro, r) == nil && !slices.ContainsFunc(conds, func(c v1alpha1.PauseCondition) bool { return c.Reason == r }) {
			conds = append(conds, v1alpha1.PauseCondition{Reason: r, StartTime: s.now()})
			controllerPause = true
		}
	}
	// The new status starts without pause fields: with no condition left,
	// controllerPause is dropped too (the reconcile after a promote clears it).
	if len(conds) == 0 {
		st.PauseConditions = nil
		st.ControllerPause = false
		return
	}
	st.ControllerPause = controllerPause
	st.PauseConditions = conds
}

func pauseCondition(ro *v1alpha1.Rollout, reason v1alpha1.PauseReason) *v1alpha1.PauseCondition {
	for i := range ro.Status.PauseConditions {
		if ro.Status.PauseConditions[i].Reason == reason {
			return &ro.Status.PauseConditions[i]
		}
	}
	return nil
}
