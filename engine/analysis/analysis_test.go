package analysis

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

func ios(i int) *intstr.IntOrString { v := intstr.FromInt32(int32(i)); return &v }

func measurements(phases ...v1alpha1.AnalysisPhase) []v1alpha1.Measurement {
	var out []v1alpha1.Measurement
	for _, p := range phases {
		out = append(out, v1alpha1.Measurement{Phase: p})
	}
	return out
}

const (
	ok   = v1alpha1.AnalysisPhaseSuccessful
	bad  = v1alpha1.AnalysisPhaseFailed
	inc  = v1alpha1.AnalysisPhaseInconclusive
	errp = v1alpha1.AnalysisPhaseError
	run  = v1alpha1.AnalysisPhaseRunning
	pend = v1alpha1.AnalysisPhasePending
)

// One row per rule of the metric assessment (spec: "Metric assessment").
func TestAssessMetric(t *testing.T) {
	tests := []struct {
		name     string
		metric   v1alpha1.Metric
		result   v1alpha1.MetricResult
		stopping bool
		want     v1alpha1.AnalysisPhase
	}{
		{"completed result is kept", v1alpha1.Metric{}, v1alpha1.MetricResult{Phase: bad}, false, bad},
		{"no measurement: pending", v1alpha1.Metric{}, v1alpha1.MetricResult{}, false, pend},
		{"no measurement, terminating: successful", v1alpha1.Metric{}, v1alpha1.MetricResult{}, true, ok},
		{"in-flight measurement: running", v1alpha1.Metric{}, v1alpha1.MetricResult{Measurements: measurements(run)}, true, run},
		{"default failureLimit 0 fails on first failure", v1alpha1.Metric{Interval: "1m", Count: ios(5)},
			v1alpha1.MetricResult{Count: 1, Failed: 1, Measurements: measurements(bad)}, false, bad},
		{"failureLimit 2, three failures", v1alpha1.Metric{Interval: "1m", FailureLimit: ios(2)},
			v1alpha1.MetricResult{Count: 3, Failed: 3, Measurements: measurements(bad, bad, bad)}, false, bad},
		{"failureLimit 3, three failures: running", v1alpha1.Metric{Interval: "1m", FailureLimit: ios(3)},
			v1alpha1.MetricResult{Count: 3, Failed: 3, Measurements: measurements(bad, bad, bad)}, false, run},
		{"failureLimit 3, three failures, terminating: successful", v1alpha1.Metric{Interval: "1m", FailureLimit: ios(3)},
			v1alpha1.MetricResult{Count: 3, Failed: 3, Measurements: measurements(bad, bad, bad)}, true, ok},
		{"negative failureLimit disables the check", v1alpha1.Metric{FailureLimit: ios(-1), ConsecutiveSuccessLimit: ios(1), Interval: "1m"},
			v1alpha1.MetricResult{Count: 4, Failed: 4, Measurements: measurements(bad)}, false, run},
		{"inconclusive over limit", v1alpha1.Metric{Interval: "1m", Count: ios(10)},
			v1alpha1.MetricResult{Count: 10, Successful: 5, Inconclusive: 5, Measurements: measurements(inc)}, false, inc},
		{"5 consecutive errors: error", v1alpha1.Metric{Interval: "1m"},
			v1alpha1.MetricResult{Error: 5, ConsecutiveError: 5, Measurements: measurements(errp)}, false, errp},
		{"4 consecutive errors: still running", v1alpha1.Metric{Interval: "1m"},
			v1alpha1.MetricResult{Error: 4, ConsecutiveError: 4, Measurements: measurements(errp)}, false, run},
		{"error beats failure", v1alpha1.Metric{Interval: "1m", ConsecutiveErrorLimit: ios(0)},
			v1alpha1.MetricResult{Failed: 1, Count: 1, ConsecutiveError: 1, Measurements: measurements(errp)}, false, errp},
		{"consecutive success limit reached before count", v1alpha1.Metric{Interval: "1m", Count: ios(10), ConsecutiveSuccessLimit: ios(3), FailureLimit: ios(5)},
			v1alpha1.MetricResult{Count: 4, Successful: 3, Failed: 1, ConsecutiveSuccess: 3, Measurements: measurements(ok)}, false, ok},
		{"count reached, CSL missed, failureLimit applies: inconclusive", v1alpha1.Metric{Interval: "1m", Count: ios(4), ConsecutiveSuccessLimit: ios(3), FailureLimit: ios(2)},
			v1alpha1.MetricResult{Count: 4, Successful: 2, Failed: 2, ConsecutiveSuccess: 1, Measurements: measurements(ok)}, false, inc},
		{"count reached, CSL missed, failureLimit disabled: failed", v1alpha1.Metric{Interval: "1m", Count: ios(4), ConsecutiveSuccessLimit: ios(3), FailureLimit: ios(-1)},
			v1alpha1.MetricResult{Count: 4, Successful: 2, Failed: 2, ConsecutiveSuccess: 1, Measurements: measurements(ok)}, false, bad},
		{"count reached: successful", v1alpha1.Metric{Interval: "1m", Count: ios(3), FailureLimit: ios(1)},
			v1alpha1.MetricResult{Count: 3, Successful: 2, Failed: 1, Measurements: measurements(ok)}, false, ok},
		{"no count, no interval: one measurement", v1alpha1.Metric{},
			v1alpha1.MetricResult{Count: 1, Successful: 1, Measurements: measurements(ok)}, false, ok},
		{"open-ended metric keeps running", v1alpha1.Metric{Interval: "1m"},
			v1alpha1.MetricResult{Count: 7, Successful: 7, Measurements: measurements(ok)}, false, run},
		{"errors do not count towards count", v1alpha1.Metric{Interval: "1m", Count: ios(2)},
			v1alpha1.MetricResult{Count: 1, Successful: 1, Error: 3, Measurements: measurements(ok, errp)}, false, run},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := assessMetric(tt.metric, tt.result, tt.stopping); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestValidateMetric(t *testing.T) {
	prom := v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Query: "up"}}
	tests := []struct {
		name   string
		metric v1alpha1.Metric
		want   string
	}{
		{"valid", v1alpha1.Metric{Name: "m", Provider: prom}, ""},
		{"negative CSL", v1alpha1.Metric{ConsecutiveSuccessLimit: ios(-1), Provider: prom}, "consecutiveSuccessLimit must be >= 0"},
		{"failureLimit -2", v1alpha1.Metric{FailureLimit: ios(-2), Provider: prom}, "failureLimit must be >= 0, or -1 to be disabled"},
		{"both disabled", v1alpha1.Metric{FailureLimit: ios(-1), Provider: prom}, "failureLimit and consecutiveSuccessLimit cannot both be disabled"},
		{"negative inconclusiveLimit", v1alpha1.Metric{InconclusiveLimit: ios(-1), Provider: prom}, "inconclusiveLimit must be >= 0"},
		{"negative consecutiveErrorLimit", v1alpha1.Metric{ConsecutiveErrorLimit: ios(-1), Provider: prom}, "consecutiveErrorLimit must be >= 0"},
		{"count below limits", v1alpha1.Metric{Count: ios(3), Interval: "1m", FailureLimit: ios(2), ConsecutiveSuccessLimit: ios(2), Provider: prom},
			"count (3) must be >= failureLimit + consecutiveSuccessLimit (2 + 2) if both >= 0"},
		{"count below CSL", v1alpha1.Metric{Count: ios(2), Interval: "1m", FailureLimit: ios(-1), ConsecutiveSuccessLimit: ios(3), Provider: prom}, "count must be >= consecutiveSuccessLimit"},
		{"count below inconclusiveLimit", v1alpha1.Metric{Count: ios(2), Interval: "1m", InconclusiveLimit: ios(3), Provider: prom}, "count must be >= inconclusiveLimit"},
		{"count without interval", v1alpha1.Metric{Count: ios(2), Provider: prom}, "interval must be specified when count > 1"},
		{"bad interval", v1alpha1.Metric{Interval: "5 minutes", Provider: prom}, "invalid interval string"},
		{"bad initialDelay", v1alpha1.Metric{InitialDelay: "soon", Provider: prom}, "invalid startDelay string"},
		{"no provider", v1alpha1.Metric{}, "no provider specified"},
		{"two providers", v1alpha1.Metric{Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{}, Web: &v1alpha1.WebMetric{}}}, "multiple providers specified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateMetric(tt.metric)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	if err := validateMetrics(nil); err == nil || err.Error() != "no metrics specified" {
		t.Errorf("empty: %v", err)
	}
	dup := []v1alpha1.Metric{{Name: "a", Provider: prom}, {Name: "a", Provider: prom}}
	if err := validateMetrics(dup); err == nil || err.Error() != "metrics[1]: duplicate name 'a'" {
		t.Errorf("duplicate: %v", err)
	}
}

