package promfake

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// storeText is every sample of s, one `labels ms value` line each, series
// sorted by labels.
func storeText(s *Store) string {
	var b strings.Builder
	for _, ser := range s.sortedSeries() {
		for i := 0; i < ser.samples.n; i++ {
			smp := ser.samples.at(i)
			fmt.Fprintf(&b, "%s %d %s\n", ser.lset, smp.t, strconv.FormatFloat(smp.f, 'g', -1, 64))
		}
	}
	return b.String()
}

func load(t *testing.T, in string, opts RecordedOptions) (*Store, RecordedSummary) {
	t.Helper()
	s := NewStore()
	sum, err := LoadRecorded(s, strings.NewReader(in), opts)
	if err != nil {
		t.Fatalf("LoadRecorded: %v", err)
	}
	return s, sum
}

// The same two series in every format, out of order and with duplicates.
const (
	wantBasic = `{__name__="envoy_cluster_upstream_rq_xx", envoy_cluster_name="httproute/ns/r/rule/0", envoy_response_code_class="2"} 1700000000000 10
{__name__="envoy_cluster_upstream_rq_xx", envoy_cluster_name="httproute/ns/r/rule/0", envoy_response_code_class="2"} 1700000015000 25
{__name__="envoy_cluster_upstream_rq_xx", envoy_cluster_name="httproute/ns/r/rule/0", envoy_response_code_class="2"} 1700000030500 40
{__name__="up", job="x"} 1700000000000 1
{__name__="up", job="x"} 1700000015000 NaN
{__name__="up", job="x"} 1700000030000 +Inf
`
	omBasic = `# HELP envoy_cluster_upstream_rq_xx Requests by class.
# TYPE envoy_cluster_upstream_rq_xx counter
envoy_cluster_upstream_rq_xx{envoy_cluster_name="httproute/ns/r/rule/0",envoy_response_code_class="2"} 10 1700000000
envoy_cluster_upstream_rq_xx{envoy_cluster_name="httproute/ns/r/rule/0",envoy_response_code_class="2"} 40 1700000030.5
envoy_cluster_upstream_rq_xx{envoy_response_code_class="2",envoy_cluster_name="httproute/ns/r/rule/0"} 25 1700000015
# TYPE up gauge
# HELP up The target is up.
up{job="x"} 1 1700000000
up{job="x"} NaN 1700000015
up{job="x"} +Inf 1.70000003e9
up{job="x"} 1 1700000000
# EOF
`
	dumpBasic = `{__name__="envoy_cluster_upstream_rq_xx", envoy_cluster_name="httproute/ns/r/rule/0", envoy_response_code_class="2"} 10 1700000000000
{__name__="envoy_cluster_upstream_rq_xx", envoy_cluster_name="httproute/ns/r/rule/0", envoy_response_code_class="2"} 25 1700000015000

{__name__="envoy_cluster_upstream_rq_xx", envoy_cluster_name="httproute/ns/r/rule/0", envoy_response_code_class="2"} 40 1700000030500
{__name__="up", job="x"} 1 1700000000000
{__name__="up", job="x"} NaN 1700000015000
{__name__="up", job="x"} 1 1700000000000
{__name__="up", job="x"} +Inf 1700000030000
`
	jsonRangeBasic = `{"status":"success","data":{"resultType":"matrix","result":[
  {"metric":{"__name__":"envoy_cluster_upstream_rq_xx","envoy_cluster_name":"httproute/ns/r/rule/0","envoy_response_code_class":"2"},
   "values":[[1700000000,"10"],[1700000015,"25"],[1700000030.5,"40"]]},
  {"values":[[1700000000,"1"],[1700000015,"NaN"],[1700000030,"+Inf"]],"metric":{"job":"x","__name__":"up"}}
]},"stats":{"timings":{"evalTotalTime":0.1}},"warnings":["w"]}
`
	jsonVectorsBasic = `{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"x"},"value":[1700000000,"1"]}]}
{"status":"success","data":{"result":[{"metric":{"__name__":"up","job":"x"},"value":[1700000015,"NaN"]},{"metric":{"__name__":"envoy_cluster_upstream_rq_xx","envoy_cluster_name":"httproute\/ns\/r\/rule\/0","envoy_response_code_class":"2"},"value":[1700000000,"10"]}],"resultType":"vector"}}
{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"envoy_cluster_upstream_rq_xx","envoy_cluster_name":"httproute/ns/r/rule/0","envoy_response_code_class":"2"},"values":[[1700000030.5,"40"],[1700000015,25]]}]}}
{"data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"x"},"value":[1700000030,"+Inf"]},{"metric":{"__name__":"up","job":"x"},"value":[1700000000,"1"]}]}}
`
)

