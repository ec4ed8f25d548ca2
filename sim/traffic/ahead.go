package traffic

import (
	"math/rand/v2"
	"time"

	"github.com/rollsim/rollsim/promfake"
)

// Scrapes written ahead. While nothing changes, the scrapes of the next
// stretch of time depend only on the model's state and its random stream, so
// the model can write them at once (Ahead), as tentative samples a range
// query can read. When virtual time reaches one and no setter (SetPods
// included) has changed anything, Scrape confirms it; anything else drops them
// all and puts the counters and the random stream back as they were after
// the last real scrape, so a run draws exactly what it would have drawn
// scraping one at a time.

// ahead is the scrapes written ahead, oldest first: pending[head:]. The
// entries before head are confirmed ones whose memory is reused.
type ahead struct {
	base    modelState // after the last real scrape
	pending []aheadScrape
	head    int
	epoch   uint64 // counts the times they were dropped
}

// waiting is how many scrapes written ahead wait for their time.
func (a *ahead) waiting() int { return len(a.pending) - a.head }

// next returns a new last entry, reusing the memory of confirmed ones.
func (a *ahead) next() *aheadScrape {
	if a.head > 0 && len(a.pending) == cap(a.pending) {
		// Move the waiting entries down; the confirmed ones' memory goes
		// after them.
		n := a.waiting()
		for i := range n {
			a.pending[i], a.pending[a.head+i] = a.pending[a.head+i], a.pending[i]
		}
		a.pending, a.head = a.pending[:n], 0
	}
	if len(a.pending) < cap(a.pending) {
		a.pending = a.pending[:len(a.pending)+1]
	} else {
		a.pending = append(a.pending, aheadScrape{})
	}
	return &a.pending[len(a.pending)-1]
}

type aheadScrape struct {
	at      time.Time
	samples int // the tentative samples it wrote
	after   modelState
}

// modelState is what a scrape advances: the random stream, the time of the
// previous scrape and the counters.
type modelState struct {
	src     rand.PCG
	lat     rand.PCG
	last    time.Time
	envoy   promfake.EnvoyState
	preview promfake.EnvoyState
	istio   istioState
}

// istioState is what the Istio proxies have counted, and which exist.
type istioState struct {
	pods, preview, sources []proxySnap
}

type proxySnap struct {
	name  string
	pod   *podProxy // pods and preview
	proxy *promfake.IstioProxy
	st    promfake.IstioState
}

func (s *istioSeries) save(st *istioState) {
	st.pods = savePods(st.pods, s.pods)
	st.preview = savePods(st.preview, s.previewPods)
	st.sources = st.sources[:0]
	for name, p := range s.sources {
		st.sources = growSnap(st.sources)
		sn := &st.sources[len(st.sources)-1]
		sn.name, sn.pod, sn.proxy = name, nil, p
		p.SaveState(&sn.st)
	}
}

// savePods saves a map of pod proxies (their seen flags are false between
// scrapes) into snaps, reusing its memory.
func savePods(snaps []proxySnap, pods map[string]*podProxy) []proxySnap {
	snaps = snaps[:0]
	for name, pp := range pods {
		snaps = growSnap(snaps)
		sn := &snaps[len(snaps)-1]
		sn.name, sn.pod, sn.proxy = name, pp, pp.proxy
		pp.proxy.SaveState(&sn.st)
	}
	return snaps
}

// growSnap extends snaps by one, keeping the memory of an entry used before.
func growSnap(snaps []proxySnap) []proxySnap {
	if len(snaps) < cap(snaps) {
		return snaps[:len(snaps)+1]
	}
	return append(snaps, proxySnap{})
}

func (s *istioSeries) restore(st *istioState) {
	restorePods(s.pods, st.pods)
	restorePods(s.previewPods, st.preview)
	clear(s.sources)
	for i := range st.sources {
		sn := &st.sources[i]
		sn.proxy.Restore(&sn.st)
		s.sources[sn.name] = sn.proxy
	}
}

func restorePods(pods map[string]*podProxy, snaps []proxySnap) {
	clear(pods)
	for i := range snaps {
		sn := &snaps[i]
		sn.proxy.Restore(&sn.st)
		sn.pod.seen = false
		pods[sn.name] = sn.pod
	}
}