func TestSubstitute(t *testing.T) {
	v := func(s string) *string { return &s }
	m := v1alpha1.Metric{
		Name:             "rate",
		SuccessCondition: "result[0] >= {{ args.threshold }}",
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{
			Address: "http://prom:{{args.port}}",
			Query:   `sum(rate(x{svc="{{args.svc}}"}[5m]))`,
		}},
	}
	args := []v1alpha1.Argument{{Name: "threshold", Value: v("0.95")}, {Name: "port", Value: v("9090")}, {Name: "svc", Value: v(`a "quoted" svc`)}}
	got, err := substitute(m, args)
	if err != nil {
		t.Fatal(err)
	}
	if got.SuccessCondition != "result[0] >= 0.95" || got.Provider.Prometheus.Address != "http://prom:9090" ||
		got.Provider.Prometheus.Query != `sum(rate(x{svc="a "quoted" svc"}[5m]))` {
		t.Fatalf("substituted %+v / %+v", got, got.Provider.Prometheus)
	}
	if _, err := substitute(m, args[:2]); err == nil || err.Error() != "failed to resolve {{args.svc}}" {
		t.Errorf("unknown arg: %v", err)
	}
	if _, err := substitute(m, append(args, v1alpha1.Argument{Name: "unused"})); err == nil || err.Error() != `argument "unused" was not supplied` {
		t.Errorf("valueless arg: %v", err)
	}
	// Like upstream, the metric is templated as JSON: an unclosed tag runs to the next
	// "}}" of the document; with none at all the end tag is reported missing.
	open := v1alpha1.Metric{Name: "{{args.port"}
	if _, err := substitute(open, args); err == nil || !strings.HasPrefix(err.Error(), "failed to resolve {{args.port") {
		t.Errorf("open tag: %v", err)
	}
}

