// Command etcd is the storage behind rollsim's envtest API server, built from
// go.etcd.io/etcd/server/v3 v3.6.16 by hack/envtest-assets.sh into bin/envtest/.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
