package sim_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
)

// Pods written before reads, rather than as they happen, change nothing a
// report or a controller sees: every scenario gives the same reports and
// the same final pods (statuses, times, UIDs and resourceVersions), those
// that read pods mid-run included (restarts, Job pods, failing images).
func TestPodsWrittenBeforeReads(t *testing.T) {
	for _, f := range scenarioFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			run := func(eager bool) (*sim.Result, []byte) {
				defer sim.SetEagerPods(eager)()
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
				return res, b.Bytes()
			}
			lazy, lazyReport := run(false)
			eager, eagerReport := run(true)
			if !bytes.Equal(lazyReport, eagerReport) {
				t.Errorf("reports differ with pods written before reads:\n%s\nas they happen:\n%s", lazyReport, eagerReport)
			}
			if lp, ep := finalPods(t, lazy), finalPods(t, eager); !equality.Semantic.DeepEqual(lp, ep) {
				t.Errorf("final pods differ:\nbefore reads %+v\nas they happen %+v", lp, ep)
			}
		})
	}
}
