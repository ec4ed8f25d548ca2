package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/sim/kube"
	"github.com/rollsim/rollsim/sim/scenario"
	"github.com/rollsim/rollsim/sim/traffic"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// world plays the parts of a cluster the Argo controllers rely on: the ReplicaSet
// controller (pods follow spec.replicas) and the kubelet (pods become Ready
// podReadyAfter after creation). It keeps its own view of pods so that traffic can be
// split without going through the API.
//
// The pods' API objects are written when someone could see them: before any
// read of pods (Get or List, by a controller, a provider or the result), the
// world writes what it has put off (flush), as the ReplicaSet controller and
// the kubelet would have written it, with the times and UIDs it would have
// had. A pod created and deleted between two reads is never written at all.
// Nothing but pods reads pods, so the controllers see the same API; at 300
// replicas the pod writes were most of a run's cost.
type world struct {
	// c is the client the world writes with; reads of pods by everyone else
	// go through flushBefore.
	c             client.Client
	clock         *virtualClock
	rng           *rand.Rand
	podReadyAfter time.Duration
	// pods per ReplicaSet name, in creation order.
	pods map[string][]*podState
	// enqueue asks the run loop to handle a key (a pod became Ready).
	enqueue func(key)
	// note reports a change in the number of available pods.
	note func(rs string, available, desired int32)
	// views is what podViews last returned, valid until a pod is created,
	// deleted or becomes Ready by the world (viewsStale). byName is the pods
	// views was built from, by name, and added the pods created since: the
	// views are rebuilt by a merge rather than a sort of every pod.
	views      []traffic.Pod
	viewsStale bool
	// viewsVersion counts the times views was built.
	viewsVersion uint64
	byName       []*podState
	added        []*podState
	spare        []*podState // the next byName's array
	// failures maps an image to the waiting reason of its never-ready containers.
	failures map[string]string
	// overLimit is invalid input: the scenario asks for more than a limit.
	overLimit func(field, format string, args ...any) error
	// names are the pod names handed out (podName).
	names map[string]bool
	// live counts the pods that exist, against maxLivePods.
	live int
	// deleting is set while the world deletes a pod itself (podGone ignores it).
	deleting bool
	// scratch is the pod markReady writes, victim the one the world deletes
	// (only its metadata is set): the writes keep nothing of them (a
	// handed-over status aside). peek is the pod Peek reads into on backends
	// that copy (its type names the kind).
	scratch, victim, peek corev1.Pod
	// lastReady is the Ready status markReady wrote last (readyParts), if
	// it can be shared.
	lastReady readyStatus
	// uid reserves the UID the API server gives the next object created:
	// a pod written later keeps the UID (and every object after it the
	// serial) it would have had.
	uid func() types.UID
	// due are the pods whose creation or Ready status is not written yet,
	// in the order they happened; eager writes each at once (tests).
	due   []*podState
	eager bool
}

// podDeleted is podGone for a pod just written, if the write deleted it (a
// pod written otherwise exists). The check reads the cache without a copy.
func (w *world) podDeleted(ctx context.Context, k types.NamespacedName) (string, bool) {
	if w.deleting || !kube.Deleting(w.c) {
		return "", false
	}
	if _, err := kube.Peek(ctx, w.c, k, &w.peek); !apierrors.IsNotFound(err) {
		return "", false
	}
	return w.podGone(k.Name)
}

// podGone forgets a pod someone else deleted (the rollout's pod restarter
// evicting it) and names its ReplicaSet, whose controller then replaces it.
func (w *world) podGone(name string) (string, bool) {
	if w.deleting {
		return "", false
	}
	for rs, pods := range w.pods {
		for i, p := range pods {
			if p.name == name {
				w.pods[rs] = append(pods[:i:i], pods[i+1:]...)
				w.live--
				p.deleted = true
				return rs, true
			}
		}
	}
	return "", false
}

// failure is the reason pods of this template never become Ready, or "".
func (w *world) failure(spec corev1.PodSpec) (string, string) {
	for _, c := range spec.Containers {
		if reason, ok := w.failures[c.Image]; ok {
			return c.Name, reason
		}
	}
	return "", ""
}

