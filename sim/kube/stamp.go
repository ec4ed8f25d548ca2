package kube

import (
	"context"
	"strconv"

	"github.com/rollsim/rollsim/engine"

	"k8s.io/utils/clock"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
		obj.SetUID(uid(s.seed, s.serial))
	}
	if ts := obj.GetCreationTimestamp(); ts.IsZero() {
		obj.SetCreationTimestamp(engine.Now(s.clock))
	}
	if _, svc := obj.(*corev1.Service); obj.GetGeneration() == 0 && !svc {
		// (The API server keeps no generation for Services.)
		obj.SetGeneration(1)
	}
	return s.Client.Create(ctx, obj, opts...)
}

// UIDs is the UID source of c, a client from Stamp: each call reserves the
// UID the next create would have been given. An object created later with
// it keeps the UID it would have had, and so does every object after it.
func UIDs(c client.Client) func() types.UID {
	s := c.(*stampingClient)
	return func() types.UID {
		s.serial++
		return uid(s.seed, s.serial)
	}
}

// Update bumps the generation of objects whose spec the controllers change
// (an AnalysisRun being terminated, a ReplicaSet being scaled).
func (s *stampingClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	switch o := obj.(type) {
	case *v1alpha1.AnalysisRun, *v1alpha1.Experiment, *appsv1.ReplicaSet:
		obj.SetGeneration(obj.GetGeneration() + 1)
	case *appsv1.Deployment:
		// The server bumps it on spec changes (a scale, a template change).
		var prev appsv1.Deployment
		if err := s.Client.Get(ctx, client.ObjectKeyFromObject(o), &prev); err == nil && !equality.Semantic.DeepEqual(prev.Spec, o.Spec) {
			obj.SetGeneration(prev.Generation + 1)
		}
	case *unstructured.Unstructured:
		// A custom resource without a status subresource: any change but
		// metadata's bumps it (the routers' objects).
		prev := &unstructured.Unstructured{}
		prev.SetGroupVersionKind(o.GroupVersionKind())
		if err := s.Client.Get(ctx, client.ObjectKeyFromObject(o), prev); err == nil && !specEqual(prev, o) {
			obj.SetGeneration(prev.GetGeneration() + 1)
		}
	}
	return s.Client.Update(ctx, obj, opts...)
}

// specEqual compares everything but metadata.
func specEqual(a, b *unstructured.Unstructured) bool {
	for k, v := range a.Object {
		if k != "metadata" && !equality.Semantic.DeepEqual(v, b.Object[k]) {
			return false
		}
	}
	for k := range b.Object {
		if _, ok := a.Object[k]; !ok && k != "metadata" {
			return false
		}
	}
	return true
}

// GetReadOnly implements engine.ReadOnlyGetter over the wrapped client.
func (s *stampingClient) GetReadOnly(ctx context.Context, key client.ObjectKey, obj client.Object) (client.Object, error) {
	return engine.GetReadOnly(ctx, s.Client, key, obj)
}

// ListReadOnly implements engine.ReadOnlyLister over the wrapped client.
func (s *stampingClient) ListReadOnly(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return engine.ListReadOnly(ctx, s.Client, list, opts...)
}

// uid is fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(seed), serial),
// without fmt: one per object created.
func uid(seed int64, serial uint64) types.UID {
	b := make([]byte, 0, 36)
	b = appendHex(b, uint64(uint32(seed)), 8)
	b = append(b, "-0000-4000-8000-"...)
	b = appendHex(b, serial, 12)
	return types.UID(b)
}

// appendHex appends v in lower-case hex, zero-padded to width digits.
func appendHex(b []byte, v uint64, width int) []byte {
	var digits [16]byte
	d := strconv.AppendUint(digits[:0], v, 16)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}
