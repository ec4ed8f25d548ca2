package scenario

import (
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/api/decode"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// ApplyUpdate makes the change of an update on the Rollout and, with a
// workloadRef, on its Deployment (dep, nil without one), in place, and
// describes it for the timeline. The image goes to the named container (the
// first one by default) of the pod template, wherever it lives; the patches
// are strategic merge patches of the objects' manifests. The patched objects
// are decoded as strictly as manifests: an unknown field is an error.
func ApplyUpdate(ro *v1alpha1.Rollout, dep *appsv1.Deployment, up Update) ([]string, error) {
	var notes []string
	if up.Image != "" {
		tpl := &ro.Spec.Template
		if dep != nil {
			tpl = &dep.Spec.Template
		}
		if len(tpl.Spec.Containers) == 0 {
			return nil, fmt.Errorf("image: the pod template has no containers")
		}
		c := &tpl.Spec.Containers[0]
		for i := range tpl.Spec.Containers {
			if tpl.Spec.Containers[i].Name == up.Container {
				c = &tpl.Spec.Containers[i]
			}
		}
		notes = append(notes, fmt.Sprintf("container %s image %s -> %s", c.Name, c.Image, up.Image))
		c.Image = up.Image
	}
	if len(up.Patch) > 0 {
		var next v1alpha1.Rollout
		if err := patchObject(ro, v1alpha1.RolloutKind, v1alpha1.GroupVersion.String(), up.Patch, &v1alpha1.Rollout{}, &next); err != nil {
			return nil, fmt.Errorf("patch: %w", err)
		}
		next.ObjectMeta.ResourceVersion, next.ObjectMeta.UID, next.Generation = ro.ResourceVersion, ro.UID, ro.Generation
		next.Status = ro.Status
		*ro = next
		notes = append(notes, "patched: "+describePatch(up.Patch))
	}
	if len(up.DeploymentPatch) > 0 {
		if dep == nil {
			return nil, fmt.Errorf("deploymentPatch: the Rollout has no workloadRef")
		}
		var next appsv1.Deployment
		if err := patchObject(dep, "Deployment", "apps/v1", up.DeploymentPatch, &appsv1.Deployment{}, &next); err != nil {
			return nil, fmt.Errorf("deploymentPatch: %w", err)
		}
		next.ResourceVersion, next.UID, next.Generation = dep.ResourceVersion, dep.UID, dep.Generation
		next.Status = dep.Status
		*dep = next
		notes = append(notes, "Deployment "+dep.Name+" patched: "+describePatch(up.DeploymentPatch))
	}
	return notes, nil
}

// patchObject applies a strategic merge patch to obj's manifest and decodes
// the result strictly into out.
func patchObject(obj client.Object, kind, apiVersion string, patch map[string]any, schema any, out client.Object) error {
	orig, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	p, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	merged, err := strategicpatch.StrategicMergePatch(orig, p, schema)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(merged, &m); err != nil {
		return err
	}
	m["apiVersion"], m["kind"] = apiVersion, kind
	// Server-set fields are not the patch's business.
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	delete(m, "status")
	doc, err := json.Marshal(m)
	if err != nil {
		return err
	}
	got, err := decode.Object(doc)
	if err != nil {
		return err
	}
	if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", out) {
		return fmt.Errorf("the patch changed the object's kind")
	}
	b, _ := json.Marshal(got)
	if err := json.Unmarshal(b, out); err != nil {
		return err
	}
	out.SetCreationTimestamp(obj.GetCreationTimestamp())
	out.GetObjectKind().SetGroupVersionKind(obj.GetObjectKind().GroupVersionKind())
	return nil
}

// describePatch is the patch on one line.
func describePatch(p map[string]any) string {
	b, err := json.Marshal(p)
	if err != nil {
		return "?"
	}
	return string(b)
}