type podState struct {
	name    string
	rs      string
	hash    string
	created time.Time
	ready   bool
	// deleted: the pod is gone from pods (byName still lists it).
	deleted bool
	// Put off until flush: the pod's object, created with tmpl and uid
	// unless written, and its Ready status, from readyAt, unless
	// readyWritten. isDue: the pod is in world.due.
	tmpl                  *podTemplate
	uid                   types.UID
	readyAt               time.Time
	written, readyWritten bool
	isDue                 bool
}

// eagerPods makes worlds write pods at once rather than before reads (tests
// compare the two).
var eagerPods bool

// maxLivePods bounds the pods that exist at once: the rollout's replicas,
// surge and experiment pods.
const maxLivePods = 4 * scenario.MaxReplicas

// podNameChars are the characters Kubernetes uses for generated name suffixes.
const podNameChars = "bcdfghjklmnpqrstvwxz2456789"

// maxGeneratedBase is how much of a generateName the API server keeps: names
// are at most 63 characters, 5 of them the random suffix.
const maxGeneratedBase = 63 - 5

// podName names a new pod of ReplicaSet rs as the API server names objects
// created with generateName "<rs>-": the base cut to 58 characters, then five
// random characters. Where the API server would refuse a name already taken
// (and the ReplicaSet controller retry), rollsim draws again: names never
// collide, and stay deterministic for a seed. Names are never reused, as a
// deleted pod may still exist on a real API server.
func (w *world) podName(rs string) string {
	base := rs + "-"
	if len(base) > maxGeneratedBase {
		base = base[:maxGeneratedBase]
	}
	if w.names == nil {
		w.names = map[string]bool{}
	}
	var buf [maxGeneratedBase + 5]byte
	b := append(buf[:0], base...)
	for {
		b = b[:len(base)]
		for range 5 {
			b = append(b, podNameChars[w.rng.IntN(len(podNameChars))])
		}
		if !w.names[string(b)] { // (no copy of b for the lookup)
			name := string(b)
			w.names[name] = true
			return name
		}
	}
}

