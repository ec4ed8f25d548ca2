package rollout

import (
	"context"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// WorkloadGenerationAnnotation records the generation of the workload a
// Rollout's template was resolved from (upstream annotations.WorkloadGenerationAnnotation).
const WorkloadGenerationAnnotation = "rollout.argoproj.io/workload-generation"

// resolved remembers what resolveWorkloadRef put into a Rollout, so that it
// is not written back.
type resolved struct {
	template bool
	selector bool
}

// resolveWorkloadRef fills the Rollout's pod template (and selector, when it
// has none) from the Deployment its workloadRef names, in memory, as upstream's
// template resolver does on every reconcile (rollout/templateref.go Resolve).
// Only apps/v1 Deployments are resolved here.
func (s *state) resolveWorkloadRef(ctx context.Context) error {
	ref := s.ro.Spec.WorkloadRef
	if ref == nil {
		return nil
	}
	dep, err := s.workloadDeployment(ctx)
	if err != nil {
		return err
	}
	s.ro.Spec.Template = *dep.Spec.Template.DeepCopy()
	s.resolved.template = true
	if s.ro.Spec.Selector == nil && dep.Spec.Selector != nil {
		s.ro.Spec.Selector = dep.Spec.Selector.DeepCopy()
		s.resolved.selector = true
	}
	ownAnnotations(&s.ro.ObjectMeta)
	s.ro.Annotations[WorkloadGenerationAnnotation] = strconv.FormatInt(dep.Generation, 10)
	return nil
}

func (s *state) workloadDeployment(ctx context.Context) (*appsv1.Deployment, error) {
	ref := s.ro.Spec.WorkloadRef
	if ref.Kind != "Deployment" || (ref.APIVersion != "apps/v1" && ref.APIVersion != "") {
		return nil, fmt.Errorf("workload of type %s/%s is not supported", ref.APIVersion, ref.Kind)
	}
	var dep appsv1.Deployment
	if err := s.r.Client.Get(ctx, types.NamespacedName{Namespace: s.ro.Namespace, Name: ref.Name}, &dep); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("workloadRef: deployments.apps %q not found", ref.Name)
		}
		return nil, err
	}
	return &dep, nil
}

// unresolved is a copy of the Rollout to write: without what the resolver
// filled in, as stored in the API.
func (s *state) unresolved() *v1alpha1.Rollout {
	ro := s.ro.DeepCopy()
	if s.resolved.template {
		ro.Spec.Template = corev1.PodTemplateSpec{}
	}
	if s.resolved.selector {
		ro.Spec.Selector = nil
	}
	return ro
}

// updateRollout writes the Rollout (not its status) and keeps the resolved
// template in memory.
func (s *state) updateRollout(ctx context.Context) error {
	if s.ro.Spec.WorkloadRef == nil {
		return s.r.Client.Update(ctx, s.ro)
	}
	ro := s.unresolved()
	if err := s.r.Client.Update(ctx, ro); err != nil {
		return err
	}
	tpl, sel := s.ro.Spec.Template, s.ro.Spec.Selector
	ro.Spec.Template = tpl
	if s.resolved.selector {
		ro.Spec.Selector = sel
	}
	*s.ro = *ro
	return nil
}

// scaleDownWorkload scales the referenced Deployment down as the Rollout's
// first revision takes over (upstream sync.go and replicaset.go, only for
// revision 1, the migration from a Deployment): onsuccess to zero once the
// Rollout is Healthy; progressively by the Rollout's Ready pods, to zero when
// Healthy; never leaves it alone.
func (s *state) scaleDownWorkload(ctx context.Context) error {
	ref := s.ro.Spec.WorkloadRef
	if ref == nil || s.newRS == nil || revisionOf(s.newRS) != 1 {
		return nil
	}
	healthy := s.newStatus.Phase == v1alpha1.RolloutPhaseHealthy
	var target int32
	switch ref.ScaleDown {
	case v1alpha1.ScaleDownOnSuccess:
		if !healthy {
			return nil
		}
	case v1alpha1.ScaleDownProgressively:
		if !healthy {
			if s.newStatus.ReadyReplicas == 0 {
				return nil
			}
			target = max(specReplicas(s.ro)-s.newStatus.ReadyReplicas, 0)
		}
	default:
		return nil
	}
	dep, err := s.workloadDeployment(ctx)
	if err != nil {
		return err
	}
	if dep.Spec.Replicas != nil && *dep.Spec.Replicas == target {
		return nil
	}
	dep.Spec.Replicas = ptr.To(target)
	if err := s.r.Client.Update(ctx, dep); err != nil {
		return fmt.Errorf("scaling Deployment %s: %w", dep.Name, err)
	}
	return nil
}
