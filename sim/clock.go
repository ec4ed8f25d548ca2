package sim

import (
	"container/heap"
	"time"
)

// virtualClock is the simulation's virtual time and its queue of future events. It
// satisfies k8s.io/utils/clock.PassiveClock, so controllers read time from it the
// way they would read a real clock. Events fire in deadline order; ties by class
// (traffic changes, scrapes, controller work), then in the order they were
// scheduled. Nothing here reads the wall clock.
type virtualClock struct {
	now    time.Time
	queue  eventQueue
	serial uint64
	// fired is the event next returned last; free is the one before, fired
	// and forgotten: At reuses its memory.
	fired, free *event
}

// newVirtualClock starts virtual time at t.
func newVirtualClock(t time.Time) *virtualClock { return &virtualClock{now: t} }

// Now is the current virtual time.
func (c *virtualClock) Now() time.Time { return c.now }

// Since is Now().Sub(t).
func (c *virtualClock) Since(t time.Time) time.Duration { return c.now.Sub(t) }

type event struct {
	at     time.Time
	serial uint64
	kind   eventKind
	// quiet: the event by itself changes nothing the traffic depends on (a
	// scrape, a measurement's wake-up), so data may be written ahead past it.
	quiet bool
	fire  func()
}

// eventKind tells controller work from background ticks, so that the run can tell
// "nothing left to decide" from "only scrapes left".
type eventKind int

const (
	workEvent eventKind = iota
	tickEvent
)

// At schedules fire at t (never in the past).
func (c *virtualClock) At(t time.Time, kind eventKind, fire func()) { c.at(t, kind, false, fire) }

// AtQuiet is At for an event that changes nothing traffic depends on.
func (c *virtualClock) AtQuiet(t time.Time, kind eventKind, fire func()) { c.at(t, kind, true, fire) }

func (c *virtualClock) at(t time.Time, kind eventKind, quiet bool, fire func()) {
	if t.Before(c.now) {
		t = c.now
	}
	c.serial++
	e := c.free
	if e != nil {
		c.free = nil
	} else {
		e = new(event)
	}
	*e = event{at: t, serial: c.serial, kind: kind, quiet: quiet, fire: fire}
	heap.Push(&c.queue, e)
}

// nextLoud returns the time of the earliest event that is not quiet; ok is
// false when there is none.
func (c *virtualClock) nextLoud() (at time.Time, ok bool) {
	for _, e := range c.queue {
		if !e.quiet && (!ok || e.at.Before(at)) {
			at, ok = e.at, true
		}
	}
	return at, ok
}

// next pops the earliest event, moving time forward to it.
func (c *virtualClock) next() *event {
	if len(c.queue) == 0 {
		return nil
	}
	// The caller has fired the previous event before asking for this one.
	c.free = c.fired
	e := heap.Pop(&c.queue).(*event)
	if e.at.After(c.now) {
		c.now = e.at
	}
	c.fired = e
	return e
}

func (c *virtualClock) peek() *event {
	if len(c.queue) == 0 {
		return nil
	}
	return c.queue[0]
}

// pendingWork reports whether any controller work is still scheduled.
func (c *virtualClock) pendingWork() bool {
	for _, e := range c.queue {
		if e.kind == workEvent {
			return true
		}
	}
	return false
}

type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	if a, b := q[i].class(), q[j].class(); a != b {
		return a < b
	}
	return q[i].serial < q[j].serial
}

// class orders the events of one instant: the scenario's traffic changes,
// then the scrape, then the controllers. A query at t thus sees the scrape
// at t whatever was scheduled first (and batches of queries, batch.go, can
// read the same samples an instant query would).
func (e *event) class() int {
	switch {
	case e.kind == workEvent:
		return 2
	case e.quiet:
		return 1 // a scrape
	}
	return 0
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}
