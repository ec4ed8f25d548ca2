package promfake

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
)

// BenchmarkInstantSeedQuery is the seed query through our wrapper over 1h of
// 15s scrapes.
func BenchmarkInstantSeedQuery(b *testing.B) {
	s := seedStore(b, time.Hour, steady(85, 15))
	e := NewEngine()
	ctx := context.Background()
	at := t0.Add(time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := e.Instant(ctx, s, seedQuery, at)
		if err != nil {
			b.Fatal(err)
		}
		if v := res.Value.(promql.Vector); len(v) != 1 {
			b.Fatalf("got %v", v)
		}
	}
}

// BenchmarkInstantSeedQueryBareEngine runs the same query on a plain
// promql.Engine against the same store, to show our wrapper's overhead.
func BenchmarkInstantSeedQueryBareEngine(b *testing.B) {
	s := seedStore(b, time.Hour, steady(85, 15))
	ng := promql.NewEngine(promql.EngineOpts{
		MaxSamples:               50_000_000,
		Timeout:                  2 * time.Minute,
		LookbackDelta:            5 * time.Minute,
		NoStepSubqueryIntervalFn: func(int64) int64 { return 60_000 },
	})
	ctx := context.Background()
	at := t0.Add(time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		qry, err := ng.NewInstantQuery(ctx, s, nil, seedQuery, at)
		if err != nil {
			b.Fatal(err)
		}
		res := qry.Exec(ctx)
		if res.Err != nil {
			b.Fatal(res.Err)
		}
		if v := res.Value.(promql.Vector); len(v) != 1 {
			b.Fatalf("got %v", v)
		}
		qry.Close()
	}
}

// BenchmarkAppend measures one Append into an existing series (ns/op is
// ns/sample).
func BenchmarkAppend(b *testing.B) {
	s := NewStore()
	ref := s.Series(labels.FromStrings("__name__", "envoy_cluster_upstream_rq_total", "envoy_cluster_name", "c"))
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if err := s.Append(ref, t0.Add(time.Duration(i)*scrapeInterval), float64(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// fullEnvoyStore is the seed's cluster with everything an EnvoyCluster
// writes (counters by class and code, the rq_time histogram) for 1h of 15s
// scrapes: what a scenario's store holds.
func fullEnvoyStore(b *testing.B) *Store {
	s := NewStore()
	c := NewEnvoyCluster(s, "httproute/joel-test/backend-eg/rule/0", envoyTarget)
	bk := make([]float64, len(LatencyBounds)+1)
	bk[4], bk[5], bk[6] = 600, 300, 100
	for d := time.Duration(0); d <= time.Hour; d += scrapeInterval {
		if err := c.ScrapeBatches(t0.Add(d), []Batch{{Code: 200, Count: 850, Buckets: bk, LatencySum: 20000}, {Code: 503, Count: 150}}); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkSeedQueryPaths runs the seed query over 1h of the full Envoy
// series through rollsim's path (Engine.Instant, as the prometheus provider
// does) and on a bare upstream engine with the same options, in one
// benchmark, so that the ratio is measured under the same conditions.
func BenchmarkSeedQueryPaths(b *testing.B) {
	s := fullEnvoyStore(b)
	at := t0.Add(time.Hour)
	ctx := context.Background()
	b.Run("rollsim", func(b *testing.B) {
		e := NewEngine()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.Instant(ctx, s, seedQuery, at); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bare-engine", func(b *testing.B) {
		ng := promql.NewEngine(engineOpts(nil))
		b.ReportAllocs()
		for b.Loop() {
			qry, err := ng.NewInstantQuery(ctx, s, nil, seedQuery, at)
			if err != nil {
				b.Fatal(err)
			}
			if res := qry.Exec(ctx); res.Err != nil {
				b.Fatal(res.Err)
			}
			qry.Close()
		}
	})
}
