package sim

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/rollsim/rollsim/promfake"
)

// Session runs a scenario a stretch of virtual time at a time, for interactive use
// (`rollsim serve FILE --apiserver envtest`): between steps the objects stay on the
// API server for kubectl to look at, and the run's Prometheus answers queries up
// to the current virtual time. Run is the same loop without pauses.
//
// A Session is safe for concurrent use: Advance, Result and the Prometheus
// handler take one lock, so a query never sees a half-written instant.
type Session struct {
	mu        sync.Mutex
	r         *runner
	namespace string // the rollout's namespace on the API server
}

// Start loads the scenario's manifests and stops before the first event
// (the stable revision, warmup before the update).
func Start(ctx context.Context, in *scenario.Input, opts Options) (*Session, error) {
	r, err := newRunner(in, opts)
	if err != nil {
		return nil, err
	}
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	s := &Session{r: r, namespace: r.roKey.Namespace}
	if opts.Envtest != nil {
		if ns, ok := opts.Envtest.ServerNamespace(in, r.roKey.Namespace); ok {
			s.namespace = ns
		}
	}
	return s, s.settle(ctx)
}

// settle runs the controllers at the current instant until they are idle.
func (s *Session) settle(ctx context.Context) error {
	if err := s.r.drain(ctx); err != nil {
		return err
	}
	return s.r.decide(ctx)
}

// Namespace is where the rollout under test lives on the API server.
func (s *Session) Namespace() string { return s.namespace }

// Now is the current virtual time as an offset from the update (negative
// during warmup).
func (s *Session) Now() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.offset()
}

// Advance moves virtual time forward by d, firing every event due on the way
// (scrapes, requeues, pods becoming ready, scripted actions).
func (s *Session) Advance(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("step %v: want a positive duration", d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.r
	target := r.clock.Now().Add(d)
	for {
		if err := s.settle(ctx); err != nil {
			return err
		}
		e := r.clock.peek()
		if e == nil || e.at.After(target) {
			break
		}
		r.clock.next().fire()
		if r.failed != nil {
			return r.failed
		}
	}
	r.clock.now = target
	return nil
}

// Result is the run so far, as Run would return it had it stopped here.
func (s *Session) Result(ctx context.Context) (*Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.result(ctx, false)
}

// PrometheusAPI serves the run's series through the Prometheus HTTP API with
// the given per-query timeout and concurrency (zero: Prometheus' defaults);
// an instant query without a time is evaluated at the current virtual time.
func (s *Session) PrometheusAPI(timeout time.Duration, maxConcurrency int) http.Handler {
	api := &promfake.API{Engine: s.r.prom.engine, Store: s.r.prom.store, Now: s.r.clock.Now, Timeout: timeout, MaxConcurrency: maxConcurrency}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		api.ServeHTTP(w, req)
	})
}
