package promfake

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// ms returns t0+d in milliseconds.
func ms(d time.Duration) int64 { return t0.Add(d).UnixMilli() }

type tsv struct {
	t int64
	v float64
}

// selectAll runs Select and returns the labels and samples of every series.
func selectAll(t *testing.T, q storage.Querier, ms ...*labels.Matcher) ([]labels.Labels, [][]tsv) {
	t.Helper()
	ss := q.Select(context.Background(), true, nil, ms...)
	var (
		lsets []labels.Labels
		data  [][]tsv
		it    chunkenc.Iterator
	)
	for ss.Next() {
		s := ss.At()
		lsets = append(lsets, s.Labels())
		it = s.Iterator(it)
		var pts []tsv
		for it.Next() == chunkenc.ValFloat {
			ts, v := it.At()
			pts = append(pts, tsv{ts, v})
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		data = append(data, pts)
	}
	if err := ss.Err(); err != nil {
		t.Fatal(err)
	}
	return lsets, data
}

func TestStoreSelectMatchers(t *testing.T) {
	s := NewStore()
	for _, ls := range []labels.Labels{
		labels.FromStrings("__name__", "m", "a", "2"),
		labels.FromStrings("__name__", "m", "a", "10", "b", "y"),
		labels.FromStrings("__name__", "n", "a", "1"),
		labels.FromStrings("__name__", "m", "a", "1", "b", "x"),
	} {
		ref := s.Series(ls)
		for i := range 3 {
			if err := s.Append(ref, t0.Add(time.Duration(i)*time.Minute), float64(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Only has samples long after the queried window.
	late := s.Series(labels.FromStrings("__name__", "m", "a", "late"))
	if err := s.Append(late, t0.Add(time.Hour), 1); err != nil {
		t.Fatal(err)
	}

	mA1 := `{__name__="m", a="1", b="x"}`
	mA10 := `{__name__="m", a="10", b="y"}`
	mA2 := `{__name__="m", a="2"}`
	nA1 := `{__name__="n", a="1"}`
	mt := labels.MustNewMatcher
	tests := []struct {
		name     string
		matchers []*labels.Matcher
		want     []string
	}{
		{"equal name", []*labels.Matcher{mt(labels.MatchEqual, "__name__", "m")}, []string{mA1, mA10, mA2}},
		{"equal missing name", []*labels.Matcher{mt(labels.MatchEqual, "__name__", "nope")}, nil},
		{"equal label", []*labels.Matcher{mt(labels.MatchEqual, "a", "1")}, []string{mA1, nA1}},
		{"equal empty matches absent", []*labels.Matcher{mt(labels.MatchEqual, "b", "")}, []string{mA2, nA1}},
		{"not equal", []*labels.Matcher{mt(labels.MatchNotEqual, "a", "1")}, []string{mA10, mA2}},
		{"not equal absent label", []*labels.Matcher{mt(labels.MatchNotEqual, "b", "x")}, []string{mA10, mA2, nA1}},
		{"regex is anchored", []*labels.Matcher{mt(labels.MatchRegexp, "a", "1")}, []string{mA1, nA1}},
		{"regex prefix", []*labels.Matcher{mt(labels.MatchRegexp, "a", "1.*")}, []string{mA1, mA10, nA1}},
		{"regex non-empty", []*labels.Matcher{mt(labels.MatchRegexp, "b", ".+")}, []string{mA1, mA10}},
		{"not regex", []*labels.Matcher{mt(labels.MatchNotRegexp, "a", "1.*")}, []string{mA2}},
		{"not regex absent label", []*labels.Matcher{mt(labels.MatchNotRegexp, "b", "x|y")}, []string{mA2, nA1}},
		{"combined", []*labels.Matcher{
			mt(labels.MatchRegexp, "__name__", "m|n"),
			mt(labels.MatchEqual, "a", "1"),
			mt(labels.MatchNotEqual, "b", "x"),
		}, []string{nA1}},
		{"name and regex", []*labels.Matcher{
			mt(labels.MatchEqual, "__name__", "m"),
			mt(labels.MatchNotRegexp, "a", "2|late"),
		}, []string{mA1, mA10}},
	}
	q, err := s.Querier(ms(0), ms(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lsets, data := selectAll(t, q, tc.matchers...)
			var got []string
			for _, ls := range lsets {
				got = append(got, ls.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if !slices.IsSortedFunc(lsets, labels.Compare) {
				t.Errorf("not sorted: %q", got)
			}
			for i, pts := range data {
				if len(pts) != 3 {
					t.Errorf("%s: %d samples, want 3", got[i], len(pts))
				}
			}
		})
	}
}

func TestStoreQuerierWindow(t *testing.T) {
	s := NewStore()
	ref := s.Series(labels.FromStrings("__name__", "x"))
	for i := range 10 {
		if err := s.Append(ref, t0.Add(time.Duration(i)*time.Second), float64(i)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		mint, maxt int64
		want       []float64
	}{
		{"inclusive bounds", ms(2 * time.Second), ms(4 * time.Second), []float64{2, 3, 4}},
		{"between samples", ms(2*time.Second) + 1, ms(4*time.Second) - 1, []float64{3}},
		{"all", math.MinInt64, math.MaxInt64, []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"before", ms(-time.Hour), ms(-time.Millisecond), nil},
		{"after", ms(9*time.Second) + 1, ms(time.Hour), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := s.Querier(tc.mint, tc.maxt)
			_, data := selectAll(t, q, labels.MustNewMatcher(labels.MatchEqual, "__name__", "x"))
			var got []float64
			for _, pts := range data {
				for _, p := range pts {
					got = append(got, p.v)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if tc.want == nil && len(data) != 0 {
				t.Errorf("series without samples in range was returned")
			}
		})
	}
}

func TestStoreSeries(t *testing.T) {
	s := NewStore()
	a := s.Series(labels.FromStrings("__name__", "m", "a", "1"))
	if b := s.Series(labels.FromStrings("a", "1", "__name__", "m")); b != a {
		t.Errorf("same labels gave refs %d and %d", a, b)
	}
	if b := s.Series(labels.FromStrings("__name__", "m", "a", "1", "empty", "")); b != a {
		t.Errorf("empty-valued label not dropped: refs %d and %d", a, b)
	}
	if b := s.Series(labels.FromStrings("__name__", "m", "a", "2")); b == a {
		t.Errorf("different labels share ref %d", a)
	}
	for _, ls := range []labels.Labels{labels.EmptyLabels(), labels.FromStrings("x", "")} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Series(%s) did not panic", ls)
				}
			}()
			s.Series(ls)
		}()
	}
}

func TestStoreAppendErrors(t *testing.T) {
	s := NewStore()
	ref := s.Series(labels.FromStrings("__name__", "x"))
	if err := s.Append(ref, t0, 1); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ref  SeriesRef
		t    time.Time
		want error // nil: any error
	}{
		{"equal time", ref, t0, storage.ErrDuplicateSampleForTimestamp},
		{"same millisecond", ref, t0.Add(500 * time.Microsecond), storage.ErrDuplicateSampleForTimestamp},
		{"earlier", ref, t0.Add(-time.Second), storage.ErrOutOfOrderSample},
		{"past 2262", ref, time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC), ErrTimeOutOfRange},
		{"before 1677", ref, time.Date(1677, 9, 20, 0, 0, 0, 0, time.UTC), ErrTimeOutOfRange},
		{"unknown ref", ref + 1, t0.Add(time.Hour), nil},
		{"negative ref", -1, t0.Add(time.Hour), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Append(tc.ref, tc.t, 2)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v is not %v", err, tc.want)
			}
		})
	}
	if err := s.AppendStale(ref, t0); !errors.Is(err, storage.ErrDuplicateSampleForTimestamp) {
		t.Errorf("AppendStale at equal time: %v", err)
	}
	if n := s.NumSamples(); n != 1 {
		t.Errorf("NumSamples = %d after rejected appends, want 1", n)
	}
	// A stale marker is a sample; the series can come back after it.
	if err := s.AppendStale(ref, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ref, t0.Add(2*time.Second), 3); err != nil {
		t.Fatal(err)
	}
	q, _ := s.Querier(math.MinInt64, math.MaxInt64)
	_, data := selectAll(t, q)
	if len(data) != 1 || len(data[0]) != 3 || !value.IsStaleNaN(data[0][1].v) {
		t.Errorf("samples = %v, want 1, StaleNaN, 3", data)
	}
}

