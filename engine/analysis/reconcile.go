// Package analysis is the AnalysisRun controller: it takes measurements when they are
// due, assesses metrics and the run, and writes the status with the controller's own
// messages and events (upstream analysis/analysis.go). It does not create runs; the
// rollout and experiment controllers do.
package analysis

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

const (
	// defaultHistory is how many measurements are kept per metric by default.
	defaultHistory = 10
	// errorRetry is the wait after an Error measurement, whatever the interval.
	errorRetry                   = 10 * time.Second
	defaultConsecutiveErrorLimit = 4
)

// Reconciler is the AnalysisRun controller.
type Reconciler struct {
	Client    client.Client
	Clock     clock.PassiveClock
	Providers Providers
	Recorder  engine.Recorder
	Version   engine.Version

	// plans are the runs' metrics resolved and checked (plan.go); resolved
	// memoizes substitution with the real (secret) argument values: a run's
	// metrics and args do not change during its life, and substitution (a JSON
	// round trip, as upstream does it) was most of a reconcile's cost.
	plans    planCache
	mu       sync.Mutex
	resolved map[resolveKey]resolvedMetric
	echoes   echoes // echo.go
}

type resolveKey struct {
	uid   types.UID
	run   types.NamespacedName
	index int
	args  string
}

type resolvedMetric struct {
	metric v1alpha1.Metric
	err    error
}

// substituteCached is substitute for metric i of run, memoized per run and
// args. The metric returned is shared: read only.
func (r *Reconciler) substituteCached(run *v1alpha1.AnalysisRun, i int, args []v1alpha1.Argument) (v1alpha1.Metric, error) {
	k := resolveKey{uid: run.UID, run: types.NamespacedName{Namespace: run.Namespace, Name: run.Name}, index: i, args: argsKey(args)}
	r.mu.Lock()
	defer r.mu.Unlock()
	if got, ok := r.resolved[k]; ok {
		return got.metric, got.err
	}
	m, err := substitute(run.Spec.Metrics[i], args)
	if r.resolved == nil || len(r.resolved) >= maxPlans {
		r.resolved = map[resolveKey]resolvedMetric{}
	}
	r.resolved[k] = resolvedMetric{m, err}
	return m, err
}

// Reconcile brings one AnalysisRun up to date. It returns when the run next wants
// attention (zero: only when something changes).
func (r *Reconciler) Reconcile(ctx context.Context, key types.NamespacedName) (after time.Duration, err error) {
	// Read-only: reconcile works on a copy.
	work := &v1alpha1.AnalysisRun{}
	obj, err := engine.GetReadOnly(ctx, r.Client, key, work)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return 0, nil
		}
		return 0, err
	}
	run := obj.(*v1alpha1.AnalysisRun)
	if run.Status.Phase.Completed() {
		return 0, nil
	}
	if after, ok := r.echoes.lookup(key, run, r.Clock.Now()); ok {
		return after, nil
	}
	if run == work {
		// Filled by a plain Get: the original stays for the comparison.
		work = &v1alpha1.AnalysisRun{}
	}
	updated, next := r.reconcile(ctx, run, work)
	if !statusEqual(&run.Status, &updated.Status) {
		// The AnalysisRun CRD has no status subresource: the controller writes the
		// whole object, and every write bumps its generation. updated shares
		// the cached run's unchanged parts and is not touched after: handed
		// over rather than copied.
		if err := r.Client.Update(ctx, updated, engine.HandOver); err != nil {
			return 0, fmt.Errorf("updating AnalysisRun %s: %w", key.Name, err)
		}
		defer func() { r.echoes.wrote(key, updated, r.Clock.Now(), after) }()
	}
	if next == nil {
		return 0, nil
	}
	// Anything due now was measured in this reconcile.
	return max(0, next.Sub(r.Clock.Now())), nil
}

func (r *Reconciler) now() metav1.Time {
	// The API stores timestamps with one-second precision.
	return engine.Now(r.Clock)
}

