package traffic

import (
	"runtime"
	"testing"
	"time"

	"github.com/rollsim/rollsim/promfake"
)

// benchTraffic generates an hour of 15s scrapes (4 pods, 20% canary) per
// iteration and reports samples generated and ingested per second and the
// store's heap per hour of series.
func benchTraffic(b *testing.B, traffic string) {
	in := trafficInput(&testing.T{}, traffic)
	set := in.Settings()
	pods := []Pod{{"app-c-1", "canary1", true}, {"app-s-1", "stable1", true}, {"app-s-2", "stable1", true}, {"app-s-3", "stable1", true}}
	var samples int
	var heap uint64
	b.ReportAllocs()
	for b.Loop() {
		var before, after runtime.MemStats
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		store := promfake.NewStore()
		tr := New(in, set, store)
		tr.SetStableHash("stable1")
		tr.SetCanaryWeight(20)
		end := set.Start.Add(time.Hour)
		for at := set.Start; at.Before(end); at = at.Add(set.Scrape) {
			if err := scrapeWith(tr, at, pods); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.StartTimer()
		samples = store.NumSamples()
		heap = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(store)
		runtime.KeepAlive(tr)
	}
	b.ReportMetric(float64(samples)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(samples), "samples/hour")
	b.ReportMetric(float64(heap)/1024, "KiB/hour")
}

func BenchmarkTrafficEnvoyHour(b *testing.B) {
	benchTraffic(b, "    rps: 50\n    stable: {errorRate: 0.01}\n    canary: {errorRate: 0.2}\n")
}

func BenchmarkTrafficIstioHour(b *testing.B) {
	benchTraffic(b, "    mesh: istio\n    rps: 50\n    stable: {errorRate: 0.01}\n    canary: {errorRate: 0.2}\n")
}
