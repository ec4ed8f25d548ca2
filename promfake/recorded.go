package promfake

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// RecordedFormat names a recording's format.
type RecordedFormat string

// The formats LoadRecorded reads.
const (
	// FormatAuto detects the format from the first bytes.
	FormatAuto RecordedFormat = ""
	// FormatOpenMetrics is OpenMetrics 1.0 text with timestamps (backfill input).
	FormatOpenMetrics RecordedFormat = "openmetrics"
	// FormatJSON is the JSON of the HTTP API's query or query_range.
	FormatJSON RecordedFormat = "json"
	// FormatDump is the output of `promtool tsdb dump`.
	FormatDump RecordedFormat = "promtool-dump"
)

// RecordedLimits bound what one recording may hold; a zero field takes its
// default. Exceeding one is an error wrapping ErrRecordedLimit.
type RecordedLimits struct {
	// MaxBytes is the most bytes read from the reader.
	MaxBytes int64
	// MaxSamples is the most samples, duplicates included.
	MaxSamples int
	// MaxSeries is the most distinct series.
	MaxSeries int
	// MaxLineBytes is the longest line of the text formats, and the longest
	// JSON string or number.
	MaxLineBytes int
}

// Default limits: room for a week of a busy route's Envoy series at 15s
// scrapes (40,320 samples per series; rq_total, the code classes and codes
// and a 20-bucket latency histogram per rule and proxy make ~30 series per
// cluster, so 8 proxies x 2 rules are ~500 series, 20M samples). Samples
// cost 16 bytes in the store (25M: 400 MB); the file is streamed, so its
// size costs no memory (a week of 232 series is 1.7 GB of OpenMetrics).
const (
	DefaultRecordedMaxBytes     = 8 << 30 // 8 GiB
	DefaultRecordedMaxSamples   = 25_000_000
	DefaultRecordedMaxSeries    = 20_000
	DefaultRecordedMaxLineBytes = 1 << 20 // 1 MiB
)

func (l RecordedLimits) withDefaults() RecordedLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultRecordedMaxBytes
	}
	if l.MaxSamples <= 0 {
		l.MaxSamples = DefaultRecordedMaxSamples
	}
	if l.MaxSeries <= 0 {
		l.MaxSeries = DefaultRecordedMaxSeries
	}
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = DefaultRecordedMaxLineBytes
	}
	return l
}

// RecordedOptions say how to load a recording.
type RecordedOptions struct {
	// Name is the file name errors start with ("checkout.om:12: ...").
	Name string
	// Format is FormatAuto (detect) or a format to insist on.
	Format RecordedFormat
	// UpdateAt is the recorded instant of the update; T0 the virtual time
	// it becomes. Both zero: samples keep their recorded times.
	UpdateAt, T0 time.Time
	// Limits bound the recording (zero fields: defaults).
	Limits RecordedLimits
	// ScalarLabels are the labels given to the samples of a scalar query
	// result, which has none of its own; without them a scalar is an error.
	ScalarLabels labels.Labels
}

// RecordedSummary describes what a recording held.
type RecordedSummary struct {
	Format RecordedFormat
	// Series is the number of distinct series, Samples the samples loaded.
	Series, Samples int
	// Duplicates were dropped samples that repeated an earlier one (same
	// series, time and value); Conflicts were dropped samples at the time
	// of an earlier one of the series with another value.
	Duplicates, Conflicts int
	// MinTime and MaxTime are the earliest and latest recorded sample
	// times (UTC); VirtualMin and VirtualMax the same samples on the
	// virtual clock.
	MinTime, MaxTime       time.Time
	VirtualMin, VirtualMax time.Time
	// MetricNames are the distinct __name__ values, sorted ("" for series
	// without one).
	MetricNames []string
}

// Covers reports whether the recording spans the recorded interval
// [from, to] (inclusive), e.g. the update instant, or an analysis window
// shifted back to recorded time.
func (s RecordedSummary) Covers(from, to time.Time) bool {
	return s.Samples > 0 && !from.Before(s.MinTime) && !to.After(s.MaxTime)
}

