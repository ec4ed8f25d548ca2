package sim_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
)

// Leaving out the series no query reads changes no report: the series read
// are the same sample for sample.
func TestUnreadSeriesLeftOut(t *testing.T) {
	for _, f := range scenarioFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			report := func(keep bool) []byte {
				defer sim.SetKeepUnread(keep)()
				res := runFile(t, f)
				var b bytes.Buffer
				if err := reports.JSON(&b, reports.Build(res)); err != nil {
					t.Fatal(err)
				}
				if err := reports.Text(&b, res); err != nil {
					t.Fatal(err)
				}
				return b.Bytes()
			}
			if left, kept := report(false), report(true); !bytes.Equal(left, kept) {
				t.Errorf("reports differ with unread series left out:\n%s\nkept:\n%s", left, kept)
			}
		})
	}
}
