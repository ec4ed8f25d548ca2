package promfake

import (
	"slices"
)

// Clone returns a store holding the same series and samples as s, for a run
// that adds its own samples on top of shared ones (a recording loaded once,
// replayed by thousands of runs). The full sample blocks are shared, not
// copied: a block that is full is never written again, so neither store can
// change what the other sees. Only the last, partly filled block of each
// series is copied, so that either store may go on appending to any series.
// Cloning costs a few pointers per block and at most one block (4 KiB) per
// series, whatever the number of samples.
func (s *Store) Clone() *Store {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := &Store{
		series:  make([]*memSeries, len(s.series)),
		byHash:  make(map[uint64][]SeriesRef, len(s.byHash)),
		byName:  make(map[string][]SeriesRef, len(s.byName)),
		samples: s.samples,
		tent:    tentative{series: slices.Clone(s.tent.series), samples: s.tent.samples},
	}
	for i, ms := range s.series {
		blocks := slices.Clone(ms.blocks)
		if ms.n&blockMask != 0 {
			last := *blocks[len(blocks)-1]
			blocks[len(blocks)-1] = &last
		}
		c.series[i] = &memSeries{lset: ms.lset, blocks: blocks, n: ms.n, tent: ms.tent}
	}
	// Clipped, so that an append to either store's lists reallocates rather
	// than writing into the shared backing array.
	for h, refs := range s.byHash {
		c.byHash[h] = slices.Clip(refs)
	}
	for n, refs := range s.byName {
		c.byName[n] = slices.Clip(refs)
	}
	return c
}
