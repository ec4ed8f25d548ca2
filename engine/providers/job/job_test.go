package job

import (
	"context"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

func setup(t *testing.T) (*Provider, *clocktesting.FakePassiveClock, *v1alpha1.AnalysisRun, v1alpha1.Metric) {
	t.Helper()
	scheme, err := v1alpha1.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktesting.NewFakePassiveClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	c := fake.NewClientBuilder().WithScheme(scheme).Build()
	run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "run", Namespace: "ns", UID: "3f1a"}}
	metric := v1alpha1.Metric{Name: "smoke", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{
		Metadata: metav1.ObjectMeta{Labels: map[string]string{"team": "shop"}},
		Spec:     batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "t", Image: "tests"}}}}},
	}}}
	return New(c, clk), clk, run, metric
}

func TestJobLifecycle(t *testing.T) {
	for _, tt := range []struct {
		condition batchv1.JobConditionType
		want      v1alpha1.AnalysisPhase
	}{{batchv1.JobComplete, v1alpha1.AnalysisPhaseSuccessful}, {batchv1.JobFailed, v1alpha1.AnalysisPhaseFailed}} {
		p, clk, run, metric := setup(t)
		ctx := context.Background()
		m := p.Run(ctx, run, metric)
		if m.Phase != v1alpha1.AnalysisPhaseRunning || m.Metadata[JobNameKey] != "3f1a.smoke.1" || m.Metadata[JobNamespaceKey] != "ns" || m.ResumeAt == nil {
			t.Fatalf("run: %+v", m)
		}
		var job batchv1.Job
		if err := p.c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "3f1a.smoke.1"}, &job); err != nil {
			t.Fatal(err)
		}
		if job.Labels[RunUIDLabel] != "3f1a" || job.Labels["team"] != "shop" || job.Annotations[MetricAnnotation] != "smoke" ||
			job.Spec.Template.Labels[RunUIDLabel] != "3f1a" || metav1.GetControllerOf(&job).Name != "run" {
			t.Fatalf("job metadata: %+v", job.ObjectMeta)
		}
		// Not finished: poll again after sqrt(2*elapsed) seconds.
		clk.SetTime(clk.Now().Add(50 * time.Second))
		m = p.Resume(ctx, run, metric, m)
		if m.Phase != v1alpha1.AnalysisPhaseRunning || !m.ResumeAt.Time.Equal(clk.Now().Add(10*time.Second)) {
			t.Fatalf("resume while running: %s %v", m.Phase, m.ResumeAt)
		}
		job.Status.Conditions = []batchv1.JobCondition{{Type: tt.condition, Status: corev1.ConditionTrue}}
		if err := p.c.Status().Update(ctx, &job); err != nil {
			t.Fatal(err)
		}
		m = p.Resume(ctx, run, metric, m)
		if m.Phase != tt.want || m.FinishedAt == nil {
			t.Fatalf("after %s: %s", tt.condition, m.Phase)
		}
	}
}

func TestJobTerminate(t *testing.T) {
	p, _, run, metric := setup(t)
	ctx := context.Background()
	m := p.Terminate(ctx, run, metric, p.Run(ctx, run, metric))
	if m.Phase != v1alpha1.AnalysisPhaseInconclusive {
		t.Fatalf("terminate: %s", m.Phase)
	}
	var job batchv1.Job
	if err := p.c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "3f1a.smoke.1"}, &job); !apierrors.IsNotFound(err) {
		t.Fatalf("job not deleted: %v", err)
	}
	if m := p.Resume(ctx, run, metric, v1alpha1.Measurement{}); m.Phase != v1alpha1.AnalysisPhaseError || m.Message != "job metadata reference missing" {
		t.Fatalf("missing metadata: %s %q", m.Phase, m.Message)
	}
}

func TestJobName(t *testing.T) {
	run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{UID: "0123456789abcdef0123456789abcdef0123"}}
	run.Status.MetricResults = []v1alpha1.MetricResult{{Name: "smoke", Count: 2, Error: 1}}
	if got := JobName(run, "smoke"); got != "0123456789abcdef0123456789abcdef0123.smoke.4" {
		t.Fatalf("got %s", got)
	}
	long := strings.Repeat("m", 40)
	if got := JobName(run, long); len(got) != dnsLimit || !strings.HasSuffix(got, ".1") {
		t.Fatalf("long name %s (%d)", got, len(got))
	}
}
