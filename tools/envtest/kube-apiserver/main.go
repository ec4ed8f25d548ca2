// Command kube-apiserver is the Kubernetes API server that rollsim's envtest
// backend starts. It is built from the Go module proxy (k8s.io/kubernetes
// v1.37.2) because envtest's usual binary download site is out of reach;
// hack/envtest-assets.sh builds it into bin/envtest/.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
