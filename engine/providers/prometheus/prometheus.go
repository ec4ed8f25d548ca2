// Package prometheus is the Prometheus metric provider: it runs the metric's query
// (instant, or a range query) against an API and turns the answer into a measurement
// exactly as the upstream provider does (metricproviders/prometheus): vectors become
// []float64, scalars float64, and the recorded value is printed like `[0.97]`.
//
// The query is answered by whatever API it is given; in rollsim that is the scenario's
// embedded Prometheus, whatever address the template names.
package prometheus

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rollsim/rollsim/internal/memo"

	"github.com/rollsim/rollsim/engine"

	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"

	"github.com/rollsim/rollsim/engine/analysis"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/conditions"
)

// API is the part of the Prometheus HTTP API the provider uses, shaped like
// client_golang's v1.API so a real client fits as well as the embedded engine.
type API interface {
	Query(ctx context.Context, query string, ts time.Time) (model.Value, []string, error)
	QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) (model.Value, []string, error)
}

// Provider measures one prometheus metric.
type Provider struct {
	api     API
	clock   clock.PassiveClock
	timeout time.Duration
	wording conditions.Wording
}

// New builds the provider for a metric, with upstream's configuration errors.
func New(api API, clk clock.PassiveClock, metric v1alpha1.Metric, wording conditions.Wording) (*Provider, error) {
	p := &Provider{api: api, clock: clk, timeout: 30 * time.Second, wording: wording}
	prom := metric.Provider.Prometheus
	if prom.Address == "" {
		// Upstream falls back to ARGO_ROLLOUTS_PROMETHEUS_ADDRESS; in a simulation the
		// embedded Prometheus answers either way.
	} else if !isURL(prom.Address) {
		return nil, errors.New("prometheus address is not is url format")
	}
	if prom.Timeout != nil {
		if *prom.Timeout < 0 {
			return nil, errors.New("prometheus timeout should not be negative")
		}
		p.timeout = time.Duration(*prom.Timeout) * time.Second
	}
	return p, nil
}

// isURL mirrors upstream's check: a parseable URL with scheme and host.
// Answers are remembered (a provider is built for every measurement).
func isURL(s string) bool { return urlChecks.Get(s, parsesAsURL) }

var urlChecks = memo.Bounded[string, bool]{Max: 256}

func parsesAsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Host != ""
}

func (p *Provider) now() *metav1.Time {
	t := engine.Now(p.clock)
	return &t
}

// Run takes one measurement.
func (p *Provider) Run(ctx context.Context, _ *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement {
	m := v1alpha1.Measurement{StartedAt: p.now()}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	value, warnings, err := p.query(ctx, metric)
	if err != nil {
		return markError(m, err, p.now())
	}
	text, phase, err := p.evaluate(metric, value)
	if err != nil {
		return markError(m, err, p.now())
	}
	m.Value = text
	if len(warnings) > 0 {
		quoted := make([]string, len(warnings))
		for i, w := range warnings {
			quoted[i] = `"` + w + `"`
		}
		m.Metadata = map[string]string{"warnings": strings.Join(quoted, ", ")}
	}
	m.Phase = phase
	m.FinishedAt = p.now()
	return m
}

func markError(m v1alpha1.Measurement, err error, now *metav1.Time) v1alpha1.Measurement {
	m.Phase = v1alpha1.AnalysisPhaseError
	m.Message = err.Error()
	m.FinishedAt = now
	return m
}

func (p *Provider) query(ctx context.Context, metric v1alpha1.Metric) (model.Value, []string, error) {
	prom := metric.Provider.Prometheus
	if rq := prom.RangeQuery; rq != nil {
		now := p.clock.Now()
		start, err := conditions.EvalTime(rq.Start, now)
		if err != nil {
			return nil, nil, fmt.Errorf("failed to parse rangeQuery.start as time: %w", err)
		}
		end, err := conditions.EvalTime(rq.End, now)
		if err != nil {
			return nil, nil, fmt.Errorf("failed to parse rangeQuery.end as time: %w", err)
		}
		step, err := rq.Step.Duration()
		if err != nil {
			return nil, nil, fmt.Errorf("failed to parse rangeQuery.step as duration: %w", err)
		}
		return p.api.QueryRange(ctx, prom.Query, start, end, step)
	}
	return p.api.Query(ctx, prom.Query, p.clock.Now())
}

// evaluate converts the answer and applies the metric's conditions.
func (p *Provider) evaluate(metric v1alpha1.Metric, v model.Value) (string, v1alpha1.AnalysisPhase, error) {
	var values []model.SampleValue
	switch val := v.(type) {
	case *model.Scalar:
		phase, err := conditions.Evaluate(float64(val.Value), metric.SuccessCondition, metric.FailureCondition, p.wording)
		return val.Value.String(), v1alpha1.AnalysisPhase(phase), err
	case model.Vector:
		for _, s := range val {
			if s != nil {
				values = append(values, s.Value)
			}
		}
	case model.Matrix:
		for _, series := range val {
			if series != nil {
				for _, s := range series.Values {
					values = append(values, s.Value)
				}
			}
		}
	default:
		return "", v1alpha1.AnalysisPhaseError, fmt.Errorf("Prometheus metric type not supported")
	}
	floats := make([]float64, len(values))
	texts := make([]string, len(values))
	for i, s := range values {
		floats[i] = float64(s)
		texts[i] = s.String()
	}
	phase, err := conditions.Evaluate(floats, metric.SuccessCondition, metric.FailureCondition, p.wording)
	return "[" + strings.Join(texts, ",") + "]", v1alpha1.AnalysisPhase(phase), err
}

// Resume is never needed: measurements complete in Run.
func (p *Provider) Resume(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}

// Terminate is never needed: measurements complete in Run.
func (p *Provider) Terminate(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}

// Metadata records the query with its arguments substituted.
func (p *Provider) Metadata(metric v1alpha1.Metric) map[string]string {
	return map[string]string{"ResolvedPrometheusQuery": metric.Provider.Prometheus.Query}
}

var _ analysis.Provider = (*Provider)(nil)
