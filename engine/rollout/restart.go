package rollout

import (
	"context"
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// restartPodCheckTime is how soon the restarter looks again while pods are
// left to restart (upstream rollout/restart.go).
const restartPodCheckTime = 30 * time.Second

// restartPods is upstream's pod restarter (rollout/restart.go Reconcile): once
// spec.restartAt has come and status.restartedAt is not it, the pods created
// before it are evicted, stable ReplicaSet first, then the new one, then the
// others, as many at a time as availability allows (maxUnavailable, at least
// one); when none is left, status.restartedAt records it. It returns how many
// pods it evicted: then the reconcile stops, as upstream's does, since the
// ReplicaSets' availability no longer holds.
func (s *state) restartPods(ctx context.Context) (int, error) {
	at := s.ro.Spec.RestartAt
	if at == nil || (s.ro.Status.RestartedAt != nil && s.ro.Status.RestartedAt.Equal(at)) {
		return 0, nil
	}
	if now := s.r.Clock.Now(); now.Before(at.Time) {
		s.requeueAt(at.Time)
		return 0, nil
	}
	rank := func(rs *appsv1.ReplicaSet) int {
		switch {
		case s.stableRS != nil && rs.Name == s.stableRS.Name:
			return 0
		case s.newRS != nil && rs.Name == s.newRS.Name:
			return 1
		}
		return 2
	}
	rss := append([]*appsv1.ReplicaSet(nil), s.allRSs...)
	sort.SliceStable(rss, func(i, j int) bool { return rank(rss[i]) < rank(rss[j]) })
	var podList corev1.PodList
	if err := s.r.Client.List(ctx, &podList, client.InNamespace(s.ro.Namespace)); err != nil {
		return 0, err
	}
	var pods []*corev1.Pod
	var total int32
	for _, rs := range rss {
		total += rsReplicas(rs)
		for i := range podList.Items {
			p := &podList.Items[i]
			if ref := metavOwner(p); ref == rs.UID {
				pods = append(pods, p)
			}
		}
	}
	var available int32
	for _, p := range pods {
		if podReady(p) {
			available++
		}
	}
	var maxUnavailable int32
	if s.ro.Spec.Strategy.Canary != nil {
		_, maxUnavailable = surgeAndUnavailable(s.ro)
	}
	concurrent := max(maxUnavailable, 1)
	canRestart := available - (max(specReplicas(s.ro), total) - concurrent)
	needs, restarted := 0, 0
	for _, p := range pods {
		if !p.CreationTimestamp.Before(at) {
			continue
		}
		needs++
		if canRestart <= 0 || p.DeletionTimestamp != nil {
			continue
		}
		if err := s.r.Client.Delete(ctx, p); err != nil && !apierrors.IsNotFound(err) {
			return restarted, fmt.Errorf("evicting Pod %s: %w", p.Name, err)
		}
		canRestart--
		restarted++
	}
	if needs > restarted {
		s.requeueAt(s.r.Clock.Now().Add(restartPodCheckTime))
	} else {
		s.newStatus.RestartedAt = at.DeepCopy()
	}
	return restarted, nil
}

func metavOwner(p *corev1.Pod) types.UID {
	for _, r := range p.OwnerReferences {
		if r.Controller != nil && *r.Controller {
			return r.UID
		}
	}
	return ""
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
