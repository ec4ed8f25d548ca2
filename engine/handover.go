package engine

import "sigs.k8s.io/controller-runtime/pkg/client"

// HandOver, passed to Create, Update or Status().Update, gives obj to the
// client: an in-memory backend may keep obj itself (or, for a status
// update, its status) rather than a deep copy. obj may then share maps,
// slices and pointers with objects read read-only, and nobody may change obj
// or what it shares afterwards. A backend that talks to a server writes a
// copy, so that decoding the server's answer leaves the shared parts alone.
// Clients that do not know it ignore it.
var HandOver HandOverOption

// HandOverOption is HandOver's type.
type HandOverOption struct{}

func (HandOverOption) ApplyToCreate(*client.CreateOptions)                       {}
func (HandOverOption) ApplyToUpdate(*client.UpdateOptions)                       {}
func (HandOverOption) ApplyToSubResourceUpdate(*client.SubResourceUpdateOptions) {}