func TestMergeArgs(t *testing.T) {
	v := func(s string) *string { return &s }
	tpl := []v1alpha1.Argument{{Name: "a"}, {Name: "b", Value: v("default")}}
	got, err := MergeArgs([]v1alpha1.Argument{{Name: "a", Value: v("x")}, {Name: "extra", Value: v("dropped")}}, tpl)
	if err != nil || len(got) != 2 || *got[0].Value != "x" || *got[1].Value != "default" {
		t.Fatalf("got %+v %v", got, err)
	}
	if _, err := MergeArgs(nil, tpl); err == nil || err.Error() != "args.a was not resolved" {
		t.Fatalf("unresolved: %v", err)
	}
}

// scripted is a provider whose measurements follow a script.
type scripted struct {
	clk    *clocktesting.FakePassiveClock
	phases []v1alpha1.AnalysisPhase
	n      int
}

func (s *scripted) For(string, v1alpha1.Metric) (Provider, error) { return s, nil }
func (s *scripted) Run(context.Context, *v1alpha1.AnalysisRun, v1alpha1.Metric) v1alpha1.Measurement {
	now := metav1.NewTime(s.clk.Now())
	p := s.phases[min(s.n, len(s.phases)-1)]
	s.n++
	m := v1alpha1.Measurement{Phase: p, StartedAt: &now, FinishedAt: &now, Value: "[1]"}
	if p == errp {
		m.Message, m.Value = "boom", ""
	}
	return m
}
func (s *scripted) Resume(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}
func (s *scripted) Terminate(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}
func (s *scripted) Metadata(v1alpha1.Metric) map[string]string { return nil }

type events []string

func (e *events) Event(_ client.Object, t, reason, msg string) {
	*e = append(*e, t+" "+reason+" "+msg)
}

