package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/rollsim/rollsim/sim/kube"
	"github.com/rollsim/rollsim/sim/scenario"
	"github.com/rollsim/rollsim/sim/traffic"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
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

// maxReconcilesPerInstant guards against controllers that never settle.
const maxReconcilesPerInstant = 10000

type runner struct {
	in          *scenario.Input
	set         scenario.Settings
	clock       *virtualClock
	c           client.Client
	world       *world
	traffic     *traffic.Model
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
	measured   map[string]int32
	verdict    string
	decidedAt  *time.Duration
	end        time.Time
	failed     error
	// reconcileStart is where the current reconcile's events begin in the timeline.
	reconcileStart int
	reconciles     int
	writes         int
	jobs           *jobScripts
	// roStatus is the last status written to the rollout under test.
	roStatus v1alpha1.RolloutStatus
	rec      Record // record.go
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
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	if err := r.loop(ctx); err != nil {
		return nil, err
	}
	return r.result(ctx)
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
		in:       in,
		set:      set,
		clock:    clock,
		queued:   map[key]bool{},
		timers:   map[key]time.Time{},
		measured: map[string]int32{},
		end:      set.Start.Add(set.Until),
	}
	stamped := kube.Stamp(base, clock, set.Seed)
	r.c = kube.Watch(stamped, r.notify, r.created)

	rng := rand.New(rand.NewPCG(uint64(set.Seed), 0x726f6c6c73696d)) // "rollsim"
	failures := map[string]string{}
	for _, f := range in.Scenario.Spec.Cluster.PodFailures {
		failures[f.Image] = f.Reason
		if f.Reason == "" {
			failures[f.Image] = "CrashLoopBackOff"
		}
	}
	r.world = &world{c: r.c, clock: clock, rng: rng, podReadyAfter: set.PodReadyAfter, pods: map[string][]*podState{}, enqueue: r.enqueue, failures: failures,
		note: func(rs string, available, desired int32) {
			r.note("ReplicaSet/"+rs, "PodsAvailable", fmt.Sprintf("%d of %d pods available", available, desired))
		}}

	store := promfake.NewStore()
	r.prom = &promAPI{engine: promfake.Shared(), store: store}
	r.traffic = traffic.New(in, set, store)

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
	ro.SetResourceVersion("")
	ro.Status = v1alpha1.RolloutStatus{}
	if err := r.c.Create(ctx, ro); err != nil {
		return fmt.Errorf("creating Rollout %s: %w", ro.Name, err)
	}
	r.roKey = types.NamespacedName{Namespace: ro.Namespace, Name: ro.Name}
	r.traffic.SetStableHash(rollout.PodTemplateHash(&ro.Spec.Template, nil))

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

