// Package rollout is the Rollout controller for the canary strategy: it creates and
// scales ReplicaSets, walks the steps, starts step and background AnalysisRuns, and
// aborts or promotes on their outcome, writing status, conditions and events as the
// upstream controller does (rollout/canary.go, sync.go, analysis.go, pause.go).
package rollout

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Label and annotation keys the controller uses.
const (
	PodTemplateHashLabel = "rollouts-pod-template-hash"
	RevisionAnnotation   = "rollout.argoproj.io/revision"
	RolloutTypeLabel     = "rollout-type"
	StepIndexLabel       = "step-index"
)

// Reconciler is the Rollout controller.
type Reconciler struct {
	Client   client.Client
	Clock    clock.PassiveClock
	Recorder engine.Recorder
	Version  engine.Version

	// hashes memoizes the pod-template hash per rollout generation: it is a JSON
	// encoding of the whole template, needed on every reconcile.
	mu     sync.Mutex
	hashes map[hashKey]string
	// selectors memoizes the status' selector string the same way: parsing
	// the label selector was a third of a no-op reconcile's allocations.
	selectors map[hashKey]string
}

type hashKey struct {
	uid        types.UID
	generation int64
	collisions int32
	workload   string // the workloadRef's generation: its template is the Rollout's
}

func (r *Reconciler) templateHash(ro *v1alpha1.Rollout) string {
	k := hashKey{uid: ro.UID, generation: ro.Generation, workload: ro.Annotations[WorkloadGenerationAnnotation]}
	if ro.Status.CollisionCount != nil {
		k.collisions = *ro.Status.CollisionCount + 1
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if h, ok := r.hashes[k]; ok && ro.UID != "" {
		return h
	}
	h := PodTemplateHash(&ro.Spec.Template, ro.Status.CollisionCount)
	if r.hashes == nil || len(r.hashes) > 1024 {
		r.hashes = map[hashKey]string{}
	}
	r.hashes[k] = h
	return h
}

// selectorString is matchesSelector(ro).String(), once per rollout generation.
func (r *Reconciler) selectorString(ro *v1alpha1.Rollout) string {
	if ro.UID == "" {
		return matchesSelector(ro).String()
	}
	k := hashKey{uid: ro.UID, generation: ro.Generation, workload: ro.Annotations[WorkloadGenerationAnnotation]}
	r.mu.Lock()
	defer r.mu.Unlock()
	if sel, ok := r.selectors[k]; ok {
		return sel
	}
	sel := matchesSelector(ro).String()
	if r.selectors == nil || len(r.selectors) > 1024 {
		r.selectors = map[hashKey]string{}
	}
	r.selectors[k] = sel
	return sel
}

// state is what one reconcile works with (upstream rolloutContext).
type state struct {
	r         *Reconciler
	ro        *v1alpha1.Rollout
	allRSs    []*appsv1.ReplicaSet
	newRS     *appsv1.ReplicaSet
	stableRS  *appsv1.ReplicaSet
	otherRSs  []*appsv1.ReplicaSet // neither new nor stable
	runs      []*v1alpha1.AnalysisRun
	stepRun   *v1alpha1.AnalysisRun
	bgRun     *v1alpha1.AnalysisRun
	preRun    *v1alpha1.AnalysisRun
	postRun   *v1alpha1.AnalysisRun
	currentEx *v1alpha1.Experiment
	otherExs  []*v1alpha1.Experiment
	newStatus v1alpha1.RolloutStatus
	pause     pauseChanges
	requeue   time.Duration
	timedOut  bool
	// newRSWithinDelay: the new ReplicaSet carried an unexpired scale-down
	// deadline when the reconcile began (upstream newRolloutContext).
	newRSWithinDelay bool
	resolved         resolved // workloadref.go

	// Storage for what a reconcile reads, allocated with the state: the
	// Rollout ro points to, the
	// lists load fills and the namespace option they share.
	own     v1alpha1.Rollout
	rsList  appsv1.ReplicaSetList
	runList v1alpha1.AnalysisRunList
	exList  v1alpha1.ExperimentList
	inNS    []client.ListOption
}

// states are reconciles' states, reused: what load lists is the largest
// part of a reconcile's allocations. Nothing a reconcile reads or builds
// outlives it (writes copy, or hand over objects of their own), so the next
// one may fill the same lists.
var states = sync.Pool{New: func() any { return new(state) }}

// newState is a cleared state whose lists keep their memory.
func newState(r *Reconciler) *state {
	s := states.Get().(*state)
	*s = state{
		r:        r,
		allRSs:   s.allRSs[:0],
		otherRSs: s.otherRSs[:0],
		runs:     s.runs[:0],
		otherExs: s.otherExs[:0],
		rsList:   appsv1.ReplicaSetList{Items: s.rsList.Items[:0]},
		runList:  v1alpha1.AnalysisRunList{Items: s.runList.Items[:0]},
		exList:   v1alpha1.ExperimentList{Items: s.exList.Items[:0]},
	}
	return s
}

// AddedToInformer is what the controller does when a Rollout first appears in
// its informer cache (upstream NewController's AddFunc): an event.
func (r *Reconciler) AddedToInformer(ro *v1alpha1.Rollout) {
	if r.Recorder != nil {
		r.Recorder.Event(ro, engine.EventNormal, "RolloutAddedToInformer", fmt.Sprintf("Rollout resource added to informer: %s/%s", ro.Namespace, ro.Name))
	}
}

// Reconcile brings one Rollout a step closer to its desired state and returns
// when it wants to be looked at again (zero: when something changes).
func (r *Reconciler) Reconcile(ctx context.Context, key types.NamespacedName) (time.Duration, error) {
	// s.ro is the reconcile's own shallow copy: its fields are the
	// reconcile's to assign, what they point to is the cache's (see load). A
	// client without a read-only Get fills it directly.
	s := newState(r)
	defer states.Put(s)
	s.ro = &s.own
	cached, err := engine.GetReadOnly(ctx, r.Client, key, s.ro)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return 0, nil
		}
		return 0, err
	}
	if c := cached.(*v1alpha1.Rollout); c != s.ro {
		*s.ro = *c
	}
	ro := s.ro
	// As a Get sets it (constants: SetGroupVersionKind formats the apiVersion).
	ro.APIVersion, ro.Kind = rolloutAPIVersion, "Rollout"
	if err := s.resolveWorkloadRef(ctx); err != nil {
		return 0, err
	}
	if err := s.load(ctx); err != nil {
		return 0, err
	}
	if ro.Status.Abort && s.newRS != nil && ro.Status.StableRS != "" && ro.Status.StableRS == s.newRS.Labels[PodTemplateHashLabel] {
		// An abort of a fully promoted rollout is simply dropped (upstream
		// newRolloutContext: "Removing abort condition from fully promoted rollout").
		s.pause.removeAbort = true
	}
	stepAtStart, hashAtStart := ro.Status.CurrentStepIndex, ro.Status.CurrentPodHash
	if stepAtStart != nil {
		stepAtStart = ptr.To(*stepAtStart)
	}
	switch {
	case ro.Spec.Strategy.Canary != nil:
		err = s.canary(ctx)
	case ro.Spec.Strategy.BlueGreen != nil:
		err = s.blueGreen(ctx)
	default:
		err = fmt.Errorf("rollout %s: spec.strategy needs canary or blueGreen", ro.Name)
	}
	if err != nil {
		return 0, err
	}
	// What the controller writes outside the Rollout: Service selectors, then
	// the traffic routers' objects (services.go, routers.go).
	if err := s.syncServices(ctx); err != nil {
		return 0, err
	}
	if err := s.syncRouters(ctx, stepAtStart, hashAtStart); err != nil {
		return 0, err
	}
	if err := s.scaleDownWorkload(ctx); err != nil {
		return 0, err
	}
	return s.requeue, nil
}

