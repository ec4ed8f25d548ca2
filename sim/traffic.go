package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/prometheus/prometheus/model/labels"
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

// newTraffic builds the traffic model of a scenario, writing into store.
func newTraffic(in *Input, set settings, store *promfake.Store) *traffic {
	tr := in.Scenario.Spec.Traffic
	t := &traffic{
		cluster:      promfake.NewEnvoyCluster(store, tr.Route+"/rule/0", labels.EmptyLabels()),
		src:          rand.NewPCG(uint64(set.seed), 0x74726166666963), // "traffic"
		noise:        tr.Noise != "none",
		interval:     set.scrape,
		canaryWeight: -1,
	}
	if tr.RPS != nil {
		t.rps = *tr.RPS
	}
	if tr.Stable.ErrorRate != nil {
		t.stable = *tr.Stable.ErrorRate
	}
	// The canary behaves like the stable unless told otherwise.
	t.canary = t.stable
	if tr.Canary.ErrorRate != nil {
		t.canary = *tr.Canary.ErrorRate
	}
	return t
}

// scheduleTraffic schedules the scrapes (from the start of the warmup to the end)
// and the scenario's traffic events.
func (r *runner) scheduleTraffic() {
	var tick func()
	tick = func() {
		if err := r.traffic.scrape(r.clock.Now(), r.world.readyPods()); err != nil {
			r.fail(err)
			return
		}
		if next := r.clock.Now().Add(r.set.scrape); !next.After(r.end) {
			r.clock.At(next, tickEvent, tick)
		}
	}
	r.clock.At(r.clock.Now(), tickEvent, tick)
	for _, ev := range r.in.Scenario.Spec.Traffic.Events {
		ev := ev
		r.clock.At(r.set.start.Add(ev.At.Duration), tickEvent, func() {
			if ev.RPS != nil {
				r.traffic.rps = *ev.RPS
			}
			if ev.Stable != nil && ev.Stable.ErrorRate != nil {
				r.traffic.stable = *ev.Stable.ErrorRate
			}
			if ev.Canary != nil && ev.Canary.ErrorRate != nil {
				r.traffic.canary = *ev.Canary.ErrorRate
			}
			r.note("Traffic", "TrafficChanged", fmt.Sprintf("rps %g, stable errorRate %g, canary errorRate %g", r.traffic.rps, r.traffic.stable, r.traffic.canary))
		})
	}
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
