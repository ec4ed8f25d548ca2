package rollout

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// loadExperiments finds the experiments the rollout owns and the current one.
func (s *state) loadExperiments(ctx context.Context) error {
	list := &s.exList
	if err := engine.ListReadOnly(ctx, s.r.Client, list, s.inNS...); err != nil {
		return err
	}
	for i := range list.Items {
		ex := &list.Items[i]
		if !owned(ex, s.ro) {
			continue
		}
		if ex.Name == s.ro.Status.Canary.CurrentExperiment {
			s.currentEx = ex
		} else {
			s.otherExs = append(s.otherExs, ex)
		}
	}
	return nil
}

// reconcileExperiments creates the experiment of an experiment step and turns its
// outcome into a pause or an abort; experiments no longer current are terminated
// (upstream rollout/experiment.go).
func (s *state) reconcileExperiments(ctx context.Context) error {
	s.newStatus.Canary.CurrentExperiment = ""
	if s.pause.aborted(s.ro) || s.ro.Status.PromoteFull {
		return s.terminateExperiments(ctx, append(s.otherExs, s.currentEx)...)
	}
	if pauseCondition(s.ro, v1alpha1.PauseReasonInconclusiveAnalysis) != nil {
		if s.currentEx != nil {
			s.newStatus.Canary.CurrentExperiment = s.currentEx.Name
		}
		return nil
	}
	step, idx := s.currentStep()
	current := s.currentEx
	if step != nil && step.Experiment != nil {
		if current == nil {
			if s.stableRS == nil {
				return nil
			}
			created, err := s.createExperiment(ctx, step.Experiment, idx)
			if err != nil {
				return err
			}
			current = created
			s.currentEx = created
			s.event(engine.EventNormal, "ExperimentCreated", fmt.Sprintf("Created Experiment '%s'", created.Name))
		}
		switch current.Status.Phase {
		case v1alpha1.AnalysisPhaseInconclusive:
			s.pause.add = append(s.pause.add, v1alpha1.PauseReasonInconclusiveExperiment)
		case v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseFailed:
			msg := current.Status.Message
			if s.r.Version.PrefixesAbortMessages() {
				msg = "Experiment analysis phase is error/failed"
				if current.Status.Message != "" {
					msg += ": " + current.Status.Message
				}
			}
			s.pause.abort(msg)
		case v1alpha1.AnalysisPhaseSuccessful:
			// Not current any more once it succeeded.
		default:
			s.newStatus.Canary.CurrentExperiment = current.Name
		}
	}
	others := s.otherExs
	if current != nil && (step == nil || step.Experiment == nil) {
		others = append(others, current)
	}
	return s.terminateExperiments(ctx, others...)
}

func (s *state) terminateExperiments(ctx context.Context, exs ...*v1alpha1.Experiment) error {
	for _, ex := range exs {
		if ex == nil || ex.Spec.Terminate || ex.Status.Phase.Completed() {
			continue
		}
		ex.Spec.Terminate = true
		if err := s.r.Client.Update(ctx, ex); err != nil {
			return fmt.Errorf("terminating Experiment %s: %w", ex.Name, err)
		}
	}
	return nil
}

// createExperiment builds `<rollout>-<podHash>-<revision>-<stepIndex>` from the step:
// each template runs the stable or canary ReplicaSet's pod template. A name
// collision gets -1, -2, ... (a dash, unlike AnalysisRuns).
func (s *state) createExperiment(ctx context.Context, step *v1alpha1.RolloutExperimentStep, idx int32) (*v1alpha1.Experiment, error) {
	hash := s.newStatus.CurrentPodHash
	labels := map[string]string{}
	for k, v := range s.ro.Labels {
		labels[k] = v
	}
	labels[PodTemplateHashLabel] = hash
	ex := &v1alpha1.Experiment{
		ObjectMeta: metav1.ObjectMeta{
			Name:            strings.Join([]string{s.ro.Name, hash, s.revision(), strconv.Itoa(int(idx))}, "-"),
			Namespace:       s.ro.Namespace,
			Labels:          labels,
			Annotations:     map[string]string{RevisionAnnotation: s.revision()},
			OwnerReferences: []metav1.OwnerReference{s.controllerRef()},
		},
		Spec: v1alpha1.ExperimentSpec{
			Duration:                step.Duration,
			ProgressDeadlineSeconds: s.ro.Spec.ProgressDeadlineSeconds,
			DryRun:                  step.DryRun,
			AnalysisRunMetadata:     step.AnalysisRunMetadata,
			ScaleDownDelaySeconds:   step.ScaleDownDelaySeconds,
		},
	}
	for _, t := range step.Templates {
		var rs *appsv1.ReplicaSet
		switch t.SpecRef {
		case v1alpha1.StableSpecRef:
			rs = s.stableRS
		case v1alpha1.CanarySpecRef:
			rs = s.newRS
		default:
			return nil, fmt.Errorf("experiment template %s: specRef %q is neither stable nor canary", t.Name, t.SpecRef)
		}
		tpl := *rs.Spec.Template.DeepCopy()
		for k, v := range t.Metadata.Labels {
			if tpl.Labels == nil {
				tpl.Labels = map[string]string{}
			}
			tpl.Labels[k] = v
		}
		for k, v := range t.Metadata.Annotations {
			if tpl.Annotations == nil {
				tpl.Annotations = map[string]string{}
			}
			tpl.Annotations[k] = v
		}
		sel := rs.Spec.Selector.DeepCopy()
		if t.Selector != nil {
			sel = t.Selector.DeepCopy()
		}
		replicas := ptr.To[int32](1)
		if t.Replicas != nil {
			replicas = ptr.To(*t.Replicas)
		}
		ex.Spec.Templates = append(ex.Spec.Templates, v1alpha1.TemplateSpec{
			Name: t.Name, Replicas: replicas, Selector: sel, Template: tpl, Service: t.Service,
			MinReadySeconds: s.ro.Spec.MinReadySeconds,
		})
	}
	for _, a := range step.Analyses {
		args, err := s.runArgs(a.Args)
		if err != nil {
			return nil, err
		}
		ex.Spec.Analyses = append(ex.Spec.Analyses, v1alpha1.ExperimentAnalysisTemplateRef{
			Name: a.Name, TemplateName: a.TemplateName, ClusterScope: a.ClusterScope, Args: args, RequiredForCompletion: a.RequiredForCompletion,
		})
	}
	base := ex.Name
	for n := 0; n < 100; n++ {
		if n > 0 {
			ex.Name = fmt.Sprintf("%s-%d", base, n)
		}
		err := s.r.Client.Create(ctx, ex)
		if err == nil {
			return ex, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, err
		}
		ex.ResourceVersion = ""
	}
	return nil, fmt.Errorf("could not find a free name for Experiment %q", base)
}
