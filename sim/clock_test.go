package sim

import (
	"slices"
	"testing"
	"time"
)

// The order of events, one row per rule.
func TestClockOrder(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	type ev struct {
		name  string
		at    time.Duration
		kind  eventKind
		quiet bool
	}
	for _, tc := range []struct {
		rule string
		evs  []ev // in the order scheduled
		want []string
	}{
		{"earlier first", []ev{{"b", 2, workEvent, false}, {"a", 1, workEvent, false}}, []string{"a", "b"}},
		{"same instant: in the order scheduled", []ev{{"a", 1, workEvent, false}, {"b", 1, workEvent, true}}, []string{"a", "b"}},
		{"same instant: a scrape before controller work scheduled earlier", []ev{{"work", 1, workEvent, false}, {"scrape", 1, tickEvent, true}}, []string{"scrape", "work"}},
		{"same instant: a traffic change before the scrape", []ev{{"scrape", 1, tickEvent, true}, {"traffic", 1, tickEvent, false}}, []string{"traffic", "scrape"}},
		{"a measurement's wake-up is controller work", []ev{{"measure", 1, workEvent, true}, {"scrape", 1, tickEvent, true}}, []string{"scrape", "measure"}},
	} {
		c := newVirtualClock(t0)
		var got []string
		for _, e := range tc.evs {
			name := e.name
			c.at(t0.Add(e.at), e.kind, e.quiet, func() { got = append(got, name) })
		}
		for c.peek() != nil {
			c.next().fire()
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: fired %v, want %v", tc.rule, got, tc.want)
		}
	}
}

// Events fired are reused by later ones without changing what fires.
func TestClockReusesFiredEvents(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newVirtualClock(t0)
	n := 0
	var tick func()
	tick = func() {
		if n++; n < 100 {
			c.AtQuiet(c.Now().Add(time.Second), tickEvent, tick)
		}
	}
	c.At(t0, tickEvent, tick)
	for c.peek() != nil {
		c.next().fire()
	}
	if n != 100 || !c.Now().Equal(t0.Add(99*time.Second)) {
		t.Errorf("%d ticks, ending at %s", n, c.Now())
	}
}
