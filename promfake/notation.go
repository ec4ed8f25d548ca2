package promfake

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/promql/parser"
)

// DefaultNotationInterval is the time between two values of a series in
// promtool's notation when none is given: promtool's default
// evaluation_interval, which input_series use unless the test sets interval.
const DefaultNotationInterval = time.Minute

var notationParser = parser.NewParser(parser.Options{})

// ParseSeriesNotation parses one input series of `promtool test rules`: a
// series selector such as `queue_depth{app="x"}` and its values in promtool's
// expanding notation (`0+5x120`, `1 _x3 stale`, `1x4`, `-2+4x3`). It calls
// the upstream parser, so the semantics are promtool's exactly. Omitted
// values (`_`) come back with Omitted set, `stale` as Prometheus' staleness
// marker. Native histogram values are rejected: the store holds floats only.
func ParseSeriesNotation(series, values string) (labels.Labels, []parser.SequenceValue, error) {
	lset, vals, err := notationParser.ParseSeriesDesc(series + " " + values)
	if err != nil {
		return labels.EmptyLabels(), nil, err
	}
	if lset.Get(labels.MetricName) == "" {
		return labels.EmptyLabels(), nil, errors.New("the series needs a metric name")
	}
	for _, v := range vals {
		if v.Histogram != nil {
			return labels.EmptyLabels(), nil, errors.New("native histogram values are not supported; use float values")
		}
	}
	return lset, vals, nil
}

// IsStale reports whether v is Prometheus' staleness marker.
func IsStale(v float64) bool { return value.IsStaleNaN(v) }

// LoadSeriesNotation appends a series in promtool's notation to the store:
// value i at start + i*interval, as promtool's `load <interval>` does from
// time 0, skipping `_` and writing `stale` as a staleness marker.
func LoadSeriesNotation(s *Store, series, values string, start time.Time, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("interval must be positive, got %s", interval)
	}
	lset, vals, err := ParseSeriesNotation(series, values)
	if err != nil {
		return err
	}
	ref := s.Series(lset)
	for i, v := range vals {
		if v.Omitted {
			continue
		}
		at := start.Add(time.Duration(i) * interval)
		if IsStale(v.Value) {
			err = s.AppendStale(ref, at)
		} else {
			err = s.Append(ref, at, v.Value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