func TestStoreLabelNamesValues(t *testing.T) {
	s := NewStore()
	for _, ls := range []labels.Labels{
		labels.FromStrings("__name__", "m", "pod", "b", "zone", "z1"),
		labels.FromStrings("__name__", "m", "pod", "a"),
		labels.FromStrings("__name__", "n", "pod", "c", "job", "j"),
	} {
		if err := s.Append(s.Series(ls), t0, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Append(s.Series(labels.FromStrings("__name__", "old", "gone", "1")), t0.Add(-time.Hour), 1); err != nil {
		t.Fatal(err)
	}
	q, _ := s.Querier(ms(-time.Minute), ms(time.Minute))
	ctx := context.Background()
	mt := labels.MustNewMatcher

	tests := []struct {
		name     string
		label    string // "" for LabelNames
		hints    *storage.LabelHints
		matchers []*labels.Matcher
		want     []string
	}{
		{"names", "", nil, nil, []string{"__name__", "job", "pod", "zone"}},
		{"names matched", "", nil, []*labels.Matcher{mt(labels.MatchEqual, "__name__", "m")}, []string{"__name__", "pod", "zone"}},
		{"names limit", "", &storage.LabelHints{Limit: 2}, nil, []string{"__name__", "job"}},
		{"values", "pod", nil, nil, []string{"a", "b", "c"}},
		{"values matched", "pod", nil, []*labels.Matcher{mt(labels.MatchNotEqual, "__name__", "n")}, []string{"a", "b"}},
		{"metric names", "__name__", nil, nil, []string{"m", "n"}},
		{"absent label", "nope", nil, nil, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var (
				got []string
				err error
			)
			if tc.label == "" {
				got, _, err = q.LabelNames(ctx, tc.hints, tc.matchers...)
			} else {
				got, _, err = q.LabelValues(ctx, tc.label, tc.hints, tc.matchers...)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestStaleness checks that staleness markers and the 5m lookback reach the
// engine through the store as they would from the Prometheus TSDB.
func TestStaleness(t *testing.T) {
	s := NewStore()
	stale := s.Series(labels.FromStrings("__name__", "up", "job", "stale"))
	stopped := s.Series(labels.FromStrings("__name__", "up", "job", "stopped"))
	last := 5 * time.Minute
	for d := time.Duration(0); d <= last; d += 15 * time.Second {
		for _, ref := range []SeriesRef{stale, stopped} {
			if err := s.Append(ref, t0.Add(d), 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.AppendStale(stale, t0.Add(last+15*time.Second)); err != nil {
		t.Fatal(err)
	}

	e := NewEngine()
	tests := []struct {
		at   time.Duration
		want []string // jobs present
	}{
		{last, []string{"stale", "stopped"}},
		{last + 14*time.Second, []string{"stale", "stopped"}},
		{last + 15*time.Second, []string{"stopped"}}, // stale marker hides the series at once
		{last + time.Minute, []string{"stopped"}},
		{last + 5*time.Minute - time.Millisecond, []string{"stopped"}}, // lookback: (t-5m, t]
		{last + 5*time.Minute, nil},
		{last + time.Hour, nil},
	}
	for _, tc := range tests {
		res, err := e.Instant(context.Background(), s, "up", t0.Add(tc.at))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, smp := range res.Value.(promql.Vector) {
			got = append(got, smp.Metric.Get("job"))
			if smp.F != 1 {
				t.Errorf("at +%v: %s = %v", tc.at, smp.Metric, smp.F)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("at +%v: got %q, want %q", tc.at, got, tc.want)
		}
	}
}

// TestConcurrentAppendAndQuery is for the race detector: queries (sharing an
// Engine) may run while samples are appended.
func TestConcurrentAppendAndQuery(t *testing.T) {
	s := NewStore()
	c := NewEnvoyCluster(s, "httproute/joel-test/backend-eg/rule/0", envoyTarget)
	e := NewEngine()
	const scrapes = 600
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range scrapes {
			if err := c.Scrape(t0.Add(time.Duration(i)*scrapeInterval), map[int]uint64{200: 85, 503: 15}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			for i := range 50 {
				at := t0.Add(time.Duration(i) * time.Minute)
				if _, err := e.Instant(context.Background(), s, seedQuery, at); err != nil {
					errs <- err
					return
				}
				if _, err := e.Range(context.Background(), s, seedQuery, t0, at, time.Minute); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	<-done
	if n := s.NumSamples(); n != scrapes*(5+envoyHistogramSeries) {
		t.Errorf("NumSamples = %d, want %d", n, scrapes*(5+envoyHistogramSeries))
	}
}
