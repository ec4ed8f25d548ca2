package kube

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine"
)

func TestReadsPods(t *testing.T) {
	unstructuredOf := func(gvk schema.GroupVersionKind) runtime.Object {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		return u
	}
	metadataList := &metav1.PartialObjectMetadataList{}
	metadataList.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("PodList"))
	for _, tc := range []struct {
		name string
		obj  runtime.Object
		want bool
	}{
		{"typed pod", &corev1.Pod{}, true},
		{"typed pod list", &corev1.PodList{}, true},
		{"unstructured pod", unstructuredOf(corev1.SchemeGroupVersion.WithKind("Pod")), true},
		{"unstructured pod list", &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "v1", "kind": "PodList"}}, true},
		{"metadata-only pod list", metadataList, true},
		{"typed ReplicaSet", &appsv1.ReplicaSet{}, false},
		{"unstructured Pod of another group", unstructuredOf(schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Pod"}), false},
		{"unstructured Deployment", unstructuredOf(appsv1.SchemeGroupVersion.WithKind("Deployment")), false},
	} {
		if got := ReadsPods(tc.obj); got != tc.want {
			t.Errorf("%s: ReadsPods %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The hook runs before every kind of read, with what is read into, and its
// error is the read's; writes do not run it.
func TestBeforeReads(t *testing.T) {
	base, err := newMemoryClient()
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	c := BeforeReads(base, func(_ context.Context, obj runtime.Object) error {
		switch obj.(type) {
		case *corev1.Pod:
			seen = append(seen, "pod")
		case *corev1.PodList:
			seen = append(seen, "list")
		}
		return nil
	})
	ctx := context.Background()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}}
	if err := c.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(pod)
	if err := c.Get(ctx, key, &corev1.Pod{}); err != nil {
		t.Fatal(err)
	}
	if err := c.List(ctx, &corev1.PodList{}); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.GetReadOnly(ctx, c, key, &corev1.Pod{}); err != nil {
		t.Fatal(err)
	}
	if err := engine.ListReadOnly(ctx, c, &corev1.PodList{}); err != nil {
		t.Fatal(err)
	}
	if got := len(seen); got != 4 || seen[0] != "pod" || seen[1] != "list" || seen[2] != "pod" || seen[3] != "list" {
		t.Errorf("hook saw %v, want [pod list pod list]", seen)
	}
	failing := BeforeReads(base, func(context.Context, runtime.Object) error { return context.Canceled })
	if err := failing.Get(ctx, key, &corev1.Pod{}); err != context.Canceled {
		t.Errorf("Get: %v, want the hook's error", err)
	}
	if err := failing.List(ctx, &corev1.PodList{}); err != context.Canceled {
		t.Errorf("List: %v, want the hook's error", err)
	}
}
