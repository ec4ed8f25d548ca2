package kube

import (
	"context"
	"fmt"

	"github.com/rollsim/rollsim/engine"

	"k8s.io/utils/clock"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Stamp wraps c so that creates get a UID (derived from seed and a serial
// number), a creationTimestamp from clk, and generation 1, as an API server
// would set them; updates bump the generation of the kinds whose spec the
// controllers change.
func Stamp(c client.Client, clk clock.PassiveClock, seed int64) client.Client {
	return &stampingClient{Client: c, clock: clk, seed: seed}
}

// stampingClient sets what an API server sets on writes and the fake client does
// not: UID, creationTimestamp and generation, from the virtual clock, so objects
// look as they would on a cluster and no wall-clock time leaks into a run.
type stampingClient struct {
	client.Client
	clock  clock.PassiveClock
	serial uint64
	seed   int64
}

func (s *stampingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	if obj.GetUID() == "" {
		s.serial++
		obj.SetUID(types.UID(fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(s.seed), s.serial)))
	}
	if ts := obj.GetCreationTimestamp(); ts.IsZero() {
		obj.SetCreationTimestamp(engine.Now(s.clock))
	}
	if obj.GetGeneration() == 0 {
		obj.SetGeneration(1)
	}
	return s.Client.Create(ctx, obj, opts...)
}

// Update bumps the generation of objects whose spec the controllers change
// (an AnalysisRun being terminated, a ReplicaSet being scaled).
func (s *stampingClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	switch obj.(type) {
	case *v1alpha1.AnalysisRun, *v1alpha1.Experiment, *appsv1.ReplicaSet:
		obj.SetGeneration(obj.GetGeneration() + 1)
	}
	return s.Client.Update(ctx, obj, opts...)
}

// GetReadOnly implements engine.ReadOnlyGetter over the wrapped client.
func (s *stampingClient) GetReadOnly(ctx context.Context, key client.ObjectKey, obj client.Object) (client.Object, error) {
	return engine.GetReadOnly(ctx, s.Client, key, obj)
}
