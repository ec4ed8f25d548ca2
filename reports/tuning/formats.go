package tuning

import (
	"io"

	"github.com/rollsim/rollsim/sim/tune"
)

// Format is one output format of `rollsim tune -o`.
type Format struct {
	Name        string
	Description string
	Render      func(w io.Writer, rep *tune.Report) error
}

// Formats is every tuning output format; the CLI's help, validation and
// completion read this table.
var Formats = []Format{
	{"text", "the table, sorted by the objective, and a recommendation", Text},
	{"json", "rows, one per policy", JSON},
	{"html", "the table and the plot", HTML},
}
