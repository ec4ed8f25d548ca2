package reports

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/rollsim/rollsim/sim"
)

// MarkdownLimit is GitHub's limit on a pull-request comment (65,536
// characters); Markdown stays under it, counting bytes (never fewer than
// characters).
const MarkdownLimit = 65536

// Markdown writes the report for a pull-request comment: the verdict as a
// heading, the message, each measurement explained in a table, the timeline
// and the final tree in collapsed sections. A long report fits the comment
// limit: its tables keep fewer rows (the failing measurements first) and say
// how many they left out.
func Markdown(w io.Writer, res *sim.Result) error {
	rep := Build(res)
	var out bytes.Buffer
	for _, rows := range []int{0, 400, 200, 100, 50, 20, 5} {
		out.Reset()
		if err := markdown(&out, res, rep, rows); err != nil {
			return err
		}
		if out.Len() <= MarkdownLimit {
			break
		}
	}
	b := out.Bytes()
	if len(b) > MarkdownLimit {
		// Only enormous messages get here: cut at a line, and say so.
		note := []byte("\n\n*(report truncated to fit a comment: see `rollsim run -o json`)*\n")
		b = b[:MarkdownLimit-len(note)]
		if i := bytes.LastIndexByte(b, '\n'); i > 0 {
			b = b[:i]
		}
		b = append(b, note...)
	}
	_, err := w.Write(b)
	return err
}

// keepRows picks at most limit of n rows (0: all), the important ones first,
// and returns their indexes in order.
func keepRows(n, limit int, important func(int) bool) []int {
	var keep []int
	if limit <= 0 || n <= limit {
		for i := range n {
			keep = append(keep, i)
		}
		return keep
	}
	chosen := make([]bool, n)
	left := limit
	for i := 0; i < n && left > 0; i++ {
		if important(i) {
			chosen[i], left = true, left-1
		}
	}
	for i := 0; i < n && left > 0; i++ {
		if !chosen[i] {
			chosen[i], left = true, left-1
		}
	}
	for i, c := range chosen {
		if c {
			keep = append(keep, i)
		}
	}
	return keep
}

func markdown(w io.Writer, res *sim.Result, rep *Report, rows int) error {
	if x := failedStandalone(res); x != nil {
		fmt.Fprintf(w, "### ❌ `%s`: **Experiment %s %s**", rep.Scenario, mdText(x.Name), x.Status.Phase)
		fmt.Fprintf(w, " (rollout %s)", rep.Verdict)
	} else {
		fmt.Fprintf(w, "### %s `%s`: **%s**", verdictEmoji(rep.Verdict), rep.Scenario, rep.Verdict)
	}
	if rep.DecidedAt != "" {
		fmt.Fprintf(w, " at %s after %s", rep.DecidedAt, strings.TrimPrefix(tZero(res), "when "))
	}
	fmt.Fprintf(w, "\n\n")
	if res.ExperimentsOnly && rep.Waiting == "" {
		fmt.Fprintf(w, "%s (no Rollout: the verdict is the Experiments')\n\n", mdText(experimentsState(res)))
	}
	if rep.Waiting != "" {
		fmt.Fprintf(w, "%s\n\n", mdText(upperFirst(rep.Waiting)))
	}
	if rep.Message != "" {
		fmt.Fprintf(w, "> %s\n\n", mdText(rep.Message))
	}
	fmt.Fprintf(w, "Simulated with rollsim: `%s`, controller %s, seed %d, %s of virtual time, %d PromQL queries.\n\n",
		rep.File, rep.ControllerVersion, rep.Seed, res.Ended, rep.Timing.Queries)
	if e := rep.Expectation; e != nil {
		if e.Passed {
			fmt.Fprintf(w, "Expectation: **PASS**\n\n")
		} else {
			fmt.Fprintf(w, "Expectation: **FAIL**\n\n")
			for _, f := range e.Failures {
				fmt.Fprintf(w, "- %s\n", mdText(f))
			}
			fmt.Fprintln(w)
		}
	}

	mdMeasurements(w, rep, rows)
	mdRunsAndExperiments(w, rep)
	mdTimeline(w, rep, rows)
	return mdTree(w, res, rows)
}