// ErrRecordedLimit is wrapped by the error for a recording over a limit.
var ErrRecordedLimit = errors.New("recording over limit")

// RecordedError is an error at a place in a recording: Name:Line:Col: Msg
// (Line and Col are 1-based; 0 means unknown and is left out).
type RecordedError struct {
	Name      string
	Line, Col int
	Msg       string
	Err       error // wrapped, may be nil
}

func (e *RecordedError) Error() string {
	name := e.Name
	if name == "" {
		name = "recording"
	}
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", name, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", name, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", name, e.Msg)
}

func (e *RecordedError) Unwrap() error { return e.Err }

// LoadRecorded reads a recording (samples exported from a real Prometheus)
// from r and appends its samples to s, shifted onto the virtual clock. The
// caller opens the file: this package never touches the file system. Three
// formats are read, detected from the first bytes unless opts.Format says:
//
//   - OpenMetrics text as `promtool tsdb create-blocks-from openmetrics`
//     takes it (and as `promtool tsdb dump-openmetrics` writes it): every
//     sample with a timestamp in seconds, `# TYPE`/`# HELP`/`# UNIT`
//     lines, ending with `# EOF`. Parsed by the upstream OpenMetrics parser
//     (model/textparse), so what promtool rejects is rejected here, and
//     in a family declared `# TYPE x histogram` (or summary) the `le` (or
//     `quantile`) values are normalised as Prometheus 3 does ("1" becomes
//     "1.0"; without a TYPE line they stay as written). `_created` lines are
//     samples, as backfill stores them. The first byte is `#` or a metric
//     name.
//   - JSON of the Prometheus HTTP API: a query_range answer (resultType
//     matrix) or a query answer (vector, matrix or scalar), with or without
//     the {"status":"success","data":...} envelope; several documents may
//     follow each other (e.g. one per page of a long query_range, as
//     `jq -c` writes them). The first byte is `{` and the first key is
//     followed by `:`.
//   - `promtool tsdb dump` output: one sample per line,
//     `{__name__="up", instance="a"} 1 1700000000000` (labels as
//     labels.Labels.String writes them, the value as %g, the timestamp in
//     milliseconds). The first byte is `{` and the first label name is
//     followed by `=`.
//
// Samples may come in any order: each series is sorted by time (stably, so
// the first of equal timestamps in the file comes first). A repeated sample
// (same series, same timestamp) is dropped and the first kept, as
// Prometheus does: the same value is ignored, a different one rejected as a
// duplicate sample for the timestamp (promtool's backfill keeps the first).
// Unlike promtool's backfill, which drops a sample older than its series'
// last one, earlier samples are sorted in.
//
// Every sample keeps its offset from the recorded update instant:
// virtual time = T0 + (recorded time - UpdateAt), at millisecond precision.
// The default limits (RecordedLimits) hold a week of a busy route.
//
// Errors are *RecordedError, "name:line:col: what" (line and column where
// the format has them); nothing is written to the store unless the whole
// recording loads. Every series must start after the last sample the store
// already holds for it.
func LoadRecorded(s *Store, r io.Reader, opts RecordedOptions) (RecordedSummary, error) {
	return loadRecorded(s, r, opts, omChunkBytes)
}

