package sim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rollsim/rollsim/engine"

	"github.com/rollsim/rollsim/sim/scenario"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/analysis"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/conditions"
	"github.com/rollsim/rollsim/engine/providers/job"
	"github.com/rollsim/rollsim/engine/providers/prometheus"
	"github.com/rollsim/rollsim/engine/providers/web"
)

// providers builds the metric providers of a run: the real provider logic for
// prometheus, web and job metrics, wired to the simulation's own Prometheus, web
// responses and Job controller; scripted values for every other provider.
type providers struct {
	prom    *promAPI
	web     *webScripts
	c       client.Client
	clock   clock.PassiveClock
	wording conditions.Wording
	values  map[string]*valueScript
}

func (p *providers) For(_ string, metric v1alpha1.Metric) (analysis.Provider, error) {
	switch {
	case metric.Provider.Prometheus != nil:
		return prometheus.New(p.prom, p.clock, metric, p.wording)
	case metric.Provider.Web != nil:
		return web.New(p.web, p.clock, metric, p.wording)
	case metric.Provider.Job != nil:
		return job.New(p.c, p.clock), nil
	}
	s, ok := p.values[metric.Name]
	if !ok {
		// Load-time validation requires a script for such metrics; a metric name
		// built from args at run time may still miss one.
		return nil, fmt.Errorf("rollsim: no spec.providers.values script for metric %q", metric.Name)
	}
	return &valueProvider{script: s, clock: p.clock, wording: p.wording}, nil
}

// webScripts answers HTTP requests from spec.providers.web; nothing leaves the process.
type webScripts struct {
	scripts []scenario.WebScript
	next    map[int]int
}

func (w *webScripts) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	for i, s := range w.scripts {
		if s.URL != req.URL.String() || (s.Method != "" && !strings.EqualFold(s.Method, req.Method)) {
			continue
		}
		n := w.next[i]
		w.next[i] = n + 1
		r := s.Responses[min(n, len(s.Responses)-1)]
		if r.Error != "" {
			return nil, fmt.Errorf("%s", r.Error)
		}
		status := r.Status
		if status == 0 {
			status = http.StatusOK
		}
		return &http.Response{
			StatusCode: status,
			Status:     fmt.Sprintf("%d %s", status, http.StatusText(status)),
			Header:     http.Header{},
			Body:       io.NopCloser(bytes.NewReader([]byte(r.Body))),
			Request:    req,
		}, nil
	}
	return nil, fmt.Errorf("rollsim: no scripted response for %s %s (add it to spec.providers.web)", req.Method, req.URL)
}

// valueScript hands out one scripted value per measurement.
type valueScript struct {
	values []scenario.Value
	next   int
}

type valueProvider struct {
	script  *valueScript
	clock   clock.PassiveClock
	wording conditions.Wording
}