// applyUpdate sets a new image on the Rollout, as `kubectl apply` would.
func (r *runner) applyUpdate(ctx context.Context, up scenario.Update) error {
	var ro v1alpha1.Rollout
	if err := r.c.Get(ctx, r.roKey, &ro); err != nil {
		return err
	}
	i := 0
	for j, c := range ro.Spec.Template.Spec.Containers {
		if c.Name == up.Container {
			i = j
		}
	}
	c := &ro.Spec.Template.Spec.Containers[i]
	old := c.Image
	c.Image = up.Image
	ro.Generation++
	r.updateHash = rollout.PodTemplateHash(&ro.Spec.Template, ro.Status.CollisionCount)
	if err := r.c.Update(ctx, &ro); err != nil {
		return err
	}
	r.updated = true
	// A new revision: the verdict is about it.
	r.verdict, r.decidedAt = "", nil
	r.note("Rollout/"+ro.Name, "Updated", fmt.Sprintf("container %s image %s -> %s", c.Name, old, up.Image))
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
	nn := types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}
	switch o := obj.(type) {
	case *v1alpha1.Rollout:
		r.enqueue(key{kind: kindRollout, NamespacedName: nn})
		if nn == r.roKey {
			r.observeRollout(o)
		}
	case *v1alpha1.AnalysisRun:
		r.enqueue(key{kind: kindAnalysisRun, NamespacedName: nn})
		r.enqueueOwner(o)
		r.noteMeasurements(o)
	case *appsv1.ReplicaSet:
		r.enqueue(key{kind: kindReplicaSet, NamespacedName: nn})
		r.enqueueOwner(o)
	case *batchv1.Job:
		// The AnalysisRun controller watches the Jobs its runs own.
		r.enqueueOwner(o)
	case *v1alpha1.Experiment:
		r.enqueue(key{kind: kindExperiment, NamespacedName: nn})
		r.enqueueOwner(o)
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

// noteMeasurements adds new measurements of a run to the timeline.
func (r *runner) noteMeasurements(run *v1alpha1.AnalysisRun) {
	for _, mr := range run.Status.MetricResults {
		id := run.Name + "\x00" + mr.Name
		total := mr.Count + mr.Error
		seen := r.measured[id]
		if total <= seen {
			continue
		}
		r.measured[id] = total
		n := int(total - seen)
		ms := mr.Measurements
		for i := max(0, len(ms)-n); i < len(ms); i++ {
			m := ms[i]
			if !m.Phase.Completed() {
				continue
			}
			r.recordMeasurement(run, &mr, &m)
			msg := fmt.Sprintf("metric %q measured %s: %s", mr.Name, displayValue(m.Value), m.Phase)
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
			r.timeline = append(r.timeline[:at], append([]Entry{e}, r.timeline[at:]...)...)
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
	for n := 0; len(r.queue) > 0; n++ {
		if n > maxReconcilesPerInstant {
			return fmt.Errorf("simulation did not settle at %s: controllers keep changing objects", r.offset())
		}
		k := r.queue[0]
		r.queue = r.queue[1:]
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
	case kindAnalysisRun:
		after, err = r.analyses.Reconcile(ctx, k.NamespacedName)
	case kindExperiment:
		after, err = r.experiments.Reconcile(ctx, k.NamespacedName)
	case kindReplicaSet:
		err = r.world.syncReplicaSet(ctx, k.NamespacedName)
	case kindPod:
		var rs string
		rs, err = r.world.markReady(ctx, k.NamespacedName)
		if err == nil && rs != "" {
			r.enqueue(key{kind: kindReplicaSet, NamespacedName: types.NamespacedName{Namespace: k.Namespace, Name: rs}})
		}
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
	r.clock.At(at, workEvent, func() {
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
		if err := r.decide(ctx); err != nil {
			return err
		}
		idle := !r.clock.pendingWork() && len(r.queue) == 0
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

// result gathers the final objects and the verdict.
func (r *runner) result(ctx context.Context) (*Result, error) {
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
		Record:            &r.rec,
	}
	var ro v1alpha1.Rollout
	if err := r.c.Get(ctx, r.roKey, &ro); err != nil {
		return nil, err
	}
	res.Rollout = &ro
	res.Message = ro.Status.Message
	ns := client.InNamespace(r.roKey.Namespace)
	var rsList appsv1.ReplicaSetList
	if err := r.c.List(ctx, &rsList, ns); err != nil {
		return nil, err
	}
	res.ReplicaSets = rsList.Items
	var pods corev1.PodList
	if err := r.c.List(ctx, &pods, ns); err != nil {
		return nil, err
	}
	res.Pods = pods.Items
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
	sort.SliceStable(res.AnalysisRuns, func(i, j int) bool {
		a, b := res.AnalysisRuns[i], res.AnalysisRuns[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Name < b.Name
	})

	switch {
	case r.verdict != "":
		res.Verdict = r.verdict
		res.DecidedAt = r.decidedAt
	case ro.Status.Phase == v1alpha1.RolloutPhasePaused && r.clock.Now().Before(r.end):
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
	rec.r.timeline = append(rec.r.timeline, Entry{At: rec.r.offset(), Object: kind + "/" + obj.GetName(), Type: eventType, Reason: reason, Message: message})
}
