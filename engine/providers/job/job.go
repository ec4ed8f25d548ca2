// Package job is the Job metric provider: each measurement creates a batch/v1 Job
// from the metric's template and is Successful when the Job completes, Failed when
// it fails (upstream metricproviders/job). The Job is polled with the controller's
// growing back-off; terminating a measurement deletes its Job.
package job

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rollsim/rollsim/engine"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/analysis"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Labels, annotations and metadata keys the controller uses.
const (
	JobNameKey        = "job-name"
	JobNamespaceKey   = "job-namespace"
	RunNameAnnotation = "analysisrun.argoproj.io/name"
	RunNSAnnotation   = "analysisrun.argoproj.io/namespace"
	MetricAnnotation  = "analysisrun.argoproj.io/metric-name"
	RunUIDLabel       = "analysisrun.argoproj.io/uid"
	dnsLimit          = 63
)

// Provider measures one job metric.
type Provider struct {
	c     client.Client
	clock clock.PassiveClock
}

// New builds the provider.
func New(c client.Client, clk clock.PassiveClock) *Provider { return &Provider{c: c, clock: clk} }

func (p *Provider) now() *metav1.Time {
	t := engine.Now(p.clock)
	return &t
}

func (p *Provider) fail(m v1alpha1.Measurement, err error) v1alpha1.Measurement {
	m.Phase = v1alpha1.AnalysisPhaseError
	m.Message = err.Error()
	m.FinishedAt = p.now()
	return m
}

// JobName is `<run UID>.<metric>.<n>`, n counting this metric's measurements from 1;
// the metric part is shortened to keep the name within 63 characters.
func JobName(run *v1alpha1.AnalysisRun, metric string) string {
	n := int32(1)
	for _, r := range run.Status.MetricResults {
		if r.Name == metric {
			n = r.Count + r.Error + 1
		}
	}
	name := fmt.Sprintf("%s.%s.%d", run.UID, metric, n)
	if over := len(name) - dnsLimit; over > 0 && over < len(metric) {
		name = fmt.Sprintf("%s.%s.%d", run.UID, metric[:len(metric)-over], n)
	}
	return name
}

func newJob(run *v1alpha1.AnalysisRun, metric v1alpha1.Metric) *batchv1.Job {
	tpl := metric.Provider.Job.DeepCopy()
	labels := tpl.Metadata.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	annotations := tpl.Metadata.Annotations
	if annotations == nil {
		annotations = map[string]string{}
	}
	labels[RunUIDLabel] = string(run.UID)
	annotations[RunNameAnnotation] = run.Name
	annotations[RunNSAnnotation] = run.Namespace
	annotations[MetricAnnotation] = metric.Name
	podLabels := tpl.Spec.Template.Labels
	if podLabels == nil {
		podLabels = map[string]string{}
	}
	podLabels[RunUIDLabel] = string(run.UID)
	tpl.Spec.Template.Labels = podLabels
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:            JobName(run, metric.Name),
			Namespace:       run.Namespace,
			Labels:          labels,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(run, v1alpha1.GroupVersion.WithKind("AnalysisRun"))},
		},
		Spec: tpl.Spec,
	}
}

// Run creates the Job; the measurement stays Running until Resume sees it finish.
func (p *Provider) Run(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement {
	now := p.now()
	m := v1alpha1.Measurement{StartedAt: now, Phase: v1alpha1.AnalysisPhaseRunning}
	job := newJob(run, metric)
	if err := p.c.Create(ctx, job); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			return p.fail(m, err)
		}
		var existing batchv1.Job
		if gerr := p.c.Get(ctx, client.ObjectKeyFromObject(job), &existing); gerr != nil {
			return p.fail(m, err)
		}
		if ref := metav1.GetControllerOf(&existing); ref == nil || ref.UID != run.UID {
			return p.fail(m, err)
		}
		job = &existing
	}
	m.Metadata = map[string]string{JobNameKey: job.Name, JobNamespaceKey: job.Namespace}
	m.ResumeAt = now
	return m
}

