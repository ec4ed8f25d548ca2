package rollout

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// syncServices writes the selectors the controller puts on the rollout's
// Services: `rollouts-pod-template-hash` of the ReplicaSet each one should
// reach, and the managed-by annotation (upstream rollout/service.go
// switchServiceSelector, ensureSVCTargets, reconcileStableAndCanaryService,
// reconcileActiveService/reconcilePreviewService). A Service missing from the
// manifests is left alone: scenarios need not carry their Services.
//
// It runs after the strategy's reconcile, from the ReplicaSets as loaded at
// its start (the stable one is the stable of the previous status, as upstream
// reconciles services before it promotes): a promotion switches the stable
// Service on the next reconcile, after the router was given all the weight.
func (s *state) syncServices(ctx context.Context) error {
	if c := s.ro.Spec.Strategy.Canary; c != nil {
		if err := s.ensureServiceTargets(ctx, c.StableService, s.stableRS, true); err != nil {
			return err
		}
		if s.pause.aborted(s.ro) || s.newStatus.Abort {
			// An abort sends the canary Service back to the stable pods (with a
			// router too: upstream reconcileTrafficRouting's abort branch).
			return s.ensureServiceTargets(ctx, c.CanaryService, s.stableRS, c.TrafficRouting == nil)
		}
		return s.ensureServiceTargets(ctx, c.CanaryService, s.newRS, true)
	}
	if bg := s.ro.Spec.Strategy.BlueGreen; bg != nil {
		st := s.newStatus.BlueGreen
		if bg.PreviewService != "" && st.PreviewSelector != "" {
			if err := s.switchSelector(ctx, bg.PreviewService, st.PreviewSelector, true); err != nil {
				return err
			}
		}
		if st.ActiveSelector != "" {
			// The blue-green reconcile announces the switch itself.
			return s.switchSelector(ctx, bg.ActiveService, st.ActiveSelector, false)
		}
	}
	return nil
}

// ensureServiceTargets points a Service at rs once rs can take its traffic: a
// Service not yet managed by the rollout waits for rs to be fully available,
// a managed one for one available pod (upstream ensureSVCTargets).
func (s *state) ensureServiceTargets(ctx context.Context, name string, rs *appsv1.ReplicaSet, checkAvailability bool) error {
	if rs == nil || name == "" {
		return nil
	}
	svc, err := s.service(ctx, name)
	if err != nil || svc == nil {
		return err
	}
	want := rs.Labels[PodTemplateHashLabel]
	if svc.Spec.Selector[PodTemplateHashLabel] == want {
		return s.switchSelector(ctx, name, want, true)
	}
	if checkAvailability {
		if _, managed := svc.Annotations[v1alpha1.ManagedByRolloutsKey]; !managed && !replicaSetAvailable(rs) {
			return nil
		}
		if rs.Status.AvailableReplicas == 0 {
			return nil
		}
	}
	return s.switchSelector(ctx, name, want, true)
}

func replicaSetAvailable(rs *appsv1.ReplicaSet) bool {
	n := rsReplicas(rs)
	return n != 0 && rs.Status.AvailableReplicas != 0 && n <= rs.Status.AvailableReplicas
}

func (s *state) service(ctx context.Context, name string) (*corev1.Service, error) {
	var svc corev1.Service
	if err := s.r.Client.Get(ctx, types.NamespacedName{Namespace: s.ro.Namespace, Name: name}, &svc); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return &svc, nil
}

// switchSelector sets the hash selector and the managed-by annotation, with
// the controller's SwitchService event when announce is set (upstream
// switchServiceSelector: nothing to do when both are already there).
func (s *state) switchSelector(ctx context.Context, name, hash string, announce bool) error {
	svc, err := s.service(ctx, name)
	if err != nil || svc == nil {
		return err
	}
	old, has := svc.Spec.Selector[PodTemplateHashLabel]
	_, managed := svc.Annotations[v1alpha1.ManagedByRolloutsKey]
	if has && old == hash && managed {
		return nil
	}
	if svc.Spec.Selector == nil {
		svc.Spec.Selector = map[string]string{}
	}
	svc.Spec.Selector[PodTemplateHashLabel] = hash
	if !managed {
		if svc.Annotations == nil {
			svc.Annotations = map[string]string{}
		}
		svc.Annotations[v1alpha1.ManagedByRolloutsKey] = s.ro.Name
	}
	if err := s.r.Client.Update(ctx, svc); err != nil {
		return fmt.Errorf("updating Service %s: %w", name, err)
	}
	if announce && old != hash {
		s.event(engine.EventNormal, "SwitchService", fmt.Sprintf("Switched selector for service '%s' from '%s' to '%s'", name, old, hash))
	}
	return nil
}
