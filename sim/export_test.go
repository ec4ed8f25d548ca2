package sim

import (
	"context"

	"github.com/rollsim/rollsim/sim/scenario"
)

// SetRunLimits lowers the run loop's limits for a test; the returned func
// restores them.
func SetRunLimits(samples, measurements int) func() {
	old := runLimits
	runLimits.samples, runLimits.measurements = samples, measurements
	return func() { runLimits = old }
}

// SetBatches turns query batches on or off; the returned func restores them.
func SetBatches(on bool) func() {
	old := noBatches
	noBatches = !on
	return func() { noBatches = old }
}

// SetEagerPods makes runs write pods as they happen rather than before
// reads; the returned func restores the default.
func SetEagerPods(on bool) func() {
	old := eagerPods
	eagerPods = on
	return func() { eagerPods = old }
}

// SetKeepUnread makes runs write every series, read or not; the returned
// func restores the default.
func SetKeepUnread(on bool) func() {
	old := keepUnread
	keepUnread = on
	return func() { keepUnread = old }
}

// BatchedRun runs in and says how many of its queries batches answered.
func BatchedRun(in *scenario.Input) (queries, batched int, err error) {
	r, err := newRunner(in, Options{})
	if err != nil {
		return 0, 0, err
	}
	ctx := context.Background()
	if err := r.setup(ctx); err != nil {
		return 0, 0, err
	}
	if err := r.loop(ctx); err != nil {
		return 0, 0, err
	}
	if r.prom.batch == nil {
		return r.prom.queries, 0, nil
	}
	return r.prom.queries, r.prom.batch.served, nil
}
