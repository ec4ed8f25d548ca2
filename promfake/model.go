package promfake

import (
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
)

// ToModel converts a query result to the client library's types
// (github.com/prometheus/common/model), which is what a client of the HTTP
// API receives and what promtool prints. Float samples only.
func ToModel(v parser.Value) model.Value {
	metric := func(ls labels.Labels) model.Metric {
		m := make(model.Metric, ls.Len())
		ls.Range(func(l labels.Label) { m[model.LabelName(l.Name)] = model.LabelValue(l.Value) })
		return m
	}
	switch val := v.(type) {
	case promql.Vector:
		out := make(model.Vector, 0, len(val))
		for _, s := range val {
			out = append(out, &model.Sample{Metric: metric(s.Metric), Value: model.SampleValue(s.F), Timestamp: model.Time(s.T)})
		}
		return out
	case promql.Scalar:
		return &model.Scalar{Value: model.SampleValue(val.V), Timestamp: model.Time(val.T)}
	case promql.Matrix:
		out := make(model.Matrix, 0, len(val))
		for _, s := range val {
			ss := &model.SampleStream{Metric: metric(s.Metric), Values: make([]model.SamplePair, 0, len(s.Floats))}
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
