package tune

import (
	"context"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/rollsim/rollsim/engine/analysis"
	"github.com/rollsim/rollsim/promfake"
	"github.com/rollsim/rollsim/sim"
)

// backgroundScenario is the seed's background case: 40 virtual minutes, one
// Prometheus measurement a minute from setWeight 40.
const backgroundScenario = "../../scenarios/background-recovers.yaml"

// BenchmarkBackgroundRollouts measures what a sweep costs: simulated rollouts
// per second of the seed's background scenario, one at a time ("run") and on
// every core as tune runs them ("parallel"), and the bare cost of the same
// PromQL queries on the upstream engine ("queries": the floor under a run,
// whatever the rest of the simulation costs).
func BenchmarkBackgroundRollouts(b *testing.B) {
	in, err := scenario.Load(backgroundScenario)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	seed := int64(42)
	res, err := sim.Run(ctx, in, sim.Options{Seed: &seed})
	if err != nil {
		b.Fatal(err)
	}
	if res.Verdict != scenario.Promoted {
		b.Fatalf("verdict %s, want Promoted", res.Verdict)
	}
	queries := measuredQueries(res)

	b.Run("run", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		for i := 0; b.Loop(); i++ {
			s := RunSeed(1, i)
			if _, err := sim.Run(ctx, in, sim.Options{Seed: &s}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rollouts/s")
		b.ReportMetric(float64(res.Queries), "queries/rollout")
		// CPU time (all threads, GC included) is what a busy shared machine
		// does not distort; cores / cpu-ms is the rate a sweep can reach.
		b.ReportMetric((cpuTime()-cpu).Seconds()*1000/float64(b.N), "cpu-ms/rollout")
	})
	b.Run("parallel", func(b *testing.B) {
		// As `rollsim tune` runs them: every core, GC target raised.
		defer debug.SetGCPercent(debug.SetGCPercent(SweepGCPercent))
		b.ReportAllocs()
		cpu := cpuTime()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				s := RunSeed(2, i)
				i++
				if _, err := sim.Run(ctx, in, sim.Options{Seed: &s}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rollouts/s")
		b.ReportMetric((cpuTime()-cpu).Seconds()*1000/float64(b.N), "cpu-ms/rollout")
	})
	b.Run("parse", func(b *testing.B) {
		// The parsing part of the floor: the seed's query string to an AST,
		// which every Instant call does again.
		p := parser.NewParser(parser.Options{})
		b.ReportAllocs()
		for b.Loop() {
			for _, q := range queries {
				if _, err := p.ParseExpr(q.query); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N*len(queries))*1e6, "µs/parse")
	})
	b.Run("queries", func(b *testing.B) {
		// The same query strings at the same virtual times, against a store
		// holding the scenario's Envoy counters for the whole run (15s scrapes of
		// 50 rps from the start of the warmup), on the engine a run uses.
		store := promfake.NewStore()
		cluster := promfake.NewEnvoyCluster(store, "httproute/joel-test/backend-eg/rule/0", labels.EmptyLabels())
		start := res.Start.Add(-15 * time.Minute)
		for t := start; !t.After(res.Start.Add(res.Ended)); t = t.Add(15 * time.Second) {
			if err := cluster.Scrape(t, map[int]uint64{200: 749, 503: 1}); err != nil {
				b.Fatal(err)
			}
		}
		engine := promfake.NewEngine()
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			for _, q := range queries {
				r, err := engine.Instant(ctx, store, q.query, q.at)
				if err != nil {
					b.Fatal(err)
				}
				_ = r
			}
		}
		// A run makes res.Queries queries (the measurements the run keeps are
		// fewer: measurementRetention); the floor is that many at the cost of
		// one.
		perQuery := b.Elapsed().Seconds() / float64(b.N*len(queries))
		cpuPerQuery := (cpuTime() - cpu).Seconds() / float64(b.N*len(queries))
		b.ReportMetric(perQuery*1e6, "µs/query")
		b.ReportMetric(cpuPerQuery*1e6, "cpu-µs/query")
		b.ReportMetric(float64(res.Queries)*cpuPerQuery*1000, "floor-cpu-ms/rollout")
		b.ReportMetric(1/(float64(res.Queries)*perQuery), "floor-rollouts/s")
	})
}

type timedQuery struct {
	query string
	at    time.Time
}

// measuredQueries lists the Prometheus queries a run's measurements made.
func measuredQueries(res *sim.Result) []timedQuery {
	var out []timedQuery
	for _, run := range res.AnalysisRuns {
		for _, m := range run.Spec.Metrics {
			if m.Provider.Prometheus == nil {
				continue
			}
			// As the controller does before measuring.
			m, err := analysis.ResolveMetric(m, run.Spec.Args)
			if err != nil {
				continue
			}
			for _, mr := range run.Status.MetricResults {
				if mr.Name != m.Name {
					continue
				}
				for _, ms := range mr.Measurements {
					if ms.StartedAt != nil {
						out = append(out, timedQuery{m.Provider.Prometheus.Query, ms.StartedAt.Time})
					}
				}
			}
		}
	}
	return out
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
