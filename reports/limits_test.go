package reports_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

func runScenario(t *testing.T, file string) *sim.Result {
	t.Helper()
	in, err := scenario.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(context.Background(), in, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A report with thousands of measurements and events still fits a GitHub
// comment, keeps the failing measurement, and says what it left out.
func TestMarkdownFitsAComment(t *testing.T) {
	res := runScenario(t, "../scenarios/inline-analysis-abort.yaml")
	failed := res.Record.Measurements[len(res.Record.Measurements)-1]
	var ms []sim.MeasurementRecord
	for i := range 3000 {
		m := failed
		m.At = time.Duration(i) * time.Second
		m.Phase, m.Held = "Successful", "successCondition held"
		ms = append(ms, m)
	}
	res.Record.Measurements = append(ms, failed)
	for i := range 3000 {
		res.Timeline = append(res.Timeline, sim.Entry{At: time.Duration(i) * time.Second, Object: "AnalysisRun/x", Type: "Normal", Reason: "Measurement", Message: strings.Repeat("m", 40)})
	}
	var a, b bytes.Buffer
	if err := reports.Markdown(&a, res); err != nil {
		t.Fatal(err)
	}
	if err := reports.Markdown(&b, res); err != nil {
		t.Fatal(err)
	}
	md := a.String()
	if len(md) > reports.MarkdownLimit {
		t.Fatalf("%d bytes, over GitHub's %d", len(md), reports.MarkdownLimit)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renderings differ")
	}
	for _, want := range []string{"more Successful measurements left out", "more events left out", "<details><summary>3001 measurements</summary>", "✖ Failed", "</details>"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// A short report is not touched.
	short := runScenario(t, "../scenarios/inline-analysis-abort.yaml")
	var s bytes.Buffer
	if err := reports.Markdown(&s, short); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.String(), "left out") {
		t.Error("a short report was cut")
	}
}

// The HTML chart's time axis spans where things happened, not a long until.
func TestHTMLChartWindow(t *testing.T) {
	res := runScenario(t, "../scenarios/inline-analysis-abort.yaml")
	res.Ended = 3 * time.Hour // the run idled on to a long until
	var b bytes.Buffer
	if err := reports.HTML(&b, res); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{`class="tick">5m</text>`, `run ended at 3h →`, `class="event-label tick"`, `aborted 5m10s`} {
		if !strings.Contains(page, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	for _, bad := range []string{`class="tick">5m0s</text>`, `class="tick">1h0m0s</text>`} {
		if strings.Contains(page, bad) {
			t.Errorf("chart has the long tick %q", bad)
		}
	}
}
