package analysis

import (
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// statusEqual is equality.Semantic.DeepEqual for AnalysisRun statuses without
// reflection (it ran on every reconcile): nil and empty slices and maps are
// equal, timestamps compare by instant. TestStatusEqualCoversEveryField fails
// when a field is added to one of these types and not here.
func statusEqual(a, b *v1alpha1.AnalysisRunStatus) bool {
	if a.Phase != b.Phase || a.Message != b.Message || a.RunSummary != b.RunSummary ||
		!timeEqual(a.StartedAt, b.StartedAt) || !timeEqual(a.CompletedAt, b.CompletedAt) ||
		len(a.MetricResults) != len(b.MetricResults) {
		return false
	}
	if (a.DryRunSummary == nil) != (b.DryRunSummary == nil) || a.DryRunSummary != nil && *a.DryRunSummary != *b.DryRunSummary {
		return false
	}
	for i := range a.MetricResults {
		if !metricResultEqual(&a.MetricResults[i], &b.MetricResults[i]) {
			return false
		}
	}
	return true
}

func metricResultEqual(a, b *v1alpha1.MetricResult) bool {
	if a.Name != b.Name || a.Phase != b.Phase || a.Message != b.Message ||
		a.Count != b.Count || a.Successful != b.Successful || a.Failed != b.Failed ||
		a.Inconclusive != b.Inconclusive || a.Error != b.Error || a.ConsecutiveError != b.ConsecutiveError ||
		a.DryRun != b.DryRun || a.ConsecutiveSuccess != b.ConsecutiveSuccess ||
		!maps.Equal(a.Metadata, b.Metadata) || len(a.Measurements) != len(b.Measurements) {
		return false
	}
	if len(a.Measurements) > 0 && &a.Measurements[0] == &b.Measurements[0] {
		// The same slice: reconciles that record nothing share the cache's.
		return true
	}
	for i := range a.Measurements {
		if !measurementEqual(&a.Measurements[i], &b.Measurements[i]) {
			return false
		}
	}
	return true
}

func measurementEqual(a, b *v1alpha1.Measurement) bool {
	return a.Phase == b.Phase && a.Message == b.Message && a.Value == b.Value &&
		timeEqual(a.StartedAt, b.StartedAt) && timeEqual(a.FinishedAt, b.FinishedAt) &&
		timeEqual(a.ResumeAt, b.ResumeAt) && maps.Equal(a.Metadata, b.Metadata)
}

// timeEqual compares as equality.Semantic does: by instant (UTC).
func timeEqual(a, b *metav1.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.UTC() == b.UTC()
}
