package sim_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
)

// The run's shortcuts change nothing: every scenario gives the same reports
// byte for byte (JSON, text with the tree, YAML) and the same final pods
// (statuses, times, UIDs, resourceVersions) with each of them turned off.
// Scenarios that read pods mid-run (restarts, Job pods, failing images) are
// among them.
func TestShortcutsChangeNothing(t *testing.T) {
	shortcuts := []struct {
		name string
		off  func() (restore func())
	}{
		{"batches of queries", func() func() { return sim.SetBatches(false) }},
		{"pods written before reads", func() func() { return sim.SetEagerPods(true) }},
		{"unread series left out", func() func() { return sim.SetKeepUnread(true) }},
	}
	render := func(t *testing.T, f string) ([]byte, *sim.Result) {
		res := runFile(t, f)
		var b bytes.Buffer
		if err := reports.JSON(&b, reports.Build(res)); err != nil {
			t.Fatal(err)
		}
		if err := reports.Text(&b, res); err != nil {
			t.Fatal(err)
		}
		if err := reports.YAML(&b, res); err != nil {
			t.Fatal(err)
		}
		return b.Bytes(), res
	}
	for _, f := range scenarioFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want, wantRes := render(t, f)
			for _, sc := range shortcuts {
				restore := sc.off()
				got, res := render(t, f)
				restore()
				if !bytes.Equal(got, want) {
					t.Errorf("without %s, the reports are\n%s\nwith:\n%s", sc.name, got, want)
				}
				if p, wp := finalPods(t, res), finalPods(t, wantRes); !equality.Semantic.DeepEqual(p, wp) {
					t.Errorf("without %s, the final pods are\n%+v\nwith:\n%+v", sc.name, p, wp)
				}
			}
		})
	}
}
