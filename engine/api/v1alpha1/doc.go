// Package v1alpha1 holds the Go types of the Argo Rollouts API group
// argoproj.io/v1alpha1 (Rollout, AnalysisTemplate, ClusterAnalysisTemplate,
// AnalysisRun, Experiment and their lists) as rollsim reads and writes them.
//
// The package owns the API shape only: type and JSON field names follow
// upstream Argo Rollouts (tag v1.10.0-rc1) so that real manifests decode
// unchanged. It contains no controller logic; besides scheme registration
// and generated deep-copy code there are only small helpers that interpret
// a single field (pause durations, metric counts, phases).
//
// +kubebuilder:object:generate=true
// +groupName=argoproj.io
package v1alpha1

//go:generate go run sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0 object:headerFile=../boilerplate.go.txt paths=.