func TestLoadRecordedFormats(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         string
		format     RecordedFormat
		dups       int
		names      []string
		forceFmt   bool
		wantSeries int
	}{
		{"openmetrics", omBasic, FormatOpenMetrics, 1, nil, false, 2},
		{"openmetrics-forced", omBasic, FormatOpenMetrics, 1, nil, true, 2},
		{"dump", dumpBasic, FormatDump, 1, nil, false, 2},
		{"query_range", jsonRangeBasic, FormatJSON, 0, nil, false, 2},
		{"query-vectors-concatenated", jsonVectorsBasic, FormatJSON, 1, nil, false, 2},
		{"query_range-bom-indented", "\xEF\xBB\xBF\n  " + jsonRangeBasic, FormatJSON, 0, nil, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := RecordedOptions{Name: "rec"}
			if tc.forceFmt {
				opts.Format = tc.format
			}
			s, sum := load(t, tc.in, opts)
			if got := storeText(s); got != wantBasic {
				t.Errorf("store:\n%s\nwant:\n%s", got, wantBasic)
			}
			want := RecordedSummary{
				Format: tc.format, Series: tc.wantSeries, Samples: 6, Duplicates: tc.dups,
				MinTime: time.UnixMilli(1700000000000).UTC(), MaxTime: time.UnixMilli(1700000030500).UTC(),
				VirtualMin: time.UnixMilli(1700000000000).UTC(), VirtualMax: time.UnixMilli(1700000030500).UTC(),
				MetricNames: []string{"envoy_cluster_upstream_rq_xx", "up"},
			}
			if fmt.Sprint(sum) != fmt.Sprint(want) {
				t.Errorf("summary %+v\nwant    %+v", sum, want)
			}
			if !sum.Covers(time.UnixMilli(1700000010000), time.UnixMilli(1700000030500)) || sum.Covers(time.UnixMilli(1699999999999), time.UnixMilli(1700000010000)) {
				t.Errorf("Covers wrong for %+v", sum)
			}
		})
	}
}

func TestLoadRecordedShift(t *testing.T) {
	updateAt := time.Unix(1700000015, 0)
	v0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s, sum := load(t, omBasic, RecordedOptions{UpdateAt: updateAt, T0: v0})
	if !sum.VirtualMin.Equal(v0.Add(-15*time.Second)) || !sum.VirtualMax.Equal(v0.Add(15500*time.Millisecond)) {
		t.Errorf("virtual range %s..%s", sum.VirtualMin, sum.VirtualMax)
	}
	if !sum.MinTime.Equal(time.Unix(1700000000, 0)) || !sum.Covers(updateAt, updateAt) {
		t.Errorf("recorded range %s..%s", sum.MinTime, sum.MaxTime)
	}
	// The update instant's sample is at t=0 of the virtual clock.
	e := NewEngine()
	v := vector(t, e, s, `envoy_cluster_upstream_rq_xx`, v0)
	if len(v) != 1 || v[0].F != 25 {
		t.Errorf("at t0: %v", v)
	}
	v = vector(t, e, s, `envoy_cluster_upstream_rq_xx - envoy_cluster_upstream_rq_xx offset 15s`, v0)
	if len(v) != 1 || math.Abs(v[0].F-15) > 1e-9 {
		t.Errorf("difference over the 15s before t0: %v", v)
	}
}

func TestLoadRecordedSortsAndDedupes(t *testing.T) {
	in := "x 3 30\nx 1 10\nx 2 20\nx 2 20\nx 9 20\nx 1 10\n# EOF\n"
	s, sum := load(t, in, RecordedOptions{})
	want := `{__name__="x"} 10000 1
{__name__="x"} 20000 2
{__name__="x"} 30000 3
`
	if got := storeText(s); got != want {
		t.Errorf("got\n%s", got)
	}
	if sum.Samples != 3 || sum.Duplicates != 2 || sum.Conflicts != 1 {
		t.Errorf("summary %+v", sum)
	}
}