func (t *Model) save(st *modelState) {
	st.src, st.lat, st.last = *t.src, *t.lat, t.last
	if t.istio != nil {
		t.istio.save(&st.istio)
		return
	}
	t.envoy.SaveState(&st.envoy)
	if t.preview != nil {
		t.preview.SaveState(&st.preview)
	}
}

func (t *Model) restore(st *modelState) {
	*t.src, *t.lat, t.last = st.src, st.lat, st.last
	if t.istio != nil {
		t.istio.restore(&st.istio)
		return
	}
	t.envoy.Restore(&st.envoy)
	if t.preview != nil {
		t.preview.Restore(&st.preview)
	}
}

// Ahead writes, as tentative samples, the scrapes due after the last one up
// to until, with the model's present pods and settings, stopping before the
// store holds more than budget tentative samples or the scrapes waiting keep
// too much state. It returns the time of the last scrape written, real or
// ahead (the store holds nothing of the next one), and false when the model
// cannot write ahead: before the first scrape, or when a scrape fails (the
// real one will report it).
func (t *Model) Ahead(until time.Time, budget int) (time.Time, bool) {
	if t.last.IsZero() {
		return time.Time{}, false
	}
	if t.ahead.waiting() == 0 {
		t.save(&t.ahead.base)
	}
	err := t.store.Tentatively(func() error {
		most := t.mostWaiting()
		for next := t.last.Add(t.interval); !next.After(until) && t.store.TentativeSamples() < budget && t.ahead.waiting() < most; next = t.last.Add(t.interval) {
			before := t.store.TentativeSamples()
			if err := t.scrape(next); err != nil {
				return err
			}
			e := t.ahead.next()
			e.at, e.samples = next, t.store.TentativeSamples()-before
			t.save(&e.after)
		}
		return nil
	})
	if err != nil {
		t.discard()
		return time.Time{}, false
	}
	return t.last, true
}

// aheadStates bounds the memory of scrapes written ahead: each keeps the
// model's state after it, a copy of every proxy's counters with Istio.
const aheadStates = 50_000

// mostWaiting is how many scrapes may wait at once.
func (t *Model) mostWaiting() int {
	proxies := 1
	if t.istio != nil {
		proxies += len(t.istio.pods) + len(t.istio.previewPods) + len(t.istio.sources)
	}
	return max(1, aheadStates/proxies)
}

// confirm makes the scrape written ahead for now real, if there is one (any
// change of pods or settings since dropped them).
func (t *Model) confirm(now time.Time) bool {
	a := &t.ahead
	if a.waiting() == 0 || !a.pending[a.head].at.Equal(now) {
		return false
	}
	t.store.Confirm(now)
	// Swapped: the old base's memory stays with the confirmed entry.
	a.base, a.pending[a.head].after = a.pending[a.head].after, a.base
	if a.head++; a.head == len(a.pending) {
		a.pending, a.head = a.pending[:0], 0
	}
	return true
}

// ConfirmBefore confirms, as Scrape would one at a time, the scrapes written
// ahead for times before t, as long as the store's
// samples stay within most. It returns the time of the last scrape confirmed
// (zero if none): a caller that knows nothing happens before t need not wait
// for their times.
func (t *Model) ConfirmBefore(before time.Time, most int) time.Time {
	a := &t.ahead
	var last time.Time
	for a.waiting() > 0 {
		e := &a.pending[a.head]
		if !e.at.Before(before) || t.store.NumSamples()+e.samples > most || !t.confirm(e.at) {
			break
		}
		last = e.at
	}
	return last
}

// discard drops the scrapes written ahead, if any, and goes back to the
// state after the last real scrape.
func (t *Model) discard() {
	a := &t.ahead
	if a.waiting() == 0 {
		return
	}
	t.store.Discard()
	t.restore(&a.base)
	a.pending, a.head = a.pending[:0], 0
	a.epoch++
}

// Written is how far the model has scraped for real, and how many times
// scrapes written ahead were dropped: a result computed from tentative
// samples holds while the epoch is the same and the real scrapes have
// reached the ones it read.
func (t *Model) Written() (last time.Time, epoch uint64) {
	if t.ahead.waiting() > 0 {
		return t.ahead.base.last, t.ahead.epoch
	}
	return t.last, t.ahead.epoch
}

// Interval is the time between scrapes.
func (t *Model) Interval() time.Duration { return t.interval }

// DropAhead drops the scrapes written ahead: at the end of a run, the store
// holds what was scraped.
func (t *Model) DropAhead() { t.discard() }
