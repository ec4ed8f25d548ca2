// Package web is the web metric provider: an HTTP request per measurement, the
// response's JSON narrowed with a JSONPath and judged by the metric's conditions
// (upstream metricproviders/webmetric). Requests go through the http.RoundTripper it
// is given; in rollsim that answers from the scenario's scripted responses, so no
// request ever leaves the process.
package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rollsim/rollsim/engine"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/jsonpath"
	"k8s.io/utils/clock"

	"github.com/rollsim/rollsim/engine/analysis"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/conditions"
)

// Provider measures one web metric.
type Provider struct {
	client  *http.Client
	clock   clock.PassiveClock
	wording conditions.Wording
	parser  *jsonpath.JSONPath
}

// New builds the provider; an invalid jsonPath is a provider error (upstream
// fails to build the provider, which the controller records as an Error measurement).
func New(transport http.RoundTripper, clk clock.PassiveClock, metric v1alpha1.Metric, wording conditions.Wording) (*Provider, error) {
	web := metric.Provider.Web
	timeout := 10 * time.Second
	if web.TimeoutSeconds > 0 {
		timeout = time.Duration(web.TimeoutSeconds) * time.Second
	}
	if web.Authentication.OAuth2.TokenURL != "" && (web.Authentication.OAuth2.ClientID == "" || web.Authentication.OAuth2.ClientSecret == "") {
		return nil, errors.New("missing mandatory parameter in metric for OAuth2 setup")
	}
	path := web.JSONPath
	if path == "" {
		path = "{$}"
	}
	parser := jsonpath.New("metrics")
	if err := parser.Parse(path); err != nil {
		return nil, err
	}
	return &Provider{client: &http.Client{Transport: transport, Timeout: timeout}, clock: clk, wording: wording, parser: parser}, nil
}

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

// Run sends the request and judges the answer.
func (p *Provider) Run(ctx context.Context, _ *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement {
	m := v1alpha1.Measurement{StartedAt: p.now()}
	web := metric.Provider.Web
	method := web.Method
	if method == "" {
		method = v1alpha1.WebMetricMethodGet
	}
	hasJSON := len(web.JSONBody) > 0
	switch {
	case web.Body != "" && hasJSON:
		return p.fail(m, errors.New("use either Body or JSONBody; both cannot exists for WebMetric payload"))
	case (web.Body != "" || hasJSON) && method == v1alpha1.WebMetricMethodGet:
		return p.fail(m, errors.New("Body/JSONBody can only be used with POST or PUT WebMetric Method types"))
	}
	var body io.Reader
	if web.Body != "" {
		body = strings.NewReader(web.Body)
	} else if hasJSON {
		body = bytes.NewReader(web.JSONBody)
	}
	req, err := http.NewRequestWithContext(ctx, string(method), web.URL, body)
	if err != nil {
		return p.fail(m, err)
	}
	req.Header = http.Header{}
	for _, h := range web.Headers {
		req.Header.Set(h.Key, h.Value)
	}
	if hasJSON {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return p.fail(m, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return p.fail(m, fmt.Errorf("received non 2xx response code: %v", resp.StatusCode))
	}
	value, phase, err := p.judge(metric, resp)
	if err != nil {
		return p.fail(m, err)
	}
	m.Value = value
	m.Phase = phase
	m.FinishedAt = p.now()
	return m
}

func (p *Provider) judge(metric v1alpha1.Metric, resp *http.Response) (string, v1alpha1.AnalysisPhase, error) {
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", v1alpha1.AnalysisPhaseError, fmt.Errorf("Received no bytes in response: %v", err)
	}
	var data any
	if err := json.Unmarshal(raw, &data); err != nil {
		// Upstream returns a body that is not JSON as the value and calls the
		// measurement Successful without evaluating the conditions (its docs say
		// otherwise; the code wins).
		return string(raw), v1alpha1.AnalysisPhaseSuccessful, nil
	}
	results, err := p.parser.FindResults(data)
	if err != nil {
		return "", v1alpha1.AnalysisPhaseError, fmt.Errorf("Could not find JSONPath in body: %s", err)
	}
	for _, rs := range results {
		for _, r := range rs {
			v := r.Interface()
			text, err := json.Marshal(v)
			if err != nil {
				return "", v1alpha1.AnalysisPhaseError, err
			}
			phase, err := conditions.Evaluate(v, metric.SuccessCondition, metric.FailureCondition, p.wording)
			return string(text), v1alpha1.AnalysisPhase(phase), err
		}
	}
	return "", v1alpha1.AnalysisPhaseError, errors.New("result of web metric produced no value")
}

// Resume is never needed: measurements complete in Run.
func (p *Provider) Resume(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}

// Terminate is never needed: measurements complete in Run.
func (p *Provider) Terminate(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}

// Metadata: the web provider records none.
func (p *Provider) Metadata(v1alpha1.Metric) map[string]string { return nil }

var _ analysis.Provider = (*Provider)(nil)
