package sim

import "k8s.io/apimachinery/pkg/types"

// kind of work item in the run loop.
type workKind int

const (
	kindRollout workKind = iota
	kindAnalysisRun
	kindReplicaSet
	kindExperiment
)

type key struct {
	kind workKind
	types.NamespacedName
}
