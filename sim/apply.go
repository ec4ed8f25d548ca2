package sim

import (
	"context"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/api/decode"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/rollout"
	"github.com/rollsim/rollsim/sim/kube"
	"github.com/rollsim/rollsim/sim/scenario"
)

// apply is `kubectl apply` of one manifest at a virtual time: it replaces the
// object of that kind and name (keeping what the server owns: identity,
// resource version, status) or creates it. The Rollout under test takes the
// new spec like an update; a router object or Service written by hand is
// looked at by the controller again, as its informers would.
func (r *runner) apply(ctx context.Context, a scenario.ApplyAction) error {
	obj, err := r.in.ApplyObject(a)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	what := obj.GetObjectKind().GroupVersionKind().Kind + "/" + obj.GetName()
	if !kube.Serves(obj) {
		r.note(what, "Applied", "kept, not simulated")
		return nil
	}
	current := obj.DeepCopyObject().(client.Object)
	err = r.c.Get(ctx, client.ObjectKeyFromObject(obj), current)
	switch {
	case apierrors.IsNotFound(err):
		obj.SetResourceVersion("")
		if err := r.c.Create(ctx, obj); err != nil {
			return fmt.Errorf("apply %s: %w", what, err)
		}
		r.note(what, "Applied", "created")
	case err != nil:
		return err
	default:
		obj.SetUID(current.GetUID())
		obj.SetResourceVersion(current.GetResourceVersion())
		obj.SetCreationTimestamp(current.GetCreationTimestamp())
		obj.SetGeneration(current.GetGeneration())
		keepStatus(current, obj)
		if ro, ok := obj.(*v1alpha1.Rollout); ok {
			prev := current.(*v1alpha1.Rollout)
			if !equality.Semantic.DeepEqual(prev.Spec, ro.Spec) {
				ro.Generation++
			}
			ro.Annotations = mergeAnnotations(prev.Annotations, ro.Annotations)
		}
		if err := r.c.Update(ctx, obj); err != nil {
			return fmt.Errorf("apply %s: %w", what, err)
		}
		r.note(what, "Applied", "configured")
	}
	if ro, ok := obj.(*v1alpha1.Rollout); ok {
		dep, err := r.workloadDeployment(ctx, ro)
		if err != nil {
			return err
		}
		if h := rollout.PodTemplateHash(r.podTemplateOf(ro, dep), ro.Status.CollisionCount); h != r.updateHash {
			r.updateHash = h
			r.templates[h] = *r.podTemplateOf(ro, dep).DeepCopy()
			r.verdict, r.decidedAt = "", nil
		}
	}
	r.enqueue(key{kind: kindRollout, NamespacedName: r.roKey})
	return nil
}

// keepStatus copies the server-owned status of current into obj (typed
// objects with a Status field; unstructured ones by key).
func keepStatus(current, obj client.Object) {
	cu, err1 := runtime.DefaultUnstructuredConverter.ToUnstructured(current)
	if err1 != nil {
		return
	}
	st, ok := cu["status"]
	if !ok {
		return
	}
	ou, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return
	}
	ou["status"] = st
	_ = runtime.DefaultUnstructuredConverter.FromUnstructured(ou, obj)
}

// mergeAnnotations keeps the controller's annotations (the revision) that a
// manifest does not set, as `kubectl apply` leaves fields it does not manage.
func mergeAnnotations(prev, next map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range prev {
		out[k] = v
	}
	for k, v := range next {
		out[k] = v
	}
	return out
}

// remove is `kubectl delete KIND NAME` in the scenario's namespace.
func (r *runner) remove(ctx context.Context, d scenario.DeleteAction) error {
	apiVersion := d.APIVersion
	if apiVersion == "" {
		apiVersion = "v1"
		for _, o := range r.in.Objects {
			if gvk := o.GetObjectKind().GroupVersionKind(); gvk.Kind == d.Kind && o.GetName() == d.Name {
				apiVersion = gvk.GroupVersion().String()
			}
		}
	}
	doc, _ := json.Marshal(map[string]any{"apiVersion": apiVersion, "kind": d.Kind,
		"metadata": map[string]any{"name": d.Name, "namespace": r.roKey.Namespace}})
	obj, err := decode.Object(doc)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	what := d.Kind + "/" + d.Name
	if !kube.Serves(obj) {
		r.note(what, "Deleted", "not simulated")
		return nil
	}
	if err := r.c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		return fmt.Errorf("delete %s: %w", what, err)
	}
	if err := r.c.Delete(ctx, obj); err != nil {
		return fmt.Errorf("delete %s: %w", what, err)
	}
	r.note(what, "Deleted", "deleted")
	r.forgetRouterObject(obj)
	r.enqueue(key{kind: kindRollout, NamespacedName: r.roKey})
	return nil
}
