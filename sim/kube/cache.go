package kube

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttesting "k8s.io/client-go/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// informerCache plays the informers' part: controllers read from a local, typed copy
// of every object (as the real controllers read from listers) while writes go to the
// API server. Since the simulation is the only writer, the cache is updated on each
// successful write and is never stale. Reading typed copies avoids the fake client's
// JSON round trip on every Get and List.
type informerCache struct {
	client.Client
	scheme  *runtime.Scheme
	mapper  meta.RESTMapper
	objects map[objectKey]client.Object
	// byKind indexes the keys of each kind's objects: a List reads only its
	// kind, in the order it returns them (kindIndex).
	byKind map[schema.GroupVersionKind]*kindIndex
	// types memoizes the kind of each typed object type (key's lookup in the
	// scheme showed in profiles).
	types map[reflect.Type]*kindIndex
	// tracker, when set, is the object store under the in-memory fake client:
	// updates are written to it directly, typed, with the API server's
	// resourceVersion and status-subresource rules applied here. Going through the
	// fake client costs several JSON round trips per write and dominated long runs.
	tracker clienttesting.ObjectTracker
	// skipTracker: updates go to the cache only. The in-memory backend reads
	// nothing back from the tracker after a create (the cache answers every
	// read), so keeping it current would only cost copies.
	skipTracker bool
	// snapshots, in tests only (checkShared), holds a deep copy of every cached
	// object, taken when it was stored: the cache checks that nobody changed the
	// object it handed out for reading before it replaces or forgets it.
	snapshots map[objectKey]client.Object
	status    *cacheStatusWriter
}

// objectKey names a cached object; its kind is a pointer, which hashes
// faster than a GroupVersionKind's strings.
type objectKey struct {
	kind            *kindIndex
	namespace, name string
}

func newInformerCache(c client.Client, scheme *runtime.Scheme, mapper meta.RESTMapper) *informerCache {
	ic := &informerCache{Client: c, scheme: scheme, mapper: mapper, objects: map[objectKey]client.Object{},
		byKind: map[schema.GroupVersionKind]*kindIndex{}, types: map[reflect.Type]*kindIndex{}}
	if checkShared {
		ic.snapshots = map[objectKey]client.Object{}
		sharedMu.Lock()
		sharedCaches = append(sharedCaches, ic)
		sharedMu.Unlock()
	}
	return ic
}

func (c *informerCache) get(k objectKey) (client.Object, bool) {
	o, ok := c.objects[k]
	return o, ok
}

func (c *informerCache) key(obj client.Object) (objectKey, error) {
	x, err := c.kindOf(obj)
	if err != nil {
		return objectKey{}, err
	}
	return objectKey{x, obj.GetNamespace(), obj.GetName()}, nil
}

// kindOf is the index of obj's kind (apiutil.GVKForObject), remembered for
// the types the scheme maps to one kind (not unstructured or partial
// objects: they carry their kind).
func (c *informerCache) kindOf(obj runtime.Object) (*kindIndex, error) {
	t := reflect.TypeOf(obj)
	if x, ok := c.types[t]; ok {
		return x, nil
	}
	gvk, err := apiutil.GVKForObject(obj, c.scheme)
	if err != nil {
		return nil, err
	}
	x := c.index(gvk)
	switch obj.(type) {
	case runtime.Unstructured, *metav1.PartialObjectMetadata, *metav1.PartialObjectMetadataList:
		return x, nil
	}
	if gvks, unversioned, err := c.scheme.ObjectKinds(obj); err == nil && !unversioned && len(gvks) == 1 {
		c.types[t] = x
	}
	return x, nil
}

// builtinStatus: kinds whose status subresource the fake client emulates itself.
func builtinStatus(obj client.Object) bool {
	switch obj.(type) {
	case *appsv1.ReplicaSet, *corev1.Pod, *appsv1.Deployment:
		return true
	}
	return false
}

