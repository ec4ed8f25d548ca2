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
