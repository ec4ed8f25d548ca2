package reports

import (
	"testing"
	"time"

	"github.com/rollsim/rollsim/sim"
)

// The weight shown for a measurement is the one in force when it was taken.
func TestWeightAtMeasurement(t *testing.T) {
	ws := []sim.WeightRecord{
		{At: 0, Step: "0/3", SetWeight: 25, ActualWeight: 0},
		{At: 10 * time.Second, Step: "1/3", SetWeight: 25, ActualWeight: 25},
		{At: time.Minute, Step: "1/3", SetWeight: 25, ActualWeight: 33}, // pods Ready at the measurement's instant
		{At: 2 * time.Minute, Step: "3/3", SetWeight: 100, ActualWeight: 100},
		{At: 3 * time.Minute, Step: "0/3", Aborted: true},
	}
	for _, c := range []struct {
		name   string
		m      sim.MeasurementRecord
		weight int32
	}{
		{"between changes", sim.MeasurementRecord{At: 30 * time.Second, WeightsBefore: 2}, 25},
		{"pods Ready at the same instant count", sim.MeasurementRecord{At: time.Minute, WeightsBefore: 2}, 33},
		{"the step it completed does not", sim.MeasurementRecord{At: 2 * time.Minute, WeightsBefore: 3}, 33},
		{"a step change recorded before it does", sim.MeasurementRecord{At: 2 * time.Minute, WeightsBefore: 4}, 100},
		{"the abort it caused does not", sim.MeasurementRecord{At: 3 * time.Minute, WeightsBefore: 5}, 100},
	} {
		w := weightAt(ws, c.m)
		if w == nil || w.ActualWeight != c.weight {
			t.Errorf("%s: got %+v, want weight %d", c.name, w, c.weight)
		}
	}
}
