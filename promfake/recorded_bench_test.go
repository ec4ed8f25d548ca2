package promfake

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// writeRouteRecording writes what a Prometheus scraping an Envoy Gateway
// route's proxies stored over dur at 15s: 4 proxies x 2 rules, each cluster
// with rq_total, three code classes and codes (2xx/4xx/5xx: 200, 404, 503)
// and the 20-bucket latency histogram with _sum and _count: 232 series.
func writeRouteRecording(tb testing.TB, path string, dur time.Duration, write func(*os.File, *Store) error) {
	tb.Helper()
	s := NewStore()
	var clusters []*EnvoyCluster
	for rule := range 2 {
		for pod := range 4 {
			clusters = append(clusters, NewEnvoyCluster(s, fmt.Sprintf("httproute/shop/checkout/rule/%d", rule),
				labels.FromStrings("namespace", "envoy-gateway-system", "pod", fmt.Sprintf("envoy-shop-eg-5d8f7c9b4-%05d", pod))))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 11, 17, 10, 0, 0, 0, time.UTC)
	bk := make([]float64, len(LatencyBounds)+1)
	for d := time.Duration(0); d <= dur; d += scrapeInterval {
		for _, c := range clusters {
			n := 100 + float64(rng.IntN(40))
			for i := range bk {
				bk[i] = 0
			}
			bk[4], bk[5], bk[6] = n*0.6, n*0.3, n*0.1
			if err := c.ScrapeBatches(start.Add(d), []Batch{
				{Code: 200, Count: n, Buckets: bk, LatencySum: n * 22},
				{Code: 404, Count: float64(rng.IntN(3))},
				{Code: 503, Count: float64(rng.IntN(2))},
			}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := write(f, s); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// heapSampler records the peak of the live heap while it runs.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := heapObjects(); v > h.peak.Load() {
				h.peak.Store(v)
			}
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

// cpuTime is the process' user+system CPU time: on a busy machine it says
// more about the cost of a load than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	<-h.done
	return h.peak.Load()
}

// BenchmarkLoadRecorded loads a day and a week of a route's Envoy series
// from OpenMetrics and from a promtool dump, and reports the peak heap
// above what was live before, the heap the loaded store keeps, and the
// throughput.
func BenchmarkLoadRecorded(b *testing.B) {
	for _, size := range []struct {
		name string
		dur  time.Duration
	}{{"day", 24 * time.Hour}, {"week", 7 * 24 * time.Hour}} {
		for _, format := range []struct {
			name  string
			write func(*os.File, *Store) error
		}{
			{"openmetrics", func(f *os.File, s *Store) error { return WriteOpenMetrics(f, s) }},
			{"dump", func(f *os.File, s *Store) error { return WriteDump(f, s) }},
		} {
			b.Run(size.name+"/"+format.name, func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "rec")
				writeRouteRecording(b, path, size.dur, format.write)
				st, err := os.Stat(path)
				if err != nil {
					b.Fatal(err)
				}
				var samples int
				var peak, kept uint64
				var cpu time.Duration
				b.ResetTimer()
				for b.Loop() {
					b.StopTimer()
					runtime.GC()
					base := heapObjects()
					f, err := os.Open(path)
					if err != nil {
						b.Fatal(err)
					}
					h := startHeapSampler()
					cpu0 := cpuTime()
					b.StartTimer()
					s := NewStore()
					sum, err := LoadRecorded(s, bufio.NewReaderSize(f, 1<<16), RecordedOptions{Name: "rec"})
					b.StopTimer()
					cpu += cpuTime() - cpu0
					p := h.Stop()
					f.Close()
					if err != nil {
						b.Fatal(err)
					}
					samples = sum.Samples
					peak = max(peak, p-min(p, base))
					runtime.GC()
					after := heapObjects()
					kept = after - min(after, base)
					runtime.KeepAlive(s)
					b.StartTimer()
				}
				b.ReportMetric(float64(samples), "samples")
				b.ReportMetric(float64(st.Size())/(1<<20), "file-MB")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(kept)/(1<<20), "store-heap-MB")
				b.ReportMetric(float64(samples)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
				b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			})
		}
	}
}
