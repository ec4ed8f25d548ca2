package analysis

import (
	"context"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Provider takes measurements for one metric, as upstream metric providers do.
// Synchronous providers (prometheus, web) complete in Run; asynchronous ones (job)
// return a Running measurement and finish it in Resume.
type Provider interface {
	Run(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement
	Resume(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement
	Terminate(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement
	// Metadata is stored on the metric result when it is first created
	// (e.g. ResolvedPrometheusQuery).
	Metadata(metric v1alpha1.Metric) map[string]string
}

// Providers builds the provider for a (resolved) metric. An error becomes an
// Error measurement carrying its text, as upstream.
type Providers interface {
	For(namespace string, metric v1alpha1.Metric) (Provider, error)
}
