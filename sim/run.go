package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rollsim/rollsim/sim/kube"
	"github.com/rollsim/rollsim/sim/scenario"
	"github.com/rollsim/rollsim/sim/traffic"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/analysis"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/conditions"
	"github.com/rollsim/rollsim/engine/experiment"
	"github.com/rollsim/rollsim/engine/rollout"
	"github.com/rollsim/rollsim/promfake"
)

// Options override scenario settings for one run.
type Options struct {
	ControllerVersion string // "" keeps the scenario's
	Seed              *int64 // nil keeps the scenario's
	// Envtest runs the simulation against a real API server (StartEnvtest);
	// nil: the in-memory one.
	Envtest *kube.Envtest
}

// keepUnread makes runs write every series, read or not (tests compare).
var keepUnread = false

// runLimits are the limits the run loop enforces where the loader cannot
// foresee them (a count given by an argument, a run that goes on to until,
// pods of every ReplicaSet). Tests lower them.
var runLimits = struct{ samples, measurements int }{scenario.MaxSamples, scenario.MaxMeasurements}

type runner struct {
	in      *scenario.Input
	set     scenario.Settings
	clock   *virtualClock
	c       client.Client
	world   *world
	traffic *traffic.Model
	// base is the API backend, under the stamping and watching clients.
	base client.Client
	// watched is the client that reports writes (notify); runPhases the
	// phase of each AnalysisRun it last reported.
	watched   client.Client
	runPhases map[types.NamespacedName]v1alpha1.AnalysisPhase
	// podsTold is the version of the world's pods the traffic model was
	// last told (syncPods).
	podsTold    uint64
	prom        *promAPI
	rollouts    *rollout.Reconciler
	analyses    *analysis.Reconciler
	experiments *experiment.Reconciler

	queue  []key
	queued map[key]bool
	timers map[key]time.Time

	roKey      types.NamespacedName
	updated    bool
	updateHash string
	timeline   []Entry
	measured   map[measuredKey]int32
	// horizon, when set, is where the run's end comes from instead of
	// spec.until (Series: the time a query asks for).
	horizon string
	// measurements counts them all, against scenario.MaxMeasurements.
	measurements int
	verdict      string
	// experimentsDone: a scenario of standalone Experiments whose Experiments
	// have all completed and scaled down (experiments.go); the run ends.
	experimentsDone bool
	decidedAt       *time.Duration
	end             time.Time
	failed          error
	// reconcileStart is where the current reconcile's events begin in the timeline.
	reconcileStart int
	reconciles     int
	writes         int
	jobs           *jobScripts
	// roStatus is the last status written to the rollout under test.
	roStatus v1alpha1.RolloutStatus
	rec      Record // record.go
	// settle counts writes per object at the current instant; unsettled is the
	// finding when the controllers kept changing objects (settle.go).
	settle    settleWatch
	unsettled string
	// eagerScrapes: a scrape tick confirms the scrapes written ahead up to
	// the next event (a run, not a session, whose queries may come at any
	// time between events).
	eagerScrapes bool
	// plane is the data plane's view of the router objects (routers.go);
	// stableHash the pod-template hash of the revision before the update.
	plane      dataPlane
	stableHash string
	// templates are the pod templates applied so far, by hash, as written
	// (an API server adds defaults to the ReplicaSets' copies).
	templates map[string]corev1.PodTemplateSpec
	// metricRecords: per run and metric, what its measurement records share.
	metricRecords map[metricRecordKey]*metricRecord
}

// Run simulates the scenario and returns its result. Errors are invalid input
// (*scenario.InputError) or a simulation failure.
func Run(ctx context.Context, in *scenario.Input, opts Options) (*Result, error) {
	r, err := newRunner(in, opts)
	if err != nil {
		return nil, err
	}
	if r.traffic != nil && !keepUnread {
		r.traffic.LeaveOut(seriesRead(in))
	}
	r.eagerScrapes = true
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	if err := r.loop(ctx); err != nil {
		return nil, err
	}
	// A finished in-memory run's pods can wait until asked for; a real API
	// server may be stopped by then.
	return r.result(ctx, opts.Envtest == nil)
}

