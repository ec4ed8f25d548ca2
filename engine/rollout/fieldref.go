package rollout

import "github.com/rollsim/rollsim/engine/api/v1alpha1"

// RolloutField resolves an analysis arg's fieldRef.fieldPath on ro as the
// controller does when it creates the AnalysisRun. An error is one the
// controller would return from every sync, never creating the run: the
// rollout would not progress past the analysis.
func RolloutField(ro *v1alpha1.Rollout, path string) (string, error) {
	return rolloutField(ro, path)
}
