package kube

import (
	"context"

	"github.com/rollsim/rollsim/engine"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Watch wraps c so that every successful write is reported, as informers
// report them to the real controllers: created sees new objects, notify every
// write (creates included).
func Watch(c client.Client, notify, created func(obj client.Object)) client.Client {
	return &watchingClient{Client: c, notify: notify, created: created}
}

// watchingClient is what informers give the real controllers: every write is
// reported, so the run loop can wake whoever watches that kind of object.
type watchingClient struct {
	client.Client
	notify  func(obj client.Object)
	created func(obj client.Object)
	status  *watchingStatus
	// deleting is set while notify is told of a delete.
	deleting bool
}

// Deleting reports whether c, from Watch, is reporting a delete: notify can
// tell a delete from the other writes without reading the object back. It
// is true for other clients, which cannot tell.
func Deleting(c client.Client) bool {
	w, ok := c.(*watchingClient)
	return !ok || w.deleting
}

func (w *watchingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	if err := w.Client.Create(ctx, obj, opts...); err != nil {
		return err
	}
	if w.created != nil {
		w.created(obj)
	}
	w.notifyWrite(obj)
	return nil
}

func (w *watchingClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	if err := w.Client.Update(ctx, obj, opts...); err != nil {
		return err
	}
	w.notifyWrite(obj)
	return nil
}

// notifyWrite reports a write other than a delete, also when it happens while
// notify handles a delete.
func (w *watchingClient) notifyWrite(obj client.Object) {
	prev := w.deleting
	w.deleting = false
	w.notify(obj)
	w.deleting = prev
}

func (w *watchingClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if err := w.Client.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	w.notifyWrite(obj)
	return nil
}

func (w *watchingClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	if err := w.Client.Delete(ctx, obj, opts...); err != nil {
		return err
	}
	prev := w.deleting
	w.deleting = true
	w.notify(obj)
	w.deleting = prev
	return nil
}

func (w *watchingClient) Status() client.SubResourceWriter {
	// One writer for all status writes: they hold no state.
	if w.status == nil {
		w.status = &watchingStatus{SubResourceWriter: w.Client.Status(), w: w}
	}
	return w.status
}

type watchingStatus struct {
	client.SubResourceWriter
	w *watchingClient
}

func (w *watchingStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if err := w.SubResourceWriter.Update(ctx, obj, opts...); err != nil {
		return err
	}
	w.w.notifyWrite(obj)
	return nil
}

func (w *watchingStatus) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if err := w.SubResourceWriter.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	w.w.notifyWrite(obj)
	return nil
}

// GetReadOnly implements engine.ReadOnlyGetter over the wrapped client.
func (w *watchingClient) GetReadOnly(ctx context.Context, key client.ObjectKey, obj client.Object) (client.Object, error) {
	return engine.GetReadOnly(ctx, w.Client, key, obj)
}

// ListReadOnly implements engine.ReadOnlyLister over the wrapped client.
func (w *watchingClient) ListReadOnly(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return engine.ListReadOnly(ctx, w.Client, list, opts...)
}
