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
