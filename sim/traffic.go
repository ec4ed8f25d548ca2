package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/storage"

	"github.com/rollsim/rollsim/sim/traffic"
)

// scheduleTraffic loads spec.series and schedules the scrapes (from the start
// of the warmup to the end) and the scenario's traffic events. Without
// synthetic traffic (a recording without spec.traffic) there are no scrapes:
// the recorded series are all there is.
func (r *runner) scheduleTraffic() {
	if err := traffic.LoadSeries(r.in, r.set, r.prom.store); err != nil {
		r.fail(r.collision(err, "spec.series"))
		return
	}
	if rec := r.in.Recorded(); rec != nil && !rec.To.After(r.set.Start.Add(r.set.Until)) {
		r.clock.At(rec.To, tickEvent, func() {
			r.note("Recording", "RecordingEnded", fmt.Sprintf("the recorded series end here (%s); the run stops", rec.To.Format(time.RFC3339)))
		})
	}
	if r.traffic == nil {
		return
	}
	var tick func()
	tick = func() {
		r.syncPods()
		if err := r.traffic.Scrape(r.clock.Now()); err != nil {
			r.fail(r.collision(err, "spec.traffic"))
			return
		}
		if n := r.prom.store.NumSamples(); n > runLimits.samples {
			r.fail(r.overLimit("spec.until", "the series hold %d samples at %s, more than %d, the limit for one scenario; shorten until, scrape less often or run fewer pods", n, r.offset(), runLimits.samples))
			return
		}
		last := r.clock.Now()
		if e := r.clock.peek(); r.eagerScrapes && e != nil {
			// Nothing happens before the next event: the scrapes written
			// ahead until then are as good as done.
			if at := r.traffic.ConfirmBefore(e.at, runLimits.samples); !at.IsZero() {
				last = at
			}
		}
		if next := last.Add(r.set.Scrape); !next.After(r.end) {
			r.clock.AtQuiet(next, tickEvent, tick)
		}
	}
	r.clock.AtQuiet(r.clock.Now(), tickEvent, tick)
	for _, ev := range r.in.Scenario.Spec.Traffic.Events {
		ev := ev
		r.clock.At(r.set.Start.Add(ev.At.Duration), tickEvent, func() {
			r.note("Traffic", "TrafficChanged", r.traffic.Apply(&ev))
		})
	}
}

// collision turns a sample the store refuses, because a recording holds the
// same series, into invalid input.
func (r *runner) collision(err error, field string) error {
	if r.in.Recorded() == nil || !(errors.Is(err, storage.ErrOutOfOrderSample) || errors.Is(err, storage.ErrDuplicateSampleForTimestamp)) {
		return err
	}
	return r.in.ScenarioDoc.Errorf("Scenario "+r.in.Scenario.Metadata.Name, field,
		"writes series that spec.recorded holds too (same labels; a series has one source): %v; "+
			"give spec.traffic another route, or leave spec.traffic out to replay the recording alone", err)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// syncPods tells the traffic model the world's pods, when they changed since
// it was last told.
func (r *runner) syncPods() {
	if pods := r.world.podViews(); r.world.viewsVersion != r.podsTold {
		r.traffic.SetPods(pods)
		r.podsTold = r.world.viewsVersion
	}
}
