package sim

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/rollsim/rollsim/engine"
)

// maxReconcilesPerInstant bounds the reconciles at one virtual instant. The real
// controllers would keep rewriting the same objects forever; rollsim stops the run
// there and reports which objects kept changing, as a finding about the
// manifests (exit 0), not as a failure of the simulation.
var maxReconcilesPerInstant = 10000

// ReasonUnsettled is the timeline reason of the finding.
const ReasonUnsettled = "ControllersDidNotSettle"

// settleWatch counts the writes per object at the current instant.
type settleWatch struct {
	writes map[written]int
}

// written is an object by Go type and name (the kind's name is only
// spelled out for the finding).
type written struct {
	typ  reflect.Type
	name string
}

func (w *settleWatch) reset() { clear(w.writes) }

func (w *settleWatch) wrote(obj any, name string) {
	if w.writes == nil {
		w.writes = map[written]int{}
	}
	w.writes[written{reflect.TypeOf(obj), name}]++
}

// byName is the writes keyed Kind/name (*v1alpha1.Rollout: Rollout).
func (w *settleWatch) byName() map[string]int {
	out := make(map[string]int, len(w.writes))
	for k, n := range w.writes {
		t := k.typ
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		out[t.Name()+"/"+k.name] += n
	}
	return out
}

// unsettledMessage names the objects written most often at the instant (at most
// five, most writes first, then by name).
func unsettledMessage(writes map[string]int, reconciles int) string {
	objects := make([]string, 0, len(writes))
	for o := range writes {
		objects = append(objects, o)
	}
	sort.Slice(objects, func(i, j int) bool {
		if writes[objects[i]] != writes[objects[j]] {
			return writes[objects[i]] > writes[objects[j]]
		}
		return objects[i] < objects[j]
	})
	const shown = 5
	parts := make([]string, 0, shown)
	for i, o := range objects {
		if i == shown {
			parts = append(parts, fmt.Sprintf("and %d more", len(objects)-shown))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d writes)", o, writes[o]))
	}
	if len(parts) == 0 {
		parts = append(parts, "no object written")
	}
	return fmt.Sprintf("controllers did not settle after %d reconciles at this instant; kept changing: %s", reconciles, strings.Join(parts, ", "))
}

// giveUpSettling records the finding and drops the pending work, ending the run.
func (r *runner) giveUpSettling(reconciles int) {
	msg := unsettledMessage(r.settle.byName(), reconciles)
	r.unsettled = msg
	object := "Rollout/" + r.roKey.Name
	if r.roKey.Name == "" {
		object = "Experiments" // a scenario of standalone Experiments
	}
	r.timeline = append(r.timeline, Entry{At: r.offset(), Object: object, Type: engine.EventWarning, Reason: ReasonUnsettled, Message: msg})
	r.queue = nil
	r.queued = map[key]bool{}
}