func newRunner(in *scenario.Input, opts Options) (*runner, error) {
	set := in.Settings()
	if opts.ControllerVersion != "" {
		v, err := engine.ParseVersion(opts.ControllerVersion)
		if err != nil {
			return nil, &scenario.InputError{File: in.File, Field: "--controller-version", Err: err}
		}
		set.Version = v
	}
	if opts.Seed != nil {
		set.Seed = *opts.Seed
	}
	base, err := kube.NewClient(in, opts.Envtest)
	if err != nil {
		return nil, err
	}
	clock := newVirtualClock(set.Start.Add(-set.Warmup))
	r := &runner{
		in:        in,
		set:       set,
		clock:     clock,
		queued:    map[key]bool{},
		timers:    map[key]time.Time{},
		measured:  map[measuredKey]int32{},
		runPhases: map[types.NamespacedName]v1alpha1.AnalysisPhase{},
		end:       set.Start.Add(set.Until),
	}
	stamped := kube.Stamp(base, clock, set.Seed)
	// The world writes with the watched client; everyone else reads pods
	// after the world's writes put off (world.flushBefore).
	watched := kube.Watch(stamped, r.notify, r.created)
	r.watched, r.base = watched, base

	rng := rand.New(rand.NewPCG(uint64(set.Seed), 0x726f6c6c73696d)) // "rollsim"
	failures := map[string]string{}
	for _, f := range in.Scenario.Spec.Cluster.PodFailures {
		failures[f.Image] = f.Reason
		if f.Reason == "" {
			failures[f.Image] = "CrashLoopBackOff"
		}
	}
	r.world = &world{c: watched, clock: clock, rng: rng, podReadyAfter: set.PodReadyAfter, pods: map[string][]*podState{}, enqueue: r.enqueue, failures: failures,
		overLimit: r.overLimit, uid: kube.UIDs(stamped), eager: eagerPods,
		note: func(rs string, available, desired int32) {
			r.note("ReplicaSet/"+rs, "PodsAvailable", fmt.Sprintf("%d of %d pods available", available, desired))
		}}

	r.c = kube.BeforeReads(watched, r.world.flushBefore)

	store := promfake.NewStore()
	if rec := in.Recorded(); rec != nil {
		// The recordings, loaded once with the scenario; the run's own
		// series go into its clone.
		store = rec.Store.Clone()
		r.end = minTime(r.end, rec.To)
	}
	r.prom = &promAPI{engine: promfake.Shared(), store: store}
	if in.SyntheticTraffic() && !in.ExperimentsOnly() {
		r.traffic = traffic.New(in, set, store)
		r.traffic.CanaryOnly(in.CanaryOnly())
	}
	r.prom.batch = r.newBatcher()

	wording := conditions.WordingOf(set.Version)
	rec := &recorder{r: r}
	r.rollouts = &rollout.Reconciler{Client: r.c, Clock: clock, Recorder: rec, Version: set.Version}
	r.experiments = &experiment.Reconciler{Client: r.c, Clock: clock, Recorder: rec}
	sp := in.Scenario.Spec.Providers
	r.jobs = newJobScripts(sp.Job)
	r.analyses = &analysis.Reconciler{Client: r.c, Clock: clock, Recorder: rec, Version: set.Version,
		Providers: &providers{prom: r.prom, clock: clock, wording: wording, c: r.c,
			web: &webScripts{scripts: sp.Web, next: map[int]int{}}, values: newValueScripts(sp.Values)}}
	return r, nil
}

// overLimit is a run that goes past a limit of the scenario (see
// scenario.MaxSamples and the others): invalid input, named on the Scenario
// document. The loader refuses what it can foresee; this guards the rest.
func (r *runner) overLimit(field, format string, args ...any) error {
	if field == "spec.until" && r.horizon != "" {
		ie := r.in.ScenarioDoc.Errorf("Scenario "+r.in.Scenario.Metadata.Name, "", format, args...)
		ie.Err = fmt.Errorf("%s: %w", r.horizon, ie.Err)
		return ie
	}
	return r.in.Locate(r.in.ScenarioDoc.Errorf("Scenario "+r.in.Scenario.Metadata.Name, field, format, args...))
}

// offset is virtual time relative to the update.
func (r *runner) offset() time.Duration { return r.clock.Now().Sub(r.set.Start) }

func (r *runner) note(object, reason, message string) {
	r.timeline = append(r.timeline, Entry{At: r.offset(), Object: object, Type: engine.EventNormal, Reason: reason, Message: message})
}

