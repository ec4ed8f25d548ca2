package promfake

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/prometheus/prometheus/model/labels"
)

// The JSON of the Prometheus HTTP API is read by a small streaming scanner
// rather than encoding/json: a recording can hold millions of points, which
// must not sit in memory as one decoded value, and every error must name its
// line and column. It accepts exactly the JSON grammar (RFC 8259); fields
// the API adds (stats, warnings, infos, ...) are skipped.

// jsonMaxDepth bounds the nesting of skipped values.
const jsonMaxDepth = 512

type jsonScanner struct {
	br        *bufio.Reader
	rec       *recording
	line, col int // of the next byte
	scalar    labels.Labels
	buf       []byte
}

func parseJSON(br *bufio.Reader, rec *recording, scalar labels.Labels) error {
	sc := &jsonScanner{br: br, rec: rec, line: 1, col: 1, scalar: scalar}
	docs := 0
	for {
		c, err := sc.peekNonSpace()
		if err == io.EOF {
			if docs == 0 {
				return sc.errHere("empty recording")
			}
			return nil
		}
		if err != nil {
			return err
		}
		if c != '{' {
			return sc.errHere("expected a JSON object (a Prometheus query or query_range answer), got %s", quoteByte(c))
		}
		if err := sc.document(); err != nil {
			return err
		}
		docs++
	}
}

func quoteByte(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02x", c)
	}
	return strconv.QuoteRune(rune(c))
}

func (sc *jsonScanner) errHere(format string, args ...any) error {
	return sc.rec.errf(sc.line, sc.col, format, args...)
}

func (sc *jsonScanner) readByte() (byte, error) {
	c, err := sc.br.ReadByte()
	if err != nil {
		if err == io.EOF {
			return 0, io.EOF
		}
		return 0, sc.readErr(err)
	}
	if c == '\n' {
		sc.line++
		sc.col = 1
	} else if c < 0x80 || c >= 0xC0 {
		sc.col++ // columns count characters
	}
	return c, nil
}

func (sc *jsonScanner) readErr(err error) error {
	if _, ok := err.(*RecordedError); ok {
		return err
	}
	return sc.errHere("read: %v", err)
}

// peekNonSpace skips white space and returns the next byte without
// consuming it.
func (sc *jsonScanner) peekNonSpace() (byte, error) {
	for {
		b, err := sc.br.Peek(1)
		if err != nil {
			if err == io.EOF {
				return 0, io.EOF
			}
			return 0, sc.readErr(err)
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = sc.readByte()
			continue
		}
		return b[0], nil
	}
}

// next returns the next non-space byte, consuming it; EOF is an error.
func (sc *jsonScanner) next(what string) (byte, error) {
	c, err := sc.peekNonSpace()
	if err == io.EOF {
		return 0, sc.errHere("unexpected end of file, expected %s", what)
	}
	if err != nil {
		return 0, err
	}
	_, _ = sc.readByte()
	return c, nil
}

// pos is the position of the next non-space byte.
func (sc *jsonScanner) pos() (int, int) {
	_, _ = sc.peekNonSpace()
	return sc.line, sc.col
}

func (sc *jsonScanner) expect(want byte, what string) error {
	line, col := sc.pos()
	c, err := sc.next(fmt.Sprintf("%q %s", want, what))
	if err != nil {
		return err
	}
	if c != want {
		return sc.rec.errf(line, col, "expected %q %s, got %s", want, what, quoteByte(c))
	}
	return nil
}

// object calls field for every key of an object whose '{' is next.
func (sc *jsonScanner) object(what string, field func(key string) error) error {
	if err := sc.expectAt('{', what); err != nil {
		return err
	}
	c, err := sc.peekNonSpace()
	if err != nil {
		return sc.eofErr(err, "a key or '}' in "+what)
	}
	if c == '}' {
		_, _ = sc.readByte()
		return nil
	}
	for {
		key, err := sc.str("a key in " + what)
		if err != nil {
			return err
		}
		if err := sc.expect(':', "after the key "+strconv.Quote(key)); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		line, col := sc.pos()
		c, err := sc.next("',' or '}' in " + what)
		if err != nil {
			return err
		}
		switch c {
		case ',':
			continue
		case '}':
			return nil
		}
		return sc.rec.errf(line, col, "expected ',' or '}' in %s, got %s", what, quoteByte(c))
	}
}

