package sim

import (
	"context"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/sim/scenario"
)

func TestUnsettledMessage(t *testing.T) {
	tests := []struct {
		name   string
		writes map[string]int
		want   string
	}{
		{"most writes first, then by name", map[string]int{"ReplicaSet/b": 3, "Rollout/a": 7, "ReplicaSet/a": 3},
			"controllers did not settle after 10 reconciles at this instant; kept changing: Rollout/a (7 writes), ReplicaSet/a (3 writes), ReplicaSet/b (3 writes)"},
		{"at most five named", map[string]int{"A/1": 6, "A/2": 5, "A/3": 4, "A/4": 3, "A/5": 2, "A/6": 1, "A/7": 1},
			"controllers did not settle after 10 reconciles at this instant; kept changing: A/1 (6 writes), A/2 (5 writes), A/3 (4 writes), A/4 (3 writes), A/5 (2 writes), and 2 more"},
		{"nothing written", nil, "controllers did not settle after 10 reconciles at this instant; kept changing: no object written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unsettledMessage(tt.writes, 10); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// A run whose controllers exceed the per-instant budget ends with a finding that
// names what kept changing, not an error.
func TestUnsettledIsAFinding(t *testing.T) {
	old := maxReconcilesPerInstant
	maxReconcilesPerInstant = 3
	defer func() { maxReconcilesPerInstant = old }()
	in, err := scenario.Load("../scenarios/bluegreen-promotes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), in, Options{})
	if err != nil {
		t.Fatalf("Run: %v (want a finding, not an error)", err)
	}
	if !strings.Contains(res.Unsettled, "Rollout/frontend (") {
		t.Errorf("Unsettled = %q, want it to name Rollout/frontend", res.Unsettled)
	}
	if res.Verdict != scenario.Incomplete {
		t.Errorf("Verdict = %s, want %s", res.Verdict, scenario.Incomplete)
	}
	last := res.Timeline[len(res.Timeline)-1]
	if last.Reason != ReasonUnsettled || last.Message != res.Unsettled {
		t.Errorf("last timeline entry = %+v, want the %s finding", last, ReasonUnsettled)
	}
}
