package promfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/prometheus/prometheus/model/textparse"
)

// fuzzLimits keep a fuzz input from growing the store without bound.
var fuzzLimits = RecordedLimits{MaxSamples: 10000, MaxSeries: 100, MaxLineBytes: 4096, MaxBytes: 1 << 20}

// checkLoad loads in as format and checks what every format promises: an
// error is a *RecordedError and leaves the store empty; a success stores
// what the summary says. It returns the store and the error.
func checkLoad(t *testing.T, in []byte, format RecordedFormat, chunk int) (*Store, error) {
	t.Helper()
	s := NewStore()
	sum, err := loadRecorded(s, bytes.NewReader(in), RecordedOptions{Name: "fuzz", Format: format, Limits: fuzzLimits}, chunk)
	if err != nil {
		var re *RecordedError
		if !errors.As(err, &re) {
			t.Fatalf("%q: error %T %v is not a *RecordedError", in, err, err)
		}
		if s.NumSamples() != 0 {
			t.Fatalf("%q: failed load left %d samples", in, s.NumSamples())
		}
		return s, err
	}
	if sum.Samples != s.NumSamples() || sum.Samples == 0 || sum.MinTime.After(sum.MaxTime) {
		t.Fatalf("%q: summary %+v with %d samples stored", in, sum, s.NumSamples())
	}
	return s, nil
}

// FuzzLoadRecordedOpenMetrics: whatever loads is also accepted by the
// upstream parser reading the whole input at once, and reading it in small
// chunks gives the same series.
func FuzzLoadRecordedOpenMetrics(f *testing.F) {
	for _, s := range []string{
		omBasic, "x 1 1\n# EOF\n", "# TYPE h histogram\nh_bucket{le=\"1\"} 1 1\nh_count 1 1\n# EOF\n",
		"x{a=\"\\\"\\n\"} 1 1.5 # {t=\"1\"} 1 1\n# EOF\n", `{"a.b",c="d"} 1 1` + "\n# EOF\n", "x 1 1\n# EOF\nx",
		"# HELP x \xff\n# EOF\n", "x 1\n# EOF\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := checkLoad(t, in, FormatOpenMetrics, omChunkBytes)
		if err != nil {
			return
		}
		p := textparse.NewOpenMetricsParser(in, nil)
		for {
			if _, perr := p.Next(); perr != nil {
				if perr != io.EOF {
					t.Fatalf("%q: loaded, but the upstream parser says %v", in, perr)
				}
				break
			}
		}
		chunked, err := checkLoad(t, in, FormatOpenMetrics, 16)
		if err != nil || storeText(chunked) != storeText(s) {
			t.Fatalf("%q: chunked read differs (%v):\n%s\nwant\n%s", in, err, storeText(chunked), storeText(s))
		}
	})
}

// FuzzLoadRecordedJSON: whatever loads is valid JSON (a sequence of
// documents).
func FuzzLoadRecordedJSON(f *testing.F) {
	for _, s := range []string{
		jsonRangeBasic, jsonVectorsBasic, `{"data":{"result":[]}}`, `{"status":"error","error":"x"}`,
		`{"data":{"resultType":"scalar","result":[1,"1"]}}`, `{"data":{"result":[{"metric":{"a":"\u00e9\ud83d\ude00"},"value":[1e3,"-1e-7"]}]}}`,
		`{"data":{"result":[{"values":[[1,"1"]],"metric":{"a":"b"}}],"x":[{"y":null,"z":true}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if _, err := checkLoad(t, in, FormatJSON, omChunkBytes); err != nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(in))
		for {
			var v any
			if err := dec.Decode(&v); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%q: loaded, but encoding/json says %v", in, err)
			}
		}
	})
}

// FuzzLoadRecordedDump: whatever loads writes back as a dump that loads
// into the same series.
func FuzzLoadRecordedDump(f *testing.F) {
	for _, s := range []string{
		dumpBasic, `{__name__="up", job="x"} 1 1700000000000`, `{"a.b"="c"} NaN -5`, `{__name__="h"} {count:1, sum:1} 1`,
		"{a=\"\\n\"} +Inf 1\r\n\n{a=\"\\n\"} 1e+06 2\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := checkLoad(t, in, FormatDump, omChunkBytes)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteDump(&out, s); err != nil {
			t.Fatal(err)
		}
		back, err := checkLoad(t, out.Bytes(), FormatDump, omChunkBytes)
		if err != nil || storeText(back) != storeText(s) {
			t.Fatalf("%q: dump round trip (%v):\n%s\nwant\n%s", in, err, storeText(back), storeText(s))
		}
	})
}
