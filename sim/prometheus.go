package sim

import (
	"context"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"

	"github.com/rollsim/rollsim/promfake"
)

// promAPI answers the prometheus provider from the embedded Prometheus, in the
// shapes the HTTP API client would return; every address lands here.
type promAPI struct {
	engine  *promfake.Engine
	store   *promfake.Store
	queries int
}

func (p *promAPI) Query(ctx context.Context, query string, ts time.Time) (model.Value, []string, error) {
	p.queries++
	r, err := p.engine.Instant(ctx, p.store, query, ts)
	if err != nil {
		return nil, r.Warnings, err
	}
	return toModel(r.Value), r.Warnings, nil
}

func (p *promAPI) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) (model.Value, []string, error) {
	p.queries++
	r, err := p.engine.Range(ctx, p.store, query, start, end, step)
	if err != nil {
		return nil, r.Warnings, err
	}
	return toModel(r.Value), r.Warnings, nil
}

func toMetric(ls labels.Labels) model.Metric {
	m := make(model.Metric, ls.Len())
	ls.Range(func(l labels.Label) { m[model.LabelName(l.Name)] = model.LabelValue(l.Value) })
	return m
}

func toModel(v any) model.Value {
	switch val := v.(type) {
	case promql.Vector:
		out := make(model.Vector, 0, len(val))
		for _, s := range val {
			out = append(out, &model.Sample{Metric: toMetric(s.Metric), Value: model.SampleValue(s.F), Timestamp: model.Time(s.T)})
		}
		return out
	case promql.Scalar:
		return &model.Scalar{Value: model.SampleValue(val.V), Timestamp: model.Time(val.T)}
	case promql.Matrix:
		out := make(model.Matrix, 0, len(val))
		for _, s := range val {
			ss := &model.SampleStream{Metric: toMetric(s.Metric)}
			for _, p := range s.Floats {
				ss.Values = append(ss.Values, model.SamplePair{Timestamp: model.Time(p.T), Value: model.SampleValue(p.F)})
			}
			out = append(out, ss)
		}
		return out
	case promql.String:
		return &model.String{Value: val.V, Timestamp: model.Time(val.T)}
	}
	return nil
}