// runScript reconciles a one-metric run every `step` until it completes (or
// `steps` are used up) and returns the final run and the events.
func runScript(t *testing.T, metric v1alpha1.Metric, phases []v1alpha1.AnalysisPhase, version engine.Version, terminateAfter int) (*v1alpha1.AnalysisRun, events) {
	t.Helper()
	scheme, err := v1alpha1.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakePassiveClock(start)
	metric.Name = "m"
	metric.Provider = v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Query: "up"}}
	ar := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "run", Namespace: "ns"}, Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{metric}}}
	reads := &checkedReads{Client: fake.NewClientBuilder().WithScheme(scheme).WithObjects(ar).Build()}
	c := reads
	t.Cleanup(func() { reads.check(t) })
	var ev events
	r := &Reconciler{Client: c, Clock: clk, Providers: &scripted{clk: clk, phases: phases}, Recorder: &ev, Version: version}
	key := types.NamespacedName{Namespace: "ns", Name: "run"}
	for i := 0; i < 200; i++ {
		if terminateAfter > 0 && i == terminateAfter {
			var cur v1alpha1.AnalysisRun
			_ = c.Get(context.Background(), key, &cur)
			cur.Spec.Terminate = true
			_ = c.Update(context.Background(), &cur)
		}
		after, err := r.Reconcile(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		reads.check(t)
		var cur v1alpha1.AnalysisRun
		if err := c.Get(context.Background(), key, &cur); err != nil {
			t.Fatal(err)
		}
		if cur.Status.Phase.Completed() {
			return &cur, ev
		}
		if after <= 0 {
			after = time.Second
		}
		clk.SetTime(clk.Now().Add(after))
	}
	var cur v1alpha1.AnalysisRun
	_ = c.Get(context.Background(), key, &cur)
	return &cur, ev
}

func TestRunOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		metric    v1alpha1.Metric
		phases    []v1alpha1.AnalysisPhase
		version   engine.Version
		terminate int
		phase     v1alpha1.AnalysisPhase
		message   string
		summary   v1alpha1.RunSummary
		measured  int
	}{
		{"single failed measurement", v1alpha1.Metric{}, []v1alpha1.AnalysisPhase{bad}, engine.V1_10, 0, bad,
			`Metric "m" assessed Failed due to failed (1) > failureLimit (0)`, v1alpha1.RunSummary{Count: 1, Failed: 1}, 1},
		{"clean success has no message", v1alpha1.Metric{Count: ios(3), Interval: "1m"}, []v1alpha1.AnalysisPhase{ok}, engine.V1_10, 0, ok,
			"", v1alpha1.RunSummary{Count: 1, Successful: 1}, 3},
		{"failureLimit 3 fails on the fourth", v1alpha1.Metric{Interval: "1m", FailureLimit: ios(3)}, []v1alpha1.AnalysisPhase{bad}, engine.V1_10, 0, bad,
			`Metric "m" assessed Failed due to failed (4) > failureLimit (3)`, v1alpha1.RunSummary{Count: 1, Failed: 1}, 4},
		{"five errors in a row", v1alpha1.Metric{Interval: "5m"}, []v1alpha1.AnalysisPhase{errp}, engine.V1_10, 0, errp,
			`Metric "m" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): "Error Message: boom"`, v1alpha1.RunSummary{Count: 1, Error: 1}, 5},
		{"inconclusive", v1alpha1.Metric{}, []v1alpha1.AnalysisPhase{inc}, engine.V1_10, 0, inc,
			`Metric "m" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)`, v1alpha1.RunSummary{Count: 1, Inconclusive: 1}, 1},
		{"terminated open-ended run", v1alpha1.Metric{Interval: "1m"}, []v1alpha1.AnalysisPhase{ok}, engine.V1_10, 3, ok,
			"Run Terminated", v1alpha1.RunSummary{Count: 1, Successful: 1}, 3},
		// v1.10: an Inconclusive measurement resets the consecutive-error count, so
		// four errors, one inconclusive, four errors never reach five in a row.
		{"v1.10 inconclusive resets errors", v1alpha1.Metric{Interval: "1m", InconclusiveLimit: ios(5)},
			[]v1alpha1.AnalysisPhase{errp, errp, errp, errp, inc, errp, errp, errp, errp, ok, ok}, engine.V1_10, 12, ok, "Run Terminated", v1alpha1.RunSummary{Count: 1, Successful: 1}, 12},
		{"v1.9 inconclusive does not reset errors", v1alpha1.Metric{Interval: "1m", InconclusiveLimit: ios(5)},
			[]v1alpha1.AnalysisPhase{errp, errp, errp, errp, inc, errp, errp, errp, errp, ok, ok}, engine.V1_9, 12, errp,
			`Metric "m" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): "Error Message: boom"`, v1alpha1.RunSummary{Count: 1, Error: 1}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := runScript(t, tt.metric, tt.phases, tt.version, tt.terminate)
			if got.Status.Phase != tt.phase || got.Status.Message != tt.message {
				t.Fatalf("phase %s message %q, want %s %q", got.Status.Phase, got.Status.Message, tt.phase, tt.message)
			}
			if got.Status.RunSummary != tt.summary {
				t.Errorf("runSummary %+v, want %+v", got.Status.RunSummary, tt.summary)
			}
			mr := got.Status.MetricResults[0]
			if n := int(mr.Count + mr.Error); n != tt.measured {
				t.Errorf("%d measurements, want %d", n, tt.measured)
			}
			if got.Status.CompletedAt == nil || got.Status.StartedAt == nil {
				t.Errorf("startedAt/completedAt not stamped")
			}
		})
	}
}