// reconcile works on a copy of the run and returns it with the next wake-up time.
// run, an object of its own, is where the copy is made.
func (r *Reconciler) reconcile(ctx context.Context, orig, run *v1alpha1.AnalysisRun) (*v1alpha1.AnalysisRun, *time.Time) {
	// Only the status changes: metadata and spec are orig's, shared and only
	// read (orig may be the cache's own object; runScript checks it is left as
	// it was).
	*run = v1alpha1.AnalysisRun{TypeMeta: orig.TypeMeta, ObjectMeta: orig.ObjectMeta, Spec: orig.Spec, Status: workingStatus(&orig.Status)}
	if run.Status.MetricResults == nil {
		run.Status.MetricResults = []v1alpha1.MetricResult{}
	}
	fail := func(message string) (*v1alpha1.AnalysisRun, *time.Time) {
		run.Status.Phase = v1alpha1.AnalysisPhaseError
		run.Status.Message = message
		r.completionEvent(run)
		return run, nil
	}
	p := r.planOf(run)
	if p.failure != "" {
		return fail(p.failure)
	}
	metrics, dryRun := p.metrics, p.dryRun

	tasks := r.dueTasks(run, metrics)
	if err := r.measure(ctx, run, p, tasks); err != nil {
		return fail(fmt.Sprintf("Unable to resolve metric arguments: %v", err))
	}

	phase, message := r.assessRun(run, metrics, dryRun)
	if phase != run.Status.Phase {
		run.Status.Phase = phase
		run.Status.Message = message
		if phase.Completed() {
			r.completionEvent(run)
			if run.Status.CompletedAt == nil {
				now := r.now()
				run.Status.CompletedAt = &now
			}
		}
	}
	trimHistory(run, p.retention)
	return run, nextReconcile(run, metrics, r.Clock.Now())
}

// workingStatus is a copy of st that reconcile may change: the status and its
// metric results are its own. What the controller only ever replaces and never
// writes through is shared: timestamps, the dry-run summary, metadata maps and
// the measurement slices (measure gives a result a new slice when it records a
// measurement, most reconciles record none).
func workingStatus(st *v1alpha1.AnalysisRunStatus) v1alpha1.AnalysisRunStatus {
	out := *st
	out.MetricResults = slices.Clone(st.MetricResults)
	return out
}

func (r *Reconciler) completionEvent(run *v1alpha1.AnalysisRun) {
	if r.Recorder == nil {
		return
	}
	r.Recorder.Event(run, eventType(run.Status.Phase), "AnalysisRun"+string(run.Status.Phase),
		fmt.Sprintf("Analysis Completed. Result: %s", run.Status.Phase))
}

func eventType(p v1alpha1.AnalysisPhase) string {
	if p == v1alpha1.AnalysisPhaseError || p == v1alpha1.AnalysisPhaseFailed {
		return engine.EventWarning
	}
	return engine.EventNormal
}

// task is one metric to measure in this reconcile; inFlight is set when an
// unfinished measurement is to be resumed or terminated.
type task struct {
	index    int
	inFlight *v1alpha1.Measurement
}

func result(run *v1alpha1.AnalysisRun, name string) *v1alpha1.MetricResult {
	for i := range run.Status.MetricResults {
		if run.Status.MetricResults[i].Name == name {
			return &run.Status.MetricResults[i]
		}
	}
	return nil
}

func lastMeasurement(run *v1alpha1.AnalysisRun, name string) *v1alpha1.Measurement {
	res := result(run, name)
	if res == nil || len(res.Measurements) == 0 {
		return nil
	}
	return &res.Measurements[len(res.Measurements)-1]
}

// terminating is upstream's IsTerminating: asked to stop, or a non-dry-run metric
// already ended badly.
func terminating(run *v1alpha1.AnalysisRun) bool {
	if run.Spec.Terminate {
		return true
	}
	for _, res := range run.Status.MetricResults {
		if res.DryRun {
			continue
		}
		switch res.Phase {
		case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseInconclusive:
			return true
		}
	}
	return false
}

// due reports whether a wait measured from `from` has passed. The controller asks to
// be woken exactly at the boundary and checks "now after boundary"; it wakes a few
// milliseconds late, so at the boundary instant the measurement is taken.
func due(now time.Time, from time.Time, wait time.Duration) bool {
	return !now.Before(from.Add(wait))
}

