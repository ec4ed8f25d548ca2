package promfake

import (
	"bufio"
	"io"
	"slices"
	"strconv"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Writers of recordings, the inverse of LoadRecorded: they turn a store
// into files that LoadRecorded (and promtool) read back into the same
// series. Series are written sorted by labels, each series' samples in time
// order.

// sortedSeries returns the store's series with samples, sorted by labels
// (tentative samples left out).
func (s *Store) sortedSeries() []listSeries {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]listSeries, 0, len(s.series))
	for _, ms := range s.series {
		if v := ms.confirmed(); v.n > 0 {
			out = append(out, listSeries{lset: ms.lset, samples: v})
		}
	}
	slices.SortFunc(out, func(a, b listSeries) int { return labels.Compare(a.lset, b.lset) })
	return out
}

// WriteOpenMetrics writes every sample of s as OpenMetrics text with
// timestamps, as `promtool tsdb dump-openmetrics` does (no metadata lines,
// one sample per line, ending with # EOF) and as
// `promtool tsdb create-blocks-from openmetrics` reads it: `name{labels}
// value seconds`. Timestamps are exact decimals of the milliseconds; the
// upstream parser converts them back through a float, so use whole seconds
// (or tenths) where a millisecond matters.
func WriteOpenMetrics(w io.Writer, s *Store) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var b []byte
	for _, ser := range s.sortedSeries() {
		b = appendOMSeries(b[:0], ser.lset)
		n := len(b)
		for i := 0; i < ser.samples.n; i++ {
			smp := ser.samples.at(i)
			b = b[:n]
			b = append(b, ' ')
			b = strconv.AppendFloat(b, smp.f, 'g', -1, 64)
			b = append(b, ' ')
			b = appendTimestamp(b, smp.t)
			b = append(b, '\n')
			if _, err := bw.Write(b); err != nil {
				return err
			}
		}
	}
	if _, err := bw.WriteString("# EOF\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// appendOMSeries writes name{l="v",...}, or {"name",l="v"} for a name that
// needs quoting, escaping as OpenMetrics does (\\, \", \n).
func appendOMSeries(b []byte, lset labels.Labels) []byte {
	name := lset.Get(labels.MetricName)
	rest := lset.DropReserved(func(n string) bool { return n == labels.MetricName })
	quotedName := name == "" || !model.LegacyValidation.IsValidMetricName(name)
	if !quotedName {
		b = append(b, name...)
	}
	if rest.IsEmpty() && !quotedName {
		return b
	}
	b = append(b, '{')
	first := true
	if quotedName && name != "" {
		b = appendOMQuoted(b, name)
		first = false
	}
	rest.Range(func(l labels.Label) {
		if !first {
			b = append(b, ',')
		}
		first = false
		if model.LegacyValidation.IsValidLabelName(l.Name) {
			b = append(b, l.Name...)
		} else {
			b = appendOMQuoted(b, l.Name)
		}
		b = append(b, '=')
		b = appendOMQuoted(b, l.Value)
	})
	return append(b, '}')
}

func appendOMQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// WriteDump writes every sample of s as `promtool tsdb dump` does:
// `{__name__="up", job="x"} 1 1700000000000`.
func WriteDump(w io.Writer, s *Store) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var b []byte
	for _, ser := range s.sortedSeries() {
		lbs := ser.lset.String()
		for i := 0; i < ser.samples.n; i++ {
			smp := ser.samples.at(i)
			b = append(b[:0], lbs...)
			b = append(b, ' ')
			b = strconv.AppendFloat(b, smp.f, 'g', -1, 64)
			b = append(b, ' ')
			b = strconv.AppendInt(b, smp.t, 10)
			b = append(b, '\n')
			if _, err := bw.Write(b); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// WriteQueryJSON writes a query result as the HTTP API answers it, envelope
// included: {"status":"success","data":{"resultType":...,"result":[...]}}
// and a newline.
func WriteQueryJSON(w io.Writer, v parser.Value) error {
	data, err := QueryDataJSON(v)
	if err != nil {
		return err
	}
	b := make([]byte, 0, len(data)+40)
	b = append(b, `{"status":"success","data":`...)
	b = append(b, data...)
	b = append(b, "}\n"...)
	_, err = w.Write(b)
	return err
}
