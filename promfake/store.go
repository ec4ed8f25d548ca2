package promfake

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// Bounds of the virtual time the package accepts: what time.Time.UnixNano can
// represent, since the engine converts evaluation times through it.
var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// ErrTimeOutOfRange is returned (wrapped) for a time outside what the engine
// can represent (before 1677-09-21 or after 2262-04-11 UTC).
var ErrTimeOutOfRange = errors.New("time out of range")

// Millisecond bounds for Append: every time strictly between them is valid.
const (
	minMillis = math.MinInt64 / int64(time.Millisecond)
	maxMillis = math.MaxInt64 / int64(time.Millisecond)
)

func checkTime(t time.Time) error {
	if t.Before(minTime) || t.After(maxTime) {
		return fmt.Errorf("promfake: %w: %s is outside [%s, %s]", ErrTimeOutOfRange,
			t.UTC().Format(time.RFC3339Nano), minTime.Format(time.RFC3339Nano), maxTime.Format(time.RFC3339Nano))
	}
	return nil
}

// Store is an append-only, in-memory series store. It implements
// storage.Queryable. All methods are safe for concurrent use; queriers see
// the samples present when their Select runs.
type Store struct {
	mu      sync.RWMutex
	series  []*memSeries           // indexed by SeriesRef
	byHash  map[uint64][]SeriesRef // labels hash -> refs (collisions chained)
	byName  map[string][]SeriesRef // __name__ -> refs, ascending
	samples int                    // not counting tentative ones
	tent    tentative
}

var _ storage.Queryable = (*Store)(nil)

// SeriesRef is a handle on a series of a Store, for fast appends. It is only
// meaningful for the Store that returned it.
type SeriesRef int

// memSeries stores its samples in fixed-size blocks: appending never moves
// a sample, and a view taken under the lock stays valid, and unchanged, while
// more samples are appended after it.
type memSeries struct {
	lset   labels.Labels
	blocks []*[blockLen]sample
	n      int
	// tent is how many of the last samples are tentative (tentative.go).
	tent int
}

const (
	blockBits = 8
	blockLen  = 1 << blockBits // 4 KiB of samples
	blockMask = blockLen - 1
)

func (m *memSeries) append(smp sample) {
	if m.n&blockMask == 0 {
		m.blocks = append(m.blocks, new([blockLen]sample))
	}
	m.blocks[m.n>>blockBits][m.n&blockMask] = smp
	m.n++
}

func (m *memSeries) view() sampleView {
	return sampleView{blocks: m.blocks[:len(m.blocks):len(m.blocks)], n: m.n}
}

// confirmed is the view without the tentative samples.
func (m *memSeries) confirmed() sampleView {
	v := m.view()
	v.n -= m.tent
	return v
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{
		byHash: map[uint64][]SeriesRef{},
		byName: map[string][]SeriesRef{},
	}
}

