package rollout

import "github.com/rollsim/rollsim/engine/api/v1alpha1"

// StatusEqual is statusEqual, for the external tests.
var StatusEqual = statusEqual

// ObserveStatuses hands f every pair of statuses persist compares, until the
// returned func is called.
func ObserveStatuses(f func(old, new *v1alpha1.RolloutStatus)) func() {
	statusCompared = f
	return func() { statusCompared = nil }
}
