package sim_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

// The same recording as OpenMetrics and as query_range JSON gives the same
// decision, at the same time, from the same measured values: the reports
// differ only in the scenario's name and file.
func TestRecordedFormatsSameDecision(t *testing.T) {
	om := runFile(t, "../scenarios/replay-canary-aborts.yaml")
	js := runFile(t, "../scenarios/replay-canary-aborts-json.yaml")
	if om.Verdict != scenario.Aborted || js.Verdict != om.Verdict || *js.DecidedAt != *om.DecidedAt || js.Message != om.Message {
		t.Fatalf("OpenMetrics: %s at %v (%s); JSON: %s at %v (%s)", om.Verdict, om.DecidedAt, om.Message, js.Verdict, js.DecidedAt, js.Message)
	}
	var a, b bytes.Buffer
	if err := reports.JSON(&a, reports.Build(om)); err != nil {
		t.Fatal(err)
	}
	if err := reports.JSON(&b, reports.Build(js)); err != nil {
		t.Fatal(err)
	}
	norm := func(s string) string {
		return strings.ReplaceAll(s, "replay-canary-aborts-json", "replay-canary-aborts")
	}
	if norm(a.String()) != norm(b.String()) {
		t.Fatal("the JSON reports of the OpenMetrics and JSON recordings differ beyond the scenario's name")
	}
}

// instant evaluates query over the series at the offset at from t=0.
func instant(t *testing.T, set *sim.SeriesSet, query string, at string) promql.Vector {
	t.Helper()
	d, err := time.ParseDuration(at)
	if err != nil {
		t.Fatal(err)
	}
	res, err := set.Engine.Instant(context.Background(), set.Store, query, set.At(d))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := res.Value.(promql.Vector)
	return v
}

// Without spec.traffic only the recording is replayed: no synthetic series.
// With it, the canary's share is added on top (the stable's traffic is the
// recording), so the route's 5xx share rises only while the canary serves.
func TestRecordedWithSyntheticCanary(t *testing.T) {
	in, err := scenario.Load("../scenarios/replay-canary-promotes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := sim.Series(context.Background(), in, sim.Options{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v := instant(t, set, `count({__name__=~"envoy.+", pod=""})`, "0s"); len(v) != 0 {
		t.Fatalf("recording alone: %v synthetic series, want none", v)
	}
	want := in.Recorded().Summaries[0].Samples
	if n := set.Store.NumSamples(); n != want {
		t.Fatalf("store has %d samples, want the recording's %d", n, want)
	}

	data, err := os.ReadFile("../scenarios/replay-canary-promotes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(data), "  recorded:", "  traffic:\n    canary: {errorRate: 0.25}\n  recorded:", 1)
	dir := t.TempDir()
	src = strings.ReplaceAll(src, "../testdata/", mustAbs(t, "../testdata")+"/")
	path := filepath.Join(dir, "degraded.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err = scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if rps := *in.Scenario.Spec.Traffic.RPS; math.Abs(rps-40) > 1 {
		t.Errorf("the synthetic canary's rate is %v, want the recorded route's (about 40)", rps)
	}
	set, err = sim.Series(context.Background(), in, sim.Options{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	stable := instant(t, set, `sum(rate(envoy_cluster_upstream_rq_total{pod=""}[1m]))`, "-1m")
	if len(stable) != 1 || stable[0].F != 0 {
		t.Errorf("before the update the synthetic series carry %v, want no requests (the stable's are recorded)", stable)
	}
	res, err := sim.Run(context.Background(), in, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != scenario.Aborted {
		t.Fatalf("a 25%% 5xx canary on top of the healthy recording: %s, want Aborted", res.Verdict)
	}
}

// A synthetic series with the labels of a recorded one is invalid input.
func TestRecordedCollision(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 480 {
		for _, class := range []string{"2", "5"} {
			b.WriteString(`envoy_cluster_upstream_rq_xx{envoy_cluster_name="httproute/shop/checkout/rule/0",envoy_response_code_class="` + class + `"} `)
			b.WriteString(strconv.Itoa(i*100) + " " + strconv.Itoa(1795510800+15*i) + "\n")
		}
	}
	b.WriteString("# EOF\n")
	if err := os.WriteFile(filepath.Join(dir, "rec.om"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../scenarios/replay-canary-promotes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(data), "../testdata/recorded/canary-healthy.om", "rec.om", 1)
	src = strings.Replace(src, "  recorded:", "  traffic:\n    rps: 40\n  recorded:", 1)
	path := filepath.Join(dir, "collide.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sim.Run(context.Background(), in, sim.Options{})
	if !scenario.IsInputError(err) || !strings.Contains(err.Error(), "spec.traffic: writes series that spec.recorded holds too") {
		t.Fatalf("want invalid input naming spec.traffic, got %v", err)
	}
	t.Log(err)
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
