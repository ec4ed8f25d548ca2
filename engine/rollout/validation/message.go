package validation

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// InvalidSpecReason is the reason of the InvalidSpec condition (upstream
// utils/conditions InvalidSpecReason).
const InvalidSpecReason = "InvalidSpec"

// InvalidSpecMessage is the message of the Rollout's InvalidSpec condition for err
// (upstream rollout/controller.go createInvalidRolloutCondition), e.g.
//
//	The Rollout "app" is invalid: spec.strategy.steps[0].setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100
//
// The controller reports only the first error it finds: pass errs[0] of
// ValidateRollout, or ReferenceErrors.First().
func InvalidSpecMessage(ro *v1alpha1.Rollout, err *field.Error) string {
	return fmt.Sprintf("The Rollout \"%s\" is invalid: %s", ro.Name, err.Error())
}

// Controller returns the one error the controller's InvalidSpec condition would carry
// for ro, or nil: the first spec error, else the first reference error (a missing
// object included). Pass the same Objects the simulation uses.
func Controller(ro *v1alpha1.Rollout, objs Objects, opts Options) *field.Error {
	if errs := ValidateRollout(ro, opts); len(errs) > 0 {
		return errs[0]
	}
	return ValidateRolloutReferences(ro, objs, opts).First()
}
