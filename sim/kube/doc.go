// Package kube holds the Kubernetes API backends a run talks to: an in-memory
// one (controller-runtime's fake client over a plain object tracker, read
// through a typed cache) and a real kube-apiserver started by envtest with the
// Argo Rollouts CRDs, where each run gets namespaces of its own. Stamp and
// Watch wrap either backend with what an API server and informers add: UIDs,
// creation times from the virtual clock, generations, and write notifications.
package kube
