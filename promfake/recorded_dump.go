package promfake

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
)

// parseDump reads `promtool tsdb dump` output: per line the series' labels
// as labels.Labels.String writes them ({__name__="up", job="x"}, names that
// are not legacy-valid quoted), a space, the value as %g, a space and the
// timestamp in milliseconds. Native histogram samples ({count:..., ...} in
// place of the value) are rejected. Empty lines are skipped.
func parseDump(br *bufio.Reader, rec *recording) error {
	var (
		prevKey []byte
		prevIdx = -1
	)
	for line := 1; ; line++ {
		b, err := readLine(br, rec, line)
		if err != nil && err != io.EOF {
			return err
		}
		if len(b) == 0 && err == io.EOF {
			return nil
		}
		text := bytes.TrimRight(b, "\r\n")
		if len(bytes.TrimSpace(text)) > 0 {
			idx, n, perr := parseDumpLine(text, line, rec, prevKey, prevIdx)
			if perr != nil {
				return perr
			}
			prevIdx = idx
			prevKey = append(prevKey[:0], text[:n]...)
		}
		if err == io.EOF {
			return nil
		}
	}
}

// parseDumpLine adds the line's sample and returns its series index and the
// length of its label text.
func parseDumpLine(text []byte, line int, rec *recording, prevKey []byte, prevIdx int) (int, int, error) {
	if text[0] != '{' {
		return -1, 0, rec.errf(line, 1, "expected '{' starting the labels, as `promtool tsdb dump` writes them: {__name__=\"up\", job=\"x\"} 1 1700000000000")
	}
	tsSp := bytes.LastIndexByte(text, ' ')
	if tsSp < 0 {
		return -1, 0, rec.errf(line, len(text)+1, "expected a value and a timestamp after the labels")
	}
	valSp := bytes.LastIndexByte(text[:tsSp], ' ')
	if valSp < 0 || text[valSp-1] != '}' {
		if bytes.HasSuffix(text[:tsSp], []byte("}")) && bytes.Contains(text, []byte("{count:")) {
			return -1, 0, rec.errf(line, 0, "native histogram samples are not supported; the store holds floats")
		}
		return -1, 0, rec.errf(line, 0, "expected `{labels} value timestamp`")
	}
	ts, err := strconv.ParseInt(string(text[tsSp+1:]), 10, 64)
	if err != nil {
		return -1, 0, rec.errf(line, tsSp+2, "bad timestamp %q: want integer milliseconds", text[tsSp+1:])
	}
	v, err := strconv.ParseFloat(string(text[valSp+1:tsSp]), 64)
	if err != nil {
		return -1, 0, rec.errf(line, valSp+2, "bad value %q", text[valSp+1:tsSp])
	}
	lbText := text[:valSp]
	idx := prevIdx
	if prevIdx < 0 || !bytes.Equal(lbText, prevKey) {
		var ok bool
		if idx, ok = rec.rawLookup(lbText); !ok {
			lset, err := notationParser.ParseMetric(string(lbText))
			if err != nil {
				return -1, 0, rec.errf(line, 1, "bad labels: %v", err)
			}
			if idx, err = rec.seriesFor(lset, line, 1); err != nil {
				return -1, 0, err
			}
			rec.rawStore(lbText, idx)
		}
	}
	if err := rec.add(idx, ts, v, line); err != nil {
		return -1, 0, err
	}
	return idx, valSp, nil
}