func (r *Reconciler) dueTasks(run *v1alpha1.AnalysisRun, metrics []v1alpha1.Metric) []task {
	now := r.Clock.Now()
	stopping := terminating(run)
	var tasks []task
	for i, m := range metrics {
		if res := result(run, m.Name); res != nil && res.Phase.Completed() {
			continue
		}
		last := lastMeasurement(run, m.Name)
		if last != nil && last.FinishedAt == nil {
			if !stopping && last.ResumeAt != nil && last.ResumeAt.Time.After(now) {
				continue
			}
			tasks = append(tasks, task{index: i, inFlight: last.DeepCopy()})
			continue
		}
		if stopping {
			continue
		}
		if last == nil {
			if m.InitialDelay != "" {
				// startedAt is stamped at the end of the first reconcile, so a delayed
				// metric is never measured in the very first one.
				if run.Status.StartedAt == nil {
					continue
				}
				d, err := m.InitialDelay.Duration()
				if err != nil || !due(now, run.Status.StartedAt.Time, d) {
					continue
				}
			}
			tasks = append(tasks, task{index: i})
			continue
		}
		res := result(run, m.Name)
		if c := m.EffectiveCount(); c != nil && res.Count >= int32(c.IntValue()) {
			continue
		}
		wait := errorRetry
		if last.Phase != v1alpha1.AnalysisPhaseError && m.Interval != "" {
			d, err := m.Interval.Duration()
			if err != nil {
				continue
			}
			wait = d
		}
		if due(now, last.FinishedAt.Time, wait) {
			tasks = append(tasks, task{index: i})
		}
	}
	return tasks
}

// measure runs, resumes or terminates the measurements of the due tasks. Metrics are
// resolved with the real argument values here (secrets included).
func (r *Reconciler) measure(ctx context.Context, run *v1alpha1.AnalysisRun, p *plan, tasks []task) error {
	if len(tasks) == 0 {
		return nil
	}
	stopping := terminating(run)
	// Without secrets the metrics are the plan's and need no args.
	var args []v1alpha1.Argument
	var secrets []string
	if !p.secretFree {
		var err error
		if args, secrets, err = r.resolveSecrets(ctx, run); err != nil {
			return err
		}
	}
	for _, t := range tasks {
		metric, err := r.measured(run, p, t.index, args)
		if err != nil {
			return err
		}
		var m v1alpha1.Measurement
		provider, perr := r.Providers.For(run.Namespace, metric)
		switch {
		case perr != nil:
			if t.inFlight != nil {
				m = *t.inFlight
			} else {
				now := r.now()
				m.StartedAt = &now
			}
			m.Phase = v1alpha1.AnalysisPhaseError
			m.Message = perr.Error()
		case t.inFlight == nil:
			m = provider.Run(ctx, run, metric)
		case stopping:
			m = provider.Terminate(ctx, run, metric, *t.inFlight)
			if m.Phase == v1alpha1.AnalysisPhaseSuccessful || m.Phase == v1alpha1.AnalysisPhaseInconclusive {
				m.Message = "Metric Terminated"
			}
		default:
			m = provider.Resume(ctx, run, metric, *t.inFlight)
		}

		res := result(run, metric.Name)
		if res == nil {
			run.Status.MetricResults = append(run.Status.MetricResults, v1alpha1.MetricResult{
				Name:   metric.Name,
				Phase:  v1alpha1.AnalysisPhaseRunning,
				DryRun: p.dryRun[metric.Name],
			})
			res = &run.Status.MetricResults[len(run.Status.MetricResults)-1]
			if provider != nil {
				res.Metadata = provider.Metadata(metric)
				// Upstream stores the metadata of the secret-resolved metric (e.g. a
				// resolved query holding a token); rollsim redacts it like messages,
				// so that secret values never reach a report.
				for k, v := range res.Metadata {
					res.Metadata[k] = redact(v, secrets)
				}
			}
		}
		if m.Phase.Completed() {
			if m.FinishedAt == nil {
				now := r.now()
				m.FinishedAt = &now
			}
			r.count(res, m.Phase)
		}
		m.Message = redact(m.Message, secrets)
		m.Value = redact(m.Value, secrets)
		res.Measurements = recorded(res.Measurements, m, t.inFlight != nil, historyLimit(p.retention, res.Name))

	}
	return nil
}