func (v *valueProvider) Run(_ context.Context, _ *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement {
	now := engine.Now(v.clock)
	val := v.script.values[min(v.script.next, len(v.script.values)-1)]
	v.script.next++
	result, text := val.Result()
	m := v1alpha1.Measurement{StartedAt: &now, FinishedAt: &now}
	phase, err := conditions.Evaluate(result, metric.SuccessCondition, metric.FailureCondition, v.wording)
	if err != nil {
		m.Phase, m.Message = v1alpha1.AnalysisPhaseError, err.Error()
		return m
	}
	m.Phase, m.Value = v1alpha1.AnalysisPhase(phase), text
	return m
}

func (v *valueProvider) Resume(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}

func (v *valueProvider) Terminate(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}

func (v *valueProvider) Metadata(v1alpha1.Metric) map[string]string { return nil }

// jobScripts plays the Job controller: a Job created for a metric ends as the
// scenario scripts it, after the scripted time.
type jobScripts struct {
	scripts map[string]*scenario.JobScript
	next    map[string]int
}

func (r *runner) jobCreated(ctx context.Context, j *batchv1.Job) {
	metric := j.Annotations[job.MetricAnnotation]
	s := r.jobs.scripts[metric]
	if s == nil {
		r.note("Job/"+j.Name, "JobNotScripted", fmt.Sprintf("no spec.providers.job script for metric %q: the Job never finishes", metric))
		return
	}
	n := r.jobs.next[metric]
	r.jobs.next[metric] = n + 1
	res := s.Results[min(n, len(s.Results)-1)]
	if res.Result == scenario.JobImagePullBackOff {
		r.jobNeverStarts(ctx, j)
		return
	}
	after := scenario.DefaultJobDuration
	if res.After != nil {
		after = res.After.Duration
	}
	key := types.NamespacedName{Namespace: j.Namespace, Name: j.Name}
	started := r.clock.Now()
	r.clock.At(started.Add(after), workEvent, func() {
		if err := r.finishJob(ctx, key, res.Result, started); err != nil {
			r.fail(err)
		}
	})
}

// jobNeverStarts is a Job whose pod stays Pending (ErrImagePull, then
// ImagePullBackOff): active, never complete, so the job provider keeps the
// measurement Running (upstream metricproviders/job); with
// activeDeadlineSeconds the Job controller fails it once the deadline passes.
func (r *runner) jobNeverStarts(ctx context.Context, j *batchv1.Job) {
	key := types.NamespacedName{Namespace: j.Namespace, Name: j.Name}
	started := r.clock.Now()
	r.note("Job/"+j.Name, "ImagePullBackOff", fmt.Sprintf("the pod of Job %s cannot pull its image: it never starts", j.Name))
	r.clock.At(started, workEvent, func() {
		var cur batchv1.Job
		if err := r.c.Get(ctx, key, &cur); err != nil {
			if !apierrors.IsNotFound(err) {
				r.fail(err)
			}
			return
		}
		start := engine.Time(started)
		cur.Status.StartTime = &start
		cur.Status.Active = 1
		if err := r.c.Status().Update(ctx, &cur); err != nil {
			r.fail(err)
		}
	})
	if d := j.Spec.ActiveDeadlineSeconds; d != nil {
		r.clock.At(started.Add(time.Duration(*d)*time.Second), workEvent, func() {
			if err := r.failJob(ctx, key, started, "DeadlineExceeded", "Job was active longer than specified deadline"); err != nil {
				r.fail(err)
			}
		})
	}
}

// failJob ends an active Job as Failed with the Job controller's reason.
func (r *runner) failJob(ctx context.Context, key types.NamespacedName, started time.Time, reason, message string) error {
	var j batchv1.Job
	if err := r.c.Get(ctx, key, &j); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	now := engine.Now(r.clock)
	start := engine.Time(started)
	j.Status.StartTime = &start
	j.Status.Active = 0
	j.Status.Failed = 1
	j.Status.Conditions = []batchv1.JobCondition{
		{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: reason, Message: message, LastProbeTime: now, LastTransitionTime: now},
		{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: reason, Message: message, LastProbeTime: now, LastTransitionTime: now},
	}
	if err := r.c.Status().Update(ctx, &j); err != nil {
		return err
	}
	r.note("Job/"+j.Name, "JobFailed", fmt.Sprintf("Job %s failed: %s", j.Name, message))
	return nil
}

// finishJob writes the status a Job controller writes when the Job ends.
func (r *runner) finishJob(ctx context.Context, key types.NamespacedName, result string, started time.Time) error {
	var j batchv1.Job
	if err := r.c.Get(ctx, key, &j); err != nil {
		if apierrors.IsNotFound(err) {
			return nil // deleted (terminated) before it finished
		}
		return err
	}
	now := engine.Now(r.clock)
	start := engine.Time(started)
	j.Status.StartTime = &start
	if result == "Succeeded" {
		j.Status.Succeeded = 1
		j.Status.CompletionTime = &now
		j.Status.Conditions = []batchv1.JobCondition{
			{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastProbeTime: now, LastTransitionTime: now},
			{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastProbeTime: now, LastTransitionTime: now},
		}
	} else {
		j.Status.Failed = 1
		j.Status.Conditions = []batchv1.JobCondition{
			{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit", LastProbeTime: now, LastTransitionTime: now},
			{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit", LastProbeTime: now, LastTransitionTime: now},
		}
	}
	if err := r.c.Status().Update(ctx, &j); err != nil {
		return err
	}
	r.note("Job/"+j.Name, "Job"+result, fmt.Sprintf("Job %s %s", j.Name, strings.ToLower(result)))
	return nil
}

func newValueScripts(in []scenario.ValueScript) map[string]*valueScript {
	out := map[string]*valueScript{}
	for _, s := range in {
		out[s.Metric] = &valueScript{values: s.Values}
	}
	return out
}

func newJobScripts(in []scenario.JobScript) *jobScripts {
	j := &jobScripts{scripts: map[string]*scenario.JobScript{}, next: map[string]int{}}
	for i := range in {
		j.scripts[in[i].Metric] = &in[i]
	}
	return j
}