func (s *state) now() metav1.Time {
	return engine.Now(s.r.Clock)
}

func (s *state) event(eventType, reason, message string) {
	if s.r.Recorder != nil {
		s.r.Recorder.Event(s.ro, eventType, reason, message)
	}
}

// requeueAt asks for a reconcile at t (the earliest request wins).
func (s *state) requeueAt(t time.Time) {
	d := t.Sub(s.r.Clock.Now())
	if d <= 0 {
		// Due now: this reconcile already acts on it.
		return
	}
	if s.requeue == 0 || d < s.requeue {
		s.requeue = d
	}
}

// load reads the ReplicaSets and AnalysisRuns the rollout owns, for reading
// only (engine.ListReadOnly): their maps, slices and pointers are the cache's,
// so a write replaces what it changes there (ownAnnotations) rather than
// changing it in place.
func (s *state) load(ctx context.Context) error {
	s.inNS = []client.ListOption{client.InNamespace(s.ro.Namespace)}
	rsList := &s.rsList
	if err := engine.ListReadOnly(ctx, s.r.Client, rsList, s.inNS...); err != nil {
		return err
	}
	s.allRSs = slices.Grow(s.allRSs[:0], len(rsList.Items))
	for i := range rsList.Items {
		rs := &rsList.Items[i]
		if owned(rs, s.ro) {
			s.allRSs = append(s.allRSs, rs)
		}
	}
	// Names are unique: any sort gives this order.
	slices.SortFunc(s.allRSs, func(a, b *appsv1.ReplicaSet) int { return strings.Compare(a.Name, b.Name) })
	hash := s.r.templateHash(s.ro)
	for _, rs := range s.allRSs {
		switch rs.Labels[PodTemplateHashLabel] {
		case hash:
			s.newRS = rs
		}
		if s.ro.Status.StableRS != "" && rs.Labels[PodTemplateHashLabel] == s.ro.Status.StableRS {
			s.stableRS = rs
		}
	}
	for _, rs := range s.allRSs {
		if rs != s.newRS && rs != s.stableRS {
			s.otherRSs = append(s.otherRSs, rs)
		}
	}

	runList := &s.runList
	if err := engine.ListReadOnly(ctx, s.r.Client, runList, s.inNS...); err != nil {
		return err
	}
	s.runs = slices.Grow(s.runs[:0], len(runList.Items))
	for i := range runList.Items {
		run := &runList.Items[i]
		if !owned(run, s.ro) {
			continue
		}
		s.runs = append(s.runs, run)
		c := s.ro.Status.Canary
		if c.CurrentStepAnalysisRunStatus != nil && c.CurrentStepAnalysisRunStatus.Name == run.Name {
			s.stepRun = run
		}
		if c.CurrentBackgroundAnalysisRunStatus != nil && c.CurrentBackgroundAnalysisRunStatus.Name == run.Name {
			s.bgRun = run
		}
		bg := s.ro.Status.BlueGreen
		if bg.PrePromotionAnalysisRunStatus != nil && bg.PrePromotionAnalysisRunStatus.Name == run.Name && run.Labels[PodTemplateHashLabel] == hash {
			s.preRun = run
		}
		if bg.PostPromotionAnalysisRunStatus != nil && bg.PostPromotionAnalysisRunStatus.Name == run.Name && run.Labels[PodTemplateHashLabel] == hash {
			s.postRun = run
		}
	}
	// s.newStatus is left for baseStatus, which both strategies call
	// before anything reads it.
	if s.newRS != nil {
		if _, passed, _ := scaleDownDeadlineOf(s.newRS, s.r.Clock.Now()); !passed {
			s.newRSWithinDelay = true
		}
	}
	return s.loadExperiments(ctx)
}