// copyInto deep-copies src into dst (of the same type): in place for the kinds
// the controllers read most, through a new object otherwise.
func copyInto(dst, src client.Object) {
	switch s := src.(type) {
	case *v1alpha1.Rollout:
		s.DeepCopyInto(dst.(*v1alpha1.Rollout))
	case *v1alpha1.AnalysisRun:
		s.DeepCopyInto(dst.(*v1alpha1.AnalysisRun))
	case *v1alpha1.Experiment:
		s.DeepCopyInto(dst.(*v1alpha1.Experiment))
	case *appsv1.ReplicaSet:
		s.DeepCopyInto(dst.(*appsv1.ReplicaSet))
	case *corev1.Pod:
		s.DeepCopyInto(dst.(*corev1.Pod))
	default:
		reflect.ValueOf(dst).Elem().Set(reflect.ValueOf(src.DeepCopyObject()).Elem())
	}
}

// setItems fills list's items with deep copies of objs (all of its item
// kind), without an object per item for the kinds the controllers list.
func setItems(list client.ObjectList, gvk schema.GroupVersionKind, objs []client.Object) error {
	switch l := list.(type) {
	case *appsv1.ReplicaSetList:
		l.Items = fill(l.Items, objs, gvk, func(o client.Object, into *appsv1.ReplicaSet) { o.(*appsv1.ReplicaSet).DeepCopyInto(into) })
	case *v1alpha1.AnalysisRunList:
		l.Items = fill(l.Items, objs, gvk, func(o client.Object, into *v1alpha1.AnalysisRun) { o.(*v1alpha1.AnalysisRun).DeepCopyInto(into) })
	case *v1alpha1.ExperimentList:
		l.Items = fill(l.Items, objs, gvk, func(o client.Object, into *v1alpha1.Experiment) { o.(*v1alpha1.Experiment).DeepCopyInto(into) })
	case *corev1.PodList:
		l.Items = fill(l.Items, objs, gvk, func(o client.Object, into *corev1.Pod) { o.(*corev1.Pod).DeepCopyInto(into) })
	default:
		items := make([]runtime.Object, 0, len(objs))
		for _, o := range objs {
			cp := o.DeepCopyObject()
			cp.GetObjectKind().SetGroupVersionKind(gvk)
			items = append(items, cp)
		}
		return meta.SetList(list, items)
	}
	return nil
}

// fill is a list's items: copies of objs with their kind set. A List returns a
// non-nil slice, empty or not.
func fill[T any, PT interface {
	*T
	SetGroupVersionKind(schema.GroupVersionKind)
}](dst []T, objs []client.Object, gvk schema.GroupVersionKind, deepCopyInto func(client.Object, *T)) []T {
	// dst's memory is reused, as a decoder reuses a list's: a caller must
	// not keep items of a list it lists into again.
	items := slices.Grow(dst[:0], len(objs))[:len(objs)]
	for i, o := range objs {
		deepCopyInto(o, &items[i])
		PT(&items[i]).SetGroupVersionKind(gvk)
	}
	return items
}

func (c *informerCache) notFound(k objectKey) error {
	return apierrors.NewNotFound(c.groupResource(k), k.name)
}

func (c *informerCache) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	obj.SetNamespace(key.Namespace)
	obj.SetName(key.Name)
	k, err := c.key(obj)
	if err != nil {
		return err
	}
	cached, ok := c.get(k)
	if !ok {
		return c.notFound(k)
	}
	copyInto(obj, cached)
	obj.GetObjectKind().SetGroupVersionKind(k.kind.gvk)
	return nil
}

func (c *informerCache) List(_ context.Context, list client.ObjectList, opts ...client.ListOption) error {
	gvk, objs, err := c.selectList(list, opts)
	if err != nil {
		return err
	}
	return setItems(list, gvk, objs)
}

// ListReadOnly implements engine.ReadOnlyLister: the items are shallow copies
// of the cached objects (see engine.ListReadOnly).
func (c *informerCache) ListReadOnly(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if c.tracker == nil {
		return c.List(ctx, list, opts...)
	}
	gvk, objs, err := c.selectList(list, opts)
	if err != nil {
		return err
	}
	switch l := list.(type) {
	case *appsv1.ReplicaSetList:
		l.Items = fill(l.Items, objs, gvk, func(o client.Object, into *appsv1.ReplicaSet) { *into = *o.(*appsv1.ReplicaSet) })
	case *v1alpha1.AnalysisRunList:
		l.Items = fill(l.Items, objs, gvk, func(o client.Object, into *v1alpha1.AnalysisRun) { *into = *o.(*v1alpha1.AnalysisRun) })
	case *v1alpha1.ExperimentList:
		l.Items = fill(l.Items, objs, gvk, func(o client.Object, into *v1alpha1.Experiment) { *into = *o.(*v1alpha1.Experiment) })
	case *corev1.PodList:
		l.Items = fill(l.Items, objs, gvk, func(o client.Object, into *corev1.Pod) { *into = *o.(*corev1.Pod) })
	default:
		return setItems(list, gvk, objs)
	}
	return nil
}

