package sim

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/sim/kube"
)

// An AnalysisRun write wakes its Rollout on a create, a delete or a change of
// phase, and its Experiment when the run is completed, as the controllers'
// informer handlers do; one row per write, in order.
func TestRunWatchers(t *testing.T) {
	isController := true
	run := func(ownerKind string, phase v1alpha1.AnalysisPhase) *v1alpha1.AnalysisRun {
		return &v1alpha1.AnalysisRun{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "run", OwnerReferences: []metav1.OwnerReference{
				{Kind: ownerKind, Name: "owner", Controller: &isController}}},
			Status: v1alpha1.AnalysisRunStatus{Phase: phase},
		}
	}
	updating := kube.Watch(nil, nil, nil) // reports a write other than a delete
	var deleting client.Client            // any other client: kube.Deleting says it cannot tell
	r := &runner{queued: map[key]bool{}, runPhases: map[types.NamespacedName]v1alpha1.AnalysisPhase{}}
	for _, tc := range []struct {
		name    string
		run     *v1alpha1.AnalysisRun
		watched client.Client
		want    workKind // -1: nothing
	}{
		{"rollout's run created", run("Rollout", ""), updating, kindRollout},
		{"phase set", run("Rollout", v1alpha1.AnalysisPhaseRunning), updating, kindRollout},
		{"a measurement, same phase", run("Rollout", v1alpha1.AnalysisPhaseRunning), updating, -1},
		{"another measurement", run("Rollout", v1alpha1.AnalysisPhaseRunning), updating, -1},
		{"failed", run("Rollout", v1alpha1.AnalysisPhaseFailed), updating, kindRollout},
		{"deleted", run("Rollout", v1alpha1.AnalysisPhaseFailed), deleting, kindRollout},
		{"created again", run("Rollout", ""), updating, kindRollout},
		{"experiment's run running", run("Experiment", v1alpha1.AnalysisPhaseRunning), updating, -1},
		{"experiment's run successful", run("Experiment", v1alpha1.AnalysisPhaseSuccessful), updating, kindExperiment},
		{"experiment's run, completed, written again", run("Experiment", v1alpha1.AnalysisPhaseSuccessful), updating, kindExperiment},
	} {
		r.queue, r.queued = nil, map[key]bool{}
		r.watched = tc.watched
		r.enqueueRunWatchers(tc.run)
		switch {
		case tc.want < 0 && len(r.queue) != 0:
			t.Errorf("%s: woke %v, want nothing", tc.name, r.queue)
		case tc.want >= 0 && (len(r.queue) != 1 || r.queue[0].kind != tc.want || r.queue[0].Name != "owner"):
			t.Errorf("%s: woke %v, want the owner (kind %d)", tc.name, r.queue, tc.want)
		}
	}
}
