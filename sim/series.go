package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/rollsim/rollsim/promfake"
)

// SeriesSet is the embedded Prometheus of a scenario after a run: every
// series the traffic model and spec.series wrote, up to a horizon, and the
// series of spec.recorded.
type SeriesSet struct {
	Store  *promfake.Store
	Engine *promfake.Engine
	// Start is the update (t=0) on the scenario's absolute clock; From and
	// To bound the generated samples (the warmup's start, or the recording's
	// if earlier; the horizon).
	Start, From, To time.Time
}

// At is the absolute time of an offset from the update.
func (s *SeriesSet) At(offset time.Duration) time.Time { return s.Start.Add(offset) }

// Series runs the scenario and returns its series up to horizon (an offset
// from the update). Unlike Run it does not stop when the rollout is decided:
// the world and the scrapes go on (the scenario's until does not apply), so
// that a query at any time up to the horizon sees what Prometheus would have.
// The samples before a time do not depend on the horizon.
func Series(ctx context.Context, in *scenario.Input, opts Options, horizon time.Duration) (*SeriesSet, error) {
	r, err := newRunner(in, opts)
	if err != nil {
		return nil, err
	}
	if horizon > scenario.MaxVirtualTime-r.set.Warmup {
		return nil, &scenario.InputError{File: in.File, Err: fmt.Errorf("series up to %s after the update: past the limit of virtual time (warmup %s + %s <= %s)", horizon, r.set.Warmup, horizon, scenario.MaxVirtualTime)}
	}
	r.horizon = fmt.Sprintf("series up to %s after the update", horizon)
	end := r.set.Start.Add(horizon)
	r.end = end
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	if err := r.loop(ctx); err != nil {
		return nil, err
	}
	for {
		if err := r.drain(ctx); err != nil {
			return nil, err
		}
		e := r.clock.peek()
		if e == nil || e.at.After(end) {
			break
		}
		r.clock.next().fire()
		if r.failed != nil {
			return nil, r.failed
		}
	}
	if r.traffic != nil {
		r.traffic.DropAhead()
	}
	from := r.set.Start.Add(-r.set.Warmup)
	if rec := in.Recorded(); rec != nil {
		from = minTime(from, rec.From)
	}
	return &SeriesSet{Store: r.prom.store, Engine: r.prom.engine, Start: r.set.Start, From: from, To: end}, nil
}