func jobKey(m v1alpha1.Measurement, namespace string) (types.NamespacedName, error) {
	if m.Metadata == nil || m.Metadata[JobNameKey] == "" {
		return types.NamespacedName{}, errors.New("job metadata reference missing")
	}
	k := types.NamespacedName{Namespace: namespace, Name: m.Metadata[JobNameKey]}
	if ns := m.Metadata[JobNamespaceKey]; ns != "" {
		k.Namespace = ns
	}
	return k, nil
}

// Resume looks at the Job: Complete is Successful, Failed is Failed, a pod stuck
// pulling its image is Inconclusive; otherwise it polls again after sqrt(2·elapsed)
// seconds, as upstream does.
func (p *Provider) Resume(ctx context.Context, run *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	k, err := jobKey(m, run.Namespace)
	if err != nil {
		return p.fail(m, err)
	}
	var job batchv1.Job
	if err := p.c.Get(ctx, k, &job); err != nil {
		return p.fail(m, err)
	}
	now := p.now()
	for _, c := range job.Status.Conditions {
		switch c.Type {
		case batchv1.JobComplete:
			m.FinishedAt, m.Phase = now, v1alpha1.AnalysisPhaseSuccessful
		case batchv1.JobFailed:
			m.FinishedAt, m.Phase = now, v1alpha1.AnalysisPhaseFailed
		}
	}
	if m.Phase.Completed() {
		return m
	}
	sel, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
	if err == nil && job.Spec.Selector != nil {
		var pods corev1.PodList
		if err := p.c.List(ctx, &pods, client.InNamespace(k.Namespace), client.MatchingLabelsSelector{Selector: sel}); err == nil {
			if msg := terminalPodError(pods.Items); msg != "" {
				m.FinishedAt, m.Message, m.Phase = now, msg, v1alpha1.AnalysisPhaseInconclusive
				return m
			}
		}
	}
	elapsed := p.clock.Now().Sub(m.StartedAt.Time)
	delay := time.Duration(math.Sqrt(2*elapsed.Seconds()) * float64(time.Second))
	if delay < time.Second {
		// The API keeps seconds; poll again no sooner than the next one.
		delay = time.Second
	}
	resume := engine.Time(p.clock.Now().Add(delay))
	m.ResumeAt = &resume
	return m
}

var terminalWaiting = map[string]bool{"ErrImagePull": true, "ImagePullBackOff": true, "InvalidImageName": true}

func terminalPodError(pods []corev1.Pod) string {
	for _, pod := range pods {
		statuses := append(append([]corev1.ContainerStatus(nil), pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
		for _, cs := range statuses {
			if w := cs.State.Waiting; w != nil && terminalWaiting[w.Reason] {
				return fmt.Sprintf("Pod %s, container %s has terminal error (%s): %s\n", pod.Name, cs.Name, w.Reason, w.Message)
			}
		}
	}
	return ""
}

// Terminate deletes the Job; the measurement ends Inconclusive.
func (p *Provider) Terminate(ctx context.Context, run *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	k, err := jobKey(m, run.Namespace)
	if err != nil {
		return p.fail(m, err)
	}
	policy := metav1.DeletePropagationForeground
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: k.Namespace, Name: k.Name}}
	if err := p.c.Delete(ctx, job, &client.DeleteOptions{PropagationPolicy: &policy}); err != nil && !apierrors.IsNotFound(err) {
		return p.fail(m, err)
	}
	m.FinishedAt = p.now()
	m.Phase = v1alpha1.AnalysisPhaseInconclusive
	return m
}

// Metadata: the job provider records none on the metric result.
func (p *Provider) Metadata(v1alpha1.Metric) map[string]string { return nil }

var _ analysis.Provider = (*Provider)(nil)
