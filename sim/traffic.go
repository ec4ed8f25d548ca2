package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/rollsim/rollsim/promfake"
)

// traffic turns the scenario's load into what Envoy would count: at every scrape,
// the requests since the last scrape, split between versions and answered with
// each version's error rate, added to the route's cumulative counters.
type traffic struct {
	cluster    *promfake.EnvoyCluster
	src        rand.Source
	noise      bool
	rps        float64
	stable     float64 // error rates
	canary     float64
	stableHash string
	interval   time.Duration
	// canaryWeight, when >= 0, is the traffic router's canary weight (percent);
	// otherwise traffic follows Ready pods, as kube-proxy spreads it.
	canaryWeight int32
}

// split returns the share of requests each version gets.
func (t *traffic) split(ready []hashCount) (stableShare, canaryShare float64) {
	if t.canaryWeight >= 0 {
		c := float64(t.canaryWeight) / 100
		return 1 - c, c
	}
	var total, canary int
	for _, hc := range ready {
		total += hc.n
		if hc.hash != t.stableHash {
			canary += hc.n
		}
	}
	if total == 0 {
		return 0, 0
	}
	c := float64(canary) / float64(total)
	return 1 - c, c
}

// scrape records one scrape at now.
func (t *traffic) scrape(now time.Time, ready []hashCount) error {
	stableShare, canaryShare := t.split(ready)
	mean := t.rps * t.interval.Seconds()
	codes := map[int]uint64{}
	for _, v := range []struct {
		share, errRate float64
	}{{stableShare, t.stable}, {canaryShare, t.canary}} {
		if v.share <= 0 {
			continue
		}
		n, errs := t.requests(mean*v.share, v.errRate)
		codes[200] += n - errs
		codes[503] += errs
	}
	return t.cluster.Scrape(now, codes)
}

// requests draws how many requests arrived and how many failed.
func (t *traffic) requests(mean, errRate float64) (uint64, uint64) {
	if mean <= 0 {
		return 0, 0
	}
	if !t.noise {
		n := math.Round(mean)
		return uint64(n), uint64(math.Round(n * errRate))
	}
	n := distuv.Poisson{Lambda: mean, Src: t.src}.Rand()
	if n <= 0 {
		return 0, 0
	}
	var errs float64
	switch {
	case errRate <= 0:
	case errRate >= 1:
		errs = n
	default:
		errs = distuv.Binomial{N: n, P: errRate, Src: t.src}.Rand()
	}
	return uint64(n), uint64(errs)
}
