package reports

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/rollsim/rollsim/sim"
)

// Markdown writes the report for a pull-request comment: the verdict as a
// heading, the message, each measurement explained in a table, the timeline
// and the final tree in collapsed sections.
func Markdown(w io.Writer, res *sim.Result) error {
	rep := Build(res)
	fmt.Fprintf(w, "### %s `%s`: **%s**", verdictEmoji(rep.Verdict), rep.Scenario, rep.Verdict)
	if rep.DecidedAt != "" {
		fmt.Fprintf(w, " at %s after the update", rep.DecidedAt)
	}
	fmt.Fprintf(w, "\n\n")
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

	if len(rep.Measurements) > 0 {
		fmt.Fprintf(w, "#### Measurements\n\n")
		fmt.Fprintf(w, "| T | run | metric | value | condition | phase | canary | standing |\n|---|---|---|---|---|---|---|---|\n")
		for _, m := range rep.Measurements {
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
		fmt.Fprintln(w)
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

	fmt.Fprintf(w, "<details><summary>Timeline</summary>\n\n| T | object | reason | message |\n|---|---|---|---|\n")
	for _, e := range rep.Events {
		if strings.HasPrefix(e.At, "-") {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", e.At, mdText(e.Object), e.Reason, mdText(e.Message))
	}
	fmt.Fprintf(w, "\n</details>\n\n")

	var tree bytes.Buffer
	if err := GetRollout(&tree, res); err != nil {
		return err
	}
	fmt.Fprintf(w, "<details><summary>kubectl argo rollouts get rollout %s</summary>\n\n```\n%s```\n\n</details>\n", res.Rollout.Name, tree.String())
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
