// Command recordgen writes example recordings of a real-looking Envoy
// Gateway route during a canary rollout, for scenarios' spec.recorded and
// for tests: what a Prometheus scraping two Envoy proxies stored for the
// route httproute/shop/checkout from an hour before the update to an hour
// after it, at 15 s scrapes, in OpenMetrics (backfill input) and as the
// JSON of a query_range over the same two hours.
//
//	go run ./hack/recordgen [-out testdata/recorded] [-seed 1]
//
// Two rollouts, both updated at 2026-11-24T10:00:00Z (the updateAt to use):
//
//   - canary-degrades: the canary answers 25% of its requests with 503 from
//     the start; it gets 20% of the traffic from t=0 until the rollout was
//     aborted at t=3m, then none;
//   - canary-healthy: the canary behaves like the stable (0.1% of 500s)
//     through weights 20, 40, 60, 80% (10 minutes each) and takes all the
//     traffic from t=40m on.
//
// And one recording of production without a rollout, for backtests
// (`rollsim tune --every`), gzipped OpenMetrics only:
//
//   - stable-6h: the stable alone from 6 hours before 10:00 to 45 minutes
//     after, the request counters only (rq_total, rq_xx); the rate follows
//     the morning (12 rps at 04:00 up to 40 rps from 09:00) and three
//     incidents raise the 5xx share: 3% for 3 minutes at 05:10, 8% for 2
//     minutes at 07:40, 1.5% for 5 minutes at 09:05.
//
// The output is deterministic for a seed.
package main

import (
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb/chunkenc"

	"github.com/rollsim/rollsim/promfake"
)

// UpdateAt is the recorded instant of the update in every recording.
var UpdateAt = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

const (
	cluster  = "httproute/shop/checkout/rule/0"
	scrape   = 15 * time.Second
	before   = time.Hour
	after    = time.Hour
	rpsTotal = 40.0 // over both proxies
)

// kept are the series written: the request counters, not the latency
// histogram (22 series per proxy would make the files too big to commit).
var kept = []string{"envoy_cluster_upstream_rq_total", "envoy_cluster_upstream_rq_xx", "envoy_cluster_upstream_rq"}

type rollout struct {
	name string
	// weight is the canary's share of the traffic d after the update.
	weight func(d time.Duration) float64
	// canaryErrors is the canary's share of 503 answers.
	canaryErrors float64
	// Optional: the span (default before, after), the rate over both
	// proxies (default rpsTotal), the stable's share of 500 answers
	// (default stableErrors), the series kept (default kept) and whether to
	// skip the JSON.
	before, after time.Duration
	rps           func(d time.Duration) float64
	stableErrors  func(d time.Duration) float64
	keep          []string
	omOnly        bool
}

func (r rollout) span() (time.Duration, time.Duration) {
	if r.before == 0 {
		return before, after
	}
	return r.before, r.after
}

var rollouts = []rollout{
	{
		name: "canary-degrades",
		weight: func(d time.Duration) float64 {
			if d >= 0 && d < 3*time.Minute {
				return 0.2
			}
			return 0
		},
		canaryErrors: 0.25,
	},
	{
		name: "canary-healthy",
		weight: func(d time.Duration) float64 {
			switch {
			case d < 0:
				return 0
			case d >= 40*time.Minute:
				return 1
			}
			return 0.2 * float64(1+d/(10*time.Minute))
		},
		canaryErrors: 0.001,
	},
	{
		name:   "stable-6h",
		weight: func(time.Duration) float64 { return 0 },
		before: 6 * time.Hour,
		after:  45 * time.Minute,
		rps: func(d time.Duration) float64 {
			// 12 rps at 04:00 (d=-6h), rising linearly to 40 at 09:00.
			if d >= -time.Hour {
				return rpsTotal
			}
			return 12 + (rpsTotal-12)*float64(d+6*time.Hour)/float64(5*time.Hour)
		},
		stableErrors: func(d time.Duration) float64 {
			for _, inc := range []struct {
				at, for_ time.Duration
				share    float64
			}{
				{-4*time.Hour - 50*time.Minute, 3 * time.Minute, 0.03},
				{-2*time.Hour - 20*time.Minute, 2 * time.Minute, 0.08},
				{-55 * time.Minute, 5 * time.Minute, 0.015},
			} {
				if d >= inc.at && d < inc.at+inc.for_ {
					return inc.share
				}
			}
			return stableErrors
		},
		keep:   []string{"envoy_cluster_upstream_rq_total", "envoy_cluster_upstream_rq_xx"},
		omOnly: true,
	},
}