// syncReplicaSet makes the pods of a ReplicaSet match its spec and writes its status.
func (w *world) syncReplicaSet(ctx context.Context, k types.NamespacedName) error {
	// Read-only: the status write below goes through a copy.
	obj, err := kube.Peek(ctx, w.c, k, &appsv1.ReplicaSet{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	rs := obj.(*appsv1.ReplicaSet)
	want := int32(0)
	if rs.Spec.Replicas != nil {
		want = *rs.Spec.Replicas
	}
	pods := w.pods[rs.Name]
	now := w.clock.Now()
	// The pods created now become Ready together, podReadyAfter from now: one
	// event for all of them, so the ReplicaSet controller sees them at once (as
	// its informer would) rather than one status update per pod.
	var starting []*podState
	var tmpl *podTemplate
	for int32(len(pods)) < want {
		if w.live >= maxLivePods {
			return w.overLimit("spec.cluster", "the rollout runs more than %d pods at once, the limit (replicas, surge and experiments together)", maxLivePods)
		}
		w.live++
		if tmpl == nil {
			tmpl = w.podTemplate(ctx, rs)
		}
		p := &podState{name: w.podName(rs.Name), rs: rs.Name, hash: tmpl.hash, created: now, tmpl: tmpl, uid: w.uid()}
		pods = append(pods, p)
		w.added = append(w.added, p)
		w.viewsStale = true
		if container, reason := w.failure(rs.Spec.Template.Spec); reason != "" {
			// Rare: written at once.
			if err := w.createPod(ctx, p); err != nil {
				return err
			}
			if err := w.markFailing(ctx, rs.Namespace, p.name, container, reason); err != nil {
				return err
			}
			continue
		}
		w.putOff(p)
		starting = append(starting, p)
	}
	if len(starting) > 0 {
		ns, name := rs.Namespace, rs.Name
		w.clock.At(now.Add(w.podReadyAfter), workEvent, func() {
			w.becameReady(ns, name, starting)
		})
	}
	if w.eager {
		if err := w.flush(ctx); err != nil {
			return err
		}
	}
	pods, err = w.scaleDown(ctx, rs.Namespace, pods, want)
	if err != nil {
		return err
	}
	w.pods[rs.Name] = pods
	ready := int32(0)
	for _, p := range pods {
		if p.ready {
			ready++
		}
	}
	st := appsv1.ReplicaSetStatus{
		Replicas:             int32(len(pods)),
		FullyLabeledReplicas: int32(len(pods)),
		ReadyReplicas:        ready,
		AvailableReplicas:    ready,
		ObservedGeneration:   rs.Generation,
	}
	if !equality.Semantic.DeepEqual(rs.Status, st) {
		if st.AvailableReplicas != rs.Status.AvailableReplicas && w.note != nil {
			w.note(rs.Name, st.AvailableReplicas, want)
		}
		next := *rs // shares the cached metadata and spec, which the write only reads
		next.Status = st
		if err := w.c.Status().Update(ctx, &next); err != nil {
			return fmt.Errorf("updating ReplicaSet %s status: %w", rs.Name, err)
		}
	}
	return nil
}

// scaleDown deletes pods until want are left, as the ReplicaSet controller
// does, and returns those left.
func (w *world) scaleDown(ctx context.Context, namespace string, pods []*podState, want int32) ([]*podState, error) {
	notReady := 0 // spares the search below when every pod is Ready
	for _, p := range pods {
		if !p.ready {
			notReady++
		}
	}
	for int32(len(pods)) > want {
		// The ReplicaSet controller deletes not-ready pods first, then the newest.
		victim := len(pods) - 1
		for i := len(pods) - 1; notReady > 0 && i >= 0; i-- {
			if !pods[i].ready {
				victim = i
				notReady--
				break
			}
		}
		p := pods[victim]
		pods = append(pods[:victim], pods[victim+1:]...)
		w.live--
		p.deleted = true
		w.viewsStale = true
		if !p.written {
			continue // never written: nobody saw it
		}
		w.deleting = true
		w.victim.ObjectMeta = metav1.ObjectMeta{Namespace: namespace, Name: p.name}
		err := w.c.Delete(ctx, &w.victim)
		w.deleting = false
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, err
		}
	}
	return pods, nil
}

// The options of the world's handed-over writes, allocated once (a variadic
// argument escapes through the client interfaces).
var (
	handOverCreate = []client.CreateOption{kube.HandOver}
	handOverStatus = []client.SubResourceUpdateOption{kube.HandOver}
)

// podTemplate is what the pods a ReplicaSet sync creates have in common.
type podTemplate struct {
	rs   *appsv1.ReplicaSet
	hash string
	// labels and owners are shared by the pods (kube.HandOver).
	labels map[string]string
	owners []metav1.OwnerReference
}

func (w *world) podTemplate(ctx context.Context, rs *appsv1.ReplicaSet) *podTemplate {
	labels := rs.Spec.Template.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	return &podTemplate{rs: rs, hash: w.versionHash(ctx, rs), labels: labels,
		owners: []metav1.OwnerReference{*metav1.NewControllerRef(rs, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))}}
}

// createPod creates a pod of its template, as created at p.created. Its maps,
// slices and pointers are the ReplicaSet's and the template's: the pod is
// handed over, and nobody changes a cached object in place.
func (w *world) createPod(ctx context.Context, p *podState) error {
	t := p.tmpl
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:              p.name,
			Namespace:         t.rs.Namespace,
			UID:               p.uid,
			Labels:            t.labels,
			Annotations:       t.rs.Spec.Template.Annotations,
			CreationTimestamp: engine.Time(p.created),
			OwnerReferences:   t.owners,
		},
		Spec: t.rs.Spec.Template.Spec,
	}
	pod.Status.Phase = corev1.PodPending
	p.written = true
	return w.c.Create(ctx, pod, handOverCreate...)
}

// putOff adds p to the pods whose writes are due.
func (w *world) putOff(p *podState) {
	if !p.isDue {
		p.isDue = true
		w.due = append(w.due, p)
	}
}

