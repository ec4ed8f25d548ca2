package promfake

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
)

// The encoding below writes the JSON of the Prometheus HTTP API byte for byte:
// no whitespace, label objects in label order, timestamps as seconds with
// three decimals unless whole (1735689600, 1735689600.500, 1735689600.015),
// as Prometheus' jsoniter codec writes them, sample values
// as strings formatted as Go's strconv does with 'f' (or 'e' below 1e-6 and
// from 1e21 on): "0.85", "NaN", "+Inf", "1e-07".

// QueryDataJSON returns the `data` object the HTTP API answers a query with:
// {"resultType":"vector","result":[...]}.
func QueryDataJSON(v parser.Value) ([]byte, error) {
	return appendQueryData(nil, v)
}

func appendQueryData(b []byte, v parser.Value) ([]byte, error) {
	b = append(b, `{"resultType":`...)
	b = strconv.AppendQuote(b, string(v.Type()))
	b = append(b, `,"result":`...)
	switch val := v.(type) {
	case promql.Vector:
		b = append(b, '[')
		for i, s := range val {
			if i > 0 {
				b = append(b, ',')
			}
			if s.H != nil {
				return nil, fmt.Errorf("native histogram samples are not supported")
			}
			b = append(b, `{"metric":`...)
			b = appendLabels(b, s.Metric)
			b = append(b, `,"value":`...)
			b = appendPoint(b, s.T, s.F)
			b = append(b, '}')
		}
		b = append(b, ']')
	case promql.Matrix:
		b = append(b, '[')
		for i, s := range val {
			if i > 0 {
				b = append(b, ',')
			}
			if len(s.Histograms) > 0 {
				return nil, fmt.Errorf("native histogram samples are not supported")
			}
			b = append(b, `{"metric":`...)
			b = appendLabels(b, s.Metric)
			b = append(b, `,"values":[`...)
			for j, p := range s.Floats {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendPoint(b, p.T, p.F)
			}
			b = append(b, "]}"...)
		}
		b = append(b, ']')
	case promql.Scalar:
		b = appendPoint(b, val.T, val.V)
	case promql.String:
		b = append(b, '[')
		b = appendTimestamp(b, val.T)
		b = append(b, ',')
		b = appendString(b, val.V)
		b = append(b, ']')
	default:
		return nil, fmt.Errorf("unexpected result type %T", v)
	}
	return append(b, '}'), nil
}

func appendPoint(b []byte, t int64, f float64) []byte {
	b = append(b, '[')
	b = appendTimestamp(b, t)
	b = append(b, ',', '"')
	b = appendFloat(b, f)
	return append(b, '"', ']')
}

// appendTimestamp writes milliseconds as seconds, with a three-digit fraction
// unless it is zero, as Prometheus does.
func appendTimestamp(b []byte, t int64) []byte {
	if t < 0 {
		b = append(b, '-')
		t = -t
	}
	b = strconv.AppendInt(b, t/1000, 10)
	if frac := t % 1000; frac != 0 {
		b = append(b, '.')
		if frac < 100 {
			b = append(b, '0')
		}
		if frac < 10 {
			b = append(b, '0')
		}
		b = strconv.AppendInt(b, frac, 10)
	}
	return b
}

func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}

func appendLabels(b []byte, ls labels.Labels) []byte {
	b = append(b, '{')
	first := true
	ls.Range(func(l labels.Label) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, l.Name)
		b = append(b, ':')
		b = appendString(b, l.Value)
	})
	return append(b, '}')
}

// appendString writes a JSON string as encoding/json does (HTML-safe), which
// is how the Prometheus API's jsoniter configuration writes it.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}
