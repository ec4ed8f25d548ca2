package kube

import (
	"context"

	"github.com/rollsim/rollsim/engine"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// BeforeReads wraps c so that hook runs before every read (Get, List and
// their read-only forms) with the object or list read into; an error from
// hook is the read's. Writes go straight to c.
func BeforeReads(c client.Client, hook func(ctx context.Context, obj runtime.Object) error) client.Client {
	return &hookedClient{Client: c, hook: hook}
}

type hookedClient struct {
	client.Client
	hook func(ctx context.Context, obj runtime.Object) error
}

func (h *hookedClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if err := h.hook(ctx, obj); err != nil {
		return err
	}
	return h.Client.Get(ctx, key, obj, opts...)
}

func (h *hookedClient) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if err := h.hook(ctx, list); err != nil {
		return err
	}
	return h.Client.List(ctx, list, opts...)
}

// GetReadOnly implements engine.ReadOnlyGetter over the wrapped client.
func (h *hookedClient) GetReadOnly(ctx context.Context, key client.ObjectKey, obj client.Object) (client.Object, error) {
	if err := h.hook(ctx, obj); err != nil {
		return nil, err
	}
	return engine.GetReadOnly(ctx, h.Client, key, obj)
}

// ListReadOnly implements engine.ReadOnlyLister over the wrapped client.
func (h *hookedClient) ListReadOnly(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if err := h.hook(ctx, list); err != nil {
		return err
	}
	return engine.ListReadOnly(ctx, h.Client, list, opts...)
}

// ReadsPods reports whether a read into obj reads pods: a Pod or PodList,
// typed, unstructured or metadata only.
func ReadsPods(obj runtime.Object) bool {
	switch obj.(type) {
	case *corev1.Pod, *corev1.PodList:
		return true
	case runtime.Unstructured, *metav1.PartialObjectMetadata, *metav1.PartialObjectMetadataList:
		gvk := obj.GetObjectKind().GroupVersionKind()
		return gvk.Group == "" && (gvk.Kind == "Pod" || gvk.Kind == "PodList")
	}
	return false
}