// mdMeasurements is the table of measurements explained (at most rows of them,
// the failing ones first) and the resolved queries.
func mdMeasurements(w io.Writer, rep *Report, rows int) {
	if len(rep.Measurements) > 0 {
		fmt.Fprintf(w, "#### Measurements\n\n")
		keep := keepRows(len(rep.Measurements), rows, func(i int) bool { return rep.Measurements[i].Phase != "Successful" })
		collapse := len(keep) > 30
		if collapse {
			fmt.Fprintf(w, "<details><summary>%d measurements</summary>\n\n", len(rep.Measurements))
		}
		fmt.Fprintf(w, "| T | run | metric | value | condition | phase | canary | standing |\n|---|---|---|---|---|---|---|---|\n")
		for _, i := range keep {
			m := rep.Measurements[i]
			cond := m.Held
			if c := conditionText(m); c != "" && m.Phase != "Error" {
				cond += ": `" + mdCode(c) + "`"
			}
			if m.Phase == "Error" && m.Message != "" {
				cond += ": " + mdText(m.Message)
			}
			phase := phaseEmoji(m.Phase) + " " + m.Phase
			if m.DryRun {
				phase += " (dry run)"
			}
			canary := ""
			if m.Weight != nil {
				canary = fmt.Sprintf("%d%%", m.Weight.ActualWeight)
			}
			fmt.Fprintf(w, "| %s | %s (%s) | %s | `%s` | %s | %s | %s | %s |\n", m.At, mdText(m.Run), m.RunType, mdText(m.Metric),
				mdCode(m.Value), cond, phase, canary, mdText(m.Standing))
		}
		if left := len(rep.Measurements) - len(keep); left > 0 {
			fmt.Fprintf(w, "\n*%d more Successful measurements left out to fit a comment (`rollsim run -o json` has them all).*\n", left)
		}
		fmt.Fprintln(w)
		if collapse {
			fmt.Fprintf(w, "</details>\n\n")
		}
		seen := map[string]bool{}
		var queries []string
		for _, m := range rep.Measurements {
			k := m.Metric + "\x00" + m.Query
			if m.Query == "" || seen[k] {
				continue
			}
			seen[k] = true
			queries = append(queries, fmt.Sprintf("- `%s` (%s): `%s`", mdCode(m.Metric), queryLabel(m.Provider), mdCode(oneLine(m.Query))))
		}
		if len(queries) > 0 {
			fmt.Fprintf(w, "Resolved queries:\n\n%s\n\n", strings.Join(queries, "\n"))
		}
	}

}

// mdRunsAndExperiments lists the AnalysisRuns and Experiments with their phases.
func mdRunsAndExperiments(w io.Writer, rep *Report) {
	if len(rep.AnalysisRuns) > 0 {
		fmt.Fprintf(w, "#### AnalysisRuns\n\n| run | type | phase | message |\n|---|---|---|---|\n")
		for _, r := range rep.AnalysisRuns {
			fmt.Fprintf(w, "| %s | %s | %s %s | %s |\n", mdText(r.Name), r.Type, phaseEmoji(r.Phase), r.Phase, mdText(r.Message))
		}
		fmt.Fprintln(w)
	}
	if len(rep.Experiments) > 0 {
		fmt.Fprintf(w, "#### Experiments\n\n| experiment | phase | message |\n|---|---|---|\n")
		for _, x := range rep.Experiments {
			fmt.Fprintf(w, "| %s | %s %s | %s |\n", mdText(x.Name), phaseEmoji(x.Phase), x.Phase, mdText(x.Message))
		}
		fmt.Fprintln(w)
	}

}

// mdTimeline is the collapsed timeline (at most rows events, the rollout's and
// the warnings first).
func mdTimeline(w io.Writer, rep *Report, rows int) {
	fmt.Fprintf(w, "<details><summary>Timeline</summary>\n\n| T | object | reason | message |\n|---|---|---|---|\n")
	var events []EventInfo
	for _, e := range rep.Events {
		if !strings.HasPrefix(e.At, "-") {
			events = append(events, e)
		}
	}
	keep := keepRows(len(events), rows, func(i int) bool {
		return events[i].Type == "Warning" || strings.HasPrefix(events[i].Object, "Rollout/")
	})
	for _, i := range keep {
		e := events[i]
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", e.At, mdText(e.Object), e.Reason, mdText(e.Message))
	}
	if left := len(events) - len(keep); left > 0 {
		fmt.Fprintf(w, "\n*%d more events left out to fit a comment.*\n", left)
	}
	fmt.Fprintf(w, "\n</details>\n\n")

}

// mdTree is the collapsed `kubectl argo rollouts get rollout` tree.
func mdTree(w io.Writer, res *sim.Result, rows int) error {
	var tree bytes.Buffer
	title := "kubectl argo rollouts get rollout "
	if err := objectTree(&tree, res); err != nil {
		return err
	}
	if res.Rollout == nil {
		var names []string
		for i := range res.Experiments {
			names = append(names, res.Experiments[i].Name)
		}
		title = "kubectl argo rollouts get experiment " + strings.Join(names, ", ")
	} else {
		title += res.Rollout.Name
	}
	treeText := tree.String()
	if lines := strings.SplitAfter(treeText, "\n"); rows > 0 && len(lines) > 4*rows {
		treeText = strings.Join(lines[:4*rows], "") + fmt.Sprintf("... (%d more lines)\n", len(lines)-4*rows)
	}
	fmt.Fprintf(w, "<details><summary>%s</summary>\n\n```\n%s```\n\n</details>\n", title, treeText)
	return nil
}

func verdictEmoji(v string) string {
	switch v {
	case scenario.Promoted:
		return "✅"
	case scenario.Aborted:
		return "❌"
	}
	return "⏸️"
}

func phaseEmoji(p string) string {
	switch p {
	case "Successful":
		return "✔"
	case "Failed":
		return "✖"
	case "Error":
		return "⚠"
	case "Inconclusive":
		return "?"
	}
	return "◌"
}

// mdText escapes text for a Markdown table cell.
func mdText(s string) string {
	r := strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;", "*", "\\*", "_", "\\_", "`", "\\`")
	return r.Replace(s)
}

// mdCode makes text safe inside a `code span` in a table cell.
func mdCode(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "`", "'").Replace(s)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
