package promfake

import (
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/prometheus/storage"
)

// Tentative samples are samples written ahead of time on a guess: a
// simulation that expects nothing to change for a while writes the scrapes
// of that stretch at once, so that one range query can answer many
// measurements. Until confirmed they are invisible to the store's own
// queriers (a query at t must not see what is not scraped yet);
// WithTentative shows them. Discard drops the ones the guess got wrong.

// tentative is the store's record of its tentative samples.
type tentative struct {
	on      bool        // appends are tentative
	series  []SeriesRef // series holding tentative samples
	samples int
}

// add counts a tentative sample just appended to ms. The caller holds s.mu.
func (t *tentative) add(ref SeriesRef, ms *memSeries) {
	if ms.tent == 0 {
		t.series = append(t.series, ref)
	}
	ms.tent++
	t.samples++
}

// Tentatively runs write with every append it makes tentative (any append to
// the store while write runs is: the caller keeps other writers out).
func (s *Store) Tentatively(write func() error) error {
	s.mu.Lock()
	s.tent.on = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.tent.on = false
		s.mu.Unlock()
	}()
	return write()
}

// Confirm makes the tentative samples at or before t ordinary samples.
func (s *Store) Confirm(t time.Time) {
	ts := t.UnixMilli()
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.tent.series[:0]
	for _, ref := range s.tent.series {
		ms := s.series[ref]
		for ms.tent > 0 && ms.at(ms.n-ms.tent).t <= ts {
			ms.tent--
			s.tent.samples--
			s.samples++
		}
		if ms.tent > 0 {
			kept = append(kept, ref)
		}
	}
	s.tent.series = kept
}

// Discard drops every tentative sample. A view taken before (a query that
// saw them) stays unchanged: a partly dropped block is replaced by a copy
// rather than written over later.
func (s *Store) Discard() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ref := range s.tent.series {
		ms := s.series[ref]
		ms.n -= ms.tent
		ms.tent = 0
		nb := (ms.n + blockMask) >> blockBits
		// A new list of blocks: views share the old one.
		ms.blocks = slices.Clone(ms.blocks[:nb])
		if ms.n&blockMask != 0 {
			last := *ms.blocks[nb-1]
			ms.blocks[nb-1] = &last
		}
	}
	s.tent.series = s.tent.series[:0]
	s.tent.samples = 0
}

// TentativeSamples returns the number of tentative samples.
func (s *Store) TentativeSamples() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tent.samples
}

// WithTentative is the store as it would be if every tentative sample were
// confirmed.
func (s *Store) WithTentative() *TentativeView { return &TentativeView{s: s} }

// TentativeView is a store with its tentative samples; it tells whether a
// query read any.
type TentativeView struct {
	s    *Store
	read atomic.Bool
}

// Querier implements storage.Queryable.
func (v *TentativeView) Querier(mint, maxt int64) (storage.Querier, error) {
	return &querier{s: v.s, mint: mint, maxt: maxt, tentative: true, readTent: &v.read}, nil
}

// ReadTentative reports whether a querier of v selected a series with
// tentative samples in its window.
func (v *TentativeView) ReadTentative() bool { return v.read.Load() }

func (m *memSeries) at(i int) *sample { return &m.blocks[i>>blockBits][i&blockMask] }
