package kube

import (
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	clienttesting "k8s.io/client-go/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/rollsim/rollsim/engine/api/thirdparty"
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
	for _, gvk := range thirdparty.GVKs() {
		m.Add(gvk, meta.RESTScopeNamespace)
	}
	backendMapper = m
}

// Serves reports whether the backends store obj: the kinds of the scheme
// (typed) and the traffic routers' custom resources (unstructured). Other
// manifests of a scenario (ServiceAccounts, HPAs, other tools' resources) are
// kept by the loader but never reach the API server: nothing in the
// simulation reads them.
func Serves(obj client.Object) bool {
	backendOnce.Do(buildBackend)
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return thirdparty.Served(u.GroupVersionKind())
	}
	return backendErr == nil
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
	cache.skipTracker = true
	return cache, nil
}
