package scenario

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ScenarioAPIVersion and ScenarioKind identify the scenario document in a stream.
const (
	ScenarioAPIVersion = "rollsim.dev/v1alpha1"
	ScenarioKind       = "Scenario"
)

// Scenario is the `kind: Scenario` document: the change under test, the world it
// happens in and, optionally, what the user expects.
type Scenario struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       ScenarioSpec      `json:"spec"`
}

// ScenarioSpec is described field by field in design.md ("Scenario file").
type ScenarioSpec struct {
	Manifests         []string     `json:"manifests,omitempty"`
	Namespace         string       `json:"namespace,omitempty"`
	Rollout           string       `json:"rollout,omitempty"`
	ControllerVersion string       `json:"controllerVersion,omitempty"`
	Update            Update       `json:"update"`
	Cluster           Cluster      `json:"cluster,omitempty"`
	Traffic           Traffic      `json:"traffic,omitempty"`
	Series            []SeriesSpec `json:"series,omitempty"`
	Providers         Providers    `json:"providers,omitempty"`
	Actions           []Action     `json:"actions,omitempty"`
	Seed              *int64       `json:"seed,omitempty"`
	Until             *Duration    `json:"until,omitempty"`
	Warmup            *Duration    `json:"warmup,omitempty"`
	StartTime         *metav1.Time `json:"startTime,omitempty"`
	Expect            *Expect      `json:"expect,omitempty"`
}

// Update is the change under test: a new image for one container.
//
// The change is what `kubectl apply` of an edited manifest would do: a new
// image for a container, and/or a patch of the Rollout (any field: the pod
// template's annotations, env or command, the strategy, replicas,
// progressDeadlineSeconds, labels, ...). A patch is a strategic merge patch,
// as `kubectl patch` applies by default: maps merge, containers and env
// entries merge by name, other lists are replaced, null deletes a field. With
// a workloadRef the pod template lives in the Deployment: image and
// deploymentPatch change it there.
type Update struct {
	Image     string `json:"image,omitempty"`
	Container string `json:"container,omitempty"`
	// Patch is applied to the Rollout (the document as in the manifests).
	Patch map[string]any `json:"patch,omitempty"`
	// DeploymentPatch is applied to the Deployment a workloadRef names.
	DeploymentPatch map[string]any `json:"deploymentPatch,omitempty"`
}

// Empty reports an update that changes nothing.
func (u Update) Empty() bool {
	return u.Image == "" && len(u.Patch) == 0 && len(u.DeploymentPatch) == 0
}

// Cluster is how the simulated cluster behaves.
type Cluster struct {
	PodReadyAfter *Duration    `json:"podReadyAfter,omitempty"`
	PodFailures   []PodFailure `json:"podFailures,omitempty"`
}

// PodFailure makes the pods running an image never become Ready, as a crash-looping
// or unpullable container would.
type PodFailure struct {
	Image  string `json:"image"`
	Reason string `json:"reason,omitempty"` // default CrashLoopBackOff
}

// Duration is a Go duration written as a string ("90s", "5m", "1h30m").
type Duration struct{ time.Duration }

// UnmarshalJSON accepts a duration string (or 0).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n float64
		if json.Unmarshal(b, &n) == nil && n == 0 {
			d.Duration = 0
			return nil
		}
		return fmt.Errorf("want a duration such as \"90s\" or \"5m\", got %s", strings.TrimSpace(string(b)))
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. \"90s\", \"5m\", \"1h30m\")", s)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Duration.String()) }

// Outcomes a scenario can end with.
const (
	Promoted   = "Promoted"
	Aborted    = "Aborted"
	Paused     = "Paused"
	Incomplete = "Incomplete"
)
