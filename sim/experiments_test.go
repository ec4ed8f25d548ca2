package sim_test

import (
	"testing"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

func experiment(name string, phase v1alpha1.AnalysisPhase) v1alpha1.Experiment {
	x := v1alpha1.Experiment{}
	x.Name = name
	x.Status.Phase = phase
	return x
}

// The verdict of a scenario of standalone Experiments is theirs.
func TestExperimentsVerdict(t *testing.T) {
	ok, failed, errored := experiment("a", v1alpha1.AnalysisPhaseSuccessful), experiment("b", v1alpha1.AnalysisPhaseFailed), experiment("c", v1alpha1.AnalysisPhaseError)
	incon, running := experiment("d", v1alpha1.AnalysisPhaseInconclusive), experiment("e", v1alpha1.AnalysisPhaseRunning)
	for _, c := range []struct {
		name     string
		exps     []v1alpha1.Experiment
		want     int
		verdict  string
		deciding string
	}{
		{"none created yet", nil, 1, "", ""},
		{"not all created yet", []v1alpha1.Experiment{ok}, 2, "", "a"},
		{"all successful", []v1alpha1.Experiment{ok, ok}, 2, scenario.Promoted, "a"},
		{"one failed, one still running", []v1alpha1.Experiment{running, failed}, 2, scenario.Aborted, "b"},
		{"an error", []v1alpha1.Experiment{ok, errored}, 2, scenario.Aborted, "c"},
		{"inconclusive", []v1alpha1.Experiment{ok, incon}, 2, scenario.Paused, "d"},
		{"inconclusive, one running", []v1alpha1.Experiment{incon, running}, 2, "", "d"},
		{"running", []v1alpha1.Experiment{running}, 1, "", "e"},
	} {
		if got := sim.ExperimentsVerdict(c.exps, c.want); got != c.verdict {
			t.Errorf("%s: verdict %q, want %q", c.name, got, c.verdict)
		}
		x := sim.DecidingExperiment(c.exps)
		if got := ""; x != nil {
			got = x.Name
			if got != c.deciding {
				t.Errorf("%s: deciding Experiment %q, want %q", c.name, got, c.deciding)
			}
		} else if c.deciding != "" {
			t.Errorf("%s: no deciding Experiment, want %q", c.name, c.deciding)
		}
	}
}

// Scenarios of Experiments only end Paused (an Inconclusive Experiment) and
// Incomplete (one still running at until), with no Rollout in the result and
// the report about the Experiments.
func TestExperimentsOnlyVerdicts(t *testing.T) {
	for _, c := range []struct {
		file, verdict, headline, message string
	}{
		{"testdata/experiments-only/inconclusive.yaml", scenario.Paused, "Paused at 10s: Experiment probe Inconclusive",
			`Metric "check" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)`},
		{"testdata/experiments-only/running-at-until.yaml", scenario.Incomplete, "Incomplete: Experiment soak Running at until 20m", ""},
	} {
		res := runFile(t, c.file)
		rep := reports.Build(res)
		switch {
		case !res.ExperimentsOnly || res.Rollout != nil || rep.Rollout != nil:
			t.Errorf("%s: ExperimentsOnly %v, rollout %v: want a result without a Rollout", c.file, res.ExperimentsOnly, res.Rollout)
		case res.Verdict != c.verdict:
			t.Errorf("%s: verdict %s, want %s", c.file, res.Verdict, c.verdict)
		case rep.Headline != c.headline:
			t.Errorf("%s: headline %q, want %q", c.file, rep.Headline, c.headline)
		case res.Message != c.message:
			t.Errorf("%s: message %q, want %q", c.file, res.Message, c.message)
		}
	}
}
