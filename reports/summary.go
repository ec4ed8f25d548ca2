package reports

import (
	"fmt"
	"io"
	"strings"
)

// maxSummaryRows is how many passing or skipped rows the Markdown summary shows
// in its main table; the rest collapse into a <details> section, so that a big
// suite's failures stay on the first screen.
const maxSummaryRows = 50

// TestSummary writes the Markdown summary of `rollsim test`, as GitHub Actions
// shows $GITHUB_STEP_SUMMARY: a heading with the counts, then failures and
// invalid files first (with every mismatch), then the passing and skipped
// scenarios, collapsed when there are many.
func TestSummary(w io.Writer, cases []Case) error {
	t := Count(cases)
	icon := "✅"
	if t.Failed+t.Invalid > 0 {
		icon = "❌"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### %s rollsim test: %s\n\n", icon, t)
	var bad, good []Case
	for _, c := range cases {
		if c.Status == Failed || c.Status == Invalid {
			bad = append(bad, c)
		} else {
			good = append(good, c)
		}
	}
	header := "| | scenario | verdict | file | first mismatch |\n|---|---|---|---|---|\n"
	if len(bad) > 0 {
		b.WriteString(header)
		for _, c := range bad {
			summaryRow(&b, c)
		}
		b.WriteString("\n")
		for _, c := range bad {
			if len(c.Failures) > 1 {
				fmt.Fprintf(&b, "<details><summary>%s: %d mismatches</summary>\n\n", mdText(c.Name), len(c.Failures))
				for _, f := range c.Failures {
					fmt.Fprintf(&b, "- %s\n", mdText(f))
				}
				b.WriteString("\n</details>\n\n")
			}
		}
	}
	if len(good) > 0 {
		collapse := len(good) > maxSummaryRows || len(bad) > 0
		if collapse {
			fmt.Fprintf(&b, "<details><summary>%d passed, %d skipped</summary>\n\n", t.Passed, t.Skipped)
		}
		b.WriteString(header)
		for _, c := range good {
			summaryRow(&b, c)
		}
		b.WriteString("\n")
		if collapse {
			b.WriteString("</details>\n\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func summaryRow(b *strings.Builder, c Case) {
	mark, verdict, why := "✅", c.Summary, ""
	switch c.Status {
	case Failed:
		mark, why = "❌", firstOr(c.Failures, "")
	case Skipped:
		mark, verdict, why = "⏭️", "skipped", "no expect block"
	case Invalid:
		mark, verdict, why = "⚠️", "invalid", c.Error
	}
	fmt.Fprintf(b, "| %s | %s | %s | `%s` | %s |\n", mark, mdText(c.Name), verdict, mdCode(c.File), mdText(why))
}