// count updates a metric's counters for one completed measurement.
func (r *Reconciler) count(res *v1alpha1.MetricResult, phase v1alpha1.AnalysisPhase) {
	switch phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		res.Successful++
		res.Count++
		res.ConsecutiveError = 0
		res.ConsecutiveSuccess++
	case v1alpha1.AnalysisPhaseFailed:
		res.Failed++
		res.Count++
		res.ConsecutiveError = 0
		res.ConsecutiveSuccess = 0
	case v1alpha1.AnalysisPhaseInconclusive:
		res.Inconclusive++
		res.Count++
		if r.Version.InconclusiveResetsErrors() {
			res.ConsecutiveError = 0
		}
		res.ConsecutiveSuccess = 0
	case v1alpha1.AnalysisPhaseError:
		// Errors do not count towards `count`.
		res.Error++
		res.ConsecutiveError++
		res.ConsecutiveSuccess = 0
	}
}

// resolveSecrets returns the run's args with secretKeyRef values read from their
// Secrets, and the secret values to redact from messages.
func (r *Reconciler) resolveSecrets(ctx context.Context, run *v1alpha1.AnalysisRun) ([]v1alpha1.Argument, []string, error) {
	args := make([]v1alpha1.Argument, len(run.Spec.Args))
	var secrets []string
	for i, a := range run.Spec.Args {
		args[i] = *a.DeepCopy()
		if a.ValueFrom == nil || a.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := a.ValueFrom.SecretKeyRef
		var s corev1.Secret
		if err := r.Client.Get(ctx, types.NamespacedName{Namespace: run.Namespace, Name: ref.Name}, &s); err != nil {
			return nil, nil, err
		}
		v, ok := s.Data[ref.Key]
		if !ok {
			if sv, ok2 := s.StringData[ref.Key]; ok2 {
				v, ok = []byte(sv), true
			}
		}
		if !ok {
			return nil, nil, fmt.Errorf("key '%s' does not exist in secret '%s'", ref.Key, ref.Name)
		}
		value := string(v)
		args[i].Value = &value
		args[i].ValueFrom = nil
		secrets = append(secrets, value)
	}
	return args, secrets, nil
}

// recorded is a new slice of the measurements: ms with m appended, or in place
// of the last one (replace), keeping at most limit. ms may be the cache's.
func recorded(ms []v1alpha1.Measurement, m v1alpha1.Measurement, replace bool, limit int) []v1alpha1.Measurement {
	if replace {
		ms = ms[:len(ms)-1]
	}
	keep := min(len(ms)+1, limit)
	out := make([]v1alpha1.Measurement, keep)
	copy(out, ms[len(ms)+1-keep:])
	out[keep-1] = m
	return out
}

// historyLimit is how many measurements a metric keeps.
func historyLimit(retention map[string]int32, metric string) int {
	if l, ok := retention[metric]; ok && l > 0 {
		return int(l)
	}
	return defaultHistory
}

func trimHistory(run *v1alpha1.AnalysisRun, retention map[string]int32) {
	for i := range run.Status.MetricResults {
		res := &run.Status.MetricResults[i]
		limit := historyLimit(retention, res.Name)
		if n := len(res.Measurements); n > limit {
			res.Measurements = append([]v1alpha1.Measurement(nil), res.Measurements[n-limit:]...)
		}
	}
}

// nextReconcile is the earliest time a metric wants a measurement (or a resume).
func nextReconcile(run *v1alpha1.AnalysisRun, metrics []v1alpha1.Metric, now time.Time) *time.Time {
	var next *time.Time
	consider := func(t time.Time) {
		if next == nil || t.Before(*next) {
			next = &t
		}
	}
	for _, m := range metrics {
		res := result(run, m.Name)
		if res != nil && res.Phase.Completed() {
			continue
		}
		last := lastMeasurement(run, m.Name)
		if last == nil {
			if m.InitialDelay != "" {
				start := now
				if run.Status.StartedAt != nil {
					start = run.Status.StartedAt.Time
				}
				if d, err := m.InitialDelay.Duration(); err == nil {
					consider(start.Add(d))
				}
			}
			continue
		}
		if last.FinishedAt == nil {
			if last.ResumeAt != nil {
				consider(last.ResumeAt.Time)
			}
			continue
		}
		if c := m.EffectiveCount(); c != nil && res.Count >= int32(c.IntValue()) {
			continue
		}
		switch {
		case last.Phase == v1alpha1.AnalysisPhaseError:
			consider(last.FinishedAt.Add(errorRetry))
		case m.Interval != "":
			if d, err := m.Interval.Duration(); err == nil {
				consider(last.FinishedAt.Add(d))
			}
		}
	}
	return next
}