func loadRecorded(s *Store, r io.Reader, opts RecordedOptions, omChunk int) (RecordedSummary, error) {
	lim := opts.Limits.withDefaults()
	rec := &recording{
		name:    opts.Name,
		omChunk: omChunk,
		lim:     lim,
		index:   map[uint64][]int{},
		raw:     map[string]int{},
	}
	cr := &countingReader{r: r, max: lim.MaxBytes, rec: rec}
	br := bufio.NewReaderSize(cr, 64<<10)
	format := opts.Format
	if format == FormatAuto {
		var err error
		if format, err = detectFormat(br); err != nil {
			var re *RecordedError
			if errors.As(err, &re) {
				return RecordedSummary{}, err
			}
			return RecordedSummary{}, rec.errf(0, 0, "%v", err)
		}
	}
	var err error
	switch format {
	case FormatOpenMetrics:
		err = parseOpenMetrics(br, rec)
	case FormatJSON:
		err = parseJSON(br, rec, opts.ScalarLabels)
	case FormatDump:
		err = parseDump(br, rec)
	default:
		return RecordedSummary{}, rec.errf(0, 0, "unknown format %q (want %q, %q or %q)", format, FormatOpenMetrics, FormatJSON, FormatDump)
	}
	if err == nil {
		err = cr.err // a read error the parser saw as EOF
	}
	if err != nil {
		return RecordedSummary{}, err
	}
	sum, err := rec.flush(s, opts.UpdateAt, opts.T0)
	sum.Format = format
	return sum, err
}

// detectFormat looks at the first bytes of a recording, past a UTF-8 byte
// order mark (dropped) and white space (left for the parser, which then
// reports the right lines: OpenMetrics allows none).
func detectFormat(br *bufio.Reader) (RecordedFormat, error) {
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	head, err := br.Peek(4096)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return "", err
	}
	i := 0
	for i < len(head) && isSpace(head[i]) {
		i++
	}
	if i == len(head) {
		if len(head) < 4096 {
			return "", errors.New("empty recording")
		}
		return "", errors.New("unknown format: starts with 4 KiB of white space")
	}
	head = head[i:]
	switch head[0] {
	case '#':
		return FormatOpenMetrics, nil
	case '[':
		return FormatJSON, nil
	case '{':
		i := 1
		for i < len(head) && isSpace(head[i]) {
			i++
		}
		if i == len(head) {
			return FormatJSON, nil
		}
		if head[i] == '}' {
			return FormatJSON, nil
		}
		if head[i] == '"' {
			// Skip the quoted name: JSON if a ':' follows, a dump if '=',
			// OpenMetrics ({"metric.name",...} or {"metric.name"}) else.
			for i++; i < len(head) && head[i] != '"'; i++ {
				if head[i] == '\\' {
					i++
				}
			}
			for i++; i < len(head) && isSpace(head[i]); i++ {
			}
			if i < len(head) {
				switch head[i] {
				case ':':
					return FormatJSON, nil
				case '=':
					return FormatDump, nil
				}
			}
			return FormatOpenMetrics, nil
		}
		return FormatDump, nil
	}
	if isNameStart(head[0]) {
		return FormatOpenMetrics, nil
	}
	return "", fmt.Errorf("unknown format: starts with %q; want OpenMetrics text (# TYPE ... or name{...} value timestamp, ending with # EOF), "+
		"the JSON of a Prometheus query or query_range answer, or `promtool tsdb dump` output", firstRune(head))
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isNameStart(c byte) bool {
	return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func firstRune(b []byte) string {
	r := []rune(string(b[:min(len(b), 8)]))
	if len(r) == 0 {
		return ""
	}
	return string(r[0])
}

// countingReader enforces MaxBytes and remembers a read error.
type countingReader struct {
	r   io.Reader
	n   int64
	max int64
	err error
	rec *recording
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if rest := c.max - c.n + 1; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		c.err = c.rec.limitf("larger than %d bytes (MaxBytes)", c.max)
		return 0, c.err
	}
	if err != nil && err != io.EOF {
		c.err = c.rec.errf(0, 0, "read: %v", err)
		return n, c.err
	}
	return n, err
}

// recording holds the parsed samples, per series, until flush.
type recording struct {
	name    string
	omChunk int // OpenMetrics bytes per upstream parser
	lim     RecordedLimits
	series  []*recSeries
	index   map[uint64][]int // labels hash -> series indexes
	raw     map[string]int   // a format's raw series text -> series index
	samples int
}