// stableErrors is the stable's share of 500 answers.
const stableErrors = 0.001

func main() {
	out := flag.String("out", "testdata/recorded", "output directory")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	for _, r := range rollouts {
		store, err := generate(r, *seed)
		if err != nil {
			fail(err)
		}
		if r.omOnly {
			// Gzipped (rollsim reads .gz recordings): a smaller file to commit.
			if err := write(filepath.Join(*out, r.name+".om.gz"), func(f *os.File) error {
				zw := gzip.NewWriter(f) // no name or time in the header: deterministic
				if err := promfake.WriteOpenMetrics(zw, store); err != nil {
					return err
				}
				return zw.Close()
			}); err != nil {
				fail(err)
			}
			continue
		}
		if err := write(filepath.Join(*out, r.name+".om"), func(f *os.File) error { return promfake.WriteOpenMetrics(f, store) }); err != nil {
			fail(err)
		}
		b, a := r.span()
		res, err := promfake.NewEngine().Range(context.Background(), store, `{__name__=~"envoy_cluster_upstream_rq.*"}`,
			UpdateAt.Add(-b), UpdateAt.Add(a), scrape)
		if err != nil {
			fail(err)
		}
		if err := write(filepath.Join(*out, r.name+".json"), func(f *os.File) error { return promfake.WriteQueryJSON(f, res.Value) }); err != nil {
			fail(err)
		}
	}
}

func write(path string, w func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := w(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "recordgen:", err)
	os.Exit(1)
}

// generate scrapes two proxies every 15s with Poisson-distributed requests.
func generate(r rollout, seed uint64) (*promfake.Store, error) {
	full := promfake.NewStore()
	rng := rand.New(rand.NewPCG(seed, uint64(len(r.name))))
	proxies := []*promfake.EnvoyCluster{
		promfake.NewEnvoyCluster(full, cluster, labels.FromStrings("pod", "envoy-shop-eg-5d8f7c9b4-k2x7q")),
		promfake.NewEnvoyCluster(full, cluster, labels.FromStrings("pod", "envoy-shop-eg-5d8f7c9b4-p9m4z")),
	}
	b, a := r.span()
	rps := func(time.Duration) float64 { return rpsTotal }
	if r.rps != nil {
		rps = r.rps
	}
	stableShare := func(time.Duration) float64 { return stableErrors }
	if r.stableErrors != nil {
		stableShare = r.stableErrors
	}
	for d := -b; d <= a; d += scrape {
		w := r.weight(d)
		se := stableShare(d)
		for _, p := range proxies {
			// Each request goes to the canary with probability w; the
			// stable fails with 500s, the canary with 503s.
			n := poisson(rng, rps(d)/float64(len(proxies))*scrape.Seconds())
			byCode := map[int]uint64{}
			for range n {
				code := 200
				if rng.Float64() < w {
					if rng.Float64() < r.canaryErrors {
						code = 503
					}
				} else if rng.Float64() < se {
					code = 500
				}
				byCode[code]++
			}
			if err := p.Scrape(UpdateAt.Add(d), byCode); err != nil {
				return nil, err
			}
		}
	}
	// Keep the counters only.
	names := kept
	if r.keep != nil {
		names = r.keep
	}
	return keep(full, names)
}

func keep(full *promfake.Store, kept []string) (*promfake.Store, error) {
	q, err := full.Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	out := promfake.NewStore()
	ss := q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchRegexp, labels.MetricName, strings.Join(kept, "|")))
	for ss.Next() {
		ser := ss.At()
		ref := out.Series(ser.Labels())
		it := ser.Iterator(nil)
		for it.Next() == chunkenc.ValFloat {
			t, v := it.At()
			if err := out.Append(ref, time.UnixMilli(t), v); err != nil {
				return nil, err
			}
		}
		if err := it.Err(); err != nil {
			return nil, err
		}
	}
	return out, ss.Err()
}

// poisson draws from a Poisson distribution with mean lambda (Knuth's
// method; fine for means up to a few hundred).
func poisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
