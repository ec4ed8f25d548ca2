package sim

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"
)

// A finished run's Result does not keep the run: its store of samples can be
// collected while the Result (whose pods are listed later) is kept, as
// rollsim test keeps every Result until it reports.
func TestResultLetsTheRunGo(t *testing.T) {
	in, err := scenario.Load("../scenarios/background-recovers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	collected := make(chan struct{})
	res := func() *Result {
		r, err := newRunner(in, Options{})
		if err != nil {
			t.Fatal(err)
		}
		runtime.AddCleanup(r.prom.store, func(ch chan struct{}) { close(ch) }, collected)
		if err := r.setup(ctx); err != nil {
			t.Fatal(err)
		}
		if err := r.loop(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := r.result(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}()
	deadline := time.After(10 * time.Second)
	for done := false; !done; {
		runtime.GC()
		select {
		case <-collected:
			done = true
		case <-deadline:
			t.Fatal("the run's store is still reachable from its Result")
		case <-time.After(10 * time.Millisecond):
		}
	}
	pods, err := res.Pods()
	if err != nil || len(pods) != 3 {
		t.Fatalf("after the run was collected: %d pods, %v; want the rollout's 3", len(pods), err)
	}
}
