package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/rollsim/rollsim/sim"
)

// JSON writes the report as indented JSON.
func JSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

// Text writes the human report: verdict first, then the timeline from the update
// on, the final `get rollout` view and every AnalysisRun as `kubectl describe` shows it.
func Text(w io.Writer, res *sim.Result) error {
	rep := Build(res)
	fmt.Fprintf(w, "Scenario:  %s (%s)\n", rep.Scenario, rep.File)
	fmt.Fprintf(w, "Verdict:   %s", rep.Verdict)
	if rep.DecidedAt != "" {
		fmt.Fprintf(w, " at %s after the update (%s)", rep.DecidedAt, rep.DecidedAtTime)
	}
	fmt.Fprintln(w)
	if rep.Message != "" {
		fmt.Fprintf(w, "Message:   %s\n", rep.Message)
	}
	fmt.Fprintf(w, "Simulated: controller %s, seed %d, %s of virtual time, %d PromQL queries\n",
		rep.ControllerVersion, rep.Seed, res.Ended, rep.Timing.Queries)
	if e := rep.Expectation; e != nil {
		if e.Passed {
			fmt.Fprintf(w, "Expect:    PASS\n")
		} else {
			fmt.Fprintf(w, "Expect:    FAIL\n")
			for _, f := range e.Failures {
				fmt.Fprintf(w, "  - %s\n", f)
			}
		}
	}

	fmt.Fprintf(w, "\nTimeline (t=0 is the update; %s)\n", stamp(res.Start))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  T\tTIME\tOBJECT\tREASON\tMESSAGE\n")
	hidden := 0
	for _, e := range res.Timeline {
		if e.At < 0 {
			hidden++
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", offset(e.At), stamp(res.Start.Add(e.At))[11:19], e.Object, e.Reason, e.Message)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if hidden > 0 {
		fmt.Fprintf(w, "  (%d events of the stable revision's deployment before t=0 are in -o json)\n", hidden)
	}

	fmt.Fprintf(w, "\n$ kubectl argo rollouts get rollout %s -n %s\n", res.Rollout.Name, res.Rollout.Namespace)
	if err := GetRollout(w, res); err != nil {
		return err
	}
	for i := range res.AnalysisRuns {
		run := &res.AnalysisRuns[i]
		fmt.Fprintf(w, "\n$ kubectl describe analysisrun %s -n %s\n", run.Name, run.Namespace)
		if err := describe(w, run, "argoproj.io/v1alpha1", "AnalysisRun", eventsOf(res, "AnalysisRun/"+run.Name), res.Ended); err != nil {
			return err
		}
	}
	return nil
}

func eventsOf(res *sim.Result, object string) []sim.Entry {
	var out []sim.Entry
	for _, e := range res.Timeline {
		if e.Object == object && e.Reason != "Measurement" {
			out = append(out, e)
		}
	}
	return out
}

// Summary is the one line `rollsim test` prints per scenario.
func Summary(res *sim.Result) string {
	s := res.Verdict
	if res.DecidedAt != nil {
		s += " at " + offset(*res.DecidedAt)
	}
	return s
}
