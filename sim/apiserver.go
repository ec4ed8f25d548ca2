package sim

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	clienttesting "k8s.io/client-go/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// The in-memory API backend is controller-runtime's fake client over a plain object
// tracker. Its default tracker does server-side-apply bookkeeping and rebuilds a REST
// mapper on every write (~1 ms each); the plain tracker costs microseconds.
var (
	backendOnce   sync.Once
	backendScheme *runtime.Scheme
	backendMapper meta.RESTMapper
	backendErr    error
)

func buildBackend() {
	backendScheme, backendErr = v1alpha1.NewScheme()
	if backendErr != nil {
		return
	}
	m := meta.NewDefaultRESTMapper(nil)
	for gvk := range backendScheme.AllKnownTypes() {
		if strings.HasSuffix(gvk.Kind, "List") || gvk.Version == runtime.APIVersionInternal {
			continue
		}
		scope := meta.RESTScopeNamespace
		switch gvk.GroupKind() {
		case schema.GroupKind{Group: v1alpha1.GroupVersion.Group, Kind: "ClusterAnalysisTemplate"},
			schema.GroupKind{Kind: "Namespace"}, schema.GroupKind{Kind: "Node"}, schema.GroupKind{Kind: "PersistentVolume"}:
			scope = meta.RESTScopeRoot
		}
		m.Add(gvk, scope)
	}
	backendMapper = m
}

// newMemoryClient returns an empty in-memory API server.
func newMemoryClient() (client.Client, error) {
	backendOnce.Do(buildBackend)
	if backendErr != nil {
		return nil, backendErr
	}
	tracker := clienttesting.NewObjectTracker(backendScheme, serializer.NewCodecFactory(backendScheme).UniversalDecoder())
	c := fake.NewClientBuilder().
		WithScheme(backendScheme).
		WithRESTMapper(backendMapper).
		WithObjectTracker(tracker).
		Build()
	// The cache writes through to the tracker and applies the status-subresource
	// rules itself, for every kind.
	cache := newInformerCache(c, backendScheme, backendMapper)
	cache.tracker = tracker
	return cache, nil
}

// statusSubresource gives the in-memory backend the status subresource semantics of
// a real API server for the kinds that have one: Update leaves .status alone,
// Status().Update changes only .status. It does so on typed objects; the fake
// client's own emulation round-trips every write through JSON several times.
type statusSubresource struct {
	client.Client
}

// hasStatusSubresource: the argoproj kinds whose CRDs have one. (Built-in kinds
// such as ReplicaSet and Pod get the fake client's own emulation.)
func hasStatusSubresource(obj client.Object) bool {
	switch obj.(type) {
	case *v1alpha1.Rollout, *v1alpha1.Experiment:
		return true
	}
	return false
}

// statusField is obj's Status field, settable.
func statusField(obj client.Object) reflect.Value {
	return reflect.ValueOf(obj).Elem().FieldByName("Status")
}

func (s *statusSubresource) current(ctx context.Context, obj client.Object) (client.Object, error) {
	cur := obj.DeepCopyObject().(client.Object)
	if err := s.Client.Get(ctx, client.ObjectKeyFromObject(obj), cur); err != nil {
		return nil, err
	}
	return cur, nil
}

func (s *statusSubresource) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	if !hasStatusSubresource(obj) {
		return s.Client.Update(ctx, obj, opts...)
	}
	cur, err := s.current(ctx, obj)
	if err != nil {
		return err
	}
	statusField(obj).Set(statusField(cur))
	return s.Client.Update(ctx, obj, opts...)
}

func (s *statusSubresource) Status() client.SubResourceWriter { return &statusWriter{s} }

type statusWriter struct{ s *statusSubresource }

func (w *statusWriter) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if !hasStatusSubresource(obj) {
		return w.s.Client.Status().Update(ctx, obj, opts...)
	}
	cur, err := w.s.current(ctx, obj)
	if err != nil {
		return err
	}
	if cur.GetResourceVersion() != obj.GetResourceVersion() && obj.GetResourceVersion() != "" {
		return apierrors.NewConflict(schema.GroupResource{}, obj.GetName(), fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
	}
	statusField(cur).Set(statusField(obj))
	if err := w.s.Client.Update(ctx, cur); err != nil {
		return err
	}
	obj.SetResourceVersion(cur.GetResourceVersion())
	return nil
}

func (w *statusWriter) Create(context.Context, client.Object, client.Object, ...client.SubResourceCreateOption) error {
	return fmt.Errorf("status create is not supported")
}

func (w *statusWriter) Patch(context.Context, client.Object, client.Patch, ...client.SubResourcePatchOption) error {
	return fmt.Errorf("status patch is not supported by the in-memory backend")
}

func (w *statusWriter) Apply(context.Context, runtime.ApplyConfiguration, ...client.SubResourceApplyOption) error {
	return fmt.Errorf("status apply is not supported by the in-memory backend")
}
