package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/conditions"
)

type answer struct {
	status int
	body   string
	err    error
	got    *http.Request
	body2  string
}

func (a *answer) RoundTrip(r *http.Request) (*http.Response, error) {
	a.got = r
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		a.body2 = string(b)
	}
	if a.err != nil {
		return nil, a.err
	}
	return &http.Response{StatusCode: a.status, Body: io.NopCloser(strings.NewReader(a.body)), Header: http.Header{}, Request: r}, nil
}

func TestWebMeasurement(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		web     v1alpha1.WebMetric
		success string
		ans     answer
		phase   v1alpha1.AnalysisPhase
		value   string
		message string
	}{
		{"json path and condition", v1alpha1.WebMetric{URL: "http://x/s", JSONPath: "{$.data.ok}"}, "result == true",
			answer{status: 200, body: `{"data":{"ok":true}}`}, v1alpha1.AnalysisPhaseSuccessful, "true", ""},
		{"number from JSON is float64", v1alpha1.WebMetric{URL: "http://x/s", JSONPath: "{$.rate}"}, "result >= 0.9",
			answer{status: 200, body: `{"rate":0.5}`}, v1alpha1.AnalysisPhaseFailed, "0.5", ""},
		{"whole document, keys sorted", v1alpha1.WebMetric{URL: "http://x/s"}, "",
			answer{status: 200, body: `{"b":true,"a":1}`}, v1alpha1.AnalysisPhaseSuccessful, `{"a":1,"b":true}`, ""},
		{"string keeps quotes", v1alpha1.WebMetric{URL: "http://x/s", JSONPath: "{$.v}"}, `result == "1"`,
			answer{status: 200, body: `{"v":"1"}`}, v1alpha1.AnalysisPhaseSuccessful, `"1"`, ""},
		{"body that is not JSON is successful unevaluated", v1alpha1.WebMetric{URL: "http://x/s"}, `result == "nope"`,
			answer{status: 200, body: `OK`}, v1alpha1.AnalysisPhaseSuccessful, "OK", ""},
		{"non 2xx", v1alpha1.WebMetric{URL: "http://x/s"}, "", answer{status: 503}, v1alpha1.AnalysisPhaseError, "", "received non 2xx response code: 503"},
		{"missing path", v1alpha1.WebMetric{URL: "http://x/s", JSONPath: "{$.nope}"}, "", answer{status: 200, body: `{"a":1}`},
			v1alpha1.AnalysisPhaseError, "", "Could not find JSONPath in body: nope is not found"},
		{"transport error names the URL", v1alpha1.WebMetric{URL: "http://x/s"}, "", answer{err: errors.New("connection refused")},
			v1alpha1.AnalysisPhaseError, "", `Get "http://x/s": connection refused`},
		{"body with GET", v1alpha1.WebMetric{URL: "http://x/s", Body: "{}"}, "", answer{status: 200},
			v1alpha1.AnalysisPhaseError, "", "Body/JSONBody can only be used with POST or PUT WebMetric Method types"},
		{"both bodies", v1alpha1.WebMetric{URL: "http://x/s", Method: "POST", Body: "a", JSONBody: []byte(`{"a":1}`)}, "", answer{status: 200},
			v1alpha1.AnalysisPhaseError, "", "use either Body or JSONBody; both cannot exists for WebMetric payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ans := tt.ans
			metric := v1alpha1.Metric{Name: "m", SuccessCondition: tt.success, Provider: v1alpha1.MetricProvider{Web: &tt.web}}
			p, err := New(&ans, clocktesting.NewFakePassiveClock(now), metric, conditions.WordingV110)
			if err != nil {
				t.Fatal(err)
			}
			m := p.Run(context.Background(), nil, metric)
			if m.Phase != tt.phase || m.Value != tt.value || m.Message != tt.message {
				t.Fatalf("got %s %q %q, want %s %q %q", m.Phase, m.Value, m.Message, tt.phase, tt.value, tt.message)
			}
		})
	}
}

func TestWebRequest(t *testing.T) {
	ans := answer{status: 200, body: `{}`}
	web := v1alpha1.WebMetric{URL: "http://x/s", Method: "POST", JSONBody: []byte(`{"q":1}`),
		Headers: []v1alpha1.WebMetricHeader{{Key: "Authorization", Value: "Bearer t"}}}
	metric := v1alpha1.Metric{Provider: v1alpha1.MetricProvider{Web: &web}}
	p, err := New(&ans, clocktesting.NewFakePassiveClock(time.Time{}), metric, conditions.WordingV110)
	if err != nil {
		t.Fatal(err)
	}
	p.Run(context.Background(), nil, metric)
	if ans.got.Method != "POST" || ans.got.Header.Get("Content-Type") != "application/json" || ans.got.Header.Get("Authorization") != "Bearer t" || ans.body2 != `{"q":1}` {
		t.Fatalf("request %s %v body %q", ans.got.Method, ans.got.Header, ans.body2)
	}
	if p.client.Timeout != 10*time.Second {
		t.Fatalf("default timeout %s", p.client.Timeout)
	}
	bad := v1alpha1.Metric{Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: "http://x", JSONPath: "{$.a"}}}
	if _, err := New(&ans, clocktesting.NewFakePassiveClock(time.Time{}), bad, conditions.WordingV110); err == nil {
		t.Fatal("an unparsable jsonPath must fail the provider")
	}
}