// setup creates the manifests as they were before the update (the stable
// revision deployed warmup ago), schedules the update at t=0 and the scrapes.
func (r *runner) setup(ctx context.Context) error {
	var ro *v1alpha1.Rollout
	for _, o := range r.in.Objects {
		obj := o.DeepCopyObject().(client.Object)
		if x, ok := obj.(*v1alpha1.Rollout); ok {
			if x.Name != r.in.Scenario.Spec.Rollout {
				return &scenario.InputError{File: r.in.File, Field: "spec.rollout", Err: fmt.Errorf("only one Rollout is simulated; found also %q", x.Name)}
			}
			ro = x
			continue
		}
		if _, ok := obj.(*v1alpha1.AnalysisRun); ok {
			continue // runs are created by the controller
		}
		if !kube.Serves(obj) {
			continue // kept, inert: nothing in the simulation reads it
		}
		if ex, ok := obj.(*v1alpha1.Experiment); ok {
			// A standalone Experiment is applied with the update, at t=0.
			ex.SetResourceVersion("")
			ex.Status = v1alpha1.ExperimentStatus{}
			r.clock.At(r.set.Start, workEvent, func() {
				if err := r.c.Create(ctx, ex); err != nil {
					r.fail(fmt.Errorf("creating Experiment %s: %w", ex.Name, err))
					return
				}
				r.note("Experiment/"+ex.Name, "Applied", "standalone Experiment created")
			})
			continue
		}
		obj.SetResourceVersion("")
		if err := r.c.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
		}
	}
	if ro == nil {
		// Standalone Experiments only: they are applied at t=0 and the run is
		// about them (decideExperiments).
		r.roKey = types.NamespacedName{Namespace: r.set.Namespace}
		r.clock.At(r.set.Start, workEvent, func() { r.updated = true })
		r.scheduleTraffic()
		return nil
	}
	ro.SetResourceVersion("")
	ro.Status = v1alpha1.RolloutStatus{}
	if err := r.c.Create(ctx, ro); err != nil {
		return fmt.Errorf("creating Rollout %s: %w", ro.Name, err)
	}
	r.roKey = types.NamespacedName{Namespace: ro.Namespace, Name: ro.Name}
	r.stableHash = rollout.PodTemplateHash(r.in.PodTemplate(ro), nil)
	r.templates = map[string]corev1.PodTemplateSpec{r.stableHash: *r.in.PodTemplate(ro).DeepCopy()}
	if r.traffic != nil {
		r.traffic.SetStableHash(r.stableHash)
	}

	// The change under test, at t=0.
	r.clock.At(r.set.Start, workEvent, func() {
		if err := r.applyUpdate(ctx, r.in.Scenario.Spec.Update); err != nil {
			r.fail(err)
		}
	})
	r.scheduleActions(ctx)
	r.scheduleTraffic()
	r.enqueue(key{kind: kindRollout, NamespacedName: r.roKey})
	return nil
}

// fail records an error raised inside a scheduled event; the loop returns it.
func (r *runner) fail(err error) {
	if r.failed == nil {
		r.failed = err
	}
}

func (r *runner) enqueue(k key) {
	if r.queued[k] {
		return
	}
	r.queued[k] = true
	r.queue = append(r.queue, k)
}

// created notes objects worth a timeline line that no controller event announces.
func (r *runner) created(obj client.Object) {
	if j, ok := obj.(*batchv1.Job); ok {
		r.jobCreated(context.Background(), j)
		return
	}
	if ro, ok := obj.(*v1alpha1.Rollout); ok {
		r.rollouts.AddedToInformer(ro)
		return
	}
	run, ok := obj.(*v1alpha1.AnalysisRun)
	if !ok {
		return
	}
	var metrics []string
	for _, m := range run.Spec.Metrics {
		metrics = append(metrics, m.Name)
	}
	kind := run.RunType()
	if kind == "" {
		kind = v1alpha1.RunTypeExperiment
	}
	r.note("AnalysisRun/"+run.Name, "AnalysisRunCreated", fmt.Sprintf("%s analysis started, metrics: %s", kind, strings.Join(metrics, ", ")))
}

