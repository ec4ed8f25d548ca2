package promfake

import (
	"testing"
	"time"
)

// FuzzParseSeriesNotation: promtool's series notation either parses (a metric
// name, no native histograms) or fails with an error; loading what parsed
// never panics.
func FuzzParseSeriesNotation(f *testing.F) {
	for _, s := range [][2]string{
		{`queue_depth{app="x"}`, "0+5x120"}, {"up", "1 _x3 stale"}, {"x", "1x4"}, {"x", "-2+4x3"},
		{`{__name__="x"}`, "1 2 3"}, {"x", "{{schema:1 sum:2 count:3}}"}, {"x{", "1"}, {"x", "1e308+1e308x3"}, {"x", "0x0"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, series, values string) {
		lset, vals, err := ParseSeriesNotation(series, values)
		if err != nil {
			return
		}
		if lset.Get("__name__") == "" {
			t.Fatalf("%q %q: parsed without a metric name", series, values)
		}
		for _, v := range vals {
			if v.Histogram != nil {
				t.Fatalf("%q %q: histogram accepted", series, values)
			}
		}
		if len(vals) > 100000 {
			return // loading huge expansions is slow, not wrong
		}
		store := NewStore()
		_ = LoadSeriesNotation(store, series, values, time.Unix(0, 0), time.Minute)
	})
}