// recSeries stages a series' samples in the store's block layout, so that
// a series new to the store takes the blocks as they are: loading needs
// about the memory of the loaded samples, not twice it.
type recSeries struct {
	lset     labels.Labels
	ms       memSeries // lset unused
	unsorted bool
}

func (rs *recSeries) at(i int) *sample { return &rs.ms.blocks[i>>blockBits][i&blockMask] }

func (r *recording) errf(line, col int, format string, args ...any) error {
	return &RecordedError{Name: r.name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func (r *recording) limitf(format string, args ...any) error {
	return &RecordedError{Name: r.name, Msg: fmt.Sprintf(format, args...), Err: ErrRecordedLimit}
}

// seriesFor returns the index of the series with labels lset, adding it.
// The caller gives the line for errors.
func (r *recording) seriesFor(lset labels.Labels, line, col int) (int, error) {
	lset = dropEmpty(lset)
	if lset.IsEmpty() {
		return 0, r.errf(line, col, "series without labels (a query result such as sum(...) has none): Prometheus cannot store it")
	}
	if name, dup := lset.HasDuplicateLabelNames(); dup {
		return 0, r.errf(line, col, "label %q repeated in %s", name, lset)
	}
	h := lset.Hash()
	for _, i := range r.index[h] {
		if labels.Equal(r.series[i].lset, lset) {
			return i, nil
		}
	}
	if len(r.series) >= r.lim.MaxSeries {
		return 0, &RecordedError{Name: r.name, Line: line, Msg: fmt.Sprintf("more than %d series (MaxSeries)", r.lim.MaxSeries), Err: ErrRecordedLimit}
	}
	r.series = append(r.series, &recSeries{lset: lset})
	r.index[h] = append(r.index[h], len(r.series)-1)
	return len(r.series) - 1, nil
}

// rawLookup and rawStore cache the series index of a format's raw series
// text (bounded: a file that spells its series many ways only loses the
// cache).
func (r *recording) rawLookup(key []byte) (int, bool) {
	i, ok := r.raw[string(key)]
	return i, ok
}

func (r *recording) rawStore(key []byte, i int) {
	if len(r.raw) < 4*r.lim.MaxSeries {
		r.raw[string(key)] = i
	}
}

func (r *recording) limitErr(line int) error {
	return &RecordedError{Name: r.name, Line: line, Msg: fmt.Sprintf("more than %d samples (MaxSamples)", r.lim.MaxSamples), Err: ErrRecordedLimit}
}

func (r *recording) add(i int, t int64, v float64, line int) error {
	if r.samples >= r.lim.MaxSamples {
		return r.limitErr(line)
	}
	r.samples++
	rs := r.series[i]
	if n := rs.ms.n; n > 0 && t < rs.at(n-1).t {
		rs.unsorted = true
	}
	rs.ms.append(sample{t: t, f: v})
	return nil
}

// flush sorts and deduplicates every series, checks the shifted times and
// the store, then appends everything.
func (r *recording) flush(s *Store, updateAt, t0 time.Time) (RecordedSummary, error) {
	var sum RecordedSummary
	var shift int64
	if updateAt.IsZero() != t0.IsZero() {
		return sum, r.errf(0, 0, "give both the recorded update time and its virtual time, or neither")
	}
	if !updateAt.IsZero() {
		if err := checkTime(t0); err != nil {
			return sum, r.errf(0, 0, "virtual update time: %v", err)
		}
		shift = t0.UnixMilli() - updateAt.UnixMilli()
	}
	minT, maxT := int64(math.MaxInt64), int64(math.MinInt64)
	names := map[string]struct{}{}
	for _, rs := range r.series {
		n := rs.ms.n
		if rs.unsorted {
			tmp := make([]sample, n)
			for i := range tmp {
				tmp[i] = *rs.at(i)
			}
			slices.SortStableFunc(tmp, func(a, b sample) int {
				switch {
				case a.t < b.t:
					return -1
				case a.t > b.t:
					return 1
				}
				return 0
			})
			for i := range tmp {
				*rs.at(i) = tmp[i]
			}
		}
		w := 0
		for i := range n {
			smp := *rs.at(i)
			if w > 0 && smp.t == rs.at(w-1).t {
				// Prometheus keeps the first sample for a timestamp: a
				// repeat is ignored, a different value dropped (the
				// appender's duplicate-sample case; promtool's backfill
				// stores the first).
				if math.Float64bits(rs.at(w-1).f) == math.Float64bits(smp.f) {
					sum.Duplicates++
				} else {
					sum.Conflicts++
				}
				continue
			}
			*rs.at(w) = smp
			w++
		}
		nb := (w + blockLen - 1) >> blockBits
		clear(rs.ms.blocks[nb:])
		rs.ms.blocks, rs.ms.n = rs.ms.blocks[:nb], w
		if w == 0 {
			continue
		}
		first, last := rs.at(0), rs.at(w-1)
		minT = min(minT, first.t)
		maxT = max(maxT, last.t)
		names[rs.lset.Get(labels.MetricName)] = struct{}{}
		sum.Series++
		sum.Samples += w
	}
	if sum.Samples == 0 {
		return RecordedSummary{}, r.errf(0, 0, "no samples")
	}
	vmin, okMin := addMillis(minT, shift)
	vmax, okMax := addMillis(maxT, shift)
	if !okMin || !okMax || vmin <= minMillis || vmax >= maxMillis {
		return RecordedSummary{}, r.errf(0, 0, "recorded times %s to %s shifted by %s fall outside the times Prometheus can query: %v",
			time.UnixMilli(minT).UTC().Format(time.RFC3339Nano), time.UnixMilli(maxT).UTC().Format(time.RFC3339Nano),
			time.Duration(shift)*time.Millisecond, ErrTimeOutOfRange)
	}
	sum.MinTime, sum.MaxTime = time.UnixMilli(minT).UTC(), time.UnixMilli(maxT).UTC()
	sum.VirtualMin, sum.VirtualMax = time.UnixMilli(vmin).UTC(), time.UnixMilli(vmax).UTC()
	for n := range names {
		sum.MetricNames = append(sum.MetricNames, n)
	}
	slices.Sort(sum.MetricNames)

	if err := s.appendRecorded(r.series, shift); err != nil {
		return RecordedSummary{}, &RecordedError{Name: r.name, Msg: err.Error(), Err: err}
	}
	return sum, nil
}

func addMillis(t, d int64) (int64, bool) {
	v := t + d
	if (d > 0 && v < t) || (d < 0 && v > t) {
		return 0, false
	}
	return v, true
}

// appendRecorded appends sorted, deduplicated series shifted by shift ms,
// all or nothing: every series must start after its last stored sample. A
// series new to the store takes the staged blocks.
func (s *Store) appendRecorded(series []*recSeries, shift int64) error {
	refs := make([]SeriesRef, len(series))
	for i, rs := range series {
		if rs.ms.n > 0 {
			refs[i] = s.Series(rs.lset)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, rs := range series {
		if rs.ms.n == 0 {
			continue
		}
		ms := s.series[refs[i]]
		if ms.n > 0 {
			last := ms.blocks[(ms.n-1)>>blockBits][(ms.n-1)&blockMask]
			if first := rs.at(0).t + shift; first <= last.t {
				return fmt.Errorf("series %s: recorded sample at %d not after the store's last sample at %d: %w",
					rs.lset, first, last.t, storage.ErrOutOfOrderSample)
			}
		}
	}
	for i, rs := range series {
		n := rs.ms.n
		if n == 0 {
			continue
		}
		ms := s.series[refs[i]]
		if ms.n == 0 {
			for j := range n {
				rs.at(j).t += shift
			}
			ms.blocks, ms.n = rs.ms.blocks, n
		} else {
			for j := range n {
				smp := rs.at(j)
				ms.append(sample{t: smp.t + shift, f: smp.f})
			}
		}
		s.samples += n
		rs.ms = memSeries{}
	}
	return nil
}
