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
	// Scale sets spec.replicas, as `kubectl scale rollout`.
	Scale *ScaleAction `json:"scale,omitempty"`
	// Undo goes back to an earlier revision's pod template, as
	// `kubectl argo rollouts undo` (the previous revision unless toRevision).
	Undo *UndoAction `json:"undo,omitempty"`
	// Apply creates or replaces a manifest (`kubectl apply`), Delete removes
	// an object (`kubectl delete`).
	Apply *ApplyAction `json:"apply,omitempty"`
	// Delete removes an object, as `kubectl delete KIND NAME`.
	Delete *DeleteAction `json:"delete,omitempty"`
	// Restart is `kubectl argo rollouts restart`: spec.restartAt set to now
	// (or `in` later); the controller then replaces the older pods.
	Restart *RestartAction `json:"restart,omitempty"`
}

// RestartAction is `kubectl argo rollouts restart NAME [--in DURATION]`.
type RestartAction struct {
	// Restart this long after the action (default: now).
	In *Duration `json:"in,omitempty"`
}

// ApplyAction is `kubectl apply -f`: one manifest, inline or in a file
// (relative to the scenario file), decoded as strictly as the others. The
// object replaces the one of the same kind and name, or is created.
type ApplyAction struct {
	// The manifest, inline.
	Manifest map[string]any `json:"manifest,omitempty"`
	// The manifest's file, relative to the scenario file.
	File string `json:"file,omitempty"`
}

// DeleteAction is `kubectl delete KIND NAME`.
type DeleteAction struct {
	// The object's apiVersion (default v1, or the version of the manifest of that kind and name).
	APIVersion string `json:"apiVersion,omitempty"`
	// The object's kind.
	Kind string `json:"kind"`
	// The object's name (in the scenario's namespace).
	Name string `json:"name"`
}

// ScaleAction is `kubectl scale rollout NAME --replicas N`.
type ScaleAction struct {
	// The new spec.replicas.
	Replicas *int32 `json:"replicas"`
}

// UndoAction is `kubectl argo rollouts undo NAME [--to-revision N]`.
type UndoAction struct {
	// The revision to go back to (default: the previous one).
	ToRevision int64 `json:"toRevision,omitempty"`
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
	case a.Scale != nil:
		return "scale"
	case a.Undo != nil:
		return "undo"
	case a.Apply != nil:
		return "apply"
	case a.Delete != nil:
		return "delete"
	case a.Restart != nil:
		return "restart"
	}
	return ""
}

func (a Action) check() error {
	n := 0
	for _, set := range []bool{a.Promote != nil, a.PromoteFull != nil, a.Abort != nil, a.Retry != nil, a.Pause != nil, a.Resume != nil, a.Update != nil, a.Scale != nil, a.Undo != nil, a.Apply != nil, a.Delete != nil, a.Restart != nil} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return fmt.Errorf("an action needs one of promote, promoteFull, abort, retry, pause, resume, update, scale, undo, apply, delete, restart")
	case n > 1:
		return fmt.Errorf("an action does one thing; split it into several entries")
	case a.At.Duration < 0:
		return fmt.Errorf("at: must not be negative (times are offsets from the update)")
	case a.Update != nil && a.Update.Empty():
		return fmt.Errorf("update: needs image, patch or deploymentPatch")
	case a.Scale != nil && (a.Scale.Replicas == nil || *a.Scale.Replicas < 0):
		return fmt.Errorf("scale.replicas: required, at least 0")
	case a.Undo != nil && a.Undo.ToRevision < 0:
		return fmt.Errorf("undo.toRevision: must not be negative")
	case a.Apply != nil && (len(a.Apply.Manifest) == 0) == (a.Apply.File == ""):
		return fmt.Errorf("apply: needs manifest or file (one of them)")
	case a.Delete != nil && (a.Delete.Kind == "" || a.Delete.Name == ""):
		return fmt.Errorf("delete: needs kind and name")
	}
	return nil
}

var _ json.Marshaler = Duration{}
