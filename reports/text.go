package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/rollsim/rollsim/sim"
)

// JSON writes the report as indented JSON.
func JSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

// Text writes the human report without colour: verdict first, then the
// measurements explained, the timeline from the update on, the final
// `get rollout` view and every AnalysisRun as `kubectl describe` shows it.
func Text(w io.Writer, res *sim.Result) error { return TextColor(w, res, false) }

// ANSI colours for a terminal.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiDim    = "\x1b[2m"
)

// painter colours text when enabled.
type painter bool

func (p painter) paint(code, s string) string {
	if !p || s == "" {
		return s
	}
	return code + s + ansiReset
}

// phase colours a verdict or phase: green for good, red for bad, yellow for
// waiting or undecided.
func (p painter) phase(s string) string {
	switch s {
	case scenario.Promoted, "Successful", "Healthy":
		return p.paint(ansiGreen, s)
	case scenario.Aborted, "Failed", "Error", "Degraded":
		return p.paint(ansiRed, s)
	case scenario.Paused, scenario.Incomplete, "Inconclusive", "Running", "Pending":
		return p.paint(ansiYellow, s)
	}
	return s
}

// TextColor is Text with ANSI colours when color is set (a terminal).
func TextColor(w io.Writer, res *sim.Result, color bool) error {
	p := painter(color)
	rep := Build(res)
	textHeader(w, p, res, rep)
	textMeasurements(w, p, rep)
	if err := textTimeline(w, res); err != nil {
		return err
	}
	return textObjects(w, res)
}

// textHeader is the verdict, the scenario, the message and the expectation.
func textHeader(w io.Writer, p painter, res *sim.Result, rep *Report) {
	verdictLabel := "Verdict:  "
	if x := failedStandalone(res); x != nil {
		// A standalone Experiment's failure is the news; the rollout comes second.
		fmt.Fprintf(w, "%s %s", p.paint(ansiBold, "Verdict:  "), p.paint(ansiBold, "Experiment "+x.Name+" "+p.phase(string(x.Status.Phase))))
		if x.Status.Message != "" {
			fmt.Fprintf(w, ": %s", x.Status.Message)
		}
		fmt.Fprintln(w)
		verdictLabel = "Rollout:  "
	}
	fmt.Fprintf(w, "%s %s", p.paint(ansiBold, verdictLabel), p.paint(ansiBold, p.phase(rep.Verdict)))
	if rep.DecidedAt != "" {
		fmt.Fprintf(w, " at %s after %s (%s)", rep.DecidedAt, strings.TrimPrefix(tZero(res), "when "), rep.DecidedAtTime)
	}
	fmt.Fprintln(w)
	if res.ExperimentsOnly && rep.Waiting == "" {
		fmt.Fprintf(w, "Subject:   %s (no Rollout: the verdict is the Experiments')\n", experimentsState(res))
	}
	if rep.Waiting != "" {
		fmt.Fprintf(w, "Waiting:   %s\n", strings.TrimPrefix(rep.Waiting, "waiting "))
	}
	fmt.Fprintf(w, "Scenario:  %s (%s)\n", rep.Scenario, rep.File)
	if rep.Message != "" {
		fmt.Fprintf(w, "Message:   %s\n", rep.Message)
	}
	fmt.Fprintf(w, "Simulated: controller %s, seed %d, %s of virtual time, %d PromQL queries\n",
		rep.ControllerVersion, rep.Seed, res.Ended, rep.Timing.Queries)
	if e := rep.Expectation; e != nil {
		if e.Passed {
			fmt.Fprintf(w, "Expect:    %s\n", p.paint(ansiGreen, "PASS"))
		} else {
			fmt.Fprintf(w, "Expect:    %s\n", p.paint(ansiRed, "FAIL"))
			for _, f := range e.Failures {
				fmt.Fprintf(w, "  - %s\n", f)
			}
		}
	}

}

// textMeasurements explains every measurement, with the counts after it.
func textMeasurements(w io.Writer, p painter, rep *Report) {
	if len(rep.Measurements) > 0 {
		fmt.Fprintf(w, "\nMeasurements (value as the condition saw it; counts right after each)\n")
		query := map[string]string{}
		for _, m := range rep.Measurements {
			key := m.Run + "\x00" + m.Metric
			fmt.Fprintf(w, "  %s  %s  %s\n", m.At, m.Run, explainColored(p, m))
			if m.Query != "" && query[key] != m.Query {
				query[key] = m.Query
				fmt.Fprintf(w, "        %s: %s\n", queryLabel(m.Provider), oneLine(m.Query))
			}
			weight := weightText(m.Weight)
			if weight != "" {
				weight += "; "
			}
			fmt.Fprintf(w, "        %s%s; metric %s, run %s\n", weight, m.Standing, p.phase(m.MetricPhase), p.phase(m.RunPhase))
		}
	}

}

// textTimeline is the controller's events from the update on.
func textTimeline(w io.Writer, res *sim.Result) error {
	fmt.Fprintf(w, "\nTimeline (t=0 is %s; %s)\n", tZero(res), stamp(res.Start))
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

	return nil
}

// textObjects is the final rollout tree and every AnalysisRun described.
func textObjects(w io.Writer, res *sim.Result) error {
	if res.Rollout == nil {
		if err := textExperiments(w, res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "\n$ kubectl argo rollouts get rollout %s -n %s\n", res.Rollout.Name, res.Rollout.Namespace)
		if err := GetRollout(w, res); err != nil {
			return err
		}
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

func explainColored(p painter, m MeasurementExplained) string {
	line := explainLine(m)
	if i := strings.LastIndex(line, "→ "+m.Phase); i >= 0 {
		line = line[:i] + "→ " + p.phase(m.Phase) + line[i+len("→ ")+len(m.Phase):]
	}
	return line
}

func queryLabel(provider string) string {
	switch provider {
	case "prometheus":
		return "query"
	case "web":
		return "url"
	}
	return provider
}

// oneLine folds a multi-line query onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
