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
// (engine.GetReadOnly, engine.ListReadOnly): in every scenario, each cached
// object equals the copy taken when it was stored, until it is replaced or
// forgotten and at the end of the run.
func TestReadOnlyObjectsUnchanged(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := scenario.Load(f)
			if err != nil {
				t.Fatal(err)
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
		})
	}
}
