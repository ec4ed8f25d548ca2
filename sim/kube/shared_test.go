package kube_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/kube"
	"github.com/rollsim/rollsim/sim/scenario"
)

// No controller changes an object the cache handed out for reading only
// (engine.GetReadOnly, engine.ListReadOnly) or was handed over (kube.HandOver):
// in every scenario, each cached object equals the copy taken when it was
// stored, until it is replaced or forgotten and at the end of the run.
func TestReadOnlyObjectsUnchanged(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { checkUnchanged(t, f, 0) })
	}
	// Many pods: the world hands them over sharing their template's parts,
	// and pods Ready together share their status.
	for _, f := range []string{"background-recovers.yaml", "restart-mid-rollout.yaml", "bluegreen-promotes.yaml"} {
		t.Run(f+"/replicas=40", func(t *testing.T) { checkUnchanged(t, filepath.Join("../../scenarios", f), 40) })
	}
}

// checkUnchanged runs the scenario in file, with replicas pods unless 0, and
// fails on the cached objects found changed.
func checkUnchanged(t *testing.T, file string, replicas int32) {
	in, err := scenario.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if ro := in.Rollout(); ro != nil && replicas > 0 {
		ro.Spec.Replicas = &replicas
	}
	done := kube.CheckShared()
	_, err = sim.Run(context.Background(), in, sim.Options{})
	changes := done()
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range changes {
		if i == 3 {
			t.Errorf("... and %d more", len(changes)-i)
			break
		}
		t.Error(c)
	}
}
