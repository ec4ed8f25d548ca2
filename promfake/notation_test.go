package promfake

import (
	"math"
	"strconv"
	"testing"
	"time"
)

// The examples of promtool's documentation (docs/configuration/unit_testing_rules.md,
// "Expanding notation"), expanded exactly.
func TestSeriesNotationPromtoolDocs(t *testing.T) {
	const stale = "stale"
	for _, tc := range []struct {
		values string
		want   []any // float64, "_" or "stale"
	}{
		{"-2+4x3", []any{-2.0, 2.0, 6.0, 10.0}},
		{" 1-2x4", []any{1.0, -1.0, -3.0, -5.0, -7.0}},
		{" 1x4", []any{1.0, 1.0, 1.0, 1.0, 1.0}},
		{" 1 _x3 stale", []any{1.0, "_", "_", "_", stale}},
		{"0+5x3", []any{0.0, 5.0, 10.0, 15.0}},
		{"1 2 _ 4", []any{1.0, 2.0, "_", 4.0}},
		{"stale 3", []any{stale, 3.0}},
		{"Inf -Inf NaN", []any{math.Inf(1), math.Inf(-1), math.NaN()}},
		{"1e3 0x0", []any{1000.0, 0.0}},
	} {
		_, vals, err := ParseSeriesNotation(`queue_depth{app="x"}`, tc.values)
		if err != nil {
			t.Errorf("%q: %v", tc.values, err)
			continue
		}
		if len(vals) != len(tc.want) {
			t.Errorf("%q: %d values, want %d", tc.values, len(vals), len(tc.want))
			continue
		}
		for i, w := range tc.want {
			v := vals[i]
			switch w := w.(type) {
			case string:
				if w == "_" && !v.Omitted || w == stale && (v.Omitted || !IsStale(v.Value)) {
					t.Errorf("%q[%d] = %+v, want %s", tc.values, i, v, w)
				}
			case float64:
				ok := !v.Omitted && (v.Value == w || math.IsNaN(w) && math.IsNaN(v.Value) && !IsStale(v.Value))
				if !ok {
					t.Errorf("%q[%d] = %+v, want %v", tc.values, i, v, w)
				}
			}
		}
	}
	for _, bad := range [][2]string{
		{`x`, "1 + 2"},
		{`x`, "a"},
		{`{app="x"}`, "1"},
		{`x{`, "1"},
		{`x`, "{{schema:1 sum:1 count:1}}"},
	} {
		if _, _, err := ParseSeriesNotation(bad[0], bad[1]); err == nil {
			t.Errorf("%s %s: no error", bad[0], bad[1])
		}
	}
}

// Loaded series behave in queries as promtool's: samples at start+i*interval,
// `_` leaves a gap the lookback bridges, `stale` ends the series at once.
func TestLoadSeriesNotation(t *testing.T) {
	s := NewStore()
	e := NewEngine()
	start := t0.Add(10 * time.Minute)
	if err := LoadSeriesNotation(s, `queue_depth{app="x"}`, "0+5x3 _ 7 stale 9", start, time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   time.Duration
		want string // "" for no sample
	}{
		{-time.Second, ""},
		{0, "0"},
		{90 * time.Second, "5"},
		{3 * time.Minute, "15"},
		{4 * time.Minute, "15"}, // `_`: the lookback still sees 15
		{5 * time.Minute, "7"},
		{6 * time.Minute, ""}, // stale
		{6*time.Minute + 59*time.Second, ""},
		{7 * time.Minute, "9"},
		{11 * time.Minute, "9"},
		{12 * time.Minute, ""}, // beyond the 5m lookback
	} {
		v := vector(t, e, s, `queue_depth`, start.Add(tc.at))
		got := ""
		if len(v) == 1 {
			got = strconv.FormatFloat(v[0].F, 'g', -1, 64)
		}
		if got != tc.want {
			t.Errorf("at %s: %q, want %q", tc.at, got, tc.want)
		}
	}
	if err := LoadSeriesNotation(s, `y`, "1", start, 0); err == nil {
		t.Error("zero interval accepted")
	}
}
