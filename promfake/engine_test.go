package promfake

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
)

const seedQuery = `
sum(irate(
  envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"httproute/joel-test/backend-eg/.*", envoy_response_code_class="2"}[1m]
)) /
sum(irate(
  envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"httproute/joel-test/backend-eg/.*"}[1m]
))`

const scrapeInterval = 15 * time.Second

var envoyTarget = labels.FromStrings(
	"job", "kubernetes-pods",
	"namespace", "envoy-gateway-system",
	"pod", "envoy-default-eg-e41e7b31-7d9c6b7f4-x2x9q",
)

// traffic returns the requests of one scrape interval, by status code, for
// the d-th interval after t0.
type traffic func(d time.Duration) map[int]uint64

func steady(ok, fail uint64) traffic {
	return func(time.Duration) map[int]uint64 { return map[int]uint64{200: ok, 503: fail} }
}

// seedStore scrapes the seed query's cluster, and a decoy cluster the query
// must not see, every 15s from t0 to t0+dur inclusive.
func seedStore(tb testing.TB, dur time.Duration, tr traffic) *Store {
	tb.Helper()
	s := NewStore()
	c := NewEnvoyCluster(s, "httproute/joel-test/backend-eg/rule/0", envoyTarget)
	decoy := NewEnvoyCluster(s, "httproute/joel-test/other/rule/0", envoyTarget)
	for d := time.Duration(0); d <= dur; d += scrapeInterval {
		if err := c.Scrape(t0.Add(d), tr(d)); err != nil {
			tb.Fatal(err)
		}
		if err := decoy.Scrape(t0.Add(d), map[int]uint64{200: 1, 500: 9}); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// vector runs an instant query that must succeed and return a vector.
func vector(t *testing.T, e *Engine, s *Store, q string, at time.Time) promql.Vector {
	t.Helper()
	res, err := e.Instant(context.Background(), s, q, at)
	if err != nil {
		t.Fatalf("%s at %s: %v", q, at, err)
	}
	v, ok := res.Value.(promql.Vector)
	if !ok {
		t.Fatalf("%s: got %T, want promql.Vector", q, res.Value)
	}
	return v
}

func TestSeedQuery(t *testing.T) {
	e := NewEngine()
	steadyStore := seedStore(t, time.Hour, steady(85, 15))
	// 10 minutes of traffic, then 10 minutes of flat counters.
	flatStore := seedStore(t, 20*time.Minute, func(d time.Duration) map[int]uint64 {
		if d < 10*time.Minute {
			return map[int]uint64{200: 85, 503: 15}
		}
		return nil
	})
	// Scraped, but no request yet: only envoy_cluster_upstream_rq_total exists.
	idleStore := seedStore(t, 20*time.Minute, func(time.Duration) map[int]uint64 { return nil })

	const (
		want  = "0.85"
		nan   = "NaN"
		empty = "empty"
	)
	tests := []struct {
		name  string
		store *Store
		at    time.Duration
		want  string
	}{
		{"before any series", steadyStore, -time.Minute, empty},
		{"one scrape only", steadyStore, 10 * time.Second, empty},
		{"second scrape", steadyStore, scrapeInterval, want},
		{"between scrapes", steadyStore, 17*time.Minute + 7*time.Second, want},
		{"on a scrape", steadyStore, 30 * time.Minute, want},
		{"last scrape", steadyStore, time.Hour, want},
		// irate needs two samples in (at-1m, at].
		{"two samples left in range", steadyStore, time.Hour + 44*time.Second, want},
		{"one sample left in range", steadyStore, time.Hour + 45*time.Second, empty},
		{"traffic", flatStore, 9 * time.Minute, want},
		{"flat counters", flatStore, 19 * time.Minute, nan},
		{"idle cluster", idleStore, 10 * time.Minute, empty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := vector(t, e, tc.store, seedQuery, t0.Add(tc.at))
			var got string
			switch {
			case len(v) == 0:
				got = empty
			case len(v) > 1:
				t.Fatalf("got %d samples: %v", len(v), v)
			case !v[0].Metric.IsEmpty():
				t.Fatalf("sample has labels %s", v[0].Metric)
			case math.IsNaN(v[0].F):
				got = nan
			case math.Abs(v[0].F-0.85) < 1e-12:
				got = want
			default:
				got = promql.Sample{F: v[0].F}.String()
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			if len(v) == 1 && v[0].T != t0.Add(tc.at).UnixMilli() {
				t.Errorf("sample time %d, want %d", v[0].T, t0.Add(tc.at).UnixMilli())
			}
		})
	}
}

// TestRangeEqualsInstants checks the range plumbing: each step of a range
// query equals the instant query at that time, including steps with no value.
func TestRangeEqualsInstants(t *testing.T) {
	e := NewEngine()
	s := seedStore(t, time.Hour, steady(85, 15))
	start, end, step := t0.Add(-time.Minute), t0.Add(time.Hour+3*time.Minute), 37*time.Second

	res, err := e.Range(context.Background(), s, seedQuery, start, end, step)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := res.Value.(promql.Matrix)
	if !ok || len(m) != 1 {
		t.Fatalf("got %T %v, want a matrix of one series", res.Value, res.Value)
	}
	byTime := map[int64]float64{}
	for _, p := range m[0].Floats {
		byTime[p.T] = p.F
	}
	steps, present := 0, 0
	for at := start; !at.After(end); at = at.Add(step) {
		steps++
		v := vector(t, e, s, seedQuery, at)
		f, ok := byTime[at.UnixMilli()]
		switch {
		case len(v) == 0 && ok:
			t.Errorf("%s: range has %v, instant is empty", at, f)
		case len(v) == 1 && !ok:
			t.Errorf("%s: instant has %v, range has no point", at, v[0].F)
		case len(v) == 1 && math.Float64bits(v[0].F) != math.Float64bits(f):
			t.Errorf("%s: instant %v, range %v", at, v[0].F, f)
		case len(v) == 1:
			present++
		}
	}
	if present != len(m[0].Floats) {
		t.Errorf("range has %d points, instants %d", len(m[0].Floats), present)
	}
	if present == 0 || present == steps {
		t.Errorf("%d of %d steps have a value; want some but not all", present, steps)
	}
}

// TestMatrixSurvivesLaterQueries guards against the engine's pools reusing
// the points of a returned matrix.
func TestMatrixSurvivesLaterQueries(t *testing.T) {
	e := NewEngine()
	s := seedStore(t, 10*time.Minute, steady(85, 15))
	ctx := context.Background()
	q := `envoy_cluster_upstream_rq_total`
	first, err := e.Range(ctx, s, q, t0, t0.Add(10*time.Minute), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := first.Value.String()
	for range 5 {
		if _, err := e.Range(ctx, s, `envoy_cluster_upstream_rq_xx * 2`, t0, t0.Add(10*time.Minute), 15*time.Second); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Instant(ctx, s, q+`[5m]`, t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if got := first.Value.String(); got != want {
		t.Errorf("matrix changed after later queries:\n%s\nwas\n%s", got, want)
	}
}

func TestEngineErrors(t *testing.T) {
	e := NewEngine()
	bare := promql.NewEngine(engineOpts(nil))
	s := seedStore(t, 10*time.Minute, steady(1, 0))
	ctx := context.Background()
	at := t0.Add(5 * time.Minute)
	past2262 := time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC)

	tests := []struct {
		name       string
		query      string
		rangeQuery bool
		start, end time.Time
		step       time.Duration
		wantIs     error  // checked with errors.Is when set
		wantSub    string // substring of the error when set
		sameAsBare bool   // error text must equal the bare engine's
	}{
		{name: "instant past 2262", query: "1", start: past2262, wantIs: ErrTimeOutOfRange},
		{name: "instant before 1677", query: "1", start: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), wantIs: ErrTimeOutOfRange},
		{name: "range end past 2262", query: "1", rangeQuery: true, start: at, end: past2262, step: time.Hour, wantIs: ErrTimeOutOfRange},
		{name: "range start past 2262", query: "1", rangeQuery: true, start: past2262, end: past2262, step: time.Hour, wantIs: ErrTimeOutOfRange},
		{name: "parse error", query: "sum(", start: at, wantSub: "parse error", sameAsBare: true},
		{name: "parse error range", query: `rate(x[5m]`, rangeQuery: true, start: at, end: at, step: time.Minute, wantSub: "parse error", sameAsBare: true},
		{name: "unknown function", query: `nope(x)`, start: at, wantSub: "unknown function", sameAsBare: true},
		{name: "range vector in range query", query: `x[5m]`, rangeQuery: true, start: at, end: at.Add(time.Minute), step: time.Minute, wantSub: "range query", sameAsBare: true},
		{name: "zero step", query: "1", rangeQuery: true, start: at, end: at, step: 0, wantIs: errBadStep},
		{name: "end before start", query: "1", rangeQuery: true, start: at, end: at.Add(-time.Second), step: time.Second, wantIs: errEndStart},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.rangeQuery {
				_, err = e.Range(ctx, s, tc.query, tc.start, tc.end, tc.step)
			} else {
				_, err = e.Instant(ctx, s, tc.query, tc.start)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %q is not %q", err, tc.wantIs)
			}
			if tc.wantSub != "" && !strings.Contains(err.Error(), tc.wantSub) {
				t.Errorf("error %q does not contain %q", err, tc.wantSub)
			}
			if tc.sameAsBare {
				var bareErr error
				if tc.rangeQuery {
					_, bareErr = bare.NewRangeQuery(ctx, s, nil, tc.query, tc.start, tc.end, tc.step)
				} else {
					_, bareErr = bare.NewInstantQuery(ctx, s, nil, tc.query, tc.start)
				}
				if bareErr == nil || bareErr.Error() != err.Error() {
					t.Errorf("error %q, bare engine says %v", err, bareErr)
				}
			}
		})
	}
}

func TestEngineFeatures(t *testing.T) {
	e := NewEngine()
	s := seedStore(t, 30*time.Minute, steady(85, 15))
	at := t0.Add(30 * time.Minute)
	ctx := context.Background()

	tests := []struct {
		name      string
		query     string
		wantValue string // substring of the value's String(), if set
		wantWarn  string // substring of some warning, if set
		wantInfo  string // substring of some info, if set
	}{
		{name: "subquery without step", query: `max_over_time(envoy_cluster_upstream_rq_total{envoy_cluster_name="httproute/joel-test/other/rule/0"}[5m:])`, wantValue: "=> 1210 @"},
		{name: "at modifier", query: `envoy_cluster_upstream_rq_total{envoy_cluster_name="httproute/joel-test/other/rule/0"} @ ` + formatUnix(t0.Add(time.Minute)), wantValue: "=> 50 @"},
		{name: "negative offset", query: `envoy_cluster_upstream_rq_total{envoy_cluster_name="httproute/joel-test/other/rule/0"} offset -1m`, wantValue: "=> 1210 @"},
		{name: "scalar", query: `scalar(sum(envoy_cluster_upstream_rq_total))`, wantValue: "scalar: 13310 @"},
		{name: "string", query: `"hi"`, wantValue: "hi"},
		{name: "info", query: `sum(rate(envoy_cluster_upstream_rq_xx[1m]))`, wantInfo: "might not be a counter"},
		{name: "warning", query: `quantile(2, envoy_cluster_upstream_rq_total)`, wantWarn: "quantile value should be between 0 and 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.Instant(ctx, s, tc.query, at)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantValue != "" && !strings.Contains(res.Value.String(), tc.wantValue) {
				t.Errorf("value %q does not contain %q", res.Value.String(), tc.wantValue)
			}
			has := func(list []string, sub string) bool {
				return slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, sub) })
			}
			if tc.wantWarn != "" && !has(res.Warnings, tc.wantWarn) {
				t.Errorf("warnings %q lack %q", res.Warnings, tc.wantWarn)
			}
			if tc.wantInfo != "" && !has(res.Infos, tc.wantInfo) {
				t.Errorf("infos %q lack %q", res.Infos, tc.wantInfo)
			}
			if tc.wantWarn == "" && len(res.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", res.Warnings)
			}
		})
	}
}

func formatUnix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
