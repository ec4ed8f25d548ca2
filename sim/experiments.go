package sim

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/sim/scenario"
)

// A scenario of standalone Experiments (no Rollout) keeps the four verdicts,
// about the Experiments:
//
//	Promoted    every Experiment completed Successful ("the experiment passed")
//	Aborted     an Experiment Failed or Error (decided at the first one)
//	Paused      every Experiment completed, one or more Inconclusive
//	Incomplete  an Experiment was still running at until
//
// The message is the deciding Experiment's (DecidingExperiment).

// ExperimentsVerdict is the verdict of a scenario's Experiments, "" while it is
// undecided. want is how many Experiments the scenario applies.
func ExperimentsVerdict(exps []v1alpha1.Experiment, want int) string {
	if len(exps) == 0 || len(exps) < want {
		return ""
	}
	done, inconclusive := true, false
	for _, x := range exps {
		switch x.Status.Phase {
		case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError:
			return scenario.Aborted
		case v1alpha1.AnalysisPhaseInconclusive:
			inconclusive = true
		case v1alpha1.AnalysisPhaseSuccessful:
		default:
			done = false
		}
	}
	switch {
	case !done:
		return ""
	case inconclusive:
		return scenario.Paused
	}
	return scenario.Promoted
}

// DecidingExperiment is the Experiment whose message a report about
// Experiments shows: the first that failed or errored, else the first
// inconclusive one, else the first still running, else the first.
func DecidingExperiment(exps []v1alpha1.Experiment) *v1alpha1.Experiment {
	if len(exps) == 0 {
		return nil
	}
	for _, phases := range [][]v1alpha1.AnalysisPhase{
		{v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError},
		{v1alpha1.AnalysisPhaseInconclusive},
		{v1alpha1.AnalysisPhasePending, v1alpha1.AnalysisPhaseRunning, ""},
	} {
		for i := range exps {
			for _, p := range phases {
				if exps[i].Status.Phase == p {
					return &exps[i]
				}
			}
		}
	}
	return &exps[0]
}

// decideExperiments decides a scenario of standalone Experiments from their
// phases, once they are applied.
func (r *runner) decideExperiments(ctx context.Context) error {
	if !r.updated || r.experimentsDone {
		return nil
	}
	want := 0
	for _, o := range r.in.Objects {
		if _, ok := o.(*v1alpha1.Experiment); ok {
			want++
		}
	}
	var list v1alpha1.ExperimentList
	if err := r.c.List(ctx, &list, client.InNamespace(r.roKey.Namespace)); err != nil {
		return err
	}
	v := ExperimentsVerdict(list.Items, want)
	if v != "" && r.verdict == "" {
		r.setVerdict(v)
	}
	if v == "" || len(list.Items) < want {
		return nil
	}
	for _, x := range list.Items {
		if !x.Status.Phase.Completed() {
			return nil // an Aborted verdict: the others still run
		}
	}
	// Every Experiment is completed: the run ends once their ReplicaSets are
	// scaled down (after scaleDownDelaySeconds), not at a stale requeue.
	var rss appsv1.ReplicaSetList
	if err := r.c.List(ctx, &rss, client.InNamespace(r.roKey.Namespace)); err != nil {
		return err
	}
	for _, rs := range rss.Items {
		if (rs.Spec.Replicas != nil && *rs.Spec.Replicas > 0) || rs.Status.Replicas > 0 {
			return nil
		}
	}
	r.experimentsDone = true
	return nil
}
