package kube

import "github.com/rollsim/rollsim/engine"

// HandOver is engine.HandOver: passed to Create, Update or Status().Update,
// the in-memory backend keeps obj itself (Create, Update) or its status
// (Status().Update) rather than a deep copy; other backends write a copy and
// fill obj from the server's answer.
var HandOver = engine.HandOver

// withoutHandOver is opts without HandOver, and whether it was there.
func withoutHandOver[O any](opts []O) ([]O, bool) {
	for i, o := range opts {
		if _, ok := any(o).(engine.HandOverOption); ok {
			return append(opts[:i:i], opts[i+1:]...), true
		}
	}
	return opts, false
}
