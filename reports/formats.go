package reports

import (
	"io"
	"time"

	"github.com/rollsim/rollsim/sim"
)

// RenderOptions are what a renderer may take besides the result.
type RenderOptions struct {
	// Color: ANSI colours in the text report (the caller decides: a terminal,
	// no NO_COLOR).
	Color bool
	// Wall is the run's wall time, shown in the JSON timing block only, and
	// only when positive.
	Wall time.Duration
}

// Format is one report format of `rollsim run -o`.
type Format struct {
	Name        string
	Description string
	Render      func(w io.Writer, res *sim.Result, opts RenderOptions) error
}

// Formats is every report format, in the order help lists them. The CLI's
// flag help, its validation and its shell completion all read this table.
var Formats = []Format{
	{"text", "verdict, measurements explained, timeline, rollout tree, AnalysisRuns", func(w io.Writer, res *sim.Result, o RenderOptions) error {
		return TextColor(w, res, o.Color)
	}},
	{"json", "the report for scripts (verdict, decidedAt, message, analysisRuns, ...)", func(w io.Writer, res *sim.Result, o RenderOptions) error {
		rep := Build(res)
		if o.Wall > 0 { // only on request (run --timing): it differs between runs
			ms := float64(o.Wall.Microseconds()) / 1000
			rep.Timing.WallMs = &ms
		}
		return JSON(w, rep)
	}},
	{"yaml", "the final objects as an API server returns them", func(w io.Writer, res *sim.Result, _ RenderOptions) error {
		return YAML(w, res)
	}},
	{"markdown", "for a pull-request comment (fits GitHub's comment limit)", func(w io.Writer, res *sim.Result, _ RenderOptions) error {
		return Markdown(w, res)
	}},
	{"html", "one page with a chart per metric", func(w io.Writer, res *sim.Result, _ RenderOptions) error {
		return HTML(w, res)
	}},
}

// FormatNamed returns the format called name.
func FormatNamed(name string) (Format, bool) {
	for _, f := range Formats {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}
