package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var recUpdate = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// omRecording writes OpenMetrics (without TYPE lines, as the example
// recordings: the names stay as Envoy exports them) for route's envoy_cluster_upstream_rq_total
// and rq_xx (one proxy, 40 rps, 0.1% 5xx), every 15s over [from, to] around
// recUpdate.
func omRecording(route string, from, to time.Duration) string {
	var b strings.Builder
	var total, bad float64
	for d := from; d <= to; d += 15 * time.Second {
		ts := recUpdate.Add(d).Unix()
		total += 600
		bad += 0.6
		fmt.Fprintf(&b, "envoy_cluster_upstream_rq_total{envoy_cluster_name=\"%s/rule/0\",pod=\"p1\"} %g %d\n", route, total, ts)
	}
	total, bad = 0, 0
	for d := from; d <= to; d += 15 * time.Second {
		ts := recUpdate.Add(d).Unix()
		total += 599.4
		bad += 0.6
		fmt.Fprintf(&b, "envoy_cluster_upstream_rq_xx{envoy_cluster_name=\"%s/rule/0\",envoy_response_code_class=\"2\",pod=\"p1\"} %g %d\n", route, total, ts)
		fmt.Fprintf(&b, "envoy_cluster_upstream_rq_xx{envoy_cluster_name=\"%s/rule/0\",envoy_response_code_class=\"5\",pod=\"p1\"} %g %d\n", route, bad, ts)
	}
	b.WriteString("# EOF\n")
	return b.String()
}

func recScenario(spec string) string { return recScenarioWith(goodTemplate, spec) }

func recScenarioWith(template, spec string) string {
	return stream(goodRollout, template, `apiVersion: rollsim.dev/v1alpha1
kind: Scenario
metadata:
  name: s
spec:
  update: {image: app:v2}
`+spec)
}

const recSpec = `  recorded:
  - {file: rec.om, updateAt: "2026-11-24T10:00:00Z"}
`