// A recording whose series already exist in the store must come after them;
// a failed load leaves no samples behind.
func TestLoadRecordedIntoUsedStore(t *testing.T) {
	s := NewStore()
	ref := s.Series(labels.FromStrings("__name__", "x"))
	if err := s.Append(ref, time.UnixMilli(15000), 1); err != nil {
		t.Fatal(err)
	}
	_, err := LoadRecorded(s, strings.NewReader("x 1 10\ny 1 10\n# EOF\n"), RecordedOptions{Name: "a.om"})
	if err == nil || !strings.Contains(err.Error(), "a.om: series {__name__=\"x\"}: recorded sample at 10000 not after") {
		t.Fatalf("err = %v", err)
	}
	if s.NumSamples() != 1 {
		t.Errorf("%d samples after a failed load", s.NumSamples())
	}
	if _, err := LoadRecorded(s, strings.NewReader("x 1 20\ny 1 10\n# EOF\n"), RecordedOptions{}); err != nil {
		t.Fatal(err)
	}
	if s.NumSamples() != 3 {
		t.Errorf("%d samples", s.NumSamples())
	}
}

// Lines longer than the reader's buffer (64 KiB) are read whole.
func TestLoadRecordedLongLines(t *testing.T) {
	long := strings.Repeat("é", 60000)
	for name, in := range map[string]string{
		"openmetrics": "x{v=\"" + long + "\"} 1 1\nx{v=\"" + long + "\"} 2 2\n# EOF\n",
		"dump":        "{__name__=\"x\", v=\"" + long + "\"} 1 1000\n{__name__=\"x\", v=\"" + long + "\"} 2 2000\n",
		"json":        `{"data":{"result":[{"metric":{"__name__":"x","v":"` + long + `"},"values":[[1,"1"],[2,"2"]]}]}}`,
	} {
		s, sum := load(t, in, RecordedOptions{Name: name})
		if sum.Series != 1 || sum.Samples != 2 || !strings.Contains(storeText(s), long) {
			t.Errorf("%s: %+v", name, sum)
		}
	}
}

func TestLoadRecordedReadError(t *testing.T) {
	for _, head := range []string{"x 1 1\n", `{__name__="x"} 1 1` + "\n", `{"data":{"result":[`} {
		r := io.MultiReader(strings.NewReader(head), iotest.ErrReader(errors.New("disk on fire")))
		_, err := LoadRecorded(NewStore(), r, RecordedOptions{Name: "r"})
		var re *RecordedError
		if err == nil || !errors.As(err, &re) || err.Error() != "r: read: disk on fire" {
			t.Errorf("%q: err = %v", head, err)
		}
	}
}

func TestLoadRecordedNeedsBothTimes(t *testing.T) {
	_, err := LoadRecorded(NewStore(), strings.NewReader("x 1 1\n# EOF\n"), RecordedOptions{Name: "a", T0: virtualT0})
	if err == nil || err.Error() != "a: give both the recorded update time and its virtual time, or neither" {
		t.Errorf("err = %v", err)
	}
}

func TestLoadRecordedScalar(t *testing.T) {
	in := `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"0.25"]}}`
	_, err := LoadRecorded(NewStore(), strings.NewReader(in), RecordedOptions{Name: "s.json"})
	if err == nil || !strings.Contains(err.Error(), "s.json:1:60: a scalar result has no labels") {
		t.Fatalf("err = %v", err)
	}
	s, _ := load(t, in, RecordedOptions{ScalarLabels: labels.FromStrings("__name__", "budget")})
	if got := storeText(s); got != "{__name__=\"budget\"} 1700000000000 0.25\n" {
		t.Errorf("got %q", got)
	}
}

// OpenMetrics is parsed in chunks; small chunks must read the same as one,
// including the TYPE line a classic histogram's le normalisation needs.
func TestLoadRecordedOpenMetricsChunks(t *testing.T) {
	var b strings.Builder
	b.WriteString("# TYPE lat histogram\n")
	for i := 0; i < 200; i++ {
		for _, le := range []string{"0.5", "1", "+Inf"} {
			fmt.Fprintf(&b, "lat_bucket{le=%q} %d %d\n", le, i, 1700000000+15*i)
		}
		fmt.Fprintf(&b, "lat_count %d %d\n", i, 1700000000+15*i)
	}
	b.WriteString("# TYPE q summary\nq{quantile=\"1\"} 3 1700000000\n# EOF\n")
	whole, sum := load(t, b.String(), RecordedOptions{})
	if sum.Series != 5 || sum.Samples != 801 {
		t.Fatalf("summary %+v", sum)
	}
	if !strings.Contains(storeText(whole), `{__name__="lat_bucket", le="1.0"}`) || !strings.Contains(storeText(whole), `quantile="1.0"`) {
		t.Errorf("le/quantile not normalised:\n%.300s", storeText(whole))
	}
	for _, n := range []int{1, 100, 1000} {
		chunked := NewStore()
		if _, err := loadRecorded(chunked, strings.NewReader(b.String()), RecordedOptions{}, n); err != nil {
			t.Fatal(err)
		}
		if storeText(chunked) != storeText(whole) {
			t.Errorf("chunks of %d bytes read differently", n)
		}
	}
	// Line numbers stay right across chunks.
	bad := strings.Replace(b.String(), "lat_count 150 ", "lat_count 150x ", 1)
	_, err := loadRecorded(NewStore(), strings.NewReader(bad), RecordedOptions{Name: "h.om"}, 100)
	if err == nil || !strings.HasPrefix(err.Error(), "h.om:605: ") {
		t.Errorf("err = %v", err)
	}
}

func TestLoadRecordedErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		lim            RecordedLimits
	}{
		{"empty", "", "f: empty recording", RecordedLimits{}},
		{"blank", " \n\n", "f: empty recording", RecordedLimits{}},
		{"unknown", "<html>", `f: unknown format: starts with "<"`, RecordedLimits{}},
		// OpenMetrics
		{"om-no-eof", "x 1 1\n", "f:2: data does not end with # EOF", RecordedLimits{}},
		{"om-leading-blank", "\n\nx 1 1\n# EOF\n", "f:1: expected a valid start token", RecordedLimits{}},
		{"json-leading-blank", "\n\n {\"data\":{\"result\":[{\"metric\":{},\"value\":[1,\"1\"]}]}}", "f:3:31: series without labels", RecordedLimits{}},
		{"om-no-newline", "x 1 1\n# EOF", "", RecordedLimits{}},
		{"om-last-line-unterminated", "x 1 1", "f:1:6: data does not end with # EOF", RecordedLimits{}},
		{"om-after-eof", "x 1 1\n# EOF\nx 2 2\n", "f:3:1: unexpected data after # EOF", RecordedLimits{}},
		{"om-no-timestamp", "x 1 1\nx{a=\"b\"} 2\n# EOF\n", `f:2: expected timestamp for series {__name__="x", a="b"}, got none`, RecordedLimits{}},
		{"om-bad-value", "# TYPE x gauge\nx 1 1\nx abc 2\n# EOF\n", `f:3: strconv.ParseFloat: parsing "abc"`, RecordedLimits{}},
		{"om-blank-line", "x 1 1\n\nx 2 2\n# EOF\n", "f:2: expected a valid start token", RecordedLimits{}},
		{"om-bad-type", "# TYPE x bogus\nx 1 1\n# EOF\n", `f:1: invalid metric type "bogus"`, RecordedLimits{}},
		{"om-bad-unit", "# UNIT x seconds\nx 1 1\n# EOF\n", `f:1: unit "seconds" not a suffix of metric "x"`, RecordedLimits{}},
		{"om-dup-label", "x{a=\"1\",a=\"2\"} 1 1\n# EOF\n", `f:1: label "a" repeated`, RecordedLimits{}},
		{"om-only-empty-labels", "# EOF\n", "f: no samples", RecordedLimits{}},
		{"om-nan-timestamp", "x 1 NaN\n# EOF\n", "f:1: invalid timestamp NaN", RecordedLimits{}},
		// dump
		{"dump-no-ts", "{__name__=\"up\"} 1\n", "f:1: expected `{labels} value timestamp`", RecordedLimits{}},
		{"dump-bad-ts", "{__name__=\"up\"} 1 1.5\n", "f:1:19: bad timestamp \"1.5\": want integer milliseconds", RecordedLimits{}},
		{"dump-bad-value", "{__name__=\"up\"} one 1\n", "f:1:17: bad value \"one\"", RecordedLimits{}},
		{"dump-bad-labels", "{__name__=\"up\", job=x} 1 1\n", "f:1:1: bad labels:", RecordedLimits{}},
		{"dump-second-line", "{__name__=\"up\"} 1 1\nup 2 2\n", "f:2:1: expected '{' starting the labels", RecordedLimits{}},
		{"dump-histogram", "{__name__=\"h\"} {count:2, sum:3, [1,2]:1} 1700000000000\n", "f:1: native histogram samples are not supported", RecordedLimits{}},
		{"dump-empty-labels", "{} 1 1\n", `f:1:1: no "data"`, RecordedLimits{}},
		// JSON
		{"json-truncated", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1,"1"]`, "f:1:98: unexpected end of file, expected ',' or ']' in values", RecordedLimits{}},
		{"json-error-answer", `{"status":"error","errorType":"bad_data","error":"parse error"}`, "f:1:1: the answer is an error: bad_data: parse error", RecordedLimits{}},
		{"json-bad-value", "{\"data\":{\"resultType\":\"matrix\",\"result\":[\n{\"metric\":{\"a\":\"b\"},\"values\":[[1,\"x1\"]]}]}}", `f:2:34: bad value "x1" for a point of values`, RecordedLimits{}},
		{"json-hex-value", `{"data":{"result":[{"metric":{"a":"b"},"value":[1,"0x10"]}]}}`, `f:1:51: bad value "0x10"`, RecordedLimits{}},
		{"json-bad-time", `{"data":{"result":[{"metric":{"a":"b"},"value":["1","1"]}]}}`, `f:1:49: expected a number for the time of value, got '"'`, RecordedLimits{}},
		{"json-bad-number", `{"data":{"result":[{"metric":{"a":"b"},"value":[01,"1"]}]}}`, `f:1:49: bad number "01"`, RecordedLimits{}},
		{"json-missing-comma", "{\"data\":{\"result\":[{\"metric\":{\"a\":\"b\"}\n \"value\":[1,\"1\"]}]}}", `f:2:2: expected ',' or '}' in a series, got '"'`, RecordedLimits{}},
		{"json-no-metric", `{"data":{"result":[{"value":[1,"1"]}]}}`, `f:1:20: a series without "metric"`, RecordedLimits{}},
		{"json-empty-metric", `{"data":{"result":[{"metric":{},"value":[1,"1"]}]}}`, `f:1:30: series without labels`, RecordedLimits{}},
		{"json-type-mismatch", `{"data":{"resultType":"vector","result":[{"metric":{"a":"b"},"values":[[1,"1"]]}]}}`, `f:1:42: resultType is "vector" but this is a matrix element`, RecordedLimits{}},
		{"json-type-late-mismatch", `{"data":{"result":[{"metric":{"a":"b"},"values":[[1,"1"]]}],"resultType":"vector"}}`, `f:1:74: resultType "vector" but the result (at line 1) is a matrix`, RecordedLimits{}},
		{"json-mixed", `{"data":{"result":[{"metric":{"a":"b"},"values":[]},{"metric":{"a":"c"},"value":[1,"1"]}]}}`, `f:1:53: a vector element in a matrix result`, RecordedLimits{}},
		{"json-string", `{"data":{"resultType":"string","result":[1,"x"]}}`, `f:1:23: resultType "string" holds no samples`, RecordedLimits{}},
		{"json-histogram", `{"data":{"result":[{"metric":{"a":"b"},"histogram":[1,{}]}]}}`, `f:1:52: native histogram samples are not supported`, RecordedLimits{}},
		{"json-no-data", `{"status":"success"}`, `f:1:1: no "data" (or "result") in the answer`, RecordedLimits{}},
		{"json-not-object", `{"data":1}`, `f:1:9: expected an object for data, got '1'`, RecordedLimits{}},
		{"json-top-array", `[1]`, `f:1:1: expected a JSON object`, RecordedLimits{}},
		{"json-trailing-garbage", `{"data":{"result":[]}} x`, `f:1:24: expected a JSON object`, RecordedLimits{}},
		{"json-bad-escape", `{"data":{"result":[{"metric":{"a":"\q"}}]}}`, `f:1:38: bad escape \q in string`, RecordedLimits{}},
		{"json-control-char", "{\"data\":{\"result\":[{\"metric\":{\"a\":\"\t\"}}]}}", `f:1:37: control character byte 0x09 in string`, RecordedLimits{}},
		{"json-bad-utf8", "{\"data\":{\"result\":[{\"metric\":{\"a\":\"\xff\"}}]}}", `f:1:35: invalid UTF-8 in string`, RecordedLimits{}},
		{"json-bad-literal", `{"data":{"result":[]},"x":nul}`, `f:1:27: bad value "nul"`, RecordedLimits{}},
		{"json-deep", `{"x":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`, `nested deeper than 512`, RecordedLimits{}},
		{"json-repeated-metric", `{"data":{"result":[{"metric":{"a":"b"},"metric":{"a":"b"}}]}}`, `"metric" repeated`, RecordedLimits{}},
		// limits
		{"max-samples", "x 1 1\nx 2 2\nx 3 3\n# EOF\n", "f:3: more than 2 samples (MaxSamples)", RecordedLimits{MaxSamples: 2}},
		{"max-series", "{__name__=\"a\"} 1 1\n{__name__=\"b\"} 1 1\n", "f:2: more than 1 series (MaxSeries)", RecordedLimits{MaxSeries: 1}},
		{"max-bytes", `{"data":{"result":[]}}`, "f: larger than 10 bytes (MaxBytes)", RecordedLimits{MaxBytes: 10}},
		{"max-line", "x 1 1\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 2 2\n# EOF\n", "f:2: line longer than the limit (MaxLineBytes)", RecordedLimits{MaxLineBytes: 20}},
		{"max-string", `{"data":{"result":[{"metric":{"a":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}}]}}`, "f:1:35: string longer than the limit", RecordedLimits{MaxLineBytes: 20}},
		{"max-samples-json-pending", `{"data":{"result":[{"values":[[1,"1"],[2,"1"],[3,"1"]],"metric":{"a":"b"}}]}}`, "f:1: more than 2 samples", RecordedLimits{MaxSamples: 2}},
		// time range
		{"shift-overflow", "x 1 9223372036854775\n# EOF\n", "outside the times Prometheus can query", RecordedLimits{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore()
			_, err := LoadRecorded(s, strings.NewReader(tc.in), RecordedOptions{Name: "f", Limits: tc.lim})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q; loaded:\n%s", tc.want, storeText(s))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error\n  %v\nwant it to contain\n  %s", err, tc.want)
			}
			var re *RecordedError
			if !errors.As(err, &re) {
				t.Errorf("%T is not a *RecordedError", err)
			}
			if strings.Contains(tc.name, "max-") && !errors.Is(err, ErrRecordedLimit) {
				t.Errorf("limit error does not wrap ErrRecordedLimit")
			}
			if s.NumSamples() != 0 {
				t.Errorf("a failed load left %d samples", s.NumSamples())
			}
		})
	}
}

func TestDetectRecordedFormat(t *testing.T) {
	for in, want := range map[string]RecordedFormat{
		"# HELP x y\n":            FormatOpenMetrics,
		"x 1 1\n":                 FormatOpenMetrics,
		`{"my.metric",a="b"} 1 1`: FormatOpenMetrics,
		`{"my.metric"} 1 1`:       FormatOpenMetrics,
		`{__name__="x"} 1 1`:      FormatDump,
		`{"a.b"="x"} 1 1`:         FormatDump,
		` { "status" : 1}`:        FormatJSON,
		"{\n\"data\":":            FormatJSON,
		"[":                       FormatJSON,
		"{":                       FormatJSON,
	} {
		sum, err := LoadRecorded(NewStore(), strings.NewReader(in), RecordedOptions{})
		var re *RecordedError
		if err != nil && !errors.As(err, &re) {
			t.Errorf("%q: %T", in, err)
		}
		_ = sum
		got, _ := detectFormat(newTestReader(in))
		if got != want {
			t.Errorf("%q: detected %q, want %q", in, got, want)
		}
	}
}

// Round trips through the writers.
func TestRecordedWriters(t *testing.T) {
	src, _ := load(t, omBasic, RecordedOptions{})
	// Special characters survive both text formats.
	ref := src.Series(labels.FromStrings("__name__", "odd", "v", "a\"b\\c\nd é", "x.y", "1"))
	if err := src.Append(ref, time.UnixMilli(1700000000000), 1e21); err != nil {
		t.Fatal(err)
	}
	ref = src.Series(labels.FromStrings("__name__", "my.metric", "a", "b"))
	if err := src.Append(ref, time.UnixMilli(1700000000000), -0.5); err != nil {
		t.Fatal(err)
	}
	var om, dump bytes.Buffer
	if err := WriteOpenMetrics(&om, src); err != nil {
		t.Fatal(err)
	}
	if err := WriteDump(&dump, src); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]string{"openmetrics": om.String(), "dump": dump.String()} {
		got, _ := load(t, b, RecordedOptions{Name: name})
		if storeText(got) != storeText(src) {
			t.Errorf("%s round trip:\n%s\nwant\n%s\nfile:\n%s", name, storeText(got), storeText(src), b)
		}
	}
}

func newTestReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
