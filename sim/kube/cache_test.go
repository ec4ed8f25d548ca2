package kube

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A peeked object is the cache's own; writing a shallow copy with a new status
// (as the world does) leaves it as it was, and later reads see the write.
func TestPeekSharesAndStatusWriteCopies(t *testing.T) {
	c, err := newMemoryClient()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	replicas := int32(3)
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "rs", Labels: map[string]string{"app": "a"}},
		Spec:       appsv1.ReplicaSetSpec{Replicas: &replicas},
	}
	if err := c.Create(ctx, rs); err != nil {
		t.Fatal(err)
	}
	key := types.NamespacedName{Namespace: "ns", Name: "rs"}
	a, err := Peek(ctx, c, key, &appsv1.ReplicaSet{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Peek(ctx, c, key, &appsv1.ReplicaSet{})
	if a != b {
		t.Fatal("Peek copied the cached object")
	}
	next := *a.(*appsv1.ReplicaSet)
	next.Status = appsv1.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 2}
	if err := c.Status().Update(ctx, &next); err != nil {
		t.Fatal(err)
	}
	if got := a.(*appsv1.ReplicaSet); got.Status.Replicas != 0 || got.ResourceVersion == next.ResourceVersion {
		t.Fatalf("the write changed the peeked object: %+v", got.Status)
	}
	var after appsv1.ReplicaSet
	if err := c.Get(ctx, key, &after); err != nil {
		t.Fatal(err)
	}
	if after.Status.ReadyReplicas != 2 || after.ResourceVersion != next.ResourceVersion || after.Labels["app"] != "a" {
		t.Fatalf("after the write: %+v", after)
	}
}

// Lists return one kind, sorted by namespace and name, filtered by namespace
// and label selector, whatever the order of creation and deletion.
func TestListIndexedByKind(t *testing.T) {
	c, err := newMemoryClient()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, n := range []struct{ ns, name, app string }{{"b", "x", "a"}, {"a", "z", "a"}, {"a", "y", "b"}, {"a", "w", "a"}} {
		if err := c.Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: n.ns, Name: n.name, Labels: map[string]string{"app": n.app}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Delete(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "w"}}); err != nil {
		t.Fatal(err)
	}
	names := func(opts ...client.ListOption) []string {
		var l appsv1.ReplicaSetList
		if err := c.List(ctx, &l, opts...); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, rs := range l.Items {
			if rs.Kind != "ReplicaSet" || rs.APIVersion != "apps/v1" {
				t.Errorf("item %s: kind %q %q", rs.Name, rs.APIVersion, rs.Kind)
			}
			out = append(out, rs.Namespace+"/"+rs.Name)
		}
		return out
	}
	if got := names(); !slices.Equal(got, []string{"a/y", "a/z", "b/x"}) {
		t.Errorf("all: %v", got)
	}
	if got := names(client.InNamespace("a"), client.MatchingLabels{"app": "a"}); !slices.Equal(got, []string{"a/z"}) {
		t.Errorf("a, app=a: %v", got)
	}
	var deps appsv1.DeploymentList
	if err := c.List(ctx, &deps); err != nil || len(deps.Items) != 0 {
		t.Errorf("deployments: %v %v", deps.Items, err)
	}
}

// The in-memory Create and Delete answer as the fake client does.
func TestCreateDeleteInMemoryAsFakeClient(t *testing.T) {
	ctx := context.Background()
	run := func(c client.Client) (created *appsv1.ReplicaSet, errs []string) {
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "rs", Labels: map[string]string{"a": "b"}}}
		note := func(err error) {
			if err == nil {
				errs = append(errs, "")
				return
			}
			errs = append(errs, fmt.Sprintf("%T %v %v", err, apierrors.ReasonForError(err), err))
		}
		note(c.Create(ctx, rs))
		created = rs.DeepCopy()
		note(c.Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "rs"}}))
		note(c.Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "x", ResourceVersion: "3"}}))
		note(c.Delete(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "rs"}}))
		note(c.Delete(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "rs"}}))
		var l appsv1.ReplicaSetList
		note(c.List(ctx, &l))
		errs = append(errs, fmt.Sprint(len(l.Items)))
		return created, errs
	}
	mem, err := newMemoryClient()
	if err != nil {
		t.Fatal(err)
	}
	viaFake := *mem.(*informerCache)
	viaFake.objects, viaFake.byKind, viaFake.types = map[objectKey]client.Object{}, map[schema.GroupVersionKind]*kindIndex{}, map[reflect.Type]*kindIndex{}
	viaFake.skipTracker = false
	gotRS, got := run(mem)
	wantRS, want := run(&viaFake)
	if !slices.Equal(got, want) {
		t.Errorf("in memory:\n%q\nfake client:\n%q", got, want)
	}
	if !equality.Semantic.DeepEqual(gotRS, wantRS) {
		t.Errorf("created in memory %+v %+v\nthrough the fake client %+v %+v", gotRS.TypeMeta, gotRS.ObjectMeta, wantRS.TypeMeta, wantRS.ObjectMeta)
	}
}
