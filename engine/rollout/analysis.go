package rollout

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/analysis"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Values of the rollout-type label.
const (
	TypeBackground = "Background"
	TypeStep       = "Step"
)

func (s *state) fullyPromoted() bool {
	return s.ro.Status.StableRS != "" && s.ro.Status.StableRS == s.newStatus.CurrentPodHash
}

// reconcileAnalysisRuns creates, keeps or terminates the step and background runs
// and turns their outcome into a pause or an abort (upstream reconcileAnalysisRuns).
func (s *state) reconcileAnalysisRuns(ctx context.Context) error {
	cancelAll := s.fullyPromoted() || s.pause.aborted(s.ro) || s.ro.Status.PromoteFull || s.isFastRollback() || s.ro.Status.StableRS == ""
	var step, bg *v1alpha1.AnalysisRun
	if cancelAll {
		if err := s.terminate(ctx, s.stepRun, s.bgRun); err != nil {
			return err
		}
	} else {
		var err error
		if step, err = s.reconcileStepRun(ctx); err != nil {
			return err
		}
		if bg, err = s.reconcileBackgroundRun(ctx); err != nil {
			return err
		}
	}
	s.newStatus.Canary.CurrentStepAnalysisRunStatus = runStatus(step)
	s.newStatus.Canary.CurrentBackgroundAnalysisRunStatus = runStatus(bg)
	s.statusChangeEvent(s.ro.Status.Canary.CurrentStepAnalysisRunStatus, step, TypeStep)
	s.statusChangeEvent(s.ro.Status.Canary.CurrentBackgroundAnalysisRunStatus, bg, TypeBackground)

	// Runs the rollout owns that are no longer current are stopped.
	var others []*v1alpha1.AnalysisRun
	for _, run := range s.runs {
		if (step == nil || run.Name != step.Name) && (bg == nil || run.Name != bg.Name) {
			others = append(others, run)
		}
	}
	return s.terminate(ctx, others...)
}

func runStatus(run *v1alpha1.AnalysisRun) *v1alpha1.RolloutAnalysisRunStatus {
	if run == nil {
		return nil
	}
	return &v1alpha1.RolloutAnalysisRunStatus{Name: run.Name, Status: run.Status.Phase, Message: run.Status.Message}
}

func (s *state) statusChangeEvent(prev *v1alpha1.RolloutAnalysisRunStatus, run *v1alpha1.AnalysisRun, kind string) {
	if run == nil || run.Status.Phase == "" {
		return
	}
	if prev != nil && (prev.Name != run.Name || prev.Status == run.Status.Phase) {
		return
	}
	before := "NoPreviousStatus"
	if prev != nil {
		before = string(prev.Status)
	}
	t := engine.EventNormal
	if run.Status.Phase == v1alpha1.AnalysisPhaseFailed || run.Status.Phase == v1alpha1.AnalysisPhaseError {
		t = engine.EventWarning
	}
	s.event(t, "AnalysisRun"+string(run.Status.Phase),
		fmt.Sprintf("%s Analysis Run '%s' Status New: '%s' Previous: '%s'", kind, run.Name, run.Status.Phase, before))
}

// terminate sets spec.terminate on unfinished runs.
func (s *state) terminate(ctx context.Context, runs ...*v1alpha1.AnalysisRun) error {
	for _, run := range runs {
		if run == nil || run.Spec.Terminate || run.Status.Phase.Completed() {
			continue
		}
		run.Spec.Terminate = true
		if err := s.r.Client.Update(ctx, run); err != nil {
			return fmt.Errorf("terminating AnalysisRun %s: %w", run.Name, err)
		}
	}
	return nil
}

// needsNewRun: no current run, a retry after abort, or a resume after an
// inconclusive pause (upstream needsNewAnalysisRun).
func (s *state) needsNewRun(current *v1alpha1.AnalysisRun) bool {
	if current == nil {
		return true
	}
	if s.ro.Status.ControllerPause && pauseCondition(s.ro, v1alpha1.PauseReasonCanaryPauseStep) == nil &&
		pauseCondition(s.ro, v1alpha1.PauseReasonBlueGreenPause) == nil {
		return current.Status.Phase == v1alpha1.AnalysisPhaseInconclusive
	}
	return s.ro.Status.AbortedAt != nil
}

func (s *state) reconcileStepRun(ctx context.Context) (*v1alpha1.AnalysisRun, error) {
	current := s.stepRun
	if len(s.ro.Status.PauseConditions) > 0 || s.ro.Status.Abort {
		return current, nil
	}
	step, idx := s.currentStep()
	fromEarlierStep := step != nil && step.Analysis != nil && current != nil && current.Labels[StepIndexLabel] != strconv.Itoa(int(idx))
	if step == nil || step.Analysis == nil || len(step.Analysis.Templates) == 0 || fromEarlierStep {
		return nil, s.terminate(ctx, current)
	}
	if s.needsNewRun(current) {
		labels := map[string]string{
			PodTemplateHashLabel: s.newStatus.CurrentPodHash,
			RolloutTypeLabel:     TypeStep,
			StepIndexLabel:       strconv.Itoa(int(idx)),
		}
		return s.createRun(ctx, step.Analysis, strconv.Itoa(int(idx)), labels)
	}
	s.outcome(current, "Step-based analysis phase error/failed")
	return current, nil
}

