// Package memo remembers the answers of pure functions, within a bound.
package memo

import "sync"

// Bounded remembers up to Max answers (forgetting them all when full); the
// zero value with Max set is ready. It is safe for concurrent use.
type Bounded[K comparable, V any] struct {
	Max int
	mu  sync.Mutex
	m   map[K]V
}

// Get returns the answer for k, computing it (outside the lock) the first
// time.
func (b *Bounded[K, V]) Get(k K, compute func(K) V) V {
	b.mu.Lock()
	v, ok := b.m[k]
	b.mu.Unlock()
	if ok {
		return v
	}
	v = compute(k)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil || len(b.m) >= b.Max {
		b.m = map[K]V{}
	}
	b.m[k] = v
	return v
}
