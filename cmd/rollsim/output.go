package main

import (
	"io"
	"os"
	"time"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
)

// reportFormats are the values of `run -o`.
var reportFormats = []string{"text", "json", "yaml", "markdown", "html"}

func checkOutput(format string) error {
	for _, f := range reportFormats {
		if f == format {
			return nil
		}
	}
	return usageError("--output %q: want text, json, yaml, markdown or html", format)
}

// writeReport renders one result. wall is the run's wall time, reported in the
// JSON timing block only when positive (run --timing); colour is used for text
// on a terminal.
func writeReport(w io.Writer, res *sim.Result, format string, wall time.Duration) error {
	switch format {
	case "json":
		rep := reports.Build(res)
		if wall > 0 {
			ms := float64(wall.Microseconds()) / 1000
			rep.Timing.WallMs = &ms
		}
		return reports.JSON(w, rep)
	case "yaml":
		return reports.YAML(w, res)
	case "markdown":
		return reports.Markdown(w, res)
	case "html":
		return reports.HTML(w, res)
	default:
		return reports.TextColor(w, res, isTerminal(w))
	}
}

// isTerminal reports whether w is a terminal that wants colour: not when
// NO_COLOR is set or TERM is dumb.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