// Measurements are due at finishedAt+interval; errors retry after 10s whatever the
// interval; history keeps the last 10.
func TestSchedulingAndHistory(t *testing.T) {
	run, _ := runScript(t, v1alpha1.Metric{Interval: "5m", Count: ios(12)}, []v1alpha1.AnalysisPhase{errp, ok}, engine.V1_10, 0)
	mr := run.Status.MetricResults[0]
	if len(mr.Measurements) != 10 || mr.Count != 12 || mr.Error != 1 {
		t.Fatalf("kept %d measurements, count %d, error %d", len(mr.Measurements), mr.Count, mr.Error)
	}
	// 1 error at t0, retry at +10s, then every 5m: the last (12th success) at 10s + 11*5m.
	last := mr.Measurements[len(mr.Measurements)-1].FinishedAt.Time
	want := time.Date(2025, 1, 1, 0, 0, 10, 0, time.UTC).Add(55 * time.Minute)
	if !last.Equal(want) {
		t.Fatalf("last measurement at %s, want %s", last, want)
	}
	retained, _ := runScript(t, v1alpha1.Metric{Interval: "1m", Count: ios(12)}, []v1alpha1.AnalysisPhase{ok}, engine.V1_10, 0)
	_ = retained
}

func TestEventsAndDryRun(t *testing.T) {
	_, ev := runScript(t, v1alpha1.Metric{}, []v1alpha1.AnalysisPhase{bad}, engine.V1_10, 0)
	want := []string{
		"Warning MetricFailed Metric 'm' Completed. Result: Failed",
		"Warning AnalysisRunFailed Analysis Completed. Result: Failed",
	}
	if strings.Join(ev, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s", strings.Join(ev, "\n"))
	}
}

func TestDryRunRules(t *testing.T) {
	metrics := []v1alpha1.Metric{{Name: "error-rate"}, {Name: "success-rate"}, {Name: "latency"}}
	got, err := dryRunMetrics([]v1alpha1.DryRun{{MetricName: "rate"}}, metrics)
	if err != nil || !got["error-rate"] || !got["success-rate"] || got["latency"] {
		t.Fatalf("unanchored match: %v %v", got, err)
	}
	if _, err := dryRunMetrics([]v1alpha1.DryRun{{MetricName: "*"}}, metrics); err == nil || err.Error() != "dryRun[0]: Rule didn't match any metric name(s)" {
		t.Fatalf("a bare * is an invalid regexp that matches nothing: %v", err)
	}
	if _, err := retentionLimits([]v1alpha1.MeasurementRetention{{MetricName: "nope", Limit: 3}}, metrics); err == nil ||
		err.Error() != "measurementRetention[0]: Rule didn't match any metric name(s)" {
		t.Fatalf("retention: %v", err)
	}
}

// BenchmarkReconcileLogic is one AnalysisRun reconcile (args, validation,
// scheduling, one measurement with a provider that answers at once, assessment)
// without the API round trip and without the query.
func BenchmarkReconcileLogic(b *testing.B) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakePassiveClock(start)
	v := "joel-test"
	run := &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: "run", Namespace: "ns"},
		Spec: v1alpha1.AnalysisRunSpec{
			Args: []v1alpha1.Argument{{Name: "ns", Value: &v}},
			Metrics: []v1alpha1.Metric{{
				Name: "success-rate", Interval: "1m", FailureLimit: ios(3),
				SuccessCondition: "len(result) > 0 && result[0] >= 0.95",
				Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{
					Address: "https://prometheus.example.com",
					Query:   `sum(irate(envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"httproute/{{args.ns}}/backend-eg/.*", envoy_response_code_class="2"}[1m])) / sum(irate(envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"httproute/{{args.ns}}/backend-eg/.*"}[1m]))`,
				}},
			}},
		},
	}
	r := &Reconciler{Clock: clk, Providers: &scripted{clk: clk, phases: []v1alpha1.AnalysisPhase{ok}}}
	ctx := context.Background()
	// A run that has already taken 9 measurements, as mid-way through a rollout.
	for i := 0; i < 9; i++ {
		run, _ = r.reconcile(ctx, run, &v1alpha1.AnalysisRun{})
		clk.SetTime(clk.Now().Add(time.Minute))
	}
	b.ReportAllocs()
	for b.Loop() {
		r.reconcile(ctx, run, &v1alpha1.AnalysisRun{})
	}
}