// rolloutAPIVersion is the apiVersion of a Rollout read with Get.
var rolloutAPIVersion = v1alpha1.GroupVersion.String()

// owned: ro is obj's controller (metav1.GetControllerOf's first controller
// reference, without its copy).
func owned(obj metav1.Object, ro *v1alpha1.Rollout) bool {
	refs := obj.GetOwnerReferences()
	for i := range refs {
		if c := refs[i].Controller; c != nil && *c {
			return refs[i].UID == ro.UID
		}
	}
	return false
}

func (s *state) controllerRef() metav1.OwnerReference {
	return *metav1.NewControllerRef(s.ro, v1alpha1.GroupVersion.WithKind("Rollout"))
}

func revisionOf(obj metav1.Object) int64 {
	n, _ := strconv.ParseInt(obj.GetAnnotations()[RevisionAnnotation], 10, 64)
	return n
}

func (s *state) revision() string { return s.ro.Annotations[RevisionAnnotation] }

// ensureNewRS creates the ReplicaSet for the current pod template, with zero
// replicas and the next revision, and stamps that revision on the Rollout.
func (s *state) ensureNewRS(ctx context.Context) error {
	if s.newRS == nil {
		var maxRev int64
		for _, rs := range s.allRSs {
			maxRev = max(maxRev, revisionOf(rs))
		}
		rev := strconv.FormatInt(maxRev+1, 10)
		hash := s.r.templateHash(s.ro)
		tpl := *s.ro.Spec.Template.DeepCopy()
		tpl.Labels = withLabel(tpl.Labels, PodTemplateHashLabel, hash)
		sel := s.ro.Spec.Selector.DeepCopy()
		if sel == nil {
			sel = &metav1.LabelSelector{}
		}
		sel.MatchLabels = withLabel(sel.MatchLabels, PodTemplateHashLabel, hash)
		rs := &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{
				Name:            s.ro.Name + "-" + hash,
				Namespace:       s.ro.Namespace,
				Labels:          tpl.Labels,
				Annotations:     map[string]string{RevisionAnnotation: rev},
				OwnerReferences: []metav1.OwnerReference{s.controllerRef()},
			},
			Spec: appsv1.ReplicaSetSpec{
				Replicas:        ptr.To[int32](0),
				MinReadySeconds: s.ro.Spec.MinReadySeconds,
				Selector:        sel,
				Template:        tpl,
			},
		}
		if err := s.r.Client.Create(ctx, rs); err != nil {
			return fmt.Errorf("creating ReplicaSet %s: %w", rs.Name, err)
		}
		s.newRS = rs
		s.allRSs = append(s.allRSs, rs)
		// The revision goes on the Rollout first (RolloutUpdated), then the
		// creation is announced (upstream createDesiredReplicaSet).
		if err := s.syncRolloutRevision(ctx); err != nil {
			return err
		}
		s.event(engine.EventNormal, "NewReplicaSetCreated", fmt.Sprintf("Created ReplicaSet %s (revision %s)", rs.Name, rev))
		return nil
	} else if err := s.syncReplicaSetRevision(ctx); err != nil {
		return err
	}
	return s.syncRolloutRevision(ctx)
}

