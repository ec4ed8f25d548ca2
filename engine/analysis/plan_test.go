package analysis

import (
	"slices"
	"testing"

	"k8s.io/utils/ptr"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// recorded never writes into the slice it is given (it may be the cache's)
// and keeps the newest measurements.
func TestRecordedCopiesAndKeepsTheNewest(t *testing.T) {
	ms := []v1alpha1.Measurement{{Value: "1"}, {Value: "2"}, {Value: "3"}}
	orig := slices.Clone(ms)
	values := func(ms []v1alpha1.Measurement) (out []string) {
		for _, m := range ms {
			out = append(out, m.Value)
		}
		return out
	}
	for _, c := range []struct {
		replace bool
		limit   int
		want    []string
	}{
		{false, 10, []string{"1", "2", "3", "4"}},
		{false, 3, []string{"2", "3", "4"}},
		{true, 10, []string{"1", "2", "4"}},
		{true, 2, []string{"2", "4"}},
		{false, 1, []string{"4"}},
	} {
		got := recorded(ms[:len(ms):len(ms)], v1alpha1.Measurement{Value: "4"}, c.replace, c.limit)
		if !slices.Equal(values(got), c.want) {
			t.Errorf("replace=%v limit=%d: %v, want %v", c.replace, c.limit, values(got), c.want)
		}
		if !slices.Equal(values(ms), values(orig)) {
			t.Fatalf("input changed: %v", values(ms))
		}
	}
	if got := recorded(nil, v1alpha1.Measurement{Value: "x"}, false, 10); len(got) != 1 {
		t.Errorf("first measurement: %v", got)
	}
}

// A plan is made again when the inputs it was made from change.
func TestPlanFollowsArgs(t *testing.T) {
	run := &v1alpha1.AnalysisRun{}
	run.UID, run.Name = "u", "run"
	run.Spec.Args = []v1alpha1.Argument{{Name: "q", Value: ptr.To("up")}}
	run.Spec.Metrics = []v1alpha1.Metric{{Name: "m", Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Query: "{{args.q}}"}}}}
	var r Reconciler
	if p := r.planOf(run); p.failure != "" || p.metrics[0].Provider.Prometheus.Query != "up" || !p.secretFree {
		t.Fatalf("plan: %+v", p)
	}
	if r.planOf(run) != r.planOf(run) {
		t.Fatal("plan made again for the same spec")
	}
	run.Spec.Args = []v1alpha1.Argument{{Name: "q", Value: ptr.To("down")}}
	if q := r.planOf(run).metrics[0].Provider.Prometheus.Query; q != "down" {
		t.Fatalf("query %q after the args changed", q)
	}
	run.Spec.Args = nil
	if p := r.planOf(run); p.failure != "Unable to resolve metric arguments: failed to resolve {{args.q}}" {
		t.Fatalf("failure %q", p.failure)
	}
}
