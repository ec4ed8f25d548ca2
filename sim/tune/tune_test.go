package tune

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"
)

// stepScenario is a short inline-analysis rollout: one canary pod of four (a
// quarter of the traffic), a 1m pause, then COUNT measurements of the Envoy
// success rate every 30s against {{args.threshold}}, then full promotion.
const stepScenario = `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: app}
spec:
  replicas: 4
  selector: {matchLabels: {app: app}}
  strategy:
    canary:
      steps:
      - setWeight: 25
      - pause: {duration: 1m}
      - analysis:
          templates: [{templateName: success-rate}]
  template:
    metadata: {labels: {app: app}}
    spec:
      containers: [{name: app, image: app:1}]
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: success-rate}
spec:
  args:
  - {name: threshold, value: "0.95"}
  metrics:
  - name: success-rate
    interval: 30s
    count: 3
    failureLimit: 0
    successCondition: len(result) > 0 && result[0] >= {{args.threshold}}
    provider:
      prometheus:
        address: http://prometheus
        query: sum(irate(envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"httproute/ns/app/.*", envoy_response_code_class="2"}[1m])) / sum(irate(envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"httproute/ns/app/.*"}[1m]))
---
apiVersion: rollsim.dev/v1alpha1
kind: Scenario
metadata: {name: step}
spec:
  namespace: ns
  update: {image: app:2}
  warmup: 2m
  traffic:
    route: httproute/ns/app
    rps: 40
    noise: NOISE
    stable: {errorRate: ERR}
    canary: {errorRate: ERR}
  seed: 7
`