// notify is the informer: a write wakes the controllers watching that object.
func (r *runner) notify(obj client.Object) {
	r.writes++
	if r.seeRouterObject(obj) {
		r.applyRouting()
	}
	nn := types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}
	r.settle.wrote(obj, nn.Name)
	switch o := obj.(type) {
	case *v1alpha1.Rollout:
		r.enqueue(key{kind: kindRollout, NamespacedName: nn})
		if nn == r.roKey {
			r.observeRollout(o)
		}
	case *v1alpha1.AnalysisRun:
		r.enqueue(key{kind: kindAnalysisRun, NamespacedName: nn})
		r.enqueueRunWatchers(o)
		r.noteMeasurements(o)
	case *appsv1.ReplicaSet:
		r.enqueue(key{kind: kindReplicaSet, NamespacedName: nn})
		r.enqueueOwner(o)
	case *corev1.Pod:
		// A pod deleted by the controller (a restart): the ReplicaSet
		// controller creates a replacement.
		if rs, ok := r.world.podDeleted(context.Background(), nn); ok {
			r.enqueue(key{kind: kindReplicaSet, NamespacedName: types.NamespacedName{Namespace: o.Namespace, Name: rs}})
		}
	case *appsv1.Deployment:
		// The template resolver watches the workloads Rollouts refer to.
		if ro := r.in.Rollout(); ro != nil && ro.Spec.WorkloadRef != nil && ro.Spec.WorkloadRef.Name == o.Name && o.Namespace == r.roKey.Namespace {
			r.enqueue(key{kind: kindRollout, NamespacedName: r.roKey})
		}
	case *batchv1.Job:
		// The AnalysisRun controller watches the Jobs its runs own.
		r.enqueueOwner(o)
	case *v1alpha1.Experiment:
		r.enqueue(key{kind: kindExperiment, NamespacedName: nn})
		r.enqueueOwner(o)
	}
}

// enqueueRunWatchers wakes the controllers that watch an AnalysisRun, as
// their informers' handlers do (NewController in rollout/controller.go and
// experiments/controller.go): the rollout controller on a create, a delete
// or a change of phase, not on every measurement; the experiment controller
// whenever the run is completed.
func (r *runner) enqueueRunWatchers(run *v1alpha1.AnalysisRun) {
	k := types.NamespacedName{Namespace: run.Namespace, Name: run.Name}
	prev, seen := r.runPhases[k]
	deleted := kube.Deleting(r.watched)
	if deleted {
		delete(r.runPhases, k)
	} else {
		r.runPhases[k] = run.Status.Phase
	}
	// metav1.GetControllerOf without its copy (a write per measurement).
	refs := run.OwnerReferences
	i := slices.IndexFunc(refs, func(o metav1.OwnerReference) bool { return o.Controller != nil && *o.Controller })
	if i < 0 {
		return
	}
	ref := &refs[i]
	nn := types.NamespacedName{Namespace: run.Namespace, Name: ref.Name}
	switch ref.Kind {
	case "Rollout":
		if deleted || !seen || prev != run.Status.Phase {
			r.enqueue(key{kind: kindRollout, NamespacedName: nn})
		}
	case "Experiment":
		if run.Status.Phase.Completed() {
			r.enqueue(key{kind: kindExperiment, NamespacedName: nn})
		}
	}
}

func (r *runner) enqueueOwner(obj client.Object) {
	for _, ref := range obj.GetOwnerReferences() {
		nn := types.NamespacedName{Namespace: obj.GetNamespace(), Name: ref.Name}
		switch ref.Kind {
		case "Rollout":
			r.enqueue(key{kind: kindRollout, NamespacedName: nn})
		case "AnalysisRun":
			r.enqueue(key{kind: kindAnalysisRun, NamespacedName: nn})
		case "Experiment":
			r.enqueue(key{kind: kindExperiment, NamespacedName: nn})
		}
	}
}

// measuredKey is a metric of a run, by names.
type measuredKey struct{ run, metric string }

// noteMeasurements adds new measurements of a run to the timeline.
func (r *runner) noteMeasurements(run *v1alpha1.AnalysisRun) {
	for _, mr := range run.Status.MetricResults {
		id := measuredKey{run.Name, mr.Name}
		total := mr.Count + mr.Error
		seen := r.measured[id]
		if total <= seen {
			continue
		}
		r.measured[id] = total
		n := int(total - seen)
		if r.measurements += n; r.measurements > runLimits.measurements {
			r.fail(r.overLimit("spec.until", "the analyses took more than %d measurements by %s, the limit for one run; lower count or raise interval", runLimits.measurements, r.offset()))
			return
		}
		ms := mr.Measurements
		for i := max(0, len(ms)-n); i < len(ms); i++ {
			m := ms[i]
			if !m.Phase.Completed() {
				continue
			}
			r.recordMeasurement(run, &mr, &m)
			// fmt's %q of a string is strconv.Quote; one line per measurement.
			msg := "metric " + strconv.Quote(mr.Name) + " measured " + displayValue(m.Value) + ": " + string(m.Phase)
			if m.Message != "" {
				msg += ": " + m.Message
			}
			typ := engine.EventNormal
			if m.Phase == v1alpha1.AnalysisPhaseFailed || m.Phase == v1alpha1.AnalysisPhaseError {
				typ = engine.EventWarning
			}
			// Before the events the same reconcile emitted about the outcome.
			e := Entry{At: r.offset(), Object: "AnalysisRun/" + run.Name, Type: typ, Reason: "Measurement", Message: msg}
			at := min(r.reconcileStart, len(r.timeline))
			r.timeline = slices.Insert(r.timeline, at, e)
			r.reconcileStart++
		}
	}
}