// syncRolloutRevision stamps the new ReplicaSet's revision on the Rollout
// (upstream setRolloutRevision).
func (s *state) syncRolloutRevision(ctx context.Context) error {
	rev := s.newRS.Annotations[RevisionAnnotation]
	if s.ro.Annotations[RevisionAnnotation] != rev {
		ownAnnotations(&s.ro.ObjectMeta)
		s.ro.Annotations[RevisionAnnotation] = rev
		status := s.ro.Status.DeepCopy()
		if err := s.updateRollout(ctx); err != nil {
			return fmt.Errorf("updating Rollout revision: %w", err)
		}
		s.ro.Status = *status
		s.event(engine.EventNormal, "RolloutUpdated", fmt.Sprintf("Rollout updated to revision %s", rev))
	}
	return nil
}

// syncReplicaSetRevision gives a reused ReplicaSet (a rollback to an older
// template) the next revision number (upstream syncReplicaSetRevision).
func (s *state) syncReplicaSetRevision(ctx context.Context) error {
	var maxOld int64
	for _, rs := range s.allRSs {
		if rs.Name != s.newRS.Name {
			maxOld = max(maxOld, revisionOf(rs))
		}
	}
	if revisionOf(s.newRS) > maxOld {
		return nil
	}
	ownAnnotations(&s.newRS.ObjectMeta)
	s.newRS.Annotations[RevisionAnnotation] = strconv.FormatInt(maxOld+1, 10)
	if err := s.r.Client.Update(ctx, s.newRS); err != nil {
		return fmt.Errorf("updating ReplicaSet %s revision: %w", s.newRS.Name, err)
	}
	return nil
}

// isRollback: the new ReplicaSet is the stable one or older than it (upstream isRollback).
func (s *state) isRollback() bool {
	if s.newRS == nil || s.stableRS == nil {
		return false
	}
	return s.ro.Status.StableRS == s.newRS.Labels[PodTemplateHashLabel] ||
		s.newRS.CreationTimestamp.Before(&s.stableRS.CreationTimestamp)
}

// isFastRollback: a rollback to the stable, to a blue-green ReplicaSet still inside
// its scale-down delay, or within spec.rollbackWindow (upstream isFastRollback).
func (s *state) isFastRollback() bool {
	if !s.isRollback() {
		return false
	}
	withinDelay := s.newRSWithinDelay && s.ro.Spec.Strategy.BlueGreen != nil
	return s.isRollbackWithinWindow() || withinDelay || s.ro.Status.StableRS == s.newRS.Labels[PodTemplateHashLabel]
}