// selectList is the kind of list's items and the cached objects a List
// returns, in order.
func (c *informerCache) selectList(list client.ObjectList, opts []client.ListOption) (schema.GroupVersionKind, []client.Object, error) {
	lx, err := c.kindOf(list)
	if err != nil {
		return schema.GroupVersionKind{}, nil, err
	}
	gvk := lx.gvk
	if len(gvk.Kind) <= 4 || gvk.Kind[len(gvk.Kind)-4:] != "List" {
		return gvk, nil, fmt.Errorf("%T is not a list", list)
	}
	gvk.Kind = gvk.Kind[:len(gvk.Kind)-4]
	if lx.items == nil {
		lx.items = c.index(gvk)
	}
	lo := (&client.ListOptions{}).ApplyOptions(opts)
	var sel labels.Selector = labels.Everything()
	if lo.LabelSelector != nil {
		sel = lo.LabelSelector
	}
	var objs []client.Object
	for _, k := range c.sortedKeys(lx.items) {
		if lo.Namespace != "" && k.namespace != lo.Namespace {
			continue
		}
		o := c.objects[k]
		if !sel.Empty() && !sel.Matches(labels.Set(o.GetLabels())) {
			continue
		}
		objs = append(objs, o)
	}
	return gvk, objs, nil
}

func compareKeys(a, b objectKey) int {
	if c := strings.Compare(a.namespace, b.namespace); c != 0 {
		return c
	}
	return strings.Compare(a.name, b.name)
}

// put stores obj under k, indexing a new key.
func (c *informerCache) put(k objectKey, obj client.Object) {
	if c.snapshots != nil {
		c.checkUnchanged(k)
		c.snapshots[k] = obj.DeepCopyObject().(client.Object)
	}
	if _, ok := c.objects[k]; !ok {
		k.kind.add(k)
	}
	c.objects[k] = obj
}

// remove forgets the object under k.
func (c *informerCache) remove(k objectKey) {
	if _, ok := c.objects[k]; !ok {
		return
	}
	if c.snapshots != nil {
		c.checkUnchanged(k)
		delete(c.snapshots, k)
	}
	delete(c.objects, k)
	k.kind.removed = true
}

// kindIndex is one kind and the keys of its objects. Sorting them on each
// create and delete moved the whole index each time (pods come and go by
// hundreds); instead keys are appended and forgotten lazily, and sorted when
// listed.
type kindIndex struct {
	gvk schema.GroupVersionKind
	// items, for a list kind, is the index of its items' kind.
	items *kindIndex
	// keys holds every key of the kind, sorted by namespace and name unless
	// unsorted, and with keys since removed (or added again) if removed.
	keys     []objectKey
	unsorted bool
	removed  bool
}

func (x *kindIndex) add(k objectKey) {
	if n := len(x.keys); n > 0 && compareKeys(x.keys[n-1], k) >= 0 {
		x.unsorted = true
	}
	x.keys = append(x.keys, k)
}

func (c *informerCache) index(gvk schema.GroupVersionKind) *kindIndex {
	x := c.byKind[gvk]
	if x == nil {
		x = &kindIndex{gvk: gvk}
		c.byKind[gvk] = x
	}
	return x
}

// sortedKeys is the keys of x's objects, sorted by namespace and name.
func (c *informerCache) sortedKeys(x *kindIndex) []objectKey {
	if x.unsorted {
		slices.SortFunc(x.keys, compareKeys)
	}
	if x.unsorted || x.removed {
		keys := x.keys[:0]
		for i, k := range x.keys {
			if _, ok := c.objects[k]; ok && (i == 0 || compareKeys(x.keys[i-1], k) != 0) {
				keys = append(keys, k)
			}
		}
		clear(x.keys[len(keys):])
		x.keys = keys
	}
	x.unsorted, x.removed = false, false
	return x.keys
}

func (c *informerCache) store(obj client.Object) error {
	k, err := c.key(obj)
	if err != nil {
		return err
	}
	c.put(k, obj.DeepCopyObject().(client.Object))
	return nil
}

