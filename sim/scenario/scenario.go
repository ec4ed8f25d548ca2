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
	// Always rollsim.dev/v1alpha1.
	APIVersion string `json:"apiVersion"`
	// Always Scenario.
	Kind string `json:"kind"`
	// The scenario's name, shown by reports and `rollsim test`.
	Metadata metav1.ObjectMeta `json:"metadata"`
	// The change under test, the world it happens in and what is expected.
	Spec ScenarioSpec `json:"spec"`
}

// ScenarioSpec is described field by field in design.md ("Scenario file").
type ScenarioSpec struct {
	// Files holding more manifests (Rollout, AnalysisTemplates, ...), relative to this file; the manifests may also sit in the same YAML stream.
	Manifests []string `json:"manifests,omitempty"`
	// Default namespace for manifests that name none.
	Namespace string `json:"namespace,omitempty"`
	// The Rollout under test; optional when the scenario has exactly one.
	Rollout string `json:"rollout,omitempty"`
	// The Argo Rollouts behaviour (and wording) to model: v1.10 (default), v1.9 or v1.8.
	ControllerVersion string `json:"controllerVersion,omitempty"`
	// The change under test: the new revision's image. Required with a Rollout; a scenario of standalone Experiments has none.
	Update Update `json:"update,omitempty"`
	// How the simulated cluster behaves (pod readiness, failing images).
	Cluster Cluster `json:"cluster,omitempty"`
	// The request load and how the stable and canary versions answer it.
	Traffic Traffic `json:"traffic,omitempty"`
	// Extra raw series in promtool notation, for queries of other metrics.
	Series []SeriesSpec `json:"series,omitempty"`
	// Series exported from a real Prometheus, replayed on the virtual clock (see Recording).
	Recorded []Recording `json:"recorded,omitempty"`
	// Scripted answers of the non-Prometheus metric providers (web, job, any other).
	Providers Providers `json:"providers,omitempty"`
	// What people do at virtual times: promote, abort, retry, pause, resume, a second update.
	Actions []Action `json:"actions,omitempty"`
	// Random seed for traffic noise and generated names (default 1); --seed overrides it.
	Seed *int64 `json:"seed,omitempty"`
	// Virtual time limit, an offset from the update; the verdict is Incomplete when reached first.
	Until *Duration `json:"until,omitempty"`
	// How long the stable revision served the traffic before the update (default 15m), so rate windows hold history.
	Warmup *Duration `json:"warmup,omitempty"`
	// The absolute time of the update (default 2025-01-01T00:00:00Z), for timestamps in reports.
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// What the run must give; `rollsim test` checks it. Without it the scenario is not a test.
	Expect *Expect `json:"expect,omitempty"`
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
	// The new revision's image (of the container below); may be left out when a patch makes the change.
	Image string `json:"image,omitempty"`
	// The container whose image changes (default: the first).
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
	// New pods become Ready this long after creation.
	PodReadyAfter *Duration `json:"podReadyAfter,omitempty"`
	// Images whose pods never become Ready.
	PodFailures []PodFailure `json:"podFailures,omitempty"`
}

// PodFailure makes the pods running an image never become Ready, as a crash-looping
// or unpullable container would.
type PodFailure struct {
	// The image whose pods fail.
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

// ShortDuration writes d as people write durations: 1h, 90s, 1h30m rather
// than 1h0m0s.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
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
