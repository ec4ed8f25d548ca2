package sim

import "github.com/rollsim/rollsim/sim/traffic"

// scheduleTraffic loads spec.series and schedules the scrapes (from the start
// of the warmup to the end) and the scenario's traffic events.
func (r *runner) scheduleTraffic() {
	if err := traffic.LoadSeries(r.in, r.set, r.prom.store); err != nil {
		r.fail(err)
		return
	}
	var tick func()
	tick = func() {
		if err := r.traffic.Scrape(r.clock.Now(), r.world.podViews()); err != nil {
			r.fail(err)
			return
		}
		if next := r.clock.Now().Add(r.set.Scrape); !next.After(r.end) {
			r.clock.At(next, tickEvent, tick)
		}
	}
	r.clock.At(r.clock.Now(), tickEvent, tick)
	for _, ev := range r.in.Scenario.Spec.Traffic.Events {
		ev := ev
		r.clock.At(r.set.Start.Add(ev.At.Duration), tickEvent, func() {
			r.note("Traffic", "TrafficChanged", r.traffic.Apply(&ev))
		})
	}
}
