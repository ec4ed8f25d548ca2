package sim_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

// FuzzRun: whatever loads also runs, to a verdict or to invalid input (a limit
// reached during the run); never a panic and never another error (the CLI's
// exit 3, a rollsim bug). Virtual time, replicas and steps are kept small so
// that each input runs in milliseconds.
func FuzzRun(f *testing.F) {
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		f.Fatalf("no scenarios: %v", err)
	}
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	// Manifests named in spec.manifests resolve next to the shipped scenarios.
	path := filepath.Join("..", "scenarios", "fuzz.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		// A run that does not end is a bug too: crash the worker, so that the
		// fuzzer keeps the input.
		hung := time.AfterFunc(time.Minute, func() { panic(fmt.Sprintf("FuzzRun: no result after a minute for %q", data)) })
		defer hung.Stop()
		in, err := scenario.LoadData(path, data)
		if err != nil {
			var internal *scenario.InternalError
			if errors.As(err, &internal) {
				t.Fatalf("panic while loading: %v\n%s", internal.Panic, internal.Stack)
			}
			return
		}
		if !fuzzSized(in) {
			return
		}
		res, err := sim.Run(context.Background(), in, sim.Options{})
		if err != nil {
			if !scenario.IsInputError(err) {
				t.Fatalf("run failed (exit 3): %v", err)
			}
			return
		}
		switch res.Verdict {
		case scenario.Promoted, scenario.Aborted, scenario.Paused, scenario.Incomplete:
		default:
			t.Fatalf("verdict %q", res.Verdict)
		}
	})
}

// fuzzSized bounds a loaded scenario for fuzzing: at most an hour of virtual
// time and 15 minutes of warmup; inputs with many replicas or steps are
// skipped (their cost is measured elsewhere, not explored by mutation).
func fuzzSized(in *scenario.Input) bool {
	sp := &in.Scenario.Spec
	if sp.Until == nil || sp.Until.Duration > time.Hour {
		sp.Until = &scenario.Duration{Duration: time.Hour}
	}
	if sp.Warmup != nil && sp.Warmup.Duration > 15*time.Minute {
		sp.Warmup = &scenario.Duration{Duration: 15 * time.Minute}
	}
	ro := in.Rollout()
	if ro == nil {
		return true // standalone Experiments: their replicas are bounded on load
	}
	if ro.Spec.Replicas != nil && *ro.Spec.Replicas > 20 {
		return false
	}
	if c := ro.Spec.Strategy.Canary; c != nil && len(c.Steps) > 50 {
		return false
	}
	if sp.Traffic.ScrapeInterval != nil && sp.Traffic.ScrapeInterval.Duration < 5*time.Second {
		return false
	}
	return true
}