// isRollbackWithinWindow: the new ReplicaSet is older than the stable one and fewer
// than rollbackWindow.revisions ReplicaSets (experiments' excluded) lie between
// them (upstream isRollbackWithinWindow).
func (s *state) isRollbackWithinWindow() bool {
	if s.newRS == nil || s.stableRS == nil || s.ro.Spec.RollbackWindow == nil || s.ro.Spec.RollbackWindow.Revisions <= 0 {
		return false
	}
	newT, stableT := s.newRS.CreationTimestamp, s.stableRS.CreationTimestamp
	if !newT.Before(&stableT) {
		return false
	}
	var between int32
	for _, rs := range s.allRSs {
		if rs.Annotations[v1alpha1.ExperimentNameAnnotationKey] != "" {
			continue
		}
		if rs.CreationTimestamp.Before(&stableT) && newT.Before(&rs.CreationTimestamp) {
			between++
		}
	}
	return between < s.ro.Spec.RollbackWindow.Revisions
}

// ownAnnotations gives a loaded object annotations of its own, a copy of the
// cache's (never nil), before a write sets or deletes one.
func ownAnnotations(m *metav1.ObjectMeta) {
	own := make(map[string]string, len(m.Annotations)+1)
	for k, v := range m.Annotations {
		own[k] = v
	}
	m.Annotations = own
}

func withLabel(in map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(in)+1)
	for a, b := range in {
		out[a] = b
	}
	out[k] = v
	return out
}

// scale sets a ReplicaSet's replica count, with the controller's event.
func (s *state) scale(ctx context.Context, rs *appsv1.ReplicaSet, n int32) (bool, error) {
	n = max(n, 0) // never a negative count, even from a spec validation would refuse
	if rs == nil || rsReplicas(rs) == n {
		return false, nil
	}
	old := rsReplicas(rs)
	rs.Spec.Replicas = ptr.To(n)
	if n == 0 && !(s.ro.Spec.Strategy.Canary != nil && s.abortDelayApplies()) {
		// A full scale-down ends the wait (upstream scaleReplicaSet drops the
		// scale-down-deadline annotation with it).
		if _, ok := rs.Annotations[v1alpha1.DefaultReplicaSetScaleDownDeadlineAnnotationKey]; ok {
			ownAnnotations(&rs.ObjectMeta)
			delete(rs.Annotations, v1alpha1.DefaultReplicaSetScaleDownDeadlineAnnotationKey)
		}
	}
	if err := s.r.Client.Update(ctx, rs); err != nil {
		return false, fmt.Errorf("scaling ReplicaSet %s: %w", rs.Name, err)
	}
	dir := "up"
	if n < old {
		dir = "down"
	}
	s.event(engine.EventNormal, "ScalingReplicaSet", fmt.Sprintf("Scaled %s ReplicaSet %s (revision %d) from %d to %d", dir, rs.Name, revisionOf(rs), old, n))
	return true, nil
}

// persist writes the new status if anything changed, after settling pause/abort
// fields, conditions and the phase.
func (s *state) persist(ctx context.Context) error {
	st := &s.newStatus
	st.ObservedGeneration = strconv.FormatInt(s.ro.Generation, 10)
	if s.ro.Spec.Strategy.BlueGreen != nil {
		s.blueGreenCounts(st)
	}
	s.checkProgressDeadline(st)
	s.pause.apply(s, st)
	s.conditions(st)
	st.Phase, st.Message = Phase(s.ro.Spec, *st)
	if statusCompared != nil {
		statusCompared(&s.ro.Status, st)
	}
	if statusEqual(&s.ro.Status, st) {
		return nil
	}
	prev := s.ro.Status
	s.ro.Status = *st
	if err := s.r.Client.Status().Update(ctx, s.ro); err != nil {
		return fmt.Errorf("updating Rollout status: %w", err)
	}
	prevPaused, nowPaused := len(prev.PauseConditions) > 0, len(st.PauseConditions) > 0
	if prevPaused != nowPaused {
		if nowPaused {
			s.event(engine.EventNormal, "RolloutPaused", fmt.Sprintf("Rollout is paused (%s)", st.PauseConditions[0].Reason))
		} else if st.AbortedAt == nil {
			s.event(engine.EventNormal, "RolloutResumed", "Rollout is resumed")
		}
	}
	return nil
}

// statusCompared, set by tests only, sees every pair of statuses persist
// compares.
var statusCompared func(old, new *v1alpha1.RolloutStatus)

func matchesSelector(ro *v1alpha1.Rollout) labels.Selector {
	sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector)
	if err != nil {
		return labels.Nothing()
	}
	return sel
}
