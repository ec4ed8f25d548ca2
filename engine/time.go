package engine

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
)

// Time is t as an API server keeps a timestamp: whole seconds (metav1.Time
// serializes as RFC 3339 without fractions), so an object reads the same
// before and after a round trip.
func Time(t time.Time) metav1.Time { return metav1.NewTime(t.Truncate(time.Second)) }

// Now is the current time of c as a timestamp (see Time).
func Now(c clock.PassiveClock) metav1.Time { return Time(c.Now()) }