func (c *informerCache) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	opts, owned := withoutHandOver(opts)
	// Objects with finalizers go to the tracker as well: deleting them is the
	// fake client's business (see Delete).
	if c.skipTracker && len(opts) == 0 && obj.GetName() != "" && len(obj.GetFinalizers()) == 0 {
		return c.createInMemory(obj, owned)
	}
	if !owned {
		if err := c.Client.Create(ctx, obj, opts...); err != nil {
			return err
		}
		return c.store(obj)
	}
	// The answer is decoded into a copy: what obj shares stays as it was.
	cp := obj.DeepCopyObject().(client.Object)
	if err := c.Client.Create(ctx, cp, opts...); err != nil {
		return err
	}
	copyInto(obj, cp)
	k, err := c.key(cp)
	if err != nil {
		return err
	}
	c.put(k, cp)
	return nil
}

// createInMemory is the fake client's Create when the cache is the only store
// (skipTracker): the same checks, errors and result (resourceVersion "1", no
// deletionTimestamp, managed fields, apiVersion or kind), without the
// tracker's copies and conversions, which dominated runs with many pods.
func (c *informerCache) createInMemory(obj client.Object, owned bool) error {
	k, err := c.key(obj)
	if err != nil {
		return err
	}
	if obj.GetResourceVersion() != "" {
		return apierrors.NewBadRequest("resourceVersion can not be set for Create requests")
	}
	if _, ok := c.objects[k]; ok {
		return apierrors.NewAlreadyExists(c.groupResource(k), k.name)
	}
	obj.SetDeletionTimestamp(nil)
	obj.SetManagedFields(nil)
	obj.SetResourceVersion("1")
	// Typed objects come back without apiVersion and kind, as from a real
	// client; unstructured ones keep theirs (they are all they have).
	if _, ok := obj.(*unstructured.Unstructured); !ok {
		obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	}
	if owned {
		c.put(k, obj)
		return nil
	}
	return c.store(obj)
}

func (c *informerCache) groupResource(k objectKey) schema.GroupResource {
	if m, err := c.mapper.RESTMapping(k.kind.gvk.GroupKind(), k.kind.gvk.Version); err == nil {
		return m.Resource.GroupResource()
	}
	return schema.GroupResource{Group: k.kind.gvk.Group, Resource: k.kind.gvk.Kind}
}

func (c *informerCache) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	opts, owned := withoutHandOver(opts)
	if c.tracker != nil {
		return c.writeThrough(obj, false, owned)
	}
	if owned {
		// The answer is decoded into a copy: what obj shares stays as it was.
		cp := obj.DeepCopyObject().(client.Object)
		if err := c.Client.Update(ctx, cp, opts...); err != nil {
			return err
		}
		copyInto(obj, cp)
		return c.store(cp)
	}
	if err := c.Client.Update(ctx, obj, opts...); err != nil {
		return err
	}
	return c.store(obj)
}

// statusKinds have a status subresource: Update keeps .status, Status().Update
// changes only .status. (AnalysisRun and Experiment have none, as upstream: their
// controllers write whole objects.)
func statusKinds(obj client.Object) bool {
	switch obj.(type) {
	case *v1alpha1.Rollout, *appsv1.ReplicaSet, *corev1.Pod, *appsv1.Deployment, *batchv1.Job:
		return true
	}
	return false
}