// The validation rules of spec.recorded, each an *InputError naming the field.
func TestRecordedValidation(t *testing.T) {
	full := omRecording("httproute/default/app", -time.Hour, time.Hour)
	for _, tc := range []struct {
		name  string
		files map[string]string
		spec  string
		field string
		want  []string
	}{
		{"parse error with the recording's line", map[string]string{"rec.om": "# TYPE x counter\nx_total 1 1795510800\nx_total{a=\"b\" 2 1795510815\n# EOF\n"},
			recSpec, "spec.recorded[0].file", []string{"rec.om:3:", "while parsing"}},
		{"missing file", nil, recSpec, "spec.recorded[0].file", []string{"rec.om", "no such file"}},
		{"no file", nil, "  recorded: [{updateAt: \"2026-11-24T10:00:00Z\"}]\n", "spec.recorded[0].file", []string{"required"}},
		{"no updateAt", map[string]string{"rec.om": full}, "  recorded: [{file: rec.om}]\n", "spec.recorded[0].updateAt", []string{"required", "RFC 3339"}},
		{"bad updateAt", map[string]string{"rec.om": full}, "  recorded: [{file: rec.om, updateAt: yesterday}]\n", "spec.recorded[0].updateAt", []string{`"yesterday" is not an RFC 3339 time`}},
		{"updateAt outside the recording", map[string]string{"rec.om": full}, "  recorded: [{file: rec.om, updateAt: \"2026-11-25T10:00:00Z\"}]\n", "spec.recorded[0].updateAt",
			[]string{"2026-11-25T10:00:00Z is outside the recording", "2026-11-24T09:00:00Z to 2026-11-24T11:00:00Z"}},
		{"unknown format", map[string]string{"rec.om": full}, "  recorded: [{file: rec.om, updateAt: \"2026-11-24T10:00:00Z\", format: csv}]\n", "spec.recorded[0].format", []string{`unknown format "csv"`}},
		{"format insisted on", map[string]string{"rec.om": full}, "  recorded: [{file: rec.om, updateAt: \"2026-11-24T10:00:00Z\", format: json}]\n", "spec.recorded[0].file", []string{"rec.om:1"}},
		{"starts after the first query window opens", map[string]string{"rec.om": omRecording("httproute/default/app", -30*time.Second, time.Hour)},
			recSpec, "spec.recorded", []string{"read up to 1m0s before t=0", "record from 2026-11-24T09:59:00Z or earlier"}},
		{"ends before the steps do", map[string]string{"rec.om": omRecording("httproute/default/app", -time.Hour, 20*time.Second)},
			recSpec, "spec.recorded", []string{"the recordings end at t=15s", "steps take 30s", "record until 2026-11-24T10:00:30Z"}},
		{"until past the end", map[string]string{"rec.om": full}, recSpec + "  until: 2h\n  actions: [{at: 1m, pause: {}}]\n", "spec.until", []string{"end at t=1h", "set spec.until to at most 1h"}},
		{"the same series twice, overlapping", map[string]string{"rec.om": full, "rec2.om": full},
			recSpec + "  - {file: rec2.om, updateAt: \"2026-11-24T10:00:00Z\"}\n", "spec.recorded[1].file", []string{"must follow each other"}},
		{"synthetic canary, route not recorded", map[string]string{"rec.om": full},
			recSpec + "  traffic: {route: httproute/other/x, canary: {errorRate: 0.1}}\n", "spec.traffic.rps", []string{"no envoy_cluster_upstream_rq_total of route httproute/other/x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, "scenario.yaml")
			if err := os.WriteFile(path, []byte(recScenario(tc.spec)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("want an InputError, got %v", err)
			}
			if ie.Field != tc.field || ie.File != path || ie.Doc != 3 || ie.At == 0 {
				t.Errorf("error names %s doc %d line %d field %q, want %s doc 3 field %q", ie.File, ie.Doc, ie.At, ie.Field, path, tc.field)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

// A query selecting a metric that no recording (nor spec.series, nor the
// traffic model when it writes) holds is invalid input, in the template.
func TestRecordedMetricMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rec.om"), []byte(omRecording("httproute/default/app", -time.Hour, time.Hour)), 0o644); err != nil {
		t.Fatal(err)
	}
	tmpl := strings.Replace(goodTemplate, "sum(rate(envoy_cluster_upstream_rq_xx[1m]))", "histogram_quantile(0.99, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket[1m])))", 1)
	path := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(path, []byte(recScenarioWith(tmpl, recSpec)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	var ie *InputError
	if !errors.As(err, &ie) || ie.Doc != 2 || ie.Field != "spec.metrics[0].provider.prometheus.query" || ie.At == 0 ||
		!strings.Contains(err.Error(), "AnalysisTemplate rate") ||
		!strings.Contains(err.Error(), "selects envoy_cluster_upstream_rq_time_bucket, which neither spec.recorded nor spec.series holds (they hold envoy_cluster_upstream_rq_total, envoy_cluster_upstream_rq_xx)") {
		t.Fatalf("got %v", err)
	}
	// With spec.traffic, the traffic model writes the histogram (the canary's).
	if err := os.WriteFile(path, []byte(recScenarioWith(tmpl, recSpec+"  traffic: {rps: 10}\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatal(err)
	}
}

// A valid recording: loaded once, t=0 and until taken from it, the route
// and (for a synthetic canary) the rate read from it; clones share it.
func TestRecordedDefaults(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rec.om"), []byte(omRecording("httproute/shop/app", -time.Hour, 30*time.Minute)), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(path, []byte(recScenario(recSpec)), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := in.Recorded()
	set := in.Settings()
	switch {
	case rec == nil || len(rec.Summaries) != 1 || rec.Summaries[0].Series != 3:
		t.Fatalf("recording not loaded: %+v", rec)
	case !set.Start.Equal(recUpdate):
		t.Errorf("t=0 is %s, want the recorded update %s", set.Start, recUpdate)
	case set.Until != 30*time.Minute:
		t.Errorf("until %s, want the recording's end (30m)", set.Until)
	case in.SyntheticTraffic() || in.CanaryOnly():
		t.Errorf("no spec.traffic: want no synthetic series")
	case in.Scenario.Spec.Traffic.Route != "httproute/shop/app":
		t.Errorf("route %q, want the recorded one", in.Scenario.Spec.Traffic.Route)
	}
	v := in.Clone()
	v.SetCanaryErrorRate(0, 0.2)
	if err := v.Revalidate(); err != nil {
		t.Fatal(err)
	}
	if v.Recorded() != rec {
		t.Error("a variant reloaded the recording")
	}
	if !v.CanaryOnly() || in.CanaryOnly() {
		t.Error("a degraded variant of a recording adds a synthetic canary, and only it")
	}
	if rps := v.Scenario.Spec.Traffic.RPS; rps == nil || *rps < 39.9 || *rps > 40.1 {
		t.Errorf("rps %v, want the recorded 40", rps)
	}
}

func TestQueryWindow(t *testing.T) {
	for q, want := range map[string]time.Duration{
		`sum(rate(x[2m]))`:                 2 * time.Minute,
		`sum(rate(x[2m] offset 1m)) / y`:   5 * time.Minute,
		`max_over_time(rate(x[1m])[10m:])`: 11 * time.Minute,
		`x offset 10m`:                     15 * time.Minute,
		`1`:                                0,
		`not promql (`:                     0,
	} {
		if got := queryWindow(q); got != want {
			t.Errorf("queryWindow(%q) = %s, want %s", q, got, want)
		}
	}
}
