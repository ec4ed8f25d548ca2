package analysis

import "github.com/rollsim/rollsim/engine/api/v1alpha1"

// Limits are a metric's limits as the controller applies them, defaults
// filled in: Count is -1 when the metric measures until its run ends;
// FailureLimit -1 and ConsecutiveSuccessLimit 0 are disabled, as upstream.
// A limit written as a string that is not a number (an unresolved arg) reads
// as 0, as upstream's IntValue does.
type Limits struct {
	Count, FailureLimit, InconclusiveLimit, ConsecutiveErrorLimit, ConsecutiveSuccessLimit int32
}

// LimitsOf returns the limits the controller applies to m.
func LimitsOf(m *v1alpha1.Metric) Limits {
	l := Limits{
		Count:                   -1,
		FailureLimit:            int32(intOr(m.FailureLimit, 0)),
		InconclusiveLimit:       int32(intOr(m.InconclusiveLimit, 0)),
		ConsecutiveErrorLimit:   int32(intOr(m.ConsecutiveErrorLimit, defaultConsecutiveErrorLimit)),
		ConsecutiveSuccessLimit: int32(intOr(m.ConsecutiveSuccessLimit, 0)),
	}
	if c := m.EffectiveCount(); c != nil {
		l.Count = int32(c.IntValue())
	}
	return l
}
