package sim_test

import (
	"strings"
	"testing"

	"github.com/rollsim/rollsim/sim/scenario"
)

// workloadRef: the template comes from the Deployment, the update changes the
// Deployment, scaleDown: progressively leaves it at 0, the Rollout keeps no
// template of its own.
func TestWorkloadRef(t *testing.T) {
	res := runFile(t, "../scenarios/workload-ref-progressive.yaml")
	if res.Verdict != scenario.Promoted {
		t.Fatalf("verdict %s", res.Verdict)
	}
	if len(res.Deployments) != 1 {
		t.Fatalf("deployments %d", len(res.Deployments))
	}
	d := res.Deployments[0]
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 0 {
		t.Errorf("Deployment replicas %v, want 0 (scaleDown: progressively)", d.Spec.Replicas)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if c.Image != "cart:5.1" || len(c.Env) != 2 || c.Env[0].Name != "NEW_CHECKOUT" || c.Env[1].Name != "CACHE" {
		t.Errorf("Deployment container %+v, want the new image and both env vars", c)
	}
	if len(res.Rollout.Spec.Template.Spec.Containers) != 0 {
		t.Errorf("the resolved template was written into the Rollout: %+v", res.Rollout.Spec.Template)
	}
	// The rollout's three pods become Ready in the same instant, so the
	// Deployment is scaled 3→0 in one step.
	if got := res.Rollout.Annotations["rollout.argoproj.io/workload-generation"]; got != "3" {
		t.Errorf("workload-generation %q, want 3 (created, scaled 3→0, updated)", got)
	}
	var images []string
	for _, rs := range res.ReplicaSets {
		images = append(images, rs.Spec.Template.Spec.Containers[0].Image)
	}
	if strings.Join(images, " ") != "cart:5.0 cart:5.1" && strings.Join(images, " ") != "cart:5.1 cart:5.0" {
		t.Errorf("ReplicaSet images %v", images)
	}
}

// A patch-only update (annotation, env, progressDeadlineSeconds) makes a new
// revision; a scale mid-rollout resizes both ReplicaSets.
func TestUpdatePatchAndScale(t *testing.T) {
	res := runFile(t, "../scenarios/update-patch-scale.yaml")
	ro := res.Rollout
	if res.Verdict != scenario.Promoted || *ro.Spec.Replicas != 8 || *ro.Spec.ProgressDeadlineSeconds != 300 {
		t.Fatalf("verdict %s, replicas %d", res.Verdict, *ro.Spec.Replicas)
	}
	tpl := ro.Spec.Template
	if tpl.Annotations["config-hash"] != "5f1c2a" || len(tpl.Spec.Containers) != 2 || tpl.Spec.Containers[0].Env[0].Value != "fast" || tpl.Spec.Containers[1].Image != "proxy:1.0" {
		t.Errorf("template %+v", tpl)
	}
	found := false
	for _, e := range res.Timeline {
		found = found || (e.Reason == "ScalingReplicaSet" && e.At.Minutes() == 1 && strings.Contains(e.Message, "from 1 to 2"))
	}
	if !found {
		t.Error("the canary was not scaled with the Rollout at 1m")
	}
}

// undo goes back to the previous revision's template: the stable ReplicaSet
// becomes revision 3, the canary is scaled away.
func TestUndo(t *testing.T) {
	res := runFile(t, "../scenarios/undo-mid-rollout.yaml")
	if res.Rollout.Spec.Template.Spec.Containers[0].Image != "api:9.2" || res.Rollout.Annotations["rollout.argoproj.io/revision"] != "3" {
		t.Errorf("image %s, revision %s", res.Rollout.Spec.Template.Spec.Containers[0].Image, res.Rollout.Annotations["rollout.argoproj.io/revision"])
	}
	for _, rs := range res.ReplicaSets {
		if rs.Spec.Template.Spec.Containers[0].Image == "api:9.3" && *rs.Spec.Replicas != 0 {
			t.Errorf("canary %s still has %d replicas", rs.Name, *rs.Spec.Replicas)
		}
	}
}

// apply replaces a template before the analysis uses it and edits the Rollout
// without a new revision; delete removes an object.
func TestApplyAndDelete(t *testing.T) {
	res := runFile(t, "../scenarios/apply-mid-rollout.yaml")
	if res.Verdict != scenario.Promoted {
		t.Fatalf("verdict %s: the applied template's 0.99 threshold should pass 0.995", res.Verdict)
	}
	ro := res.Rollout
	if ro.Labels["team"] != "discovery" || *ro.Spec.ProgressDeadlineSeconds != 900 || ro.Annotations["rollout.argoproj.io/revision"] != "2" || ro.Generation != 3 {
		t.Errorf("labels %v, revision %s, generation %d", ro.Labels, ro.Annotations["rollout.argoproj.io/revision"], ro.Generation)
	}
	var notes []string
	for _, e := range res.Timeline {
		if e.Reason == "Applied" || e.Reason == "Deleted" {
			notes = append(notes, e.Object+" "+e.Message)
		}
	}
	if strings.Join(notes, "; ") != "AnalysisTemplate/success-rate configured; Rollout/search configured; ConfigMap/search-flags deleted" {
		t.Errorf("notes %q", notes)
	}
}

// restart replaces every pod created before spec.restartAt, one at a time,
// and records status.restartedAt.
func TestRestart(t *testing.T) {
	res := runFile(t, "../scenarios/restart-mid-rollout.yaml")
	ro := res.Rollout
	if ro.Spec.RestartAt == nil || ro.Status.RestartedAt == nil || !ro.Status.RestartedAt.Equal(ro.Spec.RestartAt) {
		t.Fatalf("restartAt %v, restartedAt %v", ro.Spec.RestartAt, ro.Status.RestartedAt)
	}
	for _, p := range finalPods(t, res) {
		if p.CreationTimestamp.Before(ro.Spec.RestartAt) {
			t.Errorf("pod %s created %v, before the restart", p.Name, p.CreationTimestamp)
		}
	}
	down := 0
	for _, e := range res.Timeline {
		if e.Reason == "PodsAvailable" && strings.HasPrefix(e.Message, "2 of 3") && e.At < 2*60e9 {
			down++
		}
	}
	if down != 3 {
		t.Errorf("%d stable evictions seen one at a time, want 3", down)
	}
}