// Series returns the series with these labels, creating it (without samples)
// if it does not exist yet. Labels with an empty value are dropped first, as
// Prometheus does on ingestion. It panics on a label set that Prometheus could
// not store: empty (after dropping empty values) or with a repeated name.
func (s *Store) Series(lset labels.Labels) SeriesRef {
	lset = dropEmpty(lset)
	if lset.IsEmpty() {
		panic("promfake: Store.Series: empty label set")
	}
	if name, dup := lset.HasDuplicateLabelNames(); dup {
		panic(fmt.Sprintf("promfake: Store.Series: duplicate label name %q in %s", name, lset))
	}
	h := lset.Hash()

	s.mu.RLock()
	ref, ok := s.lookup(h, lset)
	s.mu.RUnlock()
	if ok {
		return ref
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if ref, ok := s.lookup(h, lset); ok {
		return ref
	}
	ref = SeriesRef(len(s.series))
	s.series = append(s.series, &memSeries{lset: lset})
	s.byHash[h] = append(s.byHash[h], ref)
	name := lset.Get(labels.MetricName)
	s.byName[name] = append(s.byName[name], ref)
	return ref
}

func (s *Store) lookup(h uint64, lset labels.Labels) (SeriesRef, bool) {
	for _, ref := range s.byHash[h] {
		if labels.Equal(s.series[ref].lset, lset) {
			return ref, true
		}
	}
	return 0, false
}

func dropEmpty(lset labels.Labels) labels.Labels {
	hasEmpty := false
	lset.Range(func(l labels.Label) {
		if l.Value == "" {
			hasEmpty = true
		}
	})
	if !hasEmpty {
		return lset
	}
	b := labels.NewBuilder(lset)
	lset.Range(func(l labels.Label) {
		if l.Value == "" {
			b.Del(l.Name)
		}
	})
	return b.Labels()
}

// Append adds a sample to the series. Its time, at millisecond precision,
// must be strictly after the series' last sample: an earlier time gives an
// error wrapping storage.ErrOutOfOrderSample, an equal one an error wrapping
// storage.ErrDuplicateSampleForTimestamp (samples are never replaced).
func (s *Store) Append(ref SeriesRef, t time.Time, v float64) error {
	ts := t.UnixMilli()
	if ts <= minMillis || ts >= maxMillis {
		if err := checkTime(t); err != nil {
			return err
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if ref < 0 || int(ref) >= len(s.series) {
		return fmt.Errorf("promfake: unknown series ref %d", ref)
	}
	ms := s.series[ref]
	if ms.tent > 0 && !s.tent.on {
		return fmt.Errorf("promfake: series %s: sample at %d after tentative samples: confirm or discard them first", ms.lset, ts)
	}
	if ms.n > 0 {
		last := ms.blocks[(ms.n-1)>>blockBits][(ms.n-1)&blockMask]
		switch {
		case ts < last.t:
			return fmt.Errorf("promfake: series %s: sample at %d before last sample at %d: %w",
				ms.lset, ts, last.t, storage.ErrOutOfOrderSample)
		case ts == last.t:
			return fmt.Errorf("promfake: series %s: %w", ms.lset, storage.NewDuplicateFloatErr(ts, last.f, v))
		}
	}
	ms.append(sample{t: ts, f: v})
	if s.tent.on {
		s.tent.add(ref, ms)
	} else {
		s.samples++
	}
	return nil
}

// AppendStale writes a staleness marker (value.StaleNaN) at t, as Prometheus
// does when a scrape target disappears or stops exposing the series: from t
// on, instant queries no longer see the series' earlier samples. The same
// ordering rules as Append apply; later samples may revive the series.
func (s *Store) AppendStale(ref SeriesRef, t time.Time) error {
	return s.Append(ref, t, math.Float64frombits(value.StaleNaN))
}

// NumSamples returns the number of samples stored, staleness markers
// included, tentative ones not.
func (s *Store) NumSamples() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.samples
}

// Querier returns a querier over the samples with mint <= t <= maxt
// (milliseconds, inclusive), tentative ones left out.
func (s *Store) Querier(mint, maxt int64) (storage.Querier, error) {
	return &querier{s: s, mint: mint, maxt: maxt}, nil
}

type querier struct {
	s          *Store
	mint, maxt int64
	tentative  bool         // sees tentative samples too
	readTent   *atomic.Bool // set when it does (TentativeView)
}

// candidates returns the refs of the series worth checking against ms. The
// caller holds s.mu.
func (q *querier) candidates(ms []*labels.Matcher) (refs []SeriesRef, ok bool) {
	for _, m := range ms {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			return q.s.byName[m.Value], true
		}
	}
	return nil, false
}

// forEachMatching calls f for every series matching all of ms that has at
// least one sample in [mint, maxt], in ref order, with that window of its
// samples. It holds the read lock while doing so.
func (q *querier) forEachMatching(ms []*labels.Matcher, f func(lset labels.Labels, w sampleView)) {
	q.s.mu.RLock()
	defer q.s.mu.RUnlock()
	visit := func(ser *memSeries) {
		for _, m := range ms {
			if !m.Matches(ser.lset.Get(m.Name)) {
				return
			}
		}
		v := ser.confirmed()
		if q.tentative {
			v = ser.view()
		}
		if w := v.window(q.mint, q.maxt); w.n > 0 {
			if q.tentative && w.off+w.n > ser.n-ser.tent {
				q.readTent.Store(true)
			}
			f(ser.lset, w)
		}
	}
	if refs, ok := q.candidates(ms); ok {
		for _, ref := range refs {
			visit(q.s.series[ref])
		}
		return
	}
	for _, ser := range q.s.series {
		visit(ser)
	}
}

// Select returns the matching series that have samples in the querier's
// range, always sorted by labels. Hints are ignored.
func (q *querier) Select(ctx context.Context, _ bool, _ *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	if err := ctx.Err(); err != nil {
		return storage.ErrSeriesSet(err)
	}
	var out []listSeries
	q.forEachMatching(ms, func(lset labels.Labels, w sampleView) {
		out = append(out, listSeries{lset: lset, samples: w})
	})
	if len(out) > 1 {
		slices.SortFunc(out, func(a, b listSeries) int { return labels.Compare(a.lset, b.lset) })
	}
	return &seriesSet{series: out, i: -1}
}

// LabelValues returns the sorted distinct non-empty values of the label name
// over the matching series that have samples in the querier's range.
func (q *querier) LabelValues(ctx context.Context, name string, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	seen := map[string]struct{}{}
	q.forEachMatching(ms, func(lset labels.Labels, _ sampleView) {
		if v := lset.Get(name); v != "" {
			seen[v] = struct{}{}
		}
	})
	return sortedLimited(seen, hints), nil, nil
}

// LabelNames returns the sorted distinct label names of the matching series
// that have samples in the querier's range.
func (q *querier) LabelNames(ctx context.Context, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	seen := map[string]struct{}{}
	q.forEachMatching(ms, func(lset labels.Labels, _ sampleView) {
		lset.Range(func(l labels.Label) { seen[l.Name] = struct{}{} })
	})
	return sortedLimited(seen, hints), nil, nil
}

func sortedLimited(set map[string]struct{}, hints *storage.LabelHints) []string {
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	if hints != nil && hints.Limit > 0 && len(out) > hints.Limit {
		out = out[:hints.Limit]
	}
	return out
}

func (*querier) Close() error { return nil }

// sample is one float sample; *sample implements chunks.Sample so that the
// upstream list iterator can read a sampleView without allocating.
type sample struct {
	t int64
	f float64
}

func (s *sample) T() int64                    { return s.t }
func (*sample) ST() int64                     { return 0 }
func (s *sample) F() float64                  { return s.f }
func (*sample) H() *histogram.Histogram       { return nil }
func (*sample) FH() *histogram.FloatHistogram { return nil }
func (*sample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s *sample) Copy() chunks.Sample         { c := *s; return &c }

// sampleView is the window off..off+n-1 of a series' samples; *sampleView
// implements storage.Samples.
type sampleView struct {
	blocks []*[blockLen]sample
	off, n int
}

func (v *sampleView) Get(i int) chunks.Sample { return v.at(i) }
func (v *sampleView) Len() int                { return v.n }

func (v *sampleView) at(i int) *sample {
	j := v.off + i
	return &v.blocks[j>>blockBits][j&blockMask]
}

// window returns the samples with mint <= t <= maxt.
func (v sampleView) window(mint, maxt int64) sampleView {
	lo := sort.Search(v.n, func(i int) bool { return v.at(i).t >= mint })
	hi := lo + sort.Search(v.n-lo, func(i int) bool { return v.at(lo+i).t > maxt })
	return sampleView{blocks: v.blocks, off: v.off + lo, n: hi - lo}
}

// listSeries is one selected series: its labels and a window of its samples.
type listSeries struct {
	lset    labels.Labels
	samples sampleView
}

func (s *listSeries) Labels() labels.Labels { return s.lset }

// resettable is the upstream list iterator's reuse hook.
type resettable interface {
	chunkenc.Iterator
	Reset(storage.Samples)
}

func (s *listSeries) Iterator(it chunkenc.Iterator) chunkenc.Iterator {
	if r, ok := it.(resettable); ok {
		r.Reset(&s.samples)
		return r
	}
	return storage.NewListSeriesIterator(&s.samples)
}

type seriesSet struct {
	series []listSeries
	i      int
}

func (ss *seriesSet) Next() bool {
	if ss.i+1 >= len(ss.series) {
		ss.i = len(ss.series)
		return false
	}
	ss.i++
	return true
}

func (ss *seriesSet) At() storage.Series             { return &ss.series[ss.i] }
func (*seriesSet) Err() error                        { return nil }
func (*seriesSet) Warnings() annotations.Annotations { return nil }
