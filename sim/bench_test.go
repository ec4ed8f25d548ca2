package sim

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/promfake"
	"github.com/rollsim/rollsim/sim/scenario"
)

// BenchmarkSeedBackground runs the seed's background-analysis case (15m warm-up,
// 40 virtual minutes, 31 measurements) in memory. It also reports x-floor: the
// run's cost over its own PromQL floor, which is the same query strings at the
// same times over the run's final store on a bare upstream engine (no parse
// cache, no rollsim code around it).
func BenchmarkSeedBackground(b *testing.B) {
	in, err := scenario.Load("../scenarios/background-recovers.yaml")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// One recorded run: its queries and its store.
	var calls []queryCall
	r, err := newRunner(in, Options{})
	if err != nil {
		b.Fatal(err)
	}
	r.prom.calls = &calls
	if err := r.setup(ctx); err != nil {
		b.Fatal(err)
	}
	if err := r.loop(ctx); err != nil {
		b.Fatal(err)
	}
	store := r.prom.store

	b.ReportAllocs()
	began, cpu := time.Now(), cpuTime()
	for b.Loop() {
		if res, err := Run(ctx, in, Options{}); err != nil || res.Verdict != scenario.Promoted {
			b.Fatal(err)
		}
	}
	perRun := time.Since(began) / time.Duration(b.N)
	cpuPerRun := (cpuTime() - cpu) / time.Duration(b.N)

	b.StopTimer()
	n := max(3, b.N)
	cpu = cpuTime()
	floor := replayQueries(b, store, calls, n)
	cpuFloor := (cpuTime() - cpu) / time.Duration(n)
	b.ReportMetric(float64(len(calls)), "queries/op")
	b.ReportMetric(float64(floor.Microseconds()), "floor-µs")
	b.ReportMetric(float64(perRun)/float64(floor), "x-floor")
	// CPU time (all threads, GC included) is what a loaded machine distorts
	// least: the same ratio, and the run's CPU cost.
	b.ReportMetric(float64(cpuPerRun)/float64(cpuFloor), "x-floor-cpu")
	b.ReportMetric(cpuPerRun.Seconds()*1000, "cpu-ms/op")
}

// cpuTime is the process's CPU time so far (user and system, all threads).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// replayQueries times calls on a bare upstream engine over store, n times,
// and returns the time of one pass.
func replayQueries(b *testing.B, store *promfake.Store, calls []queryCall, n int) time.Duration {
	step := promfake.DefaultSubqueryStep.Milliseconds()
	ng := promql.NewEngine(promql.EngineOpts{
		MaxSamples: promfake.MaxSamples, Timeout: time.Hour, LookbackDelta: promfake.LookbackDelta,
		NoStepSubqueryIntervalFn: func(int64) int64 { return step },
		EnableAtModifier:         true, EnableNegativeOffset: true,
	})
	ctx := context.Background()
	began := time.Now()
	for range n {
		for _, c := range calls {
			var q promql.Query
			var err error
			if c.end.IsZero() {
				q, err = ng.NewInstantQuery(ctx, store, nil, c.query, c.at)
			} else {
				q, err = ng.NewRangeQuery(ctx, store, nil, c.query, c.at, c.end, c.step)
			}
			if err != nil {
				b.Fatal(err)
			}
			if res := q.Exec(ctx); res.Err != nil {
				b.Fatal(res.Err)
			}
			q.Close()
		}
	}
	return time.Since(began) / time.Duration(n)
}

// seedVariant is the seed background scenario with the Rollout's replicas and
// each pause of its steps changed (pause scales virtual time: 4 pauses).
func seedVariant(b *testing.B, replicas int32, pause time.Duration) *scenario.Input {
	b.Helper()
	in, err := scenario.Load("../scenarios/background-recovers.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for _, o := range in.Objects {
		ro, ok := o.(*v1alpha1.Rollout)
		if !ok {
			continue
		}
		ro.Spec.Replicas = &replicas
		for i := range ro.Spec.Strategy.Canary.Steps {
			if p := ro.Spec.Strategy.Canary.Steps[i].Pause; p != nil {
				p.Duration = v1alpha1.DurationFromInt(int(pause.Seconds()))
			}
		}
	}
	until := scenario.Duration{Duration: 4*pause + 2*time.Hour}
	in.Scenario.Spec.Until = &until
	in.Scenario.Spec.Expect = nil
	return in
}

func benchmarkVariant(b *testing.B, replicas int32, pause time.Duration) {
	in := seedVariant(b, replicas, pause)
	ctx := context.Background()
	b.ReportAllocs()
	var res *Result
	cpu := cpuTime()
	for b.Loop() {
		var err error
		if res, err = Run(ctx, in, Options{}); err != nil || res.Verdict != scenario.Promoted {
			b.Fatal(err, res.Verdict)
		}
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()*1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(res.Reconciles), "reconciles/op")
	b.ReportMetric(float64(res.Queries), "queries/op")
}

// The scaling targets next to BenchmarkSeedBackground: from 3 to 300 replicas at
// most 2x the cost, a 24-hour rollout at most 10x a 40-minute one.
func BenchmarkSeedReplicas3(b *testing.B)   { benchmarkVariant(b, 3, 10*time.Minute) }
func BenchmarkSeedReplicas300(b *testing.B) { benchmarkVariant(b, 300, 10*time.Minute) }
func BenchmarkSeed40m(b *testing.B)         { benchmarkVariant(b, 3, 10*time.Minute) }
func BenchmarkSeed24h(b *testing.B)         { benchmarkVariant(b, 3, 6*time.Hour) }
