// Package parallel runs independent jobs on a few workers and returns their
// results in input order, whatever finished first. It owns no policy: callers
// say how many workers, and what a job is. `rollsim test` and `rollsim tune`
// both use it, so the two cannot drift apart.
package parallel

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// Run calls job(ctx, i) for i in [0, n) on up to workers goroutines (at least
// one) and returns the n results in index order. The first error in index order
// is returned; any error cancels the context given to the jobs not yet started,
// so a failing batch stops early. done, when not nil, is called after each
// finished job with the number finished so far (from the worker goroutines, one
// call at a time).
func Run[R any](ctx context.Context, n, workers int, job func(ctx context.Context, i int) (R, error), done func(finished, total int)) ([]R, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]R, n)
	errs := make([]error, n)
	var next, finished atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[i] = err
					continue
				}
				r, err := job(ctx, i)
				if err != nil {
					errs[i] = err
					cancel()
					continue
				}
				out[i] = r
				if done != nil {
					mu.Lock()
					done(int(finished.Add(1)), n)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	// A job cancelled because another failed reports context.Canceled; prefer
	// the error that caused it, the first real one in index order.
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	return out, nil
}
