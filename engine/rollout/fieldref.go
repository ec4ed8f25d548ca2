package rollout

import (
	"fmt"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// RolloutField resolves an analysis arg's fieldRef.fieldPath on ro as the
// controller does when it creates the AnalysisRun. An error is one the
// controller would return from every sync, never creating the run: the
// rollout would not progress past the analysis.
func RolloutField(ro *v1alpha1.Rollout, path string) (string, error) {
	return rolloutField(ro, path)
}

// ArgError is an analysis argument whose fieldRef the controller cannot
// resolve: it returns the error from every sync and never creates the run.
type ArgError struct {
	Arg, FieldPath string
	Err            error
}

func (e *ArgError) Error() string {
	return fmt.Sprintf("analysis argument %s: fieldRef %q: %v", e.Arg, e.FieldPath, e.Err)
}

func (e *ArgError) Unwrap() error { return e.Err }
