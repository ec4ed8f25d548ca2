package sim

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/rollout"
	"github.com/rollsim/rollsim/sim/scenario"
)

// applyUpdate makes the change under test as `kubectl apply` of the edited
// manifests would: on the Rollout, and on its workloadRef Deployment when the
// pod template lives there (scenario.ApplyUpdate). The verdict is then about
// the new revision.
func (r *runner) applyUpdate(ctx context.Context, up scenario.Update) error {
	var ro v1alpha1.Rollout
	if err := r.c.Get(ctx, r.roKey, &ro); err != nil {
		return err
	}
	before := ro.DeepCopy()
	dep, err := r.workloadDeployment(ctx, &ro)
	if err != nil {
		return err
	}
	var depBefore *appsv1.Deployment
	if dep != nil {
		depBefore = dep.DeepCopy()
	}
	notes, err := scenario.ApplyUpdate(&ro, dep, up)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if dep != nil && !equalSpec(depBefore.Spec, dep.Spec) {
		if err := r.c.Update(ctx, dep); err != nil {
			return err
		}
	}
	if !equalSpec(before.Spec, ro.Spec) {
		ro.Generation++
	}
	if err := r.c.Update(ctx, &ro); err != nil {
		return err
	}
	r.updateHash = rollout.PodTemplateHash(r.podTemplateOf(&ro, dep), ro.Status.CollisionCount)
	r.templates[r.updateHash] = *r.podTemplateOf(&ro, dep).DeepCopy()
	r.updated = true
	// A new revision: the verdict is about it.
	r.verdict, r.decidedAt = "", nil
	for _, n := range notes {
		r.note("Rollout/"+ro.Name, "Updated", n)
	}
	return nil
}

func equalSpec(a, b any) bool { return equality.Semantic.DeepEqual(a, b) }

// workloadDeployment is the Deployment of the rollout's workloadRef (nil without one).
func (r *runner) workloadDeployment(ctx context.Context, ro *v1alpha1.Rollout) (*appsv1.Deployment, error) {
	ref := ro.Spec.WorkloadRef
	if ref == nil {
		return nil, nil
	}
	var dep appsv1.Deployment
	if err := r.c.Get(ctx, types.NamespacedName{Namespace: ro.Namespace, Name: ref.Name}, &dep); err != nil {
		return nil, fmt.Errorf("workloadRef: %w", err)
	}
	return &dep, nil
}

func (r *runner) podTemplateOf(ro *v1alpha1.Rollout, dep *appsv1.Deployment) *corev1.PodTemplateSpec {
	if dep != nil {
		return &dep.Spec.Template
	}
	return &ro.Spec.Template
}

// scale is `kubectl scale rollout --replicas N`.
func (r *runner) scale(ctx context.Context, ro *v1alpha1.Rollout, n int32) error {
	old := int32(1)
	if ro.Spec.Replicas != nil {
		old = *ro.Spec.Replicas
	}
	ro.Spec.Replicas = &n
	ro.Generation++
	if err := r.c.Update(ctx, ro); err != nil {
		return err
	}
	r.note("Rollout/"+ro.Name, "Scaled", fmt.Sprintf("spec.replicas %d -> %d", old, n))
	return nil
}

// undo is `kubectl argo rollouts undo [--to-revision N]`: the pod template of
// that revision's ReplicaSet (the one before the current by default), without
// its hash label, becomes the Rollout's (upstream pkg/kubectl-argo-rollouts/cmd/undo).
func (r *runner) undo(ctx context.Context, ro *v1alpha1.Rollout, toRevision int64) error {
	if ro.Spec.WorkloadRef != nil {
		return fmt.Errorf("undo: the pod template of %s lives in its workloadRef Deployment; change that instead", ro.Name)
	}
	var list appsv1.ReplicaSetList
	if err := r.c.List(ctx, &list); err != nil {
		return err
	}
	type rev struct {
		n  int64
		rs *appsv1.ReplicaSet
	}
	var revs []rev
	for i := range list.Items {
		rs := &list.Items[i]
		if rs.Namespace != ro.Namespace {
			continue
		}
		owned := false
		for _, o := range rs.OwnerReferences {
			owned = owned || o.UID == ro.UID
		}
		n, err := strconv.ParseInt(rs.Annotations[rollout.RevisionAnnotation], 10, 64)
		if owned && err == nil {
			revs = append(revs, rev{n, rs})
		}
	}
	sort.Slice(revs, func(i, j int) bool { return revs[i].n > revs[j].n })
	var target *appsv1.ReplicaSet
	switch {
	case toRevision > 0:
		for _, v := range revs {
			if v.n == toRevision {
				target = v.rs
			}
		}
	case len(revs) > 1:
		target = revs[1].rs
	}
	if target == nil {
		return fmt.Errorf("undo: no revision %d of %s to go back to", toRevision, ro.Name)
	}
	// The template as it was applied: the ReplicaSet's copy carries the API
	// server's defaults, which would make it another template (and hash) on
	// a real server than in memory.
	tpl, ok := r.templates[target.Labels[rollout.PodTemplateHashLabel]]
	if !ok {
		tpl = *target.Spec.Template.DeepCopy()
		delete(tpl.Labels, rollout.PodTemplateHashLabel)
	}
	tpl = *tpl.DeepCopy()
	ro.Spec.Template = tpl
	ro.Generation++
	if err := r.c.Update(ctx, ro); err != nil {
		return err
	}
	r.updateHash = target.Labels[rollout.PodTemplateHashLabel]
	var images []string
	for _, c := range tpl.Spec.Containers {
		images = append(images, c.Image)
	}
	r.note("Rollout/"+ro.Name, "Undo", fmt.Sprintf("rolled back to revision %s (%s)", target.Annotations[rollout.RevisionAnnotation], strings.Join(images, ", ")))
	return nil
}

// restart is `kubectl argo rollouts restart [--in D]`: spec.restartAt at now
// (+D), whole seconds as the API stores times.
func (r *runner) restart(ctx context.Context, ro *v1alpha1.Rollout, a *scenario.RestartAction) error {
	at := r.clock.Now()
	if a.In != nil {
		at = at.Add(a.In.Duration)
	}
	t := engine.Time(at)
	ro.Spec.RestartAt = &t
	ro.Generation++
	if err := r.c.Update(ctx, ro); err != nil {
		return err
	}
	r.note("Rollout/"+ro.Name, "Restart", "spec.restartAt "+t.UTC().Format(time.RFC3339))
	return nil
}
