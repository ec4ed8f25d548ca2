package prometheus

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/conditions"
)

type fakeAPI struct {
	value    model.Value
	warnings []string
	err      error
	gotTime  time.Time
	gotRange [2]time.Time
	gotStep  time.Duration
}

func (f *fakeAPI) Query(_ context.Context, _ string, ts time.Time) (model.Value, []string, error) {
	f.gotTime = ts
	return f.value, f.warnings, f.err
}

func (f *fakeAPI) QueryRange(_ context.Context, _ string, start, end time.Time, step time.Duration) (model.Value, []string, error) {
	f.gotRange, f.gotStep = [2]time.Time{start, end}, step
	return f.value, f.warnings, f.err
}

func vector(vs ...float64) model.Vector {
	var out model.Vector
	for _, v := range vs {
		out = append(out, &model.Sample{Value: model.SampleValue(v)})
	}
	return out
}

var now = time.Date(2025, 1, 1, 0, 5, 10, 0, time.UTC)

func TestMeasurement(t *testing.T) {
	tests := []struct {
		name             string
		value            model.Value
		success, failure string
		err              error
		phase            v1alpha1.AnalysisPhase
		text             string
		message          string
	}{
		{"vector passes", vector(0.97), "result[0] >= 0.95", "", nil, v1alpha1.AnalysisPhaseSuccessful, "[0.97]", ""},
		{"vector fails", vector(0.8514851485148515), "result[0] >= 0.95", "", nil, v1alpha1.AnalysisPhaseFailed, "[0.8514851485148515]", ""},
		{"two samples", vector(10, 11), "all(result, {# > 5})", "", nil, v1alpha1.AnalysisPhaseSuccessful, "[10,11]", ""},
		{"no exponent", vector(1e-7), "", "", nil, v1alpha1.AnalysisPhaseSuccessful, "[0.0000001]", ""},
		{"NaN fails a threshold", vector(math.NaN()), "result[0] >= 0.9", "", nil, v1alpha1.AnalysisPhaseFailed, "[NaN]", ""},
		{"NaN with both conditions is inconclusive", vector(math.NaN()), "result[0] >= 0.9", "result[0] < 0.9", nil, v1alpha1.AnalysisPhaseInconclusive, "[NaN]", ""},
		{"+Inf passes", &model.Scalar{Value: model.SampleValue(math.Inf(1))}, "result >= 0.9", "", nil, v1alpha1.AnalysisPhaseSuccessful, "+Inf", ""},
		{"scalar", &model.Scalar{Value: 10}, "result == 10", "", nil, v1alpha1.AnalysisPhaseSuccessful, "10", ""},
		{"empty vector guarded", vector(), "len(result) == 0 || result[0] >= 0.95", "", nil, v1alpha1.AnalysisPhaseSuccessful, "[]", ""},
		{"empty vector unguarded is an error without value", vector(), "result[0] >= 0.95", "", nil, v1alpha1.AnalysisPhaseError, "",
			`could not evaluate successCondition "result[0] >= 0.95": metric result is nil or empty: no data returned from the metric provider`},
		{"matrix flattens", model.Matrix{{Values: []model.SamplePair{{Value: 11}, {Value: 12}}}, {Values: []model.SamplePair{{Value: 13}}}}, "", "", nil,
			v1alpha1.AnalysisPhaseSuccessful, "[11,12,13]", ""},
		{"string unsupported", &model.String{Value: "x"}, "", "", nil, v1alpha1.AnalysisPhaseError, "", "Prometheus metric type not supported"},
		{"query error", nil, "", "", errors.New("bad_data: parse error"), v1alpha1.AnalysisPhaseError, "", "bad_data: parse error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{value: tt.value, err: tt.err}
			metric := v1alpha1.Metric{Name: "m", SuccessCondition: tt.success, FailureCondition: tt.failure,
				Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus:9090", Query: "q"}}}
			p, err := New(api, clocktesting.NewFakePassiveClock(now), metric, conditions.WordingV110)
			if err != nil {
				t.Fatal(err)
			}
			m := p.Run(context.Background(), nil, metric)
			if m.Phase != tt.phase || m.Value != tt.text || m.Message != tt.message {
				t.Fatalf("got %s %q %q, want %s %q %q", m.Phase, m.Value, m.Message, tt.phase, tt.text, tt.message)
			}
			if m.StartedAt == nil || m.FinishedAt == nil || !api.gotTime.Equal(now) {
				t.Fatalf("timestamps %v %v, query time %v", m.StartedAt, m.FinishedAt, api.gotTime)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	api := &fakeAPI{value: vector(1), warnings: []string{"w1", "w2"}}
	metric := v1alpha1.Metric{Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Query: "q"}}}
	p, _ := New(api, clocktesting.NewFakePassiveClock(now), metric, conditions.WordingV110)
	m := p.Run(context.Background(), nil, metric)
	if m.Metadata["warnings"] != `"w1", "w2"` {
		t.Fatalf("warnings metadata %q", m.Metadata["warnings"])
	}
}

func TestRangeQuery(t *testing.T) {
	api := &fakeAPI{value: model.Matrix{}}
	metric := v1alpha1.Metric{Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Query: "q",
		RangeQuery: &v1alpha1.PrometheusRangeQueryArgs{Start: `now() - duration("10m")`, End: "now()", Step: "1m"}}}}
	p, _ := New(api, clocktesting.NewFakePassiveClock(now), metric, conditions.WordingV110)
	m := p.Run(context.Background(), nil, metric)
	if m.Phase != v1alpha1.AnalysisPhaseSuccessful || !api.gotRange[0].Equal(now.Add(-10*time.Minute)) || !api.gotRange[1].Equal(now) || api.gotStep != time.Minute {
		t.Fatalf("got %s %v %v", m.Phase, api.gotRange, api.gotStep)
	}
	metric.Provider.Prometheus.RangeQuery.Step = "often"
	if m := p.Run(context.Background(), nil, metric); m.Phase != v1alpha1.AnalysisPhaseError || m.Message[:39] != "failed to parse rangeQuery.step as dura" {
		t.Fatalf("bad step: %s %q", m.Phase, m.Message)
	}
}

func TestProviderErrors(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(now)
	bad := v1alpha1.Metric{Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "prometheus:9090"}}}
	if _, err := New(&fakeAPI{}, clk, bad, conditions.WordingV110); err == nil || err.Error() != "prometheus address is not is url format" {
		t.Fatalf("address: %v", err)
	}
	neg := v1alpha1.Metric{Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Timeout: ptr.To[int64](-1)}}}
	if _, err := New(&fakeAPI{}, clk, neg, conditions.WordingV110); err == nil || err.Error() != "prometheus timeout should not be negative" {
		t.Fatalf("timeout: %v", err)
	}
}