// array calls elem for every element of an array whose '[' is next.
func (sc *jsonScanner) array(what string, elem func(i int) error) error {
	if err := sc.expectAt('[', what); err != nil {
		return err
	}
	c, err := sc.peekNonSpace()
	if err != nil {
		return sc.eofErr(err, "a value or ']' in "+what)
	}
	if c == ']' {
		_, _ = sc.readByte()
		return nil
	}
	for i := 0; ; i++ {
		if err := elem(i); err != nil {
			return err
		}
		line, col := sc.pos()
		c, err := sc.next("',' or ']' in " + what)
		if err != nil {
			return err
		}
		switch c {
		case ',':
			continue
		case ']':
			return nil
		}
		return sc.rec.errf(line, col, "expected ',' or ']' in %s, got %s", what, quoteByte(c))
	}
}

func (sc *jsonScanner) expectAt(want byte, what string) error {
	var kind string
	switch want {
	case '{':
		kind = "an object"
	case '[':
		kind = "an array"
	}
	c, err := sc.peekNonSpace()
	if err != nil {
		return sc.eofErr(err, kind+" for "+what)
	}
	if c != want {
		return sc.errHere("expected %s for %s, got %s", kind, what, quoteByte(c))
	}
	_, _ = sc.readByte()
	return nil
}

func (sc *jsonScanner) eofErr(err error, what string) error {
	if err == io.EOF {
		return sc.errHere("unexpected end of file, expected %s", what)
	}
	return err
}

