package scenario

import (
	"encoding/json"
	"fmt"
)

// Action is something a person does at a virtual time, as the kubectl plugin
// would do it: exactly one of the fields is set.
type Action struct {
	// When the action happens, an offset from the update.
	At Duration `json:"at"`
	// kubectl argo rollouts promote: skip the current pause or step.
	Promote *struct{} `json:"promote,omitempty"`
	// kubectl argo rollouts promote --full: skip every remaining step and analysis.
	PromoteFull *struct{} `json:"promoteFull,omitempty"`
	// kubectl argo rollouts abort.
	Abort *struct{} `json:"abort,omitempty"`
	// kubectl argo rollouts retry rollout: retry after an abort.
	Retry *struct{} `json:"retry,omitempty"`
	// kubectl argo rollouts pause.
	Pause *struct{} `json:"pause,omitempty"`
	// kubectl argo rollouts resume (unpause).
	Resume *struct{} `json:"resume,omitempty"`
	// A second update mid-rollout: a new image.
	Update *Update `json:"update,omitempty"`
}

// Name is the action's verb.
func (a Action) Name() string {
	switch {
	case a.Promote != nil:
		return "promote"
	case a.PromoteFull != nil:
		return "promoteFull"
	case a.Abort != nil:
		return "abort"
	case a.Retry != nil:
		return "retry"
	case a.Pause != nil:
		return "pause"
	case a.Resume != nil:
		return "resume"
	case a.Update != nil:
		return "update"
	}
	return ""
}

func (a Action) check() error {
	n := 0
	for _, set := range []bool{a.Promote != nil, a.PromoteFull != nil, a.Abort != nil, a.Retry != nil, a.Pause != nil, a.Resume != nil, a.Update != nil} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return fmt.Errorf("an action needs one of promote, promoteFull, abort, retry, pause, resume, update")
	case n > 1:
		return fmt.Errorf("an action does one thing; split it into several entries")
	case a.At.Duration < 0:
		return fmt.Errorf("at: must not be negative (times are offsets from the update)")
	case a.Update != nil && a.Update.Image == "":
		return fmt.Errorf("update.image: required")
	}
	return nil
}

var _ json.Marshaler = Duration{}