// writeThrough is an update on the in-memory store: optimistic concurrency on the
// resourceVersion, the status-subresource rule, a new resourceVersion, typed copies.
func (c *informerCache) writeThrough(obj client.Object, statusOnly, owned bool) error {
	k, err := c.key(obj)
	if err != nil {
		return err
	}
	prev, ok := c.get(k)
	if !ok {
		return c.notFound(k)
	}
	if rv := obj.GetResourceVersion(); rv != "" && rv != prev.GetResourceVersion() {
		return apierrors.NewConflict(schema.GroupResource{Group: k.kind.gvk.Group, Resource: k.kind.gvk.Kind}, k.name,
			fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
	}
	// Cached objects are never changed in place (reads hand out deep copies),
	// so the new version may share what did not change with the old one: only
	// the caller's part is copied.
	var next client.Object
	switch {
	case statusOnly:
		next = withStatusOf(prev, obj, owned)
	case owned && !statusKinds(obj):
		next = obj // handed over (HandOver)
	default:
		next = obj.DeepCopyObject().(client.Object)
		if statusKinds(obj) {
			shareStatus(next, prev)
		}
	}
	n, _ := strconv.ParseUint(prev.GetResourceVersion(), 10, 64)
	rv := strconv.FormatUint(n+1, 10)
	next.SetResourceVersion(rv)
	if c.tracker != nil && !c.skipTracker {
		m, err := c.mapper.RESTMapping(k.kind.gvk.GroupKind(), k.kind.gvk.Version)
		if err != nil {
			return err
		}
		// The tracker keeps its own copy.
		if err := c.tracker.Update(m.Resource, next, k.namespace); err != nil {
			return err
		}
	}
	c.put(k, next)
	// The caller's object ends as the server returned it: its own content, the new
	// resourceVersion, and for a plain update of a kind with a status subresource,
	// the status the server kept.
	obj.SetResourceVersion(rv)
	if !statusOnly && statusKinds(obj) {
		keepStatus(obj, next)
	}
	return nil
}

// withStatusOf is a new object holding prev's fields (maps, slices and
// pointers shared) and a deep copy of obj's status, or obj's status itself
// when it is handed over: typed for the kinds whose status the simulation
// writes most, by reflection otherwise.
func withStatusOf(prev, obj client.Object, owned bool) client.Object {
	switch p := prev.(type) {
	case *appsv1.ReplicaSet:
		next := *p
		obj.(*appsv1.ReplicaSet).Status.DeepCopyInto(&next.Status)
		return &next
	case *corev1.Pod:
		next := *p
		if owned {
			next.Status = obj.(*corev1.Pod).Status
		} else {
			obj.(*corev1.Pod).Status.DeepCopyInto(&next.Status)
		}
		return &next
	case *v1alpha1.Rollout:
		next := *p
		obj.(*v1alpha1.Rollout).Status.DeepCopyInto(&next.Status)
		return &next
	}
	next := shallowCopy(prev)
	if owned {
		setStatus(next, statusOf(obj))
	} else {
		setStatus(next, deepStatus(obj))
	}
	return next
}

// shallowCopy is a new object holding obj's fields (maps, slices and pointers
// shared).
func shallowCopy(obj client.Object) client.Object {
	v := reflect.New(reflect.TypeOf(obj).Elem())
	v.Elem().Set(reflect.ValueOf(obj).Elem())
	return v.Interface().(client.Object)
}

// statusOf is obj's .status field (shared, not copied).
func statusOf(obj client.Object) reflect.Value {
	return reflect.ValueOf(obj).Elem().FieldByName("Status")
}

// deepStatus is a deep copy of obj's .status field.
func deepStatus(obj client.Object) reflect.Value {
	st := statusOf(obj)
	if dc := st.Addr().MethodByName("DeepCopy"); dc.IsValid() {
		return dc.Call(nil)[0].Elem()
	}
	return statusOf(obj.DeepCopyObject().(client.Object))
}

func setStatus(obj client.Object, st reflect.Value) { statusOf(obj).Set(st) }

// shareStatus sets next's status to prev's (shared, not copied).
func shareStatus(next, prev client.Object) {
	switch p := prev.(type) {
	case *appsv1.ReplicaSet:
		next.(*appsv1.ReplicaSet).Status = p.Status
	case *v1alpha1.Rollout:
		next.(*v1alpha1.Rollout).Status = p.Status
	default:
		setStatus(next, statusOf(prev))
	}
}

// keepStatus sets obj's status to a deep copy of stored's.
func keepStatus(obj, stored client.Object) {
	switch s := stored.(type) {
	case *appsv1.ReplicaSet:
		o := obj.(*appsv1.ReplicaSet)
		o.Status = appsv1.ReplicaSetStatus{}
		s.Status.DeepCopyInto(&o.Status)
	case *v1alpha1.Rollout:
		o := obj.(*v1alpha1.Rollout)
		o.Status = v1alpha1.RolloutStatus{}
		s.Status.DeepCopyInto(&o.Status)
	default:
		setStatus(obj, deepStatus(stored))
	}
}

func (c *informerCache) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	k, err := c.key(obj)
	if err != nil {
		return err
	}
	// In memory, an object without finalizers simply goes (what the fake client
	// does); one with finalizers gets the fake client's treatment.
	if prev, ok := c.objects[k]; c.skipTracker && len(opts) == 0 && (!ok || len(prev.GetFinalizers()) == 0) {
		if !ok {
			return c.notFound(k)
		}
		c.remove(k)
		return nil
	}
	if err := c.Client.Delete(ctx, obj, opts...); err != nil {
		return err
	}
	c.remove(k)
	return nil
}