// str reads a string and returns it unescaped.
func (sc *jsonScanner) str(what string) (string, error) {
	line, col := sc.pos()
	c, err := sc.next(what)
	if err != nil {
		return "", err
	}
	if c != '"' {
		return "", sc.rec.errf(line, col, "expected a string for %s, got %s", what, quoteByte(c))
	}
	sc.buf = append(sc.buf[:0], '"')
	escaped := false
	for {
		c, err := sc.readByte()
		if err == io.EOF {
			return "", sc.rec.errf(line, col, "unterminated string")
		}
		if err != nil {
			return "", err
		}
		if len(sc.buf) > sc.rec.lim.MaxLineBytes {
			return "", &RecordedError{Name: sc.rec.name, Line: line, Col: col, Msg: "string longer than the limit (MaxLineBytes)", Err: ErrRecordedLimit}
		}
		switch {
		case c == '"':
			sc.buf = append(sc.buf, c)
			body := sc.buf[1 : len(sc.buf)-1]
			if !escaped {
				if !utf8.Valid(body) {
					return "", sc.rec.errf(line, col, "invalid UTF-8 in string")
				}
				return string(body), nil
			}
			var s string
			if err := json.Unmarshal(sc.buf, &s); err != nil {
				return "", sc.rec.errf(line, col, "bad string: %v", err)
			}
			if !utf8.Valid(body) {
				return "", sc.rec.errf(line, col, "invalid UTF-8 in string")
			}
			return s, nil
		case c == '\\':
			escaped = true
			e, err := sc.readByte()
			if err != nil {
				return "", sc.rec.errf(line, col, "unterminated string")
			}
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				sc.buf = append(sc.buf, c, e)
				for range 4 {
					h, err := sc.readByte()
					if err != nil {
						return "", sc.rec.errf(line, col, "unterminated string")
					}
					if !isHex(h) {
						return "", sc.errHere("bad \\u escape in string")
					}
					sc.buf = append(sc.buf, h)
				}
				continue
			default:
				return "", sc.errHere("bad escape \\%c in string", e)
			}
			sc.buf = append(sc.buf, c, e)
		case c < 0x20:
			return "", sc.errHere("control character %s in string", quoteByte(c))
		default:
			sc.buf = append(sc.buf, c)
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// number reads a JSON number and returns its text.
func (sc *jsonScanner) number(what string) (string, int, int, error) {
	if _, err := sc.peekNonSpace(); err != nil {
		return "", 0, 0, sc.eofErr(err, what)
	}
	line, col := sc.line, sc.col
	sc.buf = sc.buf[:0]
	for {
		b, err := sc.br.Peek(1)
		if err != nil && err != io.EOF {
			return "", 0, 0, sc.readErr(err)
		}
		if err == io.EOF || !isNumByte(b[0]) {
			break
		}
		_, _ = sc.readByte()
		sc.buf = append(sc.buf, b[0])
		if len(sc.buf) > 64 {
			return "", 0, 0, sc.rec.errf(line, col, "number too long for %s", what)
		}
	}
	if !validJSONNumber(sc.buf) {
		if len(sc.buf) == 0 {
			c, _ := sc.peekNonSpace()
			return "", 0, 0, sc.rec.errf(line, col, "expected a number for %s, got %s", what, quoteByte(c))
		}
		return "", 0, 0, sc.rec.errf(line, col, "bad number %q for %s", sc.buf, what)
	}
	return string(sc.buf), line, col, nil
}

func isNumByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// validJSONNumber checks the RFC 8259 number grammar.
func validJSONNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(b)
}

// skip reads and discards any value.
func (sc *jsonScanner) skip(what string, depth int) error {
	if depth > jsonMaxDepth {
		return sc.errHere("nested deeper than %d", jsonMaxDepth)
	}
	c, err := sc.peekNonSpace()
	if err != nil {
		return sc.eofErr(err, "a value for "+what)
	}
	switch {
	case c == '{':
		return sc.object(what, func(string) error { return sc.skip(what, depth+1) })
	case c == '[':
		return sc.array(what, func(int) error { return sc.skip(what, depth+1) })
	case c == '"':
		_, err := sc.str(what)
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		_, _, _, err := sc.number(what)
		return err
	case c == 't' || c == 'f' || c == 'n':
		return sc.literal(what)
	}
	return sc.errHere("expected a value for %s, got %s", what, quoteByte(c))
}

func (sc *jsonScanner) literal(what string) error {
	line, col := sc.line, sc.col
	sc.buf = sc.buf[:0]
	for len(sc.buf) < 5 {
		b, err := sc.br.Peek(1)
		if err != nil || b[0] < 'a' || b[0] > 'z' {
			break
		}
		_, _ = sc.readByte()
		sc.buf = append(sc.buf, b[0])
	}
	switch string(sc.buf) {
	case "true", "false", "null":
		return nil
	}
	return sc.rec.errf(line, col, "bad value %q for %s", sc.buf, what)
}

// document reads one answer: {"status":"success","data":{...}} or the data
// object itself.
func (sc *jsonScanner) document() error {
	var status, errType, errMsg string
	line, col := sc.line, sc.col
	sawData := false
	err := sc.object("the answer", func(key string) error {
		switch key {
		case "status":
			s, err := sc.str("status")
			status = s
			if err == nil && s != "success" && s != "error" {
				return sc.errHere("status %q: want \"success\"", s)
			}
			return err
		case "errorType":
			s, err := sc.str("errorType")
			errType = s
			return err
		case "error":
			s, err := sc.str("error")
			errMsg = s
			return err
		case "data":
			if status == "error" {
				return sc.errHere("an error answer (%s: %s) holds no data", errType, errMsg)
			}
			sawData = true
			return sc.data()
		case "resultType", "result":
			sawData = true
			return sc.dataField(key, new(dataState))
		}
		return sc.skip(strconv.Quote(key), 0)
	})
	if err != nil {
		return err
	}
	if status == "error" {
		return sc.rec.errf(line, col, "the answer is an error: %s: %s", errType, errMsg)
	}
	if !sawData {
		return sc.rec.errf(line, col, "no \"data\" (or \"result\") in the answer")
	}
	return nil
}

type dataState struct {
	resultType string
	seen       string // the type the result's shape showed
	line, col  int
}

func (sc *jsonScanner) data() error {
	st := new(dataState)
	return sc.object("data", func(key string) error { return sc.dataField(key, st) })
}

func (sc *jsonScanner) dataField(key string, st *dataState) error {
	switch key {
	case "resultType":
		line, col := sc.line, sc.col
		s, err := sc.str("resultType")
		if err != nil {
			return err
		}
		switch s {
		case "matrix", "vector", "scalar":
		case "string":
			return sc.rec.errf(line, col, "resultType \"string\" holds no samples")
		default:
			return sc.rec.errf(line, col, "unknown resultType %q (want matrix, vector or scalar)", s)
		}
		if st.seen != "" && st.seen != s {
			return sc.rec.errf(line, col, "resultType %q but the result (at line %d) is a %s", s, st.line, st.seen)
		}
		st.resultType = s
		return nil
	case "result":
		return sc.result(st)
	}
	return sc.skip(strconv.Quote(key), 0)
}

func (sc *jsonScanner) setShape(st *dataState, shape string, line, col int) error {
	if st.resultType != "" && st.resultType != shape {
		return sc.rec.errf(line, col, "resultType is %q but this is a %s element", st.resultType, shape)
	}
	if st.seen == "" {
		st.seen, st.line, st.col = shape, line, col
	} else if st.seen != shape {
		return sc.rec.errf(line, col, "a %s element in a %s result", shape, st.seen)
	}
	return nil
}

// result reads the result array: series objects (matrix, vector) or one
// point (scalar).
func (sc *jsonScanner) result(st *dataState) error {
	if err := sc.expectAt('[', "result"); err != nil {
		return err
	}
	line, col := sc.line, sc.col-1
	c, err := sc.peekNonSpace()
	if err != nil {
		return sc.eofErr(err, "the result")
	}
	if c == ']' {
		_, _ = sc.readByte()
		return nil
	}
	if c != '{' {
		// A scalar: [time, "value"].
		if err := sc.setShape(st, "scalar", line, col); err != nil {
			return err
		}
		if sc.scalar.IsEmpty() {
			return sc.rec.errf(line, col, "a scalar result has no labels to store it under; record a query that returns series (or give ScalarLabels)")
		}
		idx, err := sc.rec.seriesFor(sc.scalar, line, col)
		if err != nil {
			return err
		}
		t, v, err := sc.pointBody("the scalar")
		if err != nil {
			return err
		}
		return sc.rec.add(idx, t, v, line)
	}
	for {
		if err := sc.seriesObject(st); err != nil {
			return err
		}
		line, col := sc.pos()
		c, err := sc.next("',' or ']' in the result")
		if err != nil {
			return err
		}
		switch c {
		case ',':
			continue
		case ']':
			return nil
		}
		return sc.rec.errf(line, col, "expected ',' or ']' in the result, got %s", quoteByte(c))
	}
}

// seriesObject reads {"metric":{...},"values":[...]} or
// {"metric":{...},"value":[...]}, in any key order.
func (sc *jsonScanner) seriesObject(st *dataState) error {
	if _, err := sc.peekNonSpace(); err != nil {
		return sc.eofErr(err, "a series")
	}
	line, col := sc.line, sc.col
	var (
		lset     labels.Labels
		haveLset bool
		pending  []sample // points read before the metric
		idx      = -1
	)
	addPoint := func(t int64, v float64, pl int) error {
		if idx >= 0 {
			return sc.rec.add(idx, t, v, pl)
		}
		if sc.rec.samples+len(pending) >= sc.rec.lim.MaxSamples {
			return sc.rec.limitErr(pl)
		}
		pending = append(pending, sample{t: t, f: v})
		return nil
	}
	err := sc.object("a series", func(key string) error {
		switch key {
		case "metric":
			if haveLset {
				return sc.errHere("\"metric\" repeated")
			}
			ml, mc := sc.line, sc.col
			b := labels.NewScratchBuilder(8)
			if err := sc.object("metric", func(name string) error {
				v, err := sc.str("the value of label " + strconv.Quote(name))
				if err != nil {
					return err
				}
				b.Add(name, v)
				return nil
			}); err != nil {
				return err
			}
			b.Sort()
			lset, haveLset = b.Labels(), true
			var err error
			if idx, err = sc.rec.seriesFor(lset, ml, mc); err != nil {
				return err
			}
			for _, p := range pending {
				if err := sc.rec.add(idx, p.t, p.f, ml); err != nil {
					return err
				}
			}
			pending = nil
			return nil
		case "values":
			if err := sc.setShape(st, "matrix", line, col); err != nil {
				return err
			}
			return sc.array("values", func(int) error {
				pl := sc.line
				t, v, err := sc.point("a point of values")
				if err != nil {
					return err
				}
				return addPoint(t, v, pl)
			})
		case "value":
			if err := sc.setShape(st, "vector", line, col); err != nil {
				return err
			}
			pl := sc.line
			t, v, err := sc.point("value")
			if err != nil {
				return err
			}
			return addPoint(t, v, pl)
		case "histogram", "histograms":
			return sc.errHere("native histogram samples are not supported; the store holds floats")
		}
		return sc.skip(strconv.Quote(key), 0)
	})
	if err != nil {
		return err
	}
	if !haveLset {
		return sc.rec.errf(line, col, "a series without \"metric\"")
	}
	return nil
}

// point reads [time, "value"].
func (sc *jsonScanner) point(what string) (int64, float64, error) {
	if err := sc.expectAt('[', what); err != nil {
		return 0, 0, err
	}
	return sc.pointBody(what)
}

// pointBody reads time, "value"] after the '['.
func (sc *jsonScanner) pointBody(what string) (int64, float64, error) {
	num, line, col, err := sc.number("the time of " + what)
	if err != nil {
		return 0, 0, err
	}
	secs, err := strconv.ParseFloat(num, 64)
	ms := math.Round(secs * 1000)
	if err != nil || math.IsInf(ms, 0) || ms <= math.MinInt64 || ms >= math.MaxInt64 {
		return 0, 0, sc.rec.errf(line, col, "time %s out of range", num)
	}
	if err := sc.expect(',', "after the time of "+what); err != nil {
		return 0, 0, err
	}
	c, err := sc.peekNonSpace()
	if err != nil {
		return 0, 0, sc.eofErr(err, "the value of "+what)
	}
	var v float64
	vl, vc := sc.line, sc.col
	if c == '"' {
		s, err := sc.str("the value of " + what)
		if err != nil {
			return 0, 0, err
		}
		if v, err = strconv.ParseFloat(s, 64); err != nil || !validAPIFloat(s) {
			return 0, 0, sc.rec.errf(vl, vc, "bad value %q for %s: want a float such as \"0.5\", \"NaN\" or \"+Inf\"", s, what)
		}
	} else {
		s, _, _, err := sc.number("the value of " + what)
		if err != nil {
			return 0, 0, err
		}
		v, _ = strconv.ParseFloat(s, 64)
	}
	if err := sc.expect(']', "closing "+what); err != nil {
		return 0, 0, err
	}
	return int64(ms), v, nil
}

// validAPIFloat rejects what strconv.ParseFloat takes but no Prometheus
// writes: hexadecimal floats and underscores.
func validAPIFloat(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_' || c == 'x' || c == 'X' || c == 'p' || c == 'P':
			return false
		}
	}
	return true
}
