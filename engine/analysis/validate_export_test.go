package analysis

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

func TestValidateMetricsExported(t *testing.T) {
	three, five := intstr.FromInt32(3), intstr.FromInt32(5)
	m := v1alpha1.Metric{Name: "m", Count: &three, FailureLimit: &five, Interval: "1m",
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Query: "up"}}}
	err := ValidateMetrics([]v1alpha1.Metric{m})
	want := "metrics[0]: count (3) must be >= failureLimit + consecutiveSuccessLimit (5 + 0) if both >= 0"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	m.FailureLimit = &three
	if err := ValidateMetrics([]v1alpha1.Metric{m}); err != nil {
		t.Fatalf("count 3, failureLimit 3: %v", err)
	}
}
