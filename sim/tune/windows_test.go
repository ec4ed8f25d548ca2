package tune

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"
)

func loadBacktest(t *testing.T) *scenario.Input {
	t.Helper()
	in, err := scenario.Load("../../scenarios/replay-backtest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// Windows fit the recording: the queries' 2m before each t=0, the steps'
// 16m10s after it; --every from the earliest, --windows evenly spaced.
func TestBacktestWindows(t *testing.T) {
	in := loadBacktest(t)
	ws, span, err := BacktestWindows(in, 0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// The recording runs from -6h to +45m.
	if span.Earliest != -6*time.Hour+2*time.Minute || span.Latest != 45*time.Minute-16*time.Minute-10*time.Second || span.Length != 16*time.Minute+10*time.Second {
		t.Fatalf("span %+v", span)
	}
	if len(ws) != 7 || ws[0] != span.Earliest || ws[6] != span.Earliest+6*time.Hour {
		t.Fatalf("--every 1h: %v", ws)
	}
	ws, _, err = BacktestWindows(in, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 3 || ws[0] != span.Earliest || ws[2] > span.Latest || ws[2] < span.Latest-2*time.Second {
		t.Fatalf("--windows 3: %v (span %+v)", ws, span)
	}
	if ws, _, _ := BacktestWindows(in, 1, 0); len(ws) != 1 || ws[0] != 0 {
		t.Fatalf("--windows 1: %v, want the scenario's own t=0", ws)
	}
	var fe *FlagError
	if _, _, err := BacktestWindows(in, 100000, 0); !errors.As(err, &fe) || !strings.Contains(err.Error(), "do not fit") {
		t.Errorf("too many windows: %v", err)
	}
	plain := load(t, "none", "0")
	if _, _, err := BacktestWindows(plain, 0, time.Hour); !errors.As(err, &fe) || !strings.Contains(err.Error(), "no spec.recorded") {
		t.Errorf("no recording: %v", err)
	}
}

// A backtest replays the recording at each window: the windows that hold one
// of the recorded incidents (05:10, 07:40, 09:05) abort a strict policy, the
// others promote; a synthetic canary with 20% 5xx on top is caught in every
// window. The outcomes do not depend on the parallelism.
func TestBacktestFindsTheRecordedIncidents(t *testing.T) {
	in := loadBacktest(t)
	ws, span, err := BacktestWindows(in, 0, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{Scenario: "replay-backtest", Runs: 1, Seed: 1, Windows: ws, WindowLength: span.Length,
		Vary:    []Vary{{Key: KeyFailureLimit, Values: []string{"0"}}},
		Degrade: []Degradation{{ErrorRate: 0.2}}}
	plan, err := NewPlan(in, spec)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Tasks() != 2*len(ws) {
		t.Fatalf("%d tasks, want 2 cases × %d windows", plan.Tasks(), len(ws))
	}
	part, err := plan.Run(context.Background(), RunOptions{Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	update := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	type incident struct {
		at, for_ time.Duration
	}
	incidents := []incident{{-4*time.Hour - 50*time.Minute, 3 * time.Minute}, {-2*time.Hour - 20*time.Minute, 2 * time.Minute}, {-55 * time.Minute, 5 * time.Minute}}
	inside, clear := 0, 0
	for w, off := range ws {
		from, to := off, off+span.Length
		contained, touched := false, false
		for _, inc := range incidents {
			// A 2m rate sees an incident's errors until 2m after it ends.
			contained = contained || (inc.at >= from && inc.at+inc.for_ <= to-time.Minute)
			touched = touched || (inc.at < to && inc.at+inc.for_+2*time.Minute > from)
		}
		healthy := part.Outcomes[plan.task(0, 0, w)]
		at := update.Add(off).Format("15:04")
		switch {
		case contained:
			inside++
			if healthy.Verdict != "A" {
				t.Errorf("window at %s holds an incident: %s, want Aborted", at, healthy.Verdict)
			}
		case !touched:
			clear++
			if healthy.Verdict != "P" {
				t.Errorf("window at %s holds no incident: %s, want Promoted", at, healthy.Verdict)
			}
		}
		if d := part.Outcomes[plan.task(0, 1, w)]; d.Verdict != "A" {
			t.Errorf("window at %s: a 20%% 5xx canary on top of the recording was not caught: %s", at, d.Verdict)
		}
	}
	if inside < 3 || clear < 5 {
		t.Fatalf("%d windows hold an incident, %d none: the test checks too little", inside, clear)
	}
	again, err := plan.Run(context.Background(), RunOptions{Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range again.Outcomes {
		if again.Outcomes[i] != part.Outcomes[i] {
			t.Fatalf("outcome %d differs with another parallelism", i)
		}
	}
	rep, err := Summarize(part, Objective{MaxFalseAbort: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Windows != len(ws) || rep.Trials != len(ws) || rep.Rows[0].Healthy.Aborted == 0 || rep.Rows[0].Healthy.Promoted == 0 {
		t.Fatalf("report: %d windows, %d trials, %+v", rep.Windows, rep.Trials, rep.Rows[0].Healthy.Verdicts)
	}
}
