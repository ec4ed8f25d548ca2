package engine

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ReadOnlyGetter is a client whose reads can hand out a cached object itself
// rather than a copy (as informer listers do).
type ReadOnlyGetter interface {
	// GetReadOnly returns the object named key, of obj's type, which the caller
	// must not change, neither directly nor by writing it; obj may be filled
	// and returned instead.
	GetReadOnly(ctx context.Context, key client.ObjectKey, obj client.Object) (client.Object, error)
}

// GetReadOnly reads an object for reading only: without a copy where c can
// (ReadOnlyGetter), otherwise into obj as Get does. Write a copy whose changed
// parts are its own (a DeepCopy, or a shallow copy with a new status).
func GetReadOnly(ctx context.Context, c client.Client, key client.ObjectKey, obj client.Object) (client.Object, error) {
	if g, ok := c.(ReadOnlyGetter); ok {
		return g.GetReadOnly(ctx, key, obj)
	}
	if err := c.Get(ctx, key, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// ReadOnlyLister is a client whose lists can share a cached object's contents
// rather than copy them.
type ReadOnlyLister interface {
	// ListReadOnly fills list as List does, with items that are shallow copies
	// of the cached objects: each item's own fields are the caller's, but the
	// maps, slices and pointers they hold are shared and must not be changed in
	// place (replace them: a new map, a new slice, a new pointer).
	ListReadOnly(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error
}

// ListReadOnly lists for reading only: items sharing the cache's maps, slices
// and pointers where c can (ReadOnlyLister), otherwise a List. An item's
// top-level fields may be assigned (rs.Spec.Replicas = ptr.To(n)); anything
// reached through a map, slice or pointer is to be replaced, never changed in
// place (clone Annotations before setting one).
func ListReadOnly(ctx context.Context, c client.Client, list client.ObjectList, opts ...client.ListOption) error {
	if l, ok := c.(ReadOnlyLister); ok {
		return l.ListReadOnly(ctx, list, opts...)
	}
	return c.List(ctx, list, opts...)
}