// Patch is not used by the controllers; the patched object is re-read.
func (c *informerCache) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if err := c.Client.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	return c.store(obj)
}

func (c *informerCache) Status() client.SubResourceWriter {
	// One writer for all status writes: they hold no state.
	if c.status == nil {
		c.status = &cacheStatusWriter{SubResourceWriter: c.Client.Status(), c: c}
	}
	return c.status
}

type cacheStatusWriter struct {
	client.SubResourceWriter
	c *informerCache
}

// Update stores the cached object with the new status: only .status changed.
func (w *cacheStatusWriter) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	opts, owned := withoutHandOver(opts)
	if w.c.tracker != nil {
		return w.c.writeThrough(obj, true, owned)
	}
	if owned {
		// The answer is decoded into a copy: what obj shares stays as it was.
		cp := obj.DeepCopyObject().(client.Object)
		if err := w.Update(ctx, cp, opts...); err != nil {
			return err
		}
		copyInto(obj, cp)
		return nil
	}
	if err := w.SubResourceWriter.Update(ctx, obj, opts...); err != nil {
		return err
	}
	k, err := w.c.key(obj)
	if err != nil {
		return err
	}
	prev, ok := w.c.get(k)
	if !ok {
		return w.c.store(obj)
	}
	next := prev.DeepCopyObject().(client.Object)
	reflect.ValueOf(next).Elem().FieldByName("Status").Set(reflect.ValueOf(obj.DeepCopyObject()).Elem().FieldByName("Status"))
	next.SetResourceVersion(obj.GetResourceVersion())
	w.c.put(k, next)
	return nil
}

// Peek reads the object named key, of obj's type, for reading only: the
// in-memory backend returns its cached object itself (no copy), which the
// caller must not change, neither directly nor through a write (write a copy
// whose changed parts are its own, e.g. a shallow copy with a new status).
// Other clients fill obj, as Get does, and return it.
func Peek(ctx context.Context, c client.Client, key client.ObjectKey, obj client.Object) (client.Object, error) {
	return engine.GetReadOnly(ctx, c, key, obj)
}

// GetReadOnly implements engine.ReadOnlyGetter (see Peek).
func (c *informerCache) GetReadOnly(ctx context.Context, key client.ObjectKey, obj client.Object) (client.Object, error) {
	if c.tracker == nil {
		// A real API server's client decodes its answers into the objects it
		// writes: they must be the caller's own.
		if err := c.Get(ctx, key, obj); err != nil {
			return nil, err
		}
		return obj, nil
	}
	obj.SetNamespace(key.Namespace)
	obj.SetName(key.Name)
	k, err := c.key(obj)
	if err != nil {
		return nil, err
	}
	cached, ok := c.objects[k]
	if !ok {
		return nil, c.notFound(k)
	}
	return cached, nil
}

// checkShared, set by tests only, makes new caches keep snapshots of their
// objects; sharedChanges collects the objects found changed in place.
var (
	checkShared   bool
	sharedMu      sync.Mutex
	sharedCaches  []*informerCache
	sharedChanges []string
)

// checkUnchanged records the object under k if it no longer equals its
// snapshot: something changed an object the cache handed out read-only.
func (c *informerCache) checkUnchanged(k objectKey) {
	cur, ok := c.objects[k]
	if !ok {
		return
	}
	if snap := c.snapshots[k]; !equality.Semantic.DeepEqual(cur, snap) {
		sharedMu.Lock()
		defer sharedMu.Unlock()
		sharedChanges = append(sharedChanges, fmt.Sprintf("%s %s/%s changed in the cache:\nstored %+v\nnow    %+v", k.kind.gvk.Kind, k.namespace, k.name, snap, cur))
	}
}

// checkAll checks every cached object against its snapshot.
func (c *informerCache) checkAll() {
	for k := range c.snapshots {
		c.checkUnchanged(k)
	}
}