func (s *state) reconcileBackgroundRun(ctx context.Context) (*v1alpha1.AnalysisRun, error) {
	current := s.bgRun
	bg := s.ro.Spec.Strategy.Canary.Analysis
	if bg == nil || len(bg.Templates) == 0 {
		return nil, s.terminate(ctx, current)
	}
	_, idx := s.currentStep()
	starting := int32(0)
	if bg.StartingStep != nil {
		starting = *bg.StartingStep
	}
	if s.fullyPromoted() || s.ro.Status.StableRS == "" || s.newStatus.CurrentPodHash == "" || idx < starting {
		return nil, nil
	}
	if pauseCondition(s.ro, v1alpha1.PauseReasonInconclusiveAnalysis) != nil {
		return current, nil
	}
	if s.needsNewRun(current) {
		labels := map[string]string{
			PodTemplateHashLabel: s.newStatus.CurrentPodHash,
			RolloutTypeLabel:     TypeBackground,
		}
		return s.createRun(ctx, &bg.RolloutAnalysis, "", labels)
	}
	s.outcome(current, "Background analysis phase error/failed")
	return current, nil
}

// outcome turns a finished run into a pause (Inconclusive) or an abort (Failed/Error).
// From v1.9 the abort message names the kind of analysis; v1.8 used the run's message.
func (s *state) outcome(run *v1alpha1.AnalysisRun, prefix string) {
	switch run.Status.Phase {
	case v1alpha1.AnalysisPhaseInconclusive:
		s.pause.add = append(s.pause.add, v1alpha1.PauseReasonInconclusiveAnalysis)
	case v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseFailed:
		msg := run.Status.Message
		if s.r.Version.PrefixesAbortMessages() {
			msg = prefix
			if run.Status.Message != "" {
				msg += ": " + run.Status.Message
			}
		}
		s.pause.abort(msg)
	}
}

// createRun builds the run from the templates and the rollout's args and creates it,
// named <rollout>-<podHash>-<revision>[-<infix>].
func (s *state) createRun(ctx context.Context, ra *v1alpha1.RolloutAnalysis, infix string, labels map[string]string) (*v1alpha1.AnalysisRun, error) {
	args, err := s.runArgs(ra.Args)
	if err != nil {
		return nil, err
	}
	templates, err := analysis.FetchTemplates(ctx, s.r.Client, s.ro.Namespace, ra.Templates)
	if err != nil {
		return nil, err
	}
	spec, err := templates.RunSpec(args, ra.DryRun, ra.MeasurementRetention)
	if err != nil {
		return nil, err
	}
	hash := s.newStatus.CurrentPodHash
	parts := []string{s.ro.Name, hash, s.revision()}
	if infix != "" {
		parts = append(parts, infix)
	}
	var meta v1alpha1.AnalysisRunMetadata
	if ra.AnalysisRunMetadata != nil {
		meta = *ra.AnalysisRunMetadata
	}
	for k, v := range meta.Labels {
		labels[k] = v
	}
	if s.ro.Spec.Selector != nil {
		for k, v := range s.ro.Spec.Selector.MatchLabels {
			labels[k] = v
		}
	}
	annotations := map[string]string{RevisionAnnotation: s.revision()}
	for k, v := range meta.Annotations {
		annotations[k] = v
	}
	run := &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{
			Name:            strings.Join(parts, "-"),
			Namespace:       s.ro.Namespace,
			Labels:          labels,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{s.controllerRef()},
		},
		Spec: spec,
	}
	return analysis.CreateRun(ctx, s.r.Client, run)
}

// runArgs resolves the rollout's analysis args when the run is created: literal
// values, pod template hashes and fields of the Rollout itself.
func (s *state) runArgs(in []v1alpha1.AnalysisRunArgument) ([]v1alpha1.Argument, error) {
	out := make([]v1alpha1.Argument, 0, len(in))
	for _, a := range in {
		value := a.Value
		if vf := a.ValueFrom; vf != nil {
			switch {
			case vf.PodTemplateHashValue != nil:
				switch *vf.PodTemplateHashValue {
				case v1alpha1.Stable:
					if s.stableRS != nil {
						value = s.stableRS.Labels[PodTemplateHashLabel]
					}
				case v1alpha1.Latest:
					if s.newRS != nil {
						value = s.newRS.Labels[PodTemplateHashLabel]
					}
				}
			case vf.FieldRef != nil:
				v, err := rolloutField(s.ro, vf.FieldRef.FieldPath)
				if err != nil {
					return nil, &ArgError{Arg: a.Name, FieldPath: vf.FieldRef.FieldPath, Err: err}
				}
				value = v
			}
		}
		v := value
		out = append(out, v1alpha1.Argument{Name: a.Name, Value: &v})
	}
	return out, nil
}
