package sim_test

import (
	"path/filepath"
	"testing"

	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

// Batches answer most measurements of a background analysis: one instant
// query where the traffic changes (each setWeight) and the rest from range
// queries.
func TestBatchesAnswerMeasurements(t *testing.T) {
	for _, tc := range []struct {
		file        string
		queries     int
		leastServed int
	}{
		{"background-recovers.yaml", 31, 25},
		// Measurements at scrape times: the query sees the scrape at t.
		{"latency-p99.yaml", 11, 9},
		// Only spec.series, fixed in advance.
		{"series-queue-depth.yaml", 8, 6},
		// An Experiment's analysis.
		{"reference-experiment-fails.yaml", 5, 3},
	} {
		in, err := scenario.Load(filepath.Join("../scenarios", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		queries, served, err := sim.BatchedRun(in)
		if err != nil {
			t.Fatal(err)
		}
		if queries != tc.queries || served < tc.leastServed {
			t.Errorf("%s: %d queries, %d answered from batches; want %d, at least %d", tc.file, queries, served, tc.queries, tc.leastServed)
		}
	}
}
