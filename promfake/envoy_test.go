package promfake

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// envoyHistogramSeries is the number of series of the rq_time histogram:
// a bucket per bound, +Inf, _sum and _count.
const envoyHistogramSeries = 19 + 1 + 2

func TestEnvoyCluster(t *testing.T) {
	s := NewStore()
	const name = "httproute/joel-test/backend-eg/rule/0"
	extra := labels.FromStrings("__name__", "ignored", "envoy_cluster_name", "ignored", "job", "kubernetes-pods", "pod", "envoy-1")
	c := NewEnvoyCluster(s, name, extra)
	e := NewEngine()

	// series renders the cluster's series at a time as "metric{code-label} value".
	series := func(at time.Time) []string {
		t.Helper()
		var out []string
		for _, smp := range vector(t, e, s, `{envoy_cluster_name="`+name+`", __name__!~".*_rq_time_.*"}`, at) {
			m := smp.Metric
			if m.Get("job") != "kubernetes-pods" || m.Get("pod") != "envoy-1" || m.Len() > 5 {
				t.Errorf("labels %s", m)
			}
			key := m.Get("__name__")
			if v := m.Get("envoy_response_code_class"); v != "" {
				key += "{class=" + v + "}"
			}
			if v := m.Get("envoy_response_code"); v != "" {
				key += "{code=" + v + "}"
			}
			out = append(out, key+" "+strconv.FormatFloat(smp.F, 'g', -1, 64))
		}
		return out
	}

	steps := []struct {
		byCode map[int]uint64
		want   []string
	}{
		{nil, []string{"envoy_cluster_upstream_rq_total 0"}},
		{map[int]uint64{200: 5, 204: 0}, []string{
			"envoy_cluster_upstream_rq{code=200} 5",
			"envoy_cluster_upstream_rq_total 5",
			"envoy_cluster_upstream_rq_xx{class=2} 5",
		}},
		{map[int]uint64{503: 2, 200: 3, 201: 1}, []string{
			"envoy_cluster_upstream_rq{code=200} 8",
			"envoy_cluster_upstream_rq{code=201} 1",
			"envoy_cluster_upstream_rq{code=503} 2",
			"envoy_cluster_upstream_rq_total 11",
			"envoy_cluster_upstream_rq_xx{class=2} 9",
			"envoy_cluster_upstream_rq_xx{class=5} 2",
		}},
		{map[int]uint64{}, []string{
			"envoy_cluster_upstream_rq{code=200} 8",
			"envoy_cluster_upstream_rq{code=201} 1",
			"envoy_cluster_upstream_rq{code=503} 2",
			"envoy_cluster_upstream_rq_total 11",
			"envoy_cluster_upstream_rq_xx{class=2} 9",
			"envoy_cluster_upstream_rq_xx{class=5} 2",
		}},
		{map[int]uint64{404: 1, 100: 1}, []string{
			"envoy_cluster_upstream_rq{code=100} 1",
			"envoy_cluster_upstream_rq{code=200} 8",
			"envoy_cluster_upstream_rq{code=201} 1",
			"envoy_cluster_upstream_rq{code=404} 1",
			"envoy_cluster_upstream_rq{code=503} 2",
			"envoy_cluster_upstream_rq_total 13",
			"envoy_cluster_upstream_rq_xx{class=1} 1",
			"envoy_cluster_upstream_rq_xx{class=2} 9",
			"envoy_cluster_upstream_rq_xx{class=4} 1",
			"envoy_cluster_upstream_rq_xx{class=5} 2",
		}},
	}
	samples := 0
	for i, st := range steps {
		at := t0.Add(time.Duration(i) * scrapeInterval)
		if err := c.Scrape(at, st.byCode); err != nil {
			t.Fatal(err)
		}
		samples += len(st.want) + envoyHistogramSeries
		if got := series(at); !slices.Equal(got, st.want) {
			t.Errorf("scrape %d: got %q, want %q", i, got, st.want)
		}
		// Every existing series has a sample at every scrape time.
		if n := s.NumSamples(); n != samples {
			t.Errorf("scrape %d: %d samples, want %d", i, n, samples)
		}
	}

	last := t0.Add(time.Duration(len(steps)-1) * scrapeInterval)
	errs := []struct {
		name   string
		at     time.Time
		byCode map[int]uint64
		wantIs error
	}{
		{"same time", last, map[int]uint64{200: 1}, storage.ErrOutOfOrderSample},
		{"same millisecond", last.Add(time.Microsecond), nil, storage.ErrOutOfOrderSample},
		{"earlier", last.Add(-time.Second), nil, storage.ErrOutOfOrderSample},
		{"code too low", last.Add(time.Minute), map[int]uint64{200: 1, 99: 1}, nil},
		{"code too high", last.Add(time.Minute), map[int]uint64{600: 1}, nil},
		{"past 2262", time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), nil, ErrTimeOutOfRange},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Scrape(tc.at, tc.byCode)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %q is not %q", err, tc.wantIs)
			}
			if n := s.NumSamples(); n != samples {
				t.Errorf("failed scrape wrote: %d samples, want %d", n, samples)
			}
		})
	}
	// Counters were not touched by the failed scrapes.
	next := last.Add(time.Minute)
	if err := c.Scrape(next, map[int]uint64{200: 1}); err != nil {
		t.Fatal(err)
	}
	v := vector(t, e, s, `envoy_cluster_upstream_rq_total`, next)
	if len(v) != 1 || v[0].F != 14 {
		t.Errorf("total after failed scrapes = %v, want 14", v)
	}
}

// TestEnvoyClusterDeterministic checks that series references, hence store
// layout, do not depend on map iteration order.
func TestEnvoyClusterDeterministic(t *testing.T) {
	build := func() []string {
		s := NewStore()
		c := NewEnvoyCluster(s, "c", labels.EmptyLabels())
		if err := c.Scrape(t0, map[int]uint64{503: 1, 200: 1, 404: 1, 201: 1, 302: 1, 500: 1}); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, ser := range s.series {
			out = append(out, ser.lset.String())
		}
		return out
	}
	want := build()
	for range 20 {
		if got := build(); !slices.Equal(got, want) {
			t.Fatalf("series order %q, then %q", want, got)
		}
	}
}

// TestEnvoyQueryTotal checks the seed query shape against the per-code and
// total counters too, so all three metrics carry consistent data.
func TestEnvoyQueryTotal(t *testing.T) {
	s := seedStore(t, 10*time.Minute, steady(85, 15))
	e := NewEngine()
	at := t0.Add(10 * time.Minute)
	for _, q := range []string{
		`sum(irate(envoy_cluster_upstream_rq{envoy_cluster_name=~"httproute/joel-test/backend-eg/.*", envoy_response_code!~"5.."}[1m])) / sum(irate(envoy_cluster_upstream_rq_total{envoy_cluster_name=~"httproute/joel-test/backend-eg/.*"}[1m]))`,
		`sum(increase(envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"httproute/joel-test/backend-eg/.*", envoy_response_code_class="2"}[5m])) / sum(increase(envoy_cluster_upstream_rq_total{envoy_cluster_name=~"httproute/joel-test/backend-eg/.*"}[5m]))`,
	} {
		v := vector(t, e, s, q, at)
		if len(v) != 1 || v[0].F < 0.85-1e-12 || v[0].F > 0.85+1e-12 {
			t.Errorf("%s = %v, want 0.85", q, v)
		}
	}
}
