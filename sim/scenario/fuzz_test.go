package scenario

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzDuration: a scenario duration either parses to what time.ParseDuration
// says or is rejected with a message; it never panics, and what parses
// round-trips through its JSON form.
func FuzzDuration(f *testing.F) {
	for _, s := range []string{`"90s"`, `"1h30m"`, `0`, `"3 hours"`, `"-5m"`, `""`, `1.5`, `"9223372036854775807ns"`, `"1e3s"`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Duration
		if err := d.UnmarshalJSON(b); err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		out, err := d.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Duration
		if err := back.UnmarshalJSON(out); err != nil || back != d {
			t.Fatalf("%s -> %s -> %v (%v)", b, out, back, err)
		}
	})
}

// FuzzTimeRange: expect ranges (promotedAt/abortedAt) parse or fail cleanly,
// and a parsed range is never empty or inverted.
func FuzzTimeRange(f *testing.F) {
	for _, s := range []string{`"5m..10m"`, `"..10m"`, `"5m.."`, `"7m"`, `{"min":"1m","max":"2m"}`, `{"mn":"1m"}`, `{}`, `"5m..1m"`, `".."`, `"1m..2m..3m"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r TimeRange
		if err := json.Unmarshal(b, &r); err != nil {
			return
		}
		if r.Min == nil && r.Max == nil {
			t.Fatalf("%s: empty range accepted", b)
		}
		if r.Min != nil && r.Max != nil && r.Min.Duration > r.Max.Duration {
			t.Fatalf("%s: inverted range accepted", b)
		}
		if s := r.String(); strings.TrimSpace(s) == "" {
			t.Fatalf("%s: no text", b)
		}
	})
}

// FuzzFieldLine: the line lookup behind file:line never panics and only
// returns lines of the document.
func FuzzFieldLine(f *testing.F) {
	f.Add([]byte(goodRollout), "spec.strategy.canary.steps[1].analysis.templates")
	f.Add([]byte("a: [1, {b: 2}]\n"), "a[1].b")
	f.Add([]byte("&x a: *x\n"), "a.b[0]")
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		l := FieldLine(doc, path)
		if l < 0 || l > strings.Count(string(doc), "\n")+1 {
			t.Fatalf("line %d out of the document", l)
		}
	})
}
