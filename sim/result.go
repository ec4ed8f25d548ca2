package sim

import (
	"sync"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Result is everything a run produced; reports render it.
type Result struct {
	Scenario          string
	File              string
	ControllerVersion string
	Seed              int64
	// Start is the absolute time of t=0 (the update).
	Start     time.Time
	Verdict   string
	DecidedAt *time.Duration
	// Message is what `kubectl argo rollouts get rollout` prints after Message:.
	Message string
	// Ended is the virtual time the run stopped at.
	Ended time.Duration
	Until time.Duration

	// Rollout is nil when ExperimentsOnly.
	Rollout *v1alpha1.Rollout
	// ExperimentsOnly is a scenario of standalone Experiments and no Rollout:
	// the verdict and Message are the Experiments' (ExperimentsVerdict).
	ExperimentsOnly bool
	// ReplicaSets (and Pods) share their maps and slices with the run's
	// objects (a session's go on being used): read them, do not change them.
	ReplicaSets  []appsv1.ReplicaSet
	AnalysisRuns []v1alpha1.AnalysisRun
	Jobs         []batchv1.Job
	Experiments  []v1alpha1.Experiment
	// Services, Ingresses and the traffic routers' objects (VirtualServices,
	// DestinationRules, TrafficSplits, HTTPRoutes, ...) of the namespace, as
	// the controller left them.
	Deployments   []appsv1.Deployment // workloadRef targets
	Services      []corev1.Service
	Ingresses     []networkingv1.Ingress
	RouterObjects []unstructured.Unstructured
	Timeline      []Entry
	Queries       int
	// Reconciles and Writes count controller reconciles and API writes, to keep
	// an eye on what a run costs.
	Reconciles int
	Writes     int
	Expect     *scenario.Expect
	// Record is what the run saw as it went (record.go).
	Record *Record
	// Unsettled is set when the controllers kept changing objects at one instant
	// and the run stopped there: it names those objects (settle.go).
	Unsettled string

	// The final pods, or how to list them (Pods).
	podsOnce sync.Once
	listPods func() ([]corev1.Pod, error)
	pods     []corev1.Pod
	podsErr  error
}

// Pods are the namespace's pods at the end of the run, sharing their maps
// and slices with the run's objects: read them, do not change them. A
// finished in-memory run writes and lists them when first asked (see
// world: most runs are never drawn as a tree, and at 300 replicas the final
// pods were a quarter of a run's cost).
func (r *Result) Pods() ([]corev1.Pod, error) {
	r.podsOnce.Do(func() {
		if r.listPods != nil {
			r.pods, r.podsErr = r.listPods()
			r.listPods = nil // lets the run go
		}
	})
	return r.pods, r.podsErr
}

// Entry is one line of the timeline: a Kubernetes event or something the
// simulation did or saw.
type Entry struct {
	At      time.Duration // offset from the update
	Object  string        // Kind/name
	Type    string        // Normal | Warning
	Reason  string
	Message string
	// Event: a controller emitted it as a Kubernetes event; otherwise it is
	// something the simulation did or saw (the update, an action, a status
	// change, a measurement).
	Event bool
}
