package promfake

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
)

// omChunkBytes is how much OpenMetrics text one upstream parser gets at a
// time. The upstream parser wants the whole exposition in memory; a
// recording is cut at line boundaries into chunks of about this size, each
// parsed with the family's last `# TYPE` line in front (the only state the
// parser carries from line to line) and `# EOF` behind.
const omChunkBytes = 1 << 20

var omEOF = []byte("# EOF")

// parseOpenMetrics reads OpenMetrics text in chunks of whole lines.
func parseOpenMetrics(br *bufio.Reader, rec *recording) error {
	var (
		chunk     []byte // prefix + lines
		typeLine  []byte // the last # TYPE line seen, with its newline
		prefixLen int    // lines of chunk that repeat the TYPE line (0 or 1)
		firstLine int    // file line of the chunk's first own line
		line      int    // file lines read
		sawEOF    bool
	)
	startChunk := func() {
		chunk = chunk[:0]
		prefixLen = 0
		if typeLine != nil {
			chunk = append(chunk, typeLine...)
			prefixLen = 1
		}
		firstLine = line + 1
	}
	startChunk()
	parse := func() error {
		if len(chunk) == 0 {
			return nil
		}
		chunk = append(chunk, omEOF...)
		chunk = append(chunk, '\n')
		var err error
		typeLine, err = parseOMChunk(chunk, prefixLen, firstLine, typeLine, rec)
		return err
	}
	for {
		b, err := readLine(br, rec, line+1)
		if err != nil && err != io.EOF {
			return err
		}
		if len(b) == 0 && err == io.EOF {
			break
		}
		line++
		if sawEOF {
			return rec.errf(line, 1, "unexpected data after # EOF")
		}
		if bytes.Equal(bytes.TrimSuffix(b, []byte("\n")), omEOF) {
			sawEOF = true
			if err == io.EOF {
				break
			}
			continue
		}
		if b[len(b)-1] != '\n' {
			// The last line has no newline: OpenMetrics requires one, and
			// the upstream parser would report "data does not end with
			// # EOF".
			return rec.errf(line, len(b)+1, "data does not end with # EOF (the last line must be \"# EOF\" and a newline)")
		}
		chunk = append(chunk, b...)
		if len(chunk) >= rec.omChunk {
			if err := parse(); err != nil {
				return err
			}
			startChunk()
		}
		if err == io.EOF {
			break
		}
	}
	if err := parse(); err != nil {
		return err
	}
	if !sawEOF {
		return rec.errf(line+1, 0, "data does not end with # EOF (promtool's backfill requires it)")
	}
	return nil
}

// readLine returns the next line with its newline (none on the last line of
// a file without one), enforcing MaxLineBytes. The slice is valid until the
// next read.
func readLine(br *bufio.Reader, rec *recording, lineNo int) ([]byte, error) {
	b, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		long := append([]byte(nil), b...)
		for err == bufio.ErrBufferFull && len(long) <= rec.lim.MaxLineBytes {
			b, err = br.ReadSlice('\n')
			long = append(long, b...)
		}
		b = long
	}
	if len(b) > rec.lim.MaxLineBytes {
		return nil, &RecordedError{Name: rec.name, Line: lineNo, Msg: "line longer than the limit (MaxLineBytes)", Err: ErrRecordedLimit}
	}
	if err != nil && err != io.EOF {
		var re *RecordedError
		if errors.As(err, &re) {
			return nil, err
		}
		return nil, rec.errf(lineNo, 0, "read: %v", err)
	}
	return b, err
}

// parseOMChunk parses one chunk (its first prefixLen lines a repeated TYPE
// line, its first own line being file line firstLine) and returns the last
// TYPE line for the next chunk. Every upstream parser entry is one line.
func parseOMChunk(chunk []byte, prefixLen, firstLine int, typeLine []byte, rec *recording) ([]byte, error) {
	p := textparse.NewOpenMetricsParser(chunk, nil)
	var (
		lset  labels.Labels
		key   []byte
		entry = -prefixLen // entries of own lines start at 0
		mtype model.MetricType
		pos   int // byte offset of the current line in chunk
	)
	for ; ; entry++ {
		lineStart := pos
		if nl := bytes.IndexByte(chunk[pos:], '\n'); nl >= 0 {
			pos += nl + 1
		}
		line := firstLine + entry
		e, err := p.Next()
		if err == io.EOF {
			return typeLine, nil
		}
		if err != nil {
			return nil, rec.errf(line, 0, "%v", err)
		}
		switch e {
		case textparse.EntryType:
			_, mtype = p.Type()
			if entry >= 0 {
				typeLine = append(typeLine[:0], chunk[lineStart:pos]...)
			}
		case textparse.EntrySeries:
			raw, ts, v := p.Series()
			if ts == nil {
				p.Labels(&lset)
				return nil, rec.errf(line, 0, "expected timestamp for series %s, got none (a recording needs one on every sample, in seconds)", lset)
			}
			key = append(append(key[:0], byte(len(mtype))), mtype...)
			key = append(key, raw...)
			i, ok := rec.rawLookup(key)
			if !ok {
				p.Labels(&lset)
				if i, err = rec.seriesFor(lset, line, 0); err != nil {
					return nil, err
				}
				rec.rawStore(key, i)
			}
			if err := rec.add(i, *ts, v, line); err != nil {
				return nil, err
			}
		case textparse.EntryHistogram:
			return nil, rec.errf(line, 0, "native histogram samples are not supported; the store holds floats")
		}
	}
}
