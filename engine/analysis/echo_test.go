package analysis

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// When a reconcile may take the last answer: one row per rule.
func TestEchoes(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	key := types.NamespacedName{Namespace: "ns", Name: "run"}
	done := metav1.NewTime(now)
	run := func(uid, rv string, finished bool) *v1alpha1.AnalysisRun {
		m := v1alpha1.Measurement{StartedAt: &done}
		if finished {
			m.FinishedAt = &done
		}
		r := &v1alpha1.AnalysisRun{Status: v1alpha1.AnalysisRunStatus{MetricResults: []v1alpha1.MetricResult{{Name: "m", Measurements: []v1alpha1.Measurement{m}}}}}
		r.UID, r.ResourceVersion = types.UID(uid), rv
		return r
	}
	for _, tc := range []struct {
		name    string
		written *v1alpha1.AnalysisRun
		read    *v1alpha1.AnalysisRun
		at      time.Time
		echo    bool
	}{
		{"the run as written, same instant", run("u", "7", true), run("u", "7", true), now, true},
		{"written since by someone else", run("u", "7", true), run("u", "8", true), now, false},
		{"a later instant", run("u", "7", true), run("u", "7", true), now.Add(time.Second), false},
		{"a measurement in flight", run("u", "7", false), run("u", "7", false), now, false},
		{"another run of that name", run("u", "7", true), run("v", "7", true), now, false},
	} {
		var e echoes
		e.wrote(key, tc.written, now, 42*time.Second)
		after, ok := e.lookup(key, tc.read, tc.at)
		if ok != tc.echo || ok && after != 42*time.Second {
			t.Errorf("%s: lookup = %v, %v; want echo %v", tc.name, after, ok, tc.echo)
		}
	}
}