func load(t testing.TB, noise string, errRate string) *scenario.Input {
	t.Helper()
	y := strings.NewReplacer("NOISE", noise, "ERR", errRate).Replace(stepScenario)
	in, err := scenario.LoadData("step.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func mustVary(t testing.TB, flags ...string) []Vary {
	t.Helper()
	var out []Vary
	for _, f := range flags {
		v, err := ParseVary(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func sweep(t testing.TB, in *scenario.Input, spec Spec, opts RunOptions) *Report {
	t.Helper()
	plan, err := NewPlan(in, spec)
	if err != nil {
		t.Fatal(err)
	}
	part, err := plan.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Summarize(part, Objective{MaxFalseAbort: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// With noise off, a canary failing every request reads 0.75 < 0.95 at every
// measurement: every policy catches it in every run, at its first failure past
// the limit; the healthy canary (no errors) is never aborted.
func TestSuccessRateZeroAlwaysCaught(t *testing.T) {
	in := load(t, "none", "0")
	spec := Spec{Runs: 3, Seed: 1,
		Vary:    mustVary(t, "failureLimit=0,1,2", "interval=30s,1m", "count=4"),
		Degrade: []Degradation{{ErrorRate: 1}}}
	rep := sweep(t, in, spec, RunOptions{})
	if len(rep.Rows) != 6 {
		t.Fatalf("%d rows, want 6", len(rep.Rows))
	}
	for _, r := range rep.Rows {
		d := r.Degraded[0]
		if d.Aborted != spec.Runs || d.Miss.Count != 0 {
			t.Errorf("%s: degraded %+v, want every run aborted", r.Label, d.Verdicts)
		}
		if r.Healthy.Aborted != 0 || r.Healthy.Promoted != spec.Runs {
			t.Errorf("%s: healthy %+v, want every run promoted", r.Label, r.Healthy.Verdicts)
		}
		// Detected at measurement failureLimit+1, one interval apart, from the
		// analysis step (after the 1m pause).
		fl := r.Settings["failureLimit"]
		iv, _ := time.ParseDuration(r.Settings["interval"])
		n := map[string]int{"0": 0, "1": 1, "2": 2}[fl]
		if d.Detect.Median == nil || d.Detect.P90 == nil || *d.Detect.Median != *d.Detect.P90 {
			t.Errorf("%s: detect %+v, want the same time in every run (noise off)", r.Label, d.Detect)
			continue
		}
		if got, want := d.Detect.Median.Duration, time.Minute+time.Duration(n)*iv; got < want || got > want+time.Minute {
			t.Errorf("%s: detected after %s, want about %s (pause + %d intervals)", r.Label, got, want, n)
		}
	}
	if !rep.Rows[0].Pareto || rep.Best != 0 || rep.Rows[0].Settings["failureLimit"] != "0" {
		t.Errorf("best row %+v, want failureLimit=0 on the front", rep.Rows[0])
	}
}

// A healthy canary far below the threshold (0.1% errors against a 10% margin)
// is never aborted, whatever the noise and the policy.
func TestHealthyFarBelowThresholdNeverAborted(t *testing.T) {
	in := load(t, "poisson", "0.001")
	spec := Spec{Runs: 8, Seed: 3, Vary: mustVary(t, "failureLimit=0,1", "threshold=0.9,0.8")}
	rep := sweep(t, in, spec, RunOptions{})
	for _, r := range rep.Rows {
		if r.Healthy.Aborted != 0 || r.Healthy.Promoted != spec.Runs {
			t.Errorf("%s: %+v, want every run promoted", r.Label, r.Healthy.Verdicts)
		}
		if r.Healthy.FalseAbort.High <= 0 || r.Healthy.FalseAbort.High > 0.4 {
			t.Errorf("%s: Wilson upper bound %v for 0/%d", r.Label, r.Healthy.FalseAbort.High, spec.Runs)
		}
	}
}

// failureLimit >= the number of measurements can never abort: even a canary
// failing every request is promoted (with only failureLimit in play a run
// that reached its count is Successful). Above count, though, the controller
// rejects the AnalysisRun at run time ("count (3) must be >= failureLimit"),
// and every rollout aborts, healthy or not: tune shows it, with the reason.
func TestFailureLimitAtCountNeverAborts(t *testing.T) {
	in := load(t, "poisson", "0.001")
	spec := Spec{Runs: 3, Seed: 5, Vary: mustVary(t, "count=3", "failureLimit=3,4"),
		Degrade: []Degradation{{ErrorRate: 1}, {ErrorRate: 0.5, At: 30 * time.Second}}}
	rep := sweep(t, in, spec, RunOptions{})
	for _, r := range rep.Rows {
		if r.Settings["failureLimit"] == "4" {
			if r.Healthy.Aborted != spec.Runs || !strings.Contains(r.Healthy.AbortReason, "count (3) must be >= failureLimit + consecutiveSuccessLimit (4 + 0)") {
				t.Errorf("%s: %+v %q, want every run aborted as an invalid spec", r.Label, r.Healthy.Verdicts, r.Healthy.AbortReason)
			}
			continue
		}
		if r.Healthy.Aborted != 0 {
			t.Errorf("%s: healthy aborted %d times", r.Label, r.Healthy.Aborted)
		}
		for _, d := range r.Degraded {
			if d.Aborted != 0 || d.Promoted != spec.Runs {
				t.Errorf("%s, %s: %+v, want never aborted", r.Label, d.Name, d.Verdicts)
			}
			if d.Miss.Rate != 1 || d.Detect.Median != nil {
				t.Errorf("%s, %s: miss %v detect %+v, want all missed, never detected", r.Label, d.Name, d.Miss, d.Detect)
			}
		}
	}
}

// Shards merged give the table an unsharded run gives, and so does any
// parallelism.
func TestShardsAndParallelismGiveTheSameTable(t *testing.T) {
	in := load(t, "poisson", "0.03")
	spec := Spec{Scenario: "step", File: "step.yaml", Runs: 4, Seed: 11,
		Vary:    mustVary(t, "failureLimit=0,1"),
		Degrade: []Degradation{{ErrorRate: 0.2, At: 30 * time.Second}}}
	render := func(rep *Report) string {
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	want := render(sweep(t, in, spec, RunOptions{Parallel: 1}))
	if got := render(sweep(t, in, spec, RunOptions{Parallel: 3})); got != want {
		t.Errorf("parallel 3 differs from parallel 1:\n%s\n%s", got, want)
	}

	plan, err := NewPlan(in, spec)
	if err != nil {
		t.Fatal(err)
	}
	var parts []*Part
	for k := 2; k >= 0; k-- { // any order
		p, err := plan.Run(context.Background(), RunOptions{Shard: Shard{K: k, N: 3}, Parallel: 2})
		if err != nil {
			t.Fatal(err)
		}
		// Through JSON, as the files a Job writes.
		b, _ := json.Marshal(p)
		var back Part
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, &back)
	}
	merged, err := Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Summarize(merged, Objective{MaxFalseAbort: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if got := render(rep); got != want {
		t.Errorf("merged shards differ from one run:\n%s\n%s", got, want)
	}

	// Incomplete or repeated parts are refused.
	if _, err := Merge(parts[0], parts[1]); err == nil || !strings.Contains(err.Error(), "shards missing: 0/3") {
		t.Errorf("merge of 2 of 3 shards: %v", err)
	}
	if _, err := Merge(parts[0], parts[0], parts[1]); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("merge with a repeated shard: %v", err)
	}
	other := *parts[2]
	other.Spec.Runs = 5
	if _, err := Merge(parts[0], parts[1], &other); err == nil || !strings.Contains(err.Error(), "different sweep") {
		t.Errorf("merge across sweeps: %v", err)
	}
}

func TestWilson(t *testing.T) {
	for _, c := range []struct {
		k, n      int
		low, high float64
	}{
		{0, 10, 0, 0.2775},
		{5, 10, 0.2366, 0.7634},
		{10, 10, 0.7225, 1},
		{1, 100, 0.0018, 0.0545},
		{0, 200, 0, 0.0188},
	} {
		r := NewRate(c.k, c.n)
		if math.Abs(r.Low-c.low) > 5e-4 || math.Abs(r.High-c.high) > 5e-4 {
			t.Errorf("%d/%d: [%.4f, %.4f], want [%.4f, %.4f]", c.k, c.n, r.Low, r.High, c.low, c.high)
		}
	}
}

func TestTimesCountNeverAsInfinite(t *testing.T) {
	m := time.Minute
	ts := newTimes([]time.Duration{m, 2 * m, 3 * m, never, never})
	if ts.Median == nil || ts.Median.Duration != 3*m || ts.P90 != nil {
		t.Errorf("median %v p90 %v, want 3m and never", ts.Median, ts.P90)
	}
}

func TestRunSeedIsStable(t *testing.T) {
	// Part of the contract of shards: a run's seed never changes.
	if a, b := RunSeed(42, 0), RunSeed(42, 1); a == b || a < 0 || b < 0 {
		t.Errorf("seeds %d %d", a, b)
	}
	if got := RunSeed(42, 0); got != RunSeed(42, 0) {
		t.Error("not deterministic")
	}
}

func TestFlagErrors(t *testing.T) {
	for _, c := range []struct{ flag, want string }{
		{"failureLimit", "want KEY=V1,V2"},
		{"failurelimit=1", `unknown key "failurelimit"`},
		{"failureLimit=1,x", `"x" is not an integer`},
		{"failureLimit=-2", "must be -1 (disabled) or more"},
		{"count=-1", "must not be negative"},
		{"interval=1m,0s", "must be positive"},
		{"interval=5", "not a duration"},
		{"threshold=0.9,0.9", "given twice"},
	} {
		if _, err := ParseVary(c.flag); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--vary %s: %v, want %q", c.flag, err, c.want)
		}
	}
	for _, c := range []struct{ flag, want string }{
		{"canary.errorRate=1.5", "between 0 and 1"},
		{"canary.latency=1", "unknown key"},
		{"canary.errorRate=0.1@soon", "not a time"},
	} {
		if _, err := ParseDegrade(c.flag); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--degrade %s: %v, want %q", c.flag, err, c.want)
		}
	}
	if d, err := ParseDegrade("canary.errorRate=0.05,0.2@10m"); err != nil || len(d) != 2 || d[1].At != 10*time.Minute || d[1].Name() != "errorRate=0.2@10m" {
		t.Errorf("ParseDegrade: %+v %v", d, err)
	}
	for _, s := range []string{"3/3", "-1/2", "1", "a/b", "0/0"} {
		if _, err := ParseShard(s); err == nil {
			t.Errorf("--shard %s accepted", s)
		}
	}

	in := load(t, "none", "0")
	var fe *FlagError
	if _, err := NewPlan(in, Spec{Runs: 1, Metric: "latency"}); !errors.As(err, &fe) || fe.Flag != "--metric" {
		t.Errorf("unknown metric: %v", err)
	}
	if _, err := NewPlan(in, Spec{Runs: 1, Vary: mustVary(t, "args.window=1m")}); !errors.As(err, &fe) || !strings.Contains(err.Error(), `declares no argument "window"`) {
		t.Errorf("undeclared arg: %v", err)
	}
	// A variant the controller refuses up front names the combination.
	_, err := NewPlan(in, Spec{Runs: 1, Vary: mustVary(t, "count=0")})
	if err == nil || !scenario.IsInputError(err) || !strings.Contains(err.Error(), "--vary count=0") || !strings.Contains(err.Error(), "runs indefinitely") {
		t.Errorf("count=0 on a step analysis: %v", err)
	}
}

func TestTextTable(t *testing.T) {
	in := load(t, "none", "0")
	rep := sweep(t, in, Spec{Runs: 1, Seed: 1, Vary: mustVary(t, "failureLimit=0,1"), Degrade: []Degradation{{ErrorRate: 1}}}, RunOptions{})
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	if err := enc.Encode(rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"rows":[`, `"falseAbort":{"count":0,"n":1`, `"settings":{"failureLimit":"0"}`, `"detect":"1m`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b.String())
		}
	}
}
