package promfake

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestQueryLimits runs queries over each limit: each fails fast with the
// engine's own error text (or, for limits Prometheus lacks, a clear one),
// as an error a measurement records, never a crash or a huge allocation.
func TestQueryLimits(t *testing.T) {
	s := seedStore(t, time.Hour, steady(85, 15))
	e := NewEngine()
	at := t0.Add(time.Hour)
	deep := 100_000
	tests := []struct {
		name, query string
		rangeQuery  bool
		want        string
		invalid     bool // an InvalidQueryError (bad_data)
	}{
		{name: "subquery 30d:1ms", query: `max_over_time(envoy_cluster_upstream_rq_total[30d:1ms])`,
			want: "exceeded maximum resolution of 1,000,000 points per subquery: envoy_cluster_upstream_rq_total[30d:1ms] would take 2592000001 steps. Try increasing the subquery step", invalid: true},
		{name: "nested subquery", query: `max_over_time(max_over_time(envoy_cluster_upstream_rq_total[1h:1s])[30d:1h])`,
			want: "exceeded maximum resolution of 1,000,000 points per subquery", invalid: true},
		{name: "subquery over a range query", query: `max_over_time(envoy_cluster_upstream_rq_total[1m:1ms])`, rangeQuery: true,
			want: "exceeded maximum resolution of 1,000,000 points per subquery", invalid: true},
		{name: "subquery duration expression", query: `max_over_time(envoy_cluster_upstream_rq_total[(30d):(1ms)])`,
			want: "exceeded maximum resolution of 1,000,000 points per subquery", invalid: true},
		{name: "subquery overflow", query: `max_over_time(max_over_time(envoy_cluster_upstream_rq_total[1ms:1ms])[292y:100y])`, rangeQuery: true,
			want: "exceeded maximum resolution of 1,000,000 points per subquery", invalid: true},
		{name: "too many samples", query: `count_over_time({__name__=~".+"}[1h:4ms])`,
			want: "query processing would load too many samples into memory in query execution"},
		{name: "parentheses", query: strings.Repeat("(", deep) + "1" + strings.Repeat(")", deep),
			want: "query too long: 200001 bytes, the limit is 65536 bytes", invalid: true},
		{name: "sum chain", query: "1" + strings.Repeat("+1", deep),
			want: "query too long: 200001 bytes, the limit is 65536 bytes", invalid: true},
		{name: "nesting", query: strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300),
			want: "query nested too deeply: more than 256 levels of parentheses, brackets and braces", invalid: true},
		{name: "operators", query: "1" + strings.Repeat("+1", 1001),
			want: "query too complex: more than 1000 operators", invalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			var err error
			if tt.rangeQuery {
				_, err = e.Range(context.Background(), s, tt.query, at.Add(-time.Hour), at, time.Minute)
			} else {
				_, err = e.Instant(context.Background(), s, tt.query, at)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %s", took)
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			var iq *InvalidQueryError
			if errors.As(err, &iq) != tt.invalid {
				t.Errorf("invalid query error: %v, want %v", !tt.invalid, tt.invalid)
			}
		})
	}
	// A range query of more than 11,000 points, as the HTTP API refuses it.
	if _, err := e.Range(context.Background(), s, "1", at.Add(-30*24*time.Hour), at, time.Millisecond); err == nil || err.Error() != "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)" {
		t.Errorf("range of 2.6e9 points: %v", err)
	}
	// Just under the limits: accepted, quickly.
	for _, q := range []string{
		strings.Repeat("(", 256) + "1" + strings.Repeat(")", 256),
		"1" + strings.Repeat("+1", 1000),
		strings.Repeat("1+(", 250) + "1" + strings.Repeat(")", 250),
		`max_over_time(envoy_cluster_upstream_rq_total[30d:1m])`,
	} {
		start := time.Now()
		if _, err := e.Instant(context.Background(), s, q, at); err != nil {
			t.Errorf("%.40s...: %v", q, err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%.40s...: took %s", q, took)
		}
	}
}

// TestWorstQueryMemory measures the peak heap of queries at the limits
// (ROLLSIM_MEMTEST=1; run it under `ulimit -v 4000000` to prove the bound).
func TestWorstQueryMemory(t *testing.T) {
	if os.Getenv("ROLLSIM_MEMTEST") == "" {
		t.Skip("set ROLLSIM_MEMTEST=1")
	}
	s := seedStore(t, 6*time.Hour, steady(85, 15))
	e := NewEngine()
	at := t0.Add(6 * time.Hour)
	for _, q := range []string{
		`max_over_time(envoy_cluster_upstream_rq_total[30d:1ms])`,
		`max_over_time(envoy_cluster_upstream_rq_total[6h:10ms])`,                     // 2.16M steps: rejected
		`max_over_time(envoy_cluster_upstream_rq_total[2h:8ms])`,                      // 900k steps x 8 series: too many samples
		`sum_over_time(envoy_cluster_upstream_rq_xx[6h:25ms])`,                        // 864k steps
		`count_over_time(envoy_cluster_upstream_rq_total[6h])`,                        // every sample
		`avg_over_time(rate(envoy_cluster_upstream_rq_total[6h])[6h:22s])`,            // range per step
		`quantile_over_time(0.5, envoy_cluster_upstream_rq_total[6h:22ms])`,           // 982k steps held
		`count_over_time({__name__=~".+"}[6h])`,                                       // every series
		`count_over_time({__name__=~".+"}[2h:8ms])`,                                   // near MaxSamples
		`count_over_time({__name__=~".+"}[6h:22ms])`,                                  // over MaxSamples
		`quantile_over_time(0.5, {__name__=~".+"}[2h:8ms])`,                           // sorts what it holds
		`max_over_time(max_over_time(envoy_cluster_upstream_rq_total[1m:1s])[6h:1m])`, // nested
	} {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		stop := make(chan struct{})
		peak := make(chan uint64)
		go func() {
			var m runtime.MemStats
			var max uint64
			for {
				runtime.ReadMemStats(&m)
				max = maxU(max, m.HeapAlloc)
				select {
				case <-stop:
					peak <- max
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		}()
		start := time.Now()
		_, err := e.Instant(context.Background(), s, q, at)
		took := time.Since(start)
		close(stop)
		p := <-peak
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		t.Logf("%s: %s, peak heap %d MB, allocated %d MB, err %v", q, took.Round(time.Millisecond), p>>20, (after.TotalAlloc-before.TotalAlloc)>>20, err)
	}
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}
