// Package crds holds the CustomResourceDefinitions of the argoproj.io/v1alpha1
// kinds (Rollout, AnalysisTemplate, ClusterAnalysisTemplate, AnalysisRun,
// Experiment), generated from the Go types of package v1alpha1 by
// controller-gen and embedded, so that the rollsim binary can install them into
// the envtest API server from any working directory (this is why they live next
// to the types rather than under testdata/).
//
// The files are generated, never edited: change the types or their kubebuilder
// markers in package v1alpha1 and run `go generate ./engine/api/...`. A test
// regenerates them and fails when they are out of date.
//
// Generation options: maxDescLen=0 drops field descriptions (the CRDs shrink
// from 4 MB to 1.3 MB and install faster; rollsim never shows them), and
// generateEmbeddedObjectMeta=true gives embedded metadata (pod templates, job
// templates) its labels and annotations instead of an empty object whose
// contents the API server would prune. Subresources follow upstream: Rollout
// has status and scale; AnalysisRun and Experiment have none (their controllers
// write whole objects, so every status write bumps metadata.generation).
//
// The package owns files only; it must not import anything beyond the standard
// library.
package crds

//go:generate go run sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0 crd:maxDescLen=0,generateEmbeddedObjectMeta=true paths=../v1alpha1 output:crd:dir=.

import (
	"embed"
	"io/fs"
	"sort"
)

// Generator is the controller-gen invocation, shared by go:generate and the
// freshness test.
const (
	ControllerGen = "sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0"
	Options       = "crd:maxDescLen=0,generateEmbeddedObjectMeta=true"
)

//go:embed *.yaml
var files embed.FS

// Files returns the CRD manifests (one CRD per file) by file name, in name order.
func Files() ([]string, map[string][]byte, error) {
	names, err := fs.Glob(files, "*.yaml")
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(names)
	out := make(map[string][]byte, len(names))
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			return nil, nil, err
		}
		out[n] = b
	}
	return names, out, nil
}
