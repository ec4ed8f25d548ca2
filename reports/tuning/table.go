// Package tuning renders the summary of a `rollsim tune` sweep (tune.Report):
// the text table, JSON, an HTML page and a PNG plot of false aborts against
// detection time. It only reads the report; it never runs anything.
package tuning

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/rollsim/rollsim/sim/tune"
)

// JSON writes the report: `rows` holds one object per combination, sorted by
// the objective.
func JSON(w io.Writer, rep *tune.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// Header is the lines above the table: what was swept and the objective.
func Header(rep *tune.Report) []string {
	cases := 1 + len(rep.Degradations)
	lines := []string{
		fmt.Sprintf("Tuning metric %q of %s (%s): %d policies × %d cases × %d runs, base seed %d",
			rep.Metric, rep.Scenario, rep.File, len(rep.Rows), cases, rep.Runs, rep.Seed),
	}
	if rep.Windows > 0 {
		lines[0] = fmt.Sprintf("Tuning metric %q of %s (%s): %d policies × %d cases × %d windows × %d runs, base seed %d",
			rep.Metric, rep.Scenario, rep.File, len(rep.Rows), cases, rep.Windows, rep.Runs, rep.Seed)
		spacing := "evenly spaced"
		if rep.WindowEvery != nil && rep.WindowEvery.Duration > 0 {
			spacing = "every " + tune.Short(rep.WindowEvery)
		}
		lines = append(lines, fmt.Sprintf("Backtest: %d windows of the recording, t=0 from %s to %s of the recorded update (%s), %s each; rates over %d runs per case",
			rep.Windows, signed(rep.WindowsFrom), signed(rep.WindowsTo), spacing, tune.Short(rep.WindowLength), rep.Trials))
	}
	if len(rep.Degradations) > 0 && rep.Windows > 0 {
		lines = append(lines, "Cases: healthy (the scenario as written: the recording replayed); canary "+strings.Join(rep.Degradations, ", canary ")+
			" (a synthetic canary added on top of the recording, from the update or from @time)")
	} else if len(rep.Degradations) > 0 {
		lines = append(lines, "Cases: healthy (the scenario as written); canary "+strings.Join(rep.Degradations, ", canary ")+" (from the update, or from @time)")
	} else {
		lines = append(lines, "Cases: healthy (the scenario as written); no --degrade given")
	}
	lines = append(lines, "Objective: "+rep.ObjectiveText)
	return lines
}

// Columns are the table's column titles.
func Columns(rep *tune.Report) []string {
	cols := []string{"", "#"}
	for _, v := range rep.Vary {
		cols = append(cols, v.Key)
	}
	if len(rep.Vary) == 0 {
		cols = append(cols, "policy")
	}
	cols = append(cols, "false aborts (95% CI)", "rollout p50")
	for _, d := range rep.Degradations {
		cols = append(cols, d+": missed", "detect p50/p90")
	}
	return cols
}

// Cells are one row's cells, matching Columns.
func Cells(rep *tune.Report, r *tune.Row) []string {
	mark := ""
	if r.Pareto {
		mark = "*"
	}
	cells := []string{mark, fmt.Sprint(r.Rank)}
	for _, v := range rep.Vary {
		cells = append(cells, r.Settings[v.Key])
	}
	if len(rep.Vary) == 0 {
		cells = append(cells, r.Label)
	}
	cells = append(cells, rateCell(r.Healthy.FalseAbort), tune.Short(r.Healthy.RolloutTime.Median))
	for _, d := range r.Degraded {
		cells = append(cells, rateCell(d.Miss), tune.Short(d.Detect.Median)+"/"+tune.Short(d.Detect.P90))
	}
	return cells
}

func rateCell(r tune.Rate) string {
	return fmt.Sprintf("%s (%s–%s)", tune.Percent(r.Rate), tune.Percent(r.Low), tune.Percent(r.High))
}

// Text writes the table sorted by the objective, the Pareto front marked with
// *, a rule under the last policy within the false-abort bound, and the
// recommendation.
func Text(w io.Writer, rep *tune.Report) error {
	for _, l := range Header(rep) {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
	cols := Columns(rep)
	rows := [][]string{cols}
	for i := range rep.Rows {
		rows = append(rows, Cells(rep, &rep.Rows[i]))
	}
	width := make([]int, len(cols))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	ruled := false
	for i, r := range rows {
		if i > 0 && !rep.Rows[i-1].Feasible && !ruled {
			ruled = true
			fmt.Fprintf(w, "   -- above %s false aborts --\n", tune.Percent(rep.Objective.MaxFalseAbort))
		}
		line(r)
	}
	if notes := AbortNotes(rep); len(notes) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Why healthy canaries were aborted (the most frequent message):")
		for _, n := range notes {
			fmt.Fprintln(w, "  "+n)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "* on the Pareto front (no other policy is as good on false aborts, misses and detection time and better on one).")
	fmt.Fprintln(w, "Detect: time from the degradation's start to the abort; a run not aborted counts as never.")
	_, err := fmt.Fprintln(w, rep.Recommendation)
	return err
}

var abortPrefix = regexp.MustCompile(`^RolloutAborted: Rollout aborted update to revision \d+: `)

// AbortNotes says, for every policy that aborted healthy canaries, why (the
// most frequent message), in table order.
func AbortNotes(rep *tune.Report) []string {
	var out []string
	for _, r := range rep.Rows {
		h := r.Healthy
		if h.Aborted == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("#%d %s: %d of %d: %s", r.Rank, r.Label, h.AbortReasonCount, h.Aborted, abortPrefix.ReplaceAllString(h.AbortReason, "")))
	}
	return out
}

// signed reads an offset as "-5h58m" or "+10m".
func signed(t *tune.Time) string {
	if t == nil {
		return "?"
	}
	if t.Duration < 0 {
		return "-" + tune.Short(&tune.Time{Duration: -t.Duration})
	}
	return "+" + tune.Short(t)
}