func TestInitialDelayRetentionAndCSL(t *testing.T) {
	// initialDelay counts from startedAt, which the first reconcile only stamps.
	run, _ := runScript(t, v1alpha1.Metric{InitialDelay: "30s"}, []v1alpha1.AnalysisPhase{ok}, engine.V1_10, 0)
	first := run.Status.MetricResults[0].Measurements[0].StartedAt.Time
	if want := run.Status.StartedAt.Time.Add(30 * time.Second); !first.Equal(want) {
		t.Errorf("first measurement at %s, want %s", first, want)
	}
	// consecutiveSuccessLimit ends an open-ended metric.
	run, _ = runScript(t, v1alpha1.Metric{Interval: "1m", ConsecutiveSuccessLimit: ios(3)}, []v1alpha1.AnalysisPhase{bad, ok}, engine.V1_10, 0)
	if run.Status.Phase != bad {
		t.Errorf("a failure before the streak still fails with failureLimit 0: %s", run.Status.Phase)
	}
	run, _ = runScript(t, v1alpha1.Metric{Interval: "1m", ConsecutiveSuccessLimit: ios(3), FailureLimit: ios(2)}, []v1alpha1.AnalysisPhase{bad, ok}, engine.V1_10, 0)
	if mr := run.Status.MetricResults[0]; run.Status.Phase != ok || mr.Count != 4 || mr.ConsecutiveSuccess != 3 {
		t.Errorf("three successes in a row: %s, count %d", run.Status.Phase, mr.Count)
	}
}

func TestRetentionLimit(t *testing.T) {
	scheme, _ := v1alpha1.NewScheme()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakePassiveClock(start)
	m := metric("m")
	m.Interval, m.Count = "1m", ios(6)
	ar := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "run", Namespace: "ns"}, Spec: v1alpha1.AnalysisRunSpec{
		Metrics: []v1alpha1.Metric{m}, MeasurementRetention: []v1alpha1.MeasurementRetention{{MetricName: "m", Limit: 2}}}}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(ar).Build()
	r := &Reconciler{Client: c, Clock: clk, Providers: &scripted{clk: clk, phases: []v1alpha1.AnalysisPhase{ok}}}
	key := types.NamespacedName{Namespace: "ns", Name: "run"}
	for i := 0; i < 6; i++ {
		if _, err := r.Reconcile(context.Background(), key); err != nil {
			t.Fatal(err)
		}
		clk.SetTime(clk.Now().Add(time.Minute))
	}
	var got v1alpha1.AnalysisRun
	_ = c.Get(context.Background(), key, &got)
	if mr := got.Status.MetricResults[0]; len(mr.Measurements) != 2 || mr.Count != 6 || got.Status.Phase != ok {
		t.Fatalf("kept %d measurements, count %d, phase %s", len(mr.Measurements), mr.Count, got.Status.Phase)
	}
}

// checkedReads hands out objects for reading only (engine.ReadOnlyGetter), as
// the simulation's cache does, and checks that nobody changed them.
type checkedReads struct {
	client.Client
	handed, snapshots []client.Object
}

func (c *checkedReads) GetReadOnly(ctx context.Context, key client.ObjectKey, obj client.Object) (client.Object, error) {
	if err := c.Get(ctx, key, obj); err != nil {
		return nil, err
	}
	c.handed = append(c.handed, obj)
	c.snapshots = append(c.snapshots, obj.DeepCopyObject().(client.Object))
	return obj, nil
}

func (c *checkedReads) check(t *testing.T) {
	t.Helper()
	for i, o := range c.handed {
		if !equality.Semantic.DeepEqual(o, c.snapshots[i]) {
			t.Fatalf("an object read for reading only was changed:\nbefore %+v\nafter  %+v", c.snapshots[i], o)
		}
	}
	c.handed, c.snapshots = nil, nil
}
