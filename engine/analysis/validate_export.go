package analysis

import "github.com/rollsim/rollsim/engine/api/v1alpha1"

// ValidateMetrics is the check the AnalysisRun controller makes on every reconcile
// (upstream ValidateMetrics): a non-nil error puts the run in Error with
// "Analysis spec invalid: <err>", e.g. `metrics[0]: count (3) must be >=
// failureLimit + consecutiveSuccessLimit (5 + 0) if both >= 0`. Pass metrics whose
// args are already substituted.
func ValidateMetrics(metrics []v1alpha1.Metric) error { return validateMetrics(metrics) }
