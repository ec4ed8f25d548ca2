// Package engine is rollsim's copy of the Argo Rollouts controller logic. This
// package holds what every controller shares: the controller version being
// modelled (and what differs between versions), the event sink and the
// timestamp rule. The rest lives in subpackages, one concern each:
//
//   - api: the argoproj.io/v1alpha1 types, strict decoding and the CRDs;
//   - rollout: the Rollout controller (canary, blue-green, analysis and
//     experiment steps, status, replica arithmetic, pod-template hash);
//   - analysis: the AnalysisRun controller (templates and args, scheduling,
//     measurement, assessment) and the Provider interface;
//   - conditions: successCondition/failureCondition with expr-lang;
//   - providers: the prometheus, web and job metric providers;
//   - experiment: the Experiment controller.
//
// Controllers decide over API objects and a clock, read and write through a
// controller-runtime client, and never know they are simulated: no goroutines
// of their own, no wall clock, no network except through a provider.
package engine

import (
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Version is the Argo Rollouts release line whose behaviour is reproduced.
type Version int

const (
	V1_10 Version = iota // default: the newest line (tag v1.10.0-rc1)
	V1_9
	V1_8
)

// ParseVersion accepts "v1.10", "1.9", "v1.8.4" and the like; "" means the default.
func ParseVersion(s string) (Version, error) {
	switch {
	case s == "":
		return V1_10, nil
	case match(s, "1.10"):
		return V1_10, nil
	case match(s, "1.9"):
		return V1_9, nil
	case match(s, "1.8"):
		return V1_8, nil
	}
	return 0, fmt.Errorf("unsupported controller version %q (want v1.8, v1.9 or v1.10)", s)
}

func match(s, line string) bool {
	if len(s) > 0 && s[0] == 'v' {
		s = s[1:]
	}
	return s == line || (len(s) > len(line) && s[:len(line)] == line && s[len(line)] == '.')
}

func (v Version) String() string {
	switch v {
	case V1_9:
		return "v1.9"
	case V1_8:
		return "v1.8"
	default:
		return "v1.10"
	}
}

// PrefixesAbortMessages reports whether abort messages carry the
// "Step-based analysis phase error/failed: " style prefix (v1.9 on).
func (v Version) PrefixesAbortMessages() bool { return v != V1_8 }

// WrapsConditionErrors reports whether condition evaluation errors read
// `could not evaluate successCondition "<expr>": ...` (v1.10 on).
func (v Version) WrapsConditionErrors() bool { return v == V1_10 }

// InconclusiveResetsErrors reports whether an Inconclusive measurement resets the
// consecutive-error count (v1.10 on).
func (v Version) InconclusiveResetsErrors() bool { return v == V1_10 }

// Recorder receives the Kubernetes events a controller emits.
type Recorder interface {
	Event(obj client.Object, eventType, reason, message string)
}

// Event types, as in core/v1.
const (
	EventNormal  = "Normal"
	EventWarning = "Warning"
)
