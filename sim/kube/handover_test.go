package kube

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func handOverPod(labels map[string]string, containers []corev1.Container) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", Labels: labels},
		Spec:       corev1.PodSpec{Containers: containers},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
}

func readyStatus() corev1.PodStatus {
	return corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true}}}
}

// subSecond is a time that a JSON round trip (a server's answer) truncates.
var subSecond = metav1.NewTime(time.Unix(100, 5))

// In memory, a handed-over pod is cached as is, and a handed-over status
// becomes the cached object's.
func TestHandOverInMemoryKeepsObject(t *testing.T) {
	c, err := newMemoryClient()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pod := handOverPod(map[string]string{"app": "a"}, []corev1.Container{{Name: "app", Image: "i"}})
	if err := c.Create(ctx, pod, HandOver); err != nil {
		t.Fatal(err)
	}
	key := types.NamespacedName{Namespace: "ns", Name: "p"}
	cached, err := Peek(ctx, c, key, &corev1.Pod{})
	if err != nil || cached != pod || pod.ResourceVersion != "1" {
		t.Fatalf("cached %p (err %v), handed over %p, resourceVersion %q", cached, err, pod, pod.ResourceVersion)
	}
	next := *pod
	next.Status = readyStatus()
	if err := c.Status().Update(ctx, &next, HandOver); err != nil {
		t.Fatal(err)
	}
	cached, _ = Peek(ctx, c, key, &corev1.Pod{})
	got := cached.(*corev1.Pod)
	if &got.Status.ContainerStatuses[0] != &next.Status.ContainerStatuses[0] || got.ResourceVersion != "2" {
		t.Fatalf("status not handed over: %+v", got)
	}
	if pod.Status.Phase != corev1.PodPending {
		t.Fatalf("the update changed the previous version: %+v", pod.Status)
	}
}

// Elsewhere the answer is decoded into a copy: the parts a handed-over object
// shares stay as they were, and the object is filled as a write fills it.
func TestHandOverElsewhereWritesCopy(t *testing.T) {
	backendOnce.Do(buildBackend)
	f := fake.NewClientBuilder().WithScheme(backendScheme).WithRESTMapper(backendMapper).
		WithStatusSubresource(&corev1.Pod{}).Build()
	c := newInformerCache(decodingClient{f}, backendScheme, backendMapper)
	ctx := context.Background()
	labels := map[string]string{"app": "a"}
	containers := []corev1.Container{{Name: "app", Image: "i"}}
	created := subSecond
	pod := handOverPod(labels, containers)
	pod.Status.StartTime = &created
	if err := c.Create(ctx, pod, HandOver); err != nil {
		t.Fatal(err)
	}
	next := *pod
	status := readyStatus()
	started := subSecond
	status.StartTime = &started
	next.Status = status
	if err := c.Status().Update(ctx, &next, HandOver); err != nil {
		t.Fatal(err)
	}
	if pod.ResourceVersion == "" || next.ResourceVersion == pod.ResourceVersion {
		t.Fatalf("resourceVersions %q then %q", pod.ResourceVersion, next.ResourceVersion)
	}
	if !equality.Semantic.DeepEqual(labels, map[string]string{"app": "a"}) ||
		!equality.Semantic.DeepEqual(containers, []corev1.Container{{Name: "app", Image: "i"}}) ||
		!created.Equal(&subSecond) || !started.Equal(&subSecond) ||
		!equality.Semantic.DeepEqual(status.ContainerStatuses, readyStatus().ContainerStatuses) {
		t.Fatalf("shared parts changed: %v %+v %v %v %+v", labels, containers, created, started, status)
	}
	var got corev1.Pod
	if err := c.Get(ctx, client.ObjectKeyFromObject(pod), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status.Phase != corev1.PodRunning || got.ResourceVersion != next.ResourceVersion {
		t.Fatalf("cached %+v", got)
	}
}

// The shared-object check sees a handed-over object changed afterwards.
func TestHandOverChangeIsCaught(t *testing.T) {
	done := CheckShared()
	c, err := newMemoryClient()
	if err != nil {
		done()
		t.Fatal(err)
	}
	pod := handOverPod(map[string]string{"app": "a"}, nil)
	if err := c.Create(context.Background(), pod, HandOver); err != nil {
		done()
		t.Fatal(err)
	}
	pod.Labels["app"] = "b"
	if changes := done(); len(changes) != 1 {
		t.Fatalf("changes found: %q, want one", changes)
	}
}

// decodingClient answers as a real API server's client does: it decodes the
// server's JSON into the object written, reusing its maps, slices and
// pointers.
type decodingClient struct{ client.Client }

func decodeInto(obj client.Object, write func(client.Object) error) error {
	sent := obj.DeepCopyObject().(client.Object)
	if err := write(sent); err != nil {
		return err
	}
	data, err := json.Marshal(sent)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, obj)
}

func (c decodingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	return decodeInto(obj, func(o client.Object) error { return c.Client.Create(ctx, o, opts...) })
}

func (c decodingClient) Status() client.SubResourceWriter {
	return decodingStatus{c.Client.Status()}
}

type decodingStatus struct{ client.SubResourceWriter }

func (w decodingStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	return decodeInto(obj, func(o client.Object) error { return w.SubResourceWriter.Update(ctx, o, opts...) })
}
