package traffic

import (
	"math"
	"slices"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"
)

// rateSchedule is the request rate over time: piecewise linear (steps and
// ramps from spec.traffic.events), times an optional daily cycle.
type rateSchedule struct {
	knots []knot // by time; equal times make a step
	// daily cycle: 1 + amp*cos(2π (time of day - peak)/24h)
	amp  float64
	peak time.Duration
}

type knot struct {
	at time.Time
	v  float64
}

// newRateSchedule builds the schedule from the initial rate and the events
// (offsets from start). A later event cuts short a ramp still in progress.
func newRateSchedule(tr *scenario.Traffic, start time.Time) *rateSchedule {
	s := &rateSchedule{}
	base := 0.0
	if tr.RPS != nil {
		base = *tr.RPS
	}
	s.knots = []knot{{time.Time{}, base}}
	evs := slices.Clone(tr.Events)
	slices.SortStableFunc(evs, func(a, b scenario.TrafficEvent) int { return cmpDur(a.At.Duration, b.At.Duration) })
	for _, ev := range evs {
		if ev.RPS == nil {
			continue
		}
		at := start.Add(ev.At.Duration)
		cur := s.at(at)
		i, _ := slices.BinarySearchFunc(s.knots, at, func(k knot, t time.Time) int {
			if k.at.After(t) {
				return 1
			}
			return -1
		})
		s.knots = append(s.knots[:i], knot{at, cur})
		if ev.Over != nil {
			s.knots = append(s.knots, knot{at.Add(ev.Over.Duration), *ev.RPS})
		} else {
			s.knots = append(s.knots, knot{at, *ev.RPS})
		}
	}
	if d := tr.Daily; d != nil && d.Amplitude > 0 {
		s.amp = d.Amplitude
		s.peak, _ = d.PeakOffset()
	}
	return s
}

func cmpDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// at is the piecewise-linear level at t (the later value at a step).
func (s *rateSchedule) at(t time.Time) float64 {
	v := s.knots[0].v
	for i := 1; i < len(s.knots); i++ {
		k := s.knots[i]
		if k.at.After(t) {
			p := s.knots[i-1]
			if p.at.IsZero() || !k.at.After(p.at) {
				return v
			}
			f := float64(t.Sub(p.at)) / float64(k.at.Sub(p.at))
			return p.v + f*(k.v-p.v)
		}
		v = k.v
	}
	return v
}

// requests is the expected number of requests in (from, to]: the exact
// integral of the piecewise-linear level, times the daily factor at the
// middle of the interval (it changes slowly).
func (s *rateSchedule) requests(from, to time.Time) float64 {
	total := 0.0
	a := from
	for a.Before(to) {
		b := to
		for _, k := range s.knots[1:] {
			if k.at.After(a) && k.at.Before(b) {
				b = k.at
			}
		}
		// Linear on (a, b): the trapezoid is exact. Just after a step the
		// later value holds, so evaluate the ends from inside the interval.
		va := s.at(a.Add(time.Nanosecond))
		vb := s.at(b.Add(-time.Nanosecond))
		total += (va + vb) / 2 * b.Sub(a).Seconds()
		a = b
	}
	return total * s.daily(from.Add(to.Sub(from)/2))
}

func (s *rateSchedule) daily(t time.Time) float64 {
	if s.amp == 0 {
		return 1
	}
	tod := t.Sub(t.Truncate(24 * time.Hour))
	phase := float64(tod-s.peak) / float64(24*time.Hour)
	return 1 + s.amp*math.Cos(2*math.Pi*phase)
}
