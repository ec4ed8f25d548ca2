package scenario

import (
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Variants of a loaded scenario, for `rollsim tune`: many runs of the same file
// with a field of an AnalysisTemplate or of the traffic changed, without reading
// the file again.

// Clone returns a copy of the input whose manifests (Objects) are deep copies,
// so they can be edited freely. The Scenario document is copied shallowly: to
// change a field of it, replace the field (or the slice, or the pointer) rather
// than writing through what it points to, which the original shares.
func (in *Input) Clone() *Input {
	out := &Input{
		File:        in.File,
		Scenario:    in.Scenario,
		ScenarioDoc: in.ScenarioDoc,
		Objects:     make([]client.Object, len(in.Objects)),
		origins:     make(map[client.Object]Origin, len(in.origins)),
		raw:         in.raw,
		// Read-only once loaded: every variant replays the same samples.
		recorded:     in.recorded,
		trafficGiven: in.trafficGiven,
	}
	for i, o := range in.Objects {
		c := o.DeepCopyObject().(client.Object)
		out.Objects[i] = c
		if org, ok := in.origins[o]; ok {
			out.origins[c] = org
		}
	}
	return out
}

// Revalidate checks an edited input as Load checks a file: what the controller
// would refuse up front is an *InputError naming the document and field where
// the edited value sits.
func (in *Input) Revalidate() error { return in.complete() }

// SetCanaryErrorRate makes the canary answer errorRate of its requests with
// 5xx from the offset from on (0: from the update). It overrides the scenario:
// the canary's errorRate given by traffic events at or after from is dropped
// (their other fields stay), and an event at from sets the new rate. Events
// before from still apply until then.
func (in *Input) SetCanaryErrorRate(from time.Duration, errorRate float64) {
	tr := in.Scenario.Spec.Traffic
	events := make([]TrafficEvent, 0, len(tr.Events)+1)
	for _, ev := range tr.Events {
		if ev.Canary != nil && ev.Canary.ErrorRate != nil && ev.At.Duration >= from {
			b := *ev.Canary
			b.ErrorRate = nil
			ev.Canary = &b
		}
		events = append(events, ev)
	}
	rate := errorRate
	events = append(events, TrafficEvent{At: Duration{from}, Canary: &Behaviour{ErrorRate: &rate}})
	if from <= 0 {
		// Also the canary's own behaviour, so that a report of the variant reads
		// as if the scenario had said so.
		b := tr.Canary
		r := errorRate
		b.ErrorRate = &r
		tr.Canary = b
	}
	tr.Events = events
	in.Scenario.Spec.Traffic = tr
	// With a recording, this adds a synthetic canary on top of it.
	in.trafficGiven = true
}