// becameReady is the kubelet's report that pods of ReplicaSet rs started
// together are Ready: their status is due, and the ReplicaSet controller
// sees them (unless all of them are gone).
func (w *world) becameReady(ns, rs string, pods []*podState) {
	now := w.clock.Now()
	live := false
	for _, p := range pods {
		p.ready = true
		if !p.deleted {
			live = true
			p.readyAt = now
			w.putOff(p)
		}
	}
	w.viewsStale = true
	if live {
		w.enqueue(key{kind: kindReplicaSet, NamespacedName: types.NamespacedName{Namespace: ns, Name: rs}})
	}
	if w.eager {
		if err := w.flush(context.Background()); err != nil {
			panic(err) // tests only
		}
	}
}

// flush writes the pods' creations and Ready statuses put off so far, in
// the order they happened, skipping pods deleted since.
func (w *world) flush(ctx context.Context) error {
	for i, p := range w.due {
		w.due[i] = nil
		p.isDue = false
		if p.deleted {
			continue
		}
		if !p.written {
			if err := w.createPod(ctx, p); err != nil {
				w.due = w.due[i+1:]
				return err
			}
		}
		if p.ready && !p.readyWritten {
			if err := w.markReady(ctx, p); err != nil {
				w.due = w.due[i+1:]
				return err
			}
		}
	}
	w.due = w.due[:0]
	return nil
}

// detach leaves the world only what flush needs once its run is over,
// writing with c: nothing of the run (its clock and queue, its
// notifications) is kept.
func (w *world) detach(c client.Client) {
	w.c, w.clock, w.enqueue, w.note, w.overLimit, w.uid = c, nil, nil, nil, nil, nil
	w.views, w.byName, w.added, w.spare, w.names = nil, nil, nil, nil, nil
}

// flushBefore is the read hook of everyone else's client: a read of pods
// sees every pod write put off so far.
func (w *world) flushBefore(ctx context.Context, obj runtime.Object) error {
	if len(w.due) == 0 || !kube.ReadsPods(obj) {
		return nil
	}
	return w.flush(ctx)
}

// versionHash is the pod-template hash of the rollout revision a ReplicaSet's pods
// run: its own, or for an experiment's ReplicaSet the one of the stable or canary
// ReplicaSet the template was copied from (traffic treats them alike).
func (w *world) versionHash(ctx context.Context, rs *appsv1.ReplicaSet) string {
	hash := rs.Labels["rollouts-pod-template-hash"]
	ref := metav1.GetControllerOf(rs)
	if ref == nil || ref.Kind != "Experiment" {
		return hash
	}
	var ex v1alpha1.Experiment
	if err := w.c.Get(ctx, types.NamespacedName{Namespace: rs.Namespace, Name: ref.Name}, &ex); err != nil {
		return hash
	}
	for _, t := range ex.Spec.Templates {
		if t.Name == rs.Annotations["experiment.argoproj.io/template-name"] {
			if h := t.Template.Labels["rollouts-pod-template-hash"]; h != "" {
				return h
			}
		}
	}
	return hash
}

// markFailing writes the status of a pod whose container never starts properly.
func (w *world) markFailing(ctx context.Context, namespace, name, container, reason string) error {
	var pod corev1.Pod
	if err := w.c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &pod); err != nil {
		return err
	}
	pod.Status.Phase = corev1.PodRunning
	if reason == "ErrImagePull" || reason == "ImagePullBackOff" || reason == "InvalidImageName" {
		pod.Status.Phase = corev1.PodPending
	}
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady"}}
	for _, c := range pod.Spec.Containers {
		cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image}
		if c.Name == container {
			cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: reason}
		} else {
			cs.Ready = true
		}
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, cs)
	}
	return w.c.Status().Update(ctx, &pod)
}

