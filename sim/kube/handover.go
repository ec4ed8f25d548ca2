package kube

import "sigs.k8s.io/controller-runtime/pkg/client"

// HandOver, passed to Create or Status().Update, gives obj to the client: the
// in-memory backend keeps obj itself (Create), or its status (Status().Update),
// rather than a deep copy. obj may then share maps, slices and pointers with
// other objects handed over or read with Peek, and nobody may change obj or
// what it shares afterwards. Other backends write a copy, so that decoding the
// server's answer leaves the shared parts alone, and fill obj from it.
var HandOver handOver

type handOver struct{}

func (handOver) ApplyToCreate(*client.CreateOptions)                       {}
func (handOver) ApplyToSubResourceUpdate(*client.SubResourceUpdateOptions) {}

// withoutHandOver is opts without HandOver, and whether it was there.
func withoutHandOver[O any](opts []O) ([]O, bool) {
	for i, o := range opts {
		if _, ok := any(o).(handOver); ok {
			return append(opts[:i:i], opts[i+1:]...), true
		}
	}
	return opts, false
}
