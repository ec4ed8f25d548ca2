package promfake

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// samplesOf returns the samples of the series named x that q's querier over
// everything sees.
func samplesOf(t *testing.T, q storage.Queryable) []tsv {
	t.Helper()
	qr, err := q.Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	_, data := selectAll(t, qr, labels.MustNewMatcher(labels.MatchEqual, labels.MetricName, "x"))
	if len(data) == 0 {
		return nil
	}
	return data[0]
}

// Tentative samples: hidden from the store's queriers until confirmed, seen
// through WithTentative, and dropped by Discard as if never written.
func TestTentativeSamples(t *testing.T) {
	s := NewStore()
	ref := s.Series(labels.FromStrings("__name__", "x"))
	other := s.Series(labels.FromStrings("__name__", "y"))
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }
	appendN := func(from, to int) error {
		for i := from; i < to; i++ {
			if err := s.Append(ref, at(i), float64(i)); err != nil {
				return err
			}
		}
		return nil
	}
	want := func(from, to int) []tsv {
		var out []tsv
		for i := from; i < to; i++ {
			out = append(out, tsv{at(i).UnixMilli(), float64(i)})
		}
		return out
	}
	if err := appendN(0, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.Tentatively(func() error { return appendN(3, 300) }); err != nil {
		t.Fatal(err)
	}
	if got := samplesOf(t, s); !slices.Equal(got, want(0, 3)) {
		t.Errorf("store's querier sees %v, want the 3 confirmed samples", got)
	}
	view := s.WithTentative()
	if got := samplesOf(t, view); !slices.Equal(got, want(0, 300)) || !view.ReadTentative() {
		t.Errorf("WithTentative sees %d samples (read tentative %v), want 300", len(got), view.ReadTentative())
	}
	if s.NumSamples() != 3 || s.TentativeSamples() != 297 {
		t.Errorf("NumSamples %d, TentativeSamples %d; want 3, 297", s.NumSamples(), s.TentativeSamples())
	}
	if err := s.Append(ref, at(400), 1); err == nil {
		t.Error("an ordinary append after tentative samples was accepted")
	}
	if err := s.Append(other, at(400), 1); err != nil {
		t.Errorf("an ordinary append to another series: %v", err)
	}

	s.Confirm(at(9))
	if got := samplesOf(t, s); !slices.Equal(got, want(0, 10)) {
		t.Errorf("after Confirm: %v", got)
	}
	held := s.series[ref].view() // as a query's iterator holds it
	s.Discard()
	if got := samplesOf(t, s.WithTentative()); !slices.Equal(got, want(0, 10)) || s.TentativeSamples() != 0 || s.NumSamples() != 11 {
		t.Errorf("after Discard: %d samples, %d tentative, NumSamples %d", len(got), s.TentativeSamples(), s.NumSamples())
	}
	// Written again after Discard, with other values: a view taken before
	// is unchanged.
	if err := s.Tentatively(func() error {
		for i := 10; i < 300; i++ {
			if err := s.Append(ref, at(i), -1); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range held.n {
		if p := held.at(i); p.f != float64(i) {
			t.Fatalf("a view taken before Discard changed: sample %d is %v", i, p.f)
		}
	}
	s.Discard()
	if err := appendN(10, 300); err != nil {
		t.Fatal(err)
	}
	if v := s.WithTentative(); len(samplesOf(t, s)) != 300 || v.ReadTentative() {
		t.Error("confirmed samples reported as tentative")
	}
}