// markReady writes a pod's Running/Ready status as the kubelet would have
// at p.readyAt.
func (w *world) markReady(ctx context.Context, p *podState) error {
	p.readyWritten = true
	k := types.NamespacedName{Namespace: p.tmpl.rs.Namespace, Name: p.name}
	obj, err := kube.Peek(ctx, w.c, k, &w.peek)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	// The cached object is shared, status included (the write hands over a
	// status whose changed fields are new, and nobody changes it in place).
	// The pod written is the world's scratch: the write keeps only its status.
	pod := &w.scratch
	*pod = *obj.(*corev1.Pod)
	pod.Status.Phase = corev1.PodRunning
	r := w.readyParts(pod.Spec.Containers, pod.Status.ContainerStatuses, p.readyAt)
	pod.Status.StartTime, pod.Status.Conditions, pod.Status.ContainerStatuses = r.start, r.conditions, r.statuses
	return w.c.Status().Update(ctx, pod, handOverStatus...)
}

// readyStatus is what markReady sets in a Ready pod's status: StartTime,
// Conditions and ContainerStatuses.
type readyStatus struct {
	at         time.Time
	containers []corev1.Container
	start      *metav1.Time
	conditions []corev1.PodCondition
	statuses   []corev1.ContainerStatus
}

// readyParts is the Ready status of a pod with these containers and
// container statuses, Ready at at. Pods that become Ready together, with the
// same containers (their template's) and none before, share one: it is
// handed over and nobody changes it.
func (w *world) readyParts(containers []corev1.Container, prev []corev1.ContainerStatus, at time.Time) readyStatus {
	now := engine.Time(at)
	if r := w.lastReady; r.start != nil && len(prev) == 0 && r.at.Equal(now.Time) && sameSlice(r.containers, containers) {
		return r
	}
	statuses := prev // nil or empty if there is nothing to append, as before
	if len(prev)+len(containers) > 0 {
		statuses = make([]corev1.ContainerStatus, len(prev), len(prev)+len(containers))
		copy(statuses, prev)
	}
	for _, c := range containers {
		statuses = append(statuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, Ready: true,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	start := now // escapes: only when not shared
	r := readyStatus{at: now.Time, containers: containers, start: &start, statuses: statuses,
		conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}}
	w.lastReady = readyStatus{}
	if len(prev) == 0 {
		w.lastReady = r
	}
	return r
}

// sameSlice: a and b are the same slice (elements and length).
func sameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// readyPods counts Ready pods per pod-template hash, in a stable order.
func (w *world) readyPods() []hashCount {
	counts := map[string]int{}
	for _, pods := range w.pods {
		for _, p := range pods {
			if p.ready {
				counts[p.hash]++
			}
		}
	}
	out := make([]hashCount, 0, len(counts))
	for h, n := range counts {
		out = append(out, hashCount{h, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].hash < out[j].hash })
	return out
}

type hashCount struct {
	hash string
	n    int
}

// podViews lists every pod of the world (Ready or not) by name. The slice is
// the world's: read it before the next call.
func (w *world) podViews() []traffic.Pod {
	if w.views != nil && !w.viewsStale {
		return w.views
	}
	w.views, w.viewsStale = w.sortedPodViews(w.views[:0]), false
	w.viewsVersion++
	return w.views
}

// sortedPodViews appends the views of every pod to buf, sorted by name:
// byName and the pods added since, merged, without the deleted ones.
func (w *world) sortedPodViews(buf []traffic.Pod) []traffic.Pod {
	byName := func(a, b *podState) int { return strings.Compare(a.name, b.name) }
	slices.SortFunc(w.added, byName)
	old, added := w.byName, w.added
	merged := slices.Grow(w.spare[:0], len(old)+len(added))
	for len(old) > 0 || len(added) > 0 {
		var p *podState
		if len(added) == 0 || len(old) > 0 && byName(old[0], added[0]) < 0 {
			p, old = old[0], old[1:]
		} else {
			p, added = added[0], added[1:]
		}
		if !p.deleted {
			merged = append(merged, p)
			buf = append(buf, traffic.Pod{Name: p.name, Hash: p.hash, Ready: p.ready})
		}
	}
	clear(w.added)
	clear(w.byName)
	w.byName, w.spare, w.added = merged, w.byName[:0], w.added[:0]
	return buf
}