func displayValue(v string) string {
	if v == "" {
		return "(no value)"
	}
	return v
}

// drain runs every queued reconcile at the current instant until nothing changes.
func (r *runner) drain(ctx context.Context) error {
	r.settle.reset()
	for n := 0; len(r.queue) > 0; n++ {
		if n > maxReconcilesPerInstant {
			r.giveUpSettling(n)
			return nil
		}
		// Shifted rather than resliced: the queue keeps its array, and
		// enqueue does not allocate one per instant.
		k := r.queue[0]
		r.queue = r.queue[:copy(r.queue, r.queue[1:])]
		delete(r.queued, k)
		if err := r.reconcile(ctx, k); err != nil {
			return err
		}
		if r.failed != nil {
			return r.failed
		}
	}
	return nil
}

func (r *runner) reconcile(ctx context.Context, k key) error {
	r.reconciles++
	r.reconcileStart = len(r.timeline)
	var after time.Duration
	var err error
	switch k.kind {
	case kindRollout:
		after, err = r.rollouts.Reconcile(ctx, k.NamespacedName)
		var argErr *rollout.ArgError
		if errors.As(err, &argErr) {
			// The controller would fail every sync and the rollout never get
			// past the analysis: invalid input (the loader checks the paths
			// outside status).
			ro := r.in.Rollout()
			return r.in.Locate(r.in.Origin(ro).Errorf("Rollout "+ro.Name, "", "the controller cannot resolve %v", argErr))
		}
	case kindAnalysisRun:
		after, err = r.analyses.Reconcile(ctx, k.NamespacedName)
	case kindExperiment:
		after, err = r.experiments.Reconcile(ctx, k.NamespacedName)
	case kindReplicaSet:
		err = r.world.syncReplicaSet(ctx, k.NamespacedName)
	}
	if err != nil {
		return err
	}
	if after > 0 {
		r.requeueAfter(k, after)
	}
	return nil
}

// noteRoutes records what the traffic router is told by setHeaderRoute and
// setMirrorRoute steps (they complete at once; rollsim's traffic does not route by
// header, so they change no series).
func (r *runner) noteRoutes(ro *v1alpha1.Rollout) {
	c := ro.Spec.Strategy.Canary
	if c == nil || ro.Status.CurrentStepIndex == nil || r.roStatus.CurrentStepIndex == nil {
		return
	}
	from, to := int(*r.roStatus.CurrentStepIndex), int(*ro.Status.CurrentStepIndex)
	for i := from; i < to && i < len(c.Steps); i++ {
		st := c.Steps[i]
		switch {
		case st.SetHeaderRoute != nil:
			r.note("Rollout/"+ro.Name, "HeaderRouteSet", fmt.Sprintf("traffic router: header route %q to the canary (%d match rules)", st.SetHeaderRoute.Name, len(st.SetHeaderRoute.Match)))
		case st.SetMirrorRoute != nil:
			pct := int32(100)
			if st.SetMirrorRoute.Percentage != nil {
				pct = *st.SetMirrorRoute.Percentage
			}
			r.note("Rollout/"+ro.Name, "MirrorRouteSet", fmt.Sprintf("traffic router: mirror route %q, %d%% of matching requests copied to the canary", st.SetMirrorRoute.Name, pct))
		}
	}
}

