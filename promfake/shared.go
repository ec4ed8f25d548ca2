package promfake

import "sync"

var (
	sharedOnce   sync.Once
	sharedEngine *Engine
)

// Shared is one engine for every run of the process: an engine holds no data,
// is safe for concurrent use, and is costly to build.
func Shared() *Engine {
	sharedOnce.Do(func() { sharedEngine = NewEngine() })
	return sharedEngine
}
