package main

import (
	"io"
	"os"
	"time"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
)

// writeReport renders one result in a format of reports.Formats. wall is the
// run's wall time, reported in the JSON timing block only; colour is used for
// text on a terminal.
func writeReport(w io.Writer, res *sim.Result, format string, wall time.Duration) error {
	f, ok := reports.FormatNamed(format)
	if !ok {
		return reportFormats.check("--output", format)
	}
	return f.Render(w, res, reports.RenderOptions{Color: isTerminal(w), Wall: wall})
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