// requeueAfter wakes a controller for key k later, like a workqueue's AddAfter: a
// wake-up already due earlier (or at the same time) makes a new one unnecessary.
func (r *runner) requeueAfter(k key, after time.Duration) {
	at := r.clock.Now().Add(after)
	if pending, ok := r.timers[k]; ok && pending.After(r.clock.Now()) && !pending.After(at) {
		return
	}
	r.timers[k] = at
	// A measurement's wake-up is quiet: what it measures may change the
	// world, but the batches of queries (batch.go) check for that.
	r.clock.at(at, workEvent, k.kind == kindAnalysisRun, func() {
		if t, ok := r.timers[k]; ok && t.Equal(at) {
			delete(r.timers, k)
		}
		r.enqueue(k)
	})
}

// observeRollout watches the rollout under test: what the traffic router would be
// told, and the state the verdict is decided from.
func (r *runner) observeRollout(ro *v1alpha1.Rollout) {
	r.noteRoutes(ro)
	r.roStatus = *ro.Status.DeepCopy()
	r.recordWeight(ro)
	r.recordStatus(ro)
	if r.traffic == nil || r.plane.routed {
		// No synthetic traffic, or the router's objects (or the active
		// Service) decide the split.
		return
	}
	if ro.Spec.Strategy.BlueGreen != nil {
		// Production traffic follows the active service: to the new revision once
		// it is switched, to the stable until then.
		w := int32(0)
		if r.updateHash != "" && ro.Status.BlueGreen.ActiveSelector == r.updateHash {
			w = 100
		}
		r.traffic.SetCanaryWeight(w)
		r.traffic.SetPreviewHash(ro.Status.BlueGreen.PreviewSelector)
	}
	if ro.Spec.Strategy.Canary != nil && ro.Spec.Strategy.Canary.TrafficRouting != nil {
		w := int32(0)
		if ws := ro.Status.Canary.Weights; ws != nil {
			w = ws.Canary.Weight
		}
		r.traffic.SetCanaryWeight(w)
	}
}

// loop advances virtual time event by event until the outcome is known and the
// controllers are idle, or `until` is reached.
func (r *runner) loop(ctx context.Context) error {
	for {
		if err := r.drain(ctx); err != nil {
			return err
		}
		if r.unsettled != "" {
			return nil
		}
		if err := r.decide(ctx); err != nil {
			return err
		}
		idle := !r.clock.pendingWork() && len(r.queue) == 0
		if r.experimentsDone && len(r.queue) == 0 {
			return nil
		}
		if r.updated && idle {
			return nil
		}
		e := r.clock.peek()
		if e == nil || e.at.After(r.end) {
			return nil
		}
		r.clock.next().fire()
		if r.failed != nil {
			return r.failed
		}
	}
}

// decide records the first time the rollout is aborted or promoted.
func (r *runner) decide(ctx context.Context) error {
	if r.roKey.Name == "" {
		return r.decideExperiments(ctx)
	}
	st := r.roStatus
	if r.verdict == scenario.Aborted && !st.Abort {
		// Retried after the abort: undecided again.
		r.verdict, r.decidedAt = "", nil
	}
	if !r.updated || r.verdict == scenario.Aborted || r.verdict == scenario.Promoted {
		return nil
	}
	switch {
	case st.Abort:
		r.setVerdict(scenario.Aborted)
	case st.Phase == v1alpha1.RolloutPhaseHealthy && st.StableRS == r.updateHash:
		r.setVerdict(scenario.Promoted)
	}
	return nil
}

func (r *runner) setVerdict(v string) {
	at := r.offset()
	r.verdict = v
	r.decidedAt = &at
}

// recordCopy is the run's record so far, in a Record of its own: a pointer
// to the runner's would keep the whole run alive with the Result.
func (r *runner) recordCopy() *Record {
	rec := r.rec
	return &rec
}

// fixedClock is a clock stopped at a time: the end of a run, for what is
// written after it.
type fixedClock time.Time

func (c fixedClock) Now() time.Time                  { return time.Time(c) }
func (c fixedClock) Since(t time.Time) time.Duration { return time.Time(c).Sub(t) }

