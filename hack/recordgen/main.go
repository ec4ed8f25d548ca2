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
// The output is deterministic for a seed.
package main

import (
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
		if err := write(filepath.Join(*out, r.name+".om"), func(f *os.File) error { return promfake.WriteOpenMetrics(f, store) }); err != nil {
			fail(err)
		}
		res, err := promfake.NewEngine().Range(context.Background(), store, `{__name__=~"envoy_cluster_upstream_rq.*"}`,
			UpdateAt.Add(-before), UpdateAt.Add(after), scrape)
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
	for d := -before; d <= after; d += scrape {
		w := r.weight(d)
		for _, p := range proxies {
			// Each request goes to the canary with probability w; the
			// stable fails with 500s, the canary with 503s.
			n := poisson(rng, rpsTotal/float64(len(proxies))*scrape.Seconds())
			byCode := map[int]uint64{}
			for range n {
				code := 200
				if rng.Float64() < w {
					if rng.Float64() < r.canaryErrors {
						code = 503
					}
				} else if rng.Float64() < stableErrors {
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
	return keep(full)
}

func keep(full *promfake.Store) (*promfake.Store, error) {
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