// result gathers the final objects and the verdict.
//
// lazyPods leaves the final pods to Result.Pods: the run must not go on.
func (r *runner) result(ctx context.Context, lazyPods bool) (*Result, error) {
	if r.traffic != nil {
		r.traffic.DropAhead()
	}
	res := &Result{
		Scenario:          r.in.Scenario.Metadata.Name,
		File:              r.in.File,
		ControllerVersion: r.set.Version.String(),
		Seed:              r.set.Seed,
		Start:             r.set.Start,
		Ended:             r.offset(),
		Until:             r.set.Until,
		Timeline:          r.timeline,
		Queries:           r.prom.queries,
		Reconciles:        r.reconciles,
		Writes:            r.writes,
		Expect:            r.in.Scenario.Spec.Expect,
		Record:            r.recordCopy(),
	}
	var ro v1alpha1.Rollout
	if r.roKey.Name != "" {
		if err := r.c.Get(ctx, r.roKey, &ro); err != nil {
			return nil, err
		}
		res.Rollout = &ro
		res.Message = ro.Status.Message
	}
	ns := client.InNamespace(r.roKey.Namespace)
	// Read-only lists (the cache's maps and slices shared, see Result): a
	// run's final pods are most of its copying at 300 replicas.
	var rsList appsv1.ReplicaSetList
	if err := engine.ListReadOnly(ctx, r.c, &rsList, ns); err != nil {
		return nil, err
	}
	res.ReplicaSets = rsList.Items
	listPods := func(c client.Client) func() ([]corev1.Pod, error) {
		return func() ([]corev1.Pod, error) {
			var pods corev1.PodList
			if err := engine.ListReadOnly(context.WithoutCancel(ctx), c, &pods, ns); err != nil {
				return nil, err
			}
			return pods.Items, nil
		}
	}
	if lazyPods {
		// The Result keeps the world and the API, not the run: the world
		// writes what it put off through a client of its own, stamped at
		// the end (rollsim test keeps every Result until it reports).
		w, c := r.world, kube.Stamp(r.base, fixedClock(r.clock.Now()), r.set.Seed)
		w.detach(c)
		list := listPods(c)
		res.listPods = func() ([]corev1.Pod, error) {
			if err := w.flush(context.WithoutCancel(ctx)); err != nil {
				return nil, err
			}
			return list()
		}
	} else {
		res.listPods = listPods(r.c)
		if _, err := res.Pods(); err != nil {
			return nil, err
		}
	}
	var runs v1alpha1.AnalysisRunList
	if err := r.c.List(ctx, &runs, ns); err != nil {
		return nil, err
	}
	res.AnalysisRuns = runs.Items
	var jobs batchv1.JobList
	if err := r.c.List(ctx, &jobs, ns); err != nil {
		return nil, err
	}
	res.Jobs = jobs.Items
	var exps v1alpha1.ExperimentList
	if err := r.c.List(ctx, &exps, ns); err != nil {
		return nil, err
	}
	res.Experiments = exps.Items
	if err := r.routerObjects(ctx, res); err != nil {
		return nil, err
	}
	sort.SliceStable(res.AnalysisRuns, func(i, j int) bool {
		a, b := res.AnalysisRuns[i], res.AnalysisRuns[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Name < b.Name
	})

	res.Unsettled = r.unsettled
	if res.Rollout == nil {
		res.ExperimentsOnly = true
		res.Verdict, res.DecidedAt = scenario.Incomplete, nil
		if r.verdict != "" {
			res.Verdict, res.DecidedAt = r.verdict, r.decidedAt
		}
		if x := DecidingExperiment(res.Experiments); x != nil {
			res.Message = x.Status.Message
		}
		return res, nil
	}
	switch {
	case r.verdict != "":
		res.Verdict = r.verdict
		res.DecidedAt = r.decidedAt
	case ro.Status.Phase == v1alpha1.RolloutPhasePaused && r.clock.Now().Before(r.end) && r.unsettled == "":
		// Idle and paused: it waits for a human.
		res.Verdict = scenario.Paused
		at := r.offset()
		for _, c := range ro.Status.PauseConditions {
			at = c.StartTime.Time.Sub(r.set.Start)
		}
		res.DecidedAt = &at
	default:
		res.Verdict = scenario.Incomplete
	}
	return res, nil
}

// recorder collects controller events into the timeline.
type recorder struct{ r *runner }

func (rec *recorder) Event(obj client.Object, eventType, reason, message string) {
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	if kind == "" {
		switch obj.(type) {
		case *v1alpha1.Rollout:
			kind = "Rollout"
		case *v1alpha1.AnalysisRun:
			kind = "AnalysisRun"
		case *v1alpha1.Experiment:
			kind = "Experiment"
		}
	}
	rec.r.timeline = append(rec.r.timeline, Entry{At: rec.r.offset(), Object: kind + "/" + obj.GetName(), Type: eventType, Reason: reason, Message: message, Event: true})
}
