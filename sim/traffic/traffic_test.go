package traffic

import (
	"context"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rollsim/rollsim/sim/scenario/scenariotest"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/prometheus/prometheus/promql"

	"github.com/rollsim/rollsim/promfake"
)

const (
	goodRollout  = scenariotest.GoodRollout
	goodTemplate = scenariotest.GoodTemplate
)

// trafficInput loads goodRollout/goodTemplate with the given traffic block.
func trafficInput(t *testing.T, traffic string) *scenario.Input {
	t.Helper()
	return loadTraffic(t, goodRollout, traffic)
}

// loadTraffic loads rollout and goodTemplate with the given traffic block.
func loadTraffic(t *testing.T, rollout, traffic string) *scenario.Input {
	t.Helper()
	doc := rollout + "---\n" + goodTemplate + "---\napiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  namespace: ns\n  update: {image: app:v2}\n  traffic:\n" + traffic
	in, err := scenario.LoadData("t.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// trafficRun drives the traffic model alone: 3 stable pods and 1 canary pod,
// all Ready, scraped every 15s for dur; weight >= 0 is the router's weight.
func trafficRun(t *testing.T, in *scenario.Input, weight int32, dur time.Duration, pods []Pod) (*promfake.Store, time.Time) {
	t.Helper()
	set := in.Settings()
	store := promfake.NewStore()
	tr := New(in, set, store)
	tr.SetStableHash("stable1")
	tr.SetCanaryWeight(weight)
	if pods == nil {
		pods = []Pod{{"app-c-1", "canary1", true}, {"app-s-1", "stable1", true}, {"app-s-2", "stable1", true}, {"app-s-3", "stable1", true}}
	}
	end := set.Start.Add(dur)
	for at := set.Start; !at.After(end); at = at.Add(set.Scrape) {
		if err := scrapeWith(tr, at, pods); err != nil {
			t.Fatal(err)
		}
	}
	return store, end
}

func instant(t *testing.T, s *promfake.Store, q string, at time.Time) float64 {
	t.Helper()
	res, err := promfake.Shared().Instant(context.Background(), s, q, at)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	v, ok := res.Value.(promql.Vector)
	if !ok || len(v) != 1 {
		t.Fatalf("%s: %v", q, res.Value)
	}
	return v[0].F
}

// within fails unless got is within k standard deviations of want.
func within(t *testing.T, what string, got, want, sd float64) {
	t.Helper()
	const k = 5
	if math.Abs(got-want) > k*sd+1e-9 {
		t.Errorf("%s = %v, want %v ± %v (%d sd)", what, got, want, k*sd, k)
	}
}

// expectedQuantile is what histogram_quantile computes from the model's
// exact bucket probabilities: linear interpolation inside the bucket where
// the cumulative share reaches q. It also returns that bucket's width and
// probability, for the noise bound.
func expectedQuantile(b *behaviour, q float64) (v, width, prob float64) {
	cum, lower := 0.0, 0.0
	for i, p := range b.bucket[:len(promfake.LatencyBounds)] {
		upper := promfake.LatencyBounds[i]
		if cum+p >= q {
			return lower + (upper-lower)*(q-cum)/p, upper - lower, p
		}
		cum, lower = cum+p, upper
	}
	return math.Inf(1), 0, 0
}

// Generated Envoy series match the model at each traffic-router weight:
// total rate = rps, the 5xx share, the seed's success ratio and the latency
// quantiles, within five standard deviations of the Poisson/binomial noise.
func TestEnvoyRatesMatchModel(t *testing.T) {
	in := trafficInput(t, `    rps: 50
    stable: {errorRate: 0.01, latency: {p50: 20ms, p99: 200ms}}
    canary: {errorRate: 0.2, latency: {p50: 40ms, p99: 900ms}}
`)
	const rps = 50.0
	for _, w := range []int32{0, 20, 50, 100} {
		store, end := trafficRun(t, in, w, 30*time.Minute, nil)
		c := float64(w) / 100
		p := (1-c)*0.01 + c*0.2
		// rate() over 10m sees 39 intervals of 15s.
		n := rps * 585
		within(t, "total rate", instant(t, store, `sum(rate(envoy_cluster_upstream_rq_total[10m]))`, end), rps, math.Sqrt(n)/585)
		within(t, "error share", instant(t, store, `sum(rate(envoy_cluster_upstream_rq_xx{envoy_response_code_class="5"}[10m])) / sum(rate(envoy_cluster_upstream_rq_total[10m]))`, end), p, math.Sqrt(p*(1-p)/n))
		within(t, "503 share", instant(t, store, `sum(rate(envoy_cluster_upstream_rq{envoy_response_code="503"}[10m])) / sum(rate(envoy_cluster_upstream_rq_total[10m]))`, end), p, math.Sqrt(p*(1-p)/n))
		// The seed's query: irate sees the last 15s.
		seed := `sum(irate(envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"httproute/ns/app/.*", envoy_response_code_class="2"}[1m])) / sum(irate(envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"httproute/ns/app/.*"}[1m]))`
		for _, at := range []time.Duration{5 * time.Minute, 20 * time.Minute, 30 * time.Minute} {
			within(t, "seed ratio", instant(t, store, seed, in.Settings().Start.Add(at)), 1-p, math.Sqrt(p*(1-p)/(rps*15)))
		}
		// Latency, for the pure versions.
		if w == 0 || w == 100 {
			v := stableVersion
			if w == 100 {
				v = canaryVersion
			}
			tr := New(in, in.Settings(), promfake.NewStore())
			for _, q := range []float64{0.5, 0.99} {
				want, width, prob := expectedQuantile(tr.models[v], q)
				sd := math.Sqrt(q*(1-q)/n) / prob * width
				got := instant(t, store, `histogram_quantile(`+ftoa(q)+`, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket[10m])))`, end)
				within(t, "latency quantile "+ftoa(q), got, want, sd)
			}
			// The configured p50 lies in the bucket the quantile falls in.
			if got := instant(t, store, `histogram_quantile(0.5, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket[10m])))`, end); got < 10 || got > 50 {
				t.Errorf("p50 %v outside the bucket of the model's p50", got)
			}
			mean := tr.models[v].mean
			within(t, "mean latency", instant(t, store, `sum(rate(envoy_cluster_upstream_rq_time_sum[10m])) / sum(rate(envoy_cluster_upstream_rq_time_count[10m]))`, end), mean, tr.models[v].sd/math.Sqrt(n))
		}
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Without noise the counters are the expected counts, rounded: the seed's
// ratio is exact up to the rounding of one interval.
func TestNoNoiseExact(t *testing.T) {
	in := trafficInput(t, `    rps: 50
    noise: none
    stable: {errorRate: 0.01}
    canary: {errorRate: 0.2}
`)
	for _, w := range []int32{0, 20, 50, 80, 100} {
		store, end := trafficRun(t, in, w, 20*time.Minute, nil)
		c := float64(w) / 100
		p := (1-c)*0.01 + c*0.2
		got := instant(t, store, `sum(irate(envoy_cluster_upstream_rq_xx{envoy_response_code_class="2"}[1m])) / sum(irate(envoy_cluster_upstream_rq_xx[1m]))`, end)
		if math.Abs(got-(1-p)) > 2/(50*15.0) {
			t.Errorf("weight %d: ratio %v, want %v", w, got, 1-p)
		}
		if got := instant(t, store, `sum(increase(envoy_cluster_upstream_rq_total[10m]))`, end); math.Abs(got-50*600) > 1 {
			t.Errorf("weight %d: increase %v, want 30000", w, got)
		}
	}
}

// The seed's Istio query (ClusterAnalysisTemplate, reporter="source") reads
// the blended success rate; without trafficRouting the split follows pods.
func TestIstioSeedQuery(t *testing.T) {
	in := trafficInput(t, `    mesh: istio
    route: guestbook-svc.default.svc.cluster.local
    rps: 40
    stable: {errorRate: 0.02}
    canary: {codes: {200: 0.7, 404: 0.1, 503: 0.2}}
`)
	q := `sum(irate(istio_requests_total{reporter="source",destination_service=~"guestbook-svc.default.svc.cluster.local",response_code!~"5.*"}[5m])) / sum(irate(istio_requests_total{reporter="source",destination_service=~"guestbook-svc.default.svc.cluster.local"}[5m]))`
	store, end := trafficRun(t, in, -1, 20*time.Minute, nil) // 1 canary pod of 4
	p := 0.75*0.02 + 0.25*0.2
	within(t, "istio seed ratio", instant(t, store, q, end), 1-p, math.Sqrt(p*(1-p)/(40*15)))
	// The destination reporter sees the same requests, per pod.
	n := 40.0 * 585
	src := instant(t, store, `sum(rate(istio_requests_total{reporter="source"}[10m]))`, end)
	dst := instant(t, store, `sum(rate(istio_requests_total{reporter="destination"}[10m]))`, end)
	within(t, "source rate", src, 40, math.Sqrt(n)/585)
	if math.Abs(src-dst) > 1e-9 {
		t.Errorf("source %v != destination %v", src, dst)
	}
	within(t, "canary 404 share", instant(t, store, `sum(rate(istio_requests_total{reporter="destination",rollouts_pod_template_hash="canary1",response_code="404"}[10m])) / sum(rate(istio_requests_total{reporter="destination",rollouts_pod_template_hash="canary1"}[10m]))`, end), 0.1, math.Sqrt(0.09/(n/4)))
	// Pod-level labels as the kubernetes-pods job adds them.
	res, _ := promfake.Shared().Instant(context.Background(), store, `istio_requests_total{reporter="destination",pod="app-c-1",response_code="200"}`, end)
	v := res.Value.(promql.Vector)
	if len(v) != 1 {
		t.Fatalf("pod series: %v", v)
	}
	for name, want := range map[string]string{
		"app": "app", "namespace": "ns", "rollouts_pod_template_hash": "canary1", "destination_workload": "app",
		"destination_service_name": "guestbook-svc", "destination_service_namespace": "default", "destination_version": "unknown",
		"source_workload": "istio-ingressgateway", "connection_security_policy": "mutual_tls", "destination_canonical_revision": "latest",
	} {
		if got := v[0].Metric.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// A pod that goes away: its series turn stale at the next scrape (instant
// queries stop seeing them at once, range functions still do); a restart
// resets the counters, which rate() reads as a reset.
func TestIstioStalenessAndRestart(t *testing.T) {
	in := trafficInput(t, `    mesh: istio
    rps: 10
    noise: none
`)
	set := in.Settings()
	store := promfake.NewStore()
	tr := New(in, set, store)
	tr.SetStableHash("s")
	pods := []Pod{{"a", "s", true}, {"b", "s", true}}
	at := set.Start
	step := func(n int) {
		for range n {
			if err := scrapeWith(tr, at, pods); err != nil {
				t.Fatal(err)
			}
			at = at.Add(set.Scrape)
		}
	}
	step(20)
	pods = pods[:1]
	step(1)
	last := at.Add(-set.Scrape)
	count := func(q string, when time.Time) int {
		res, err := promfake.Shared().Instant(context.Background(), store, q, when)
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Value.(promql.Vector))
	}
	if n := count(`istio_requests_total{reporter="destination",pod="b"}`, last); n != 0 {
		t.Errorf("pod b still visible after it went away: %d", n)
	}
	if n := count(`rate(istio_requests_total{reporter="destination",pod="b"}[5m])`, last); n != 1 {
		t.Errorf("rate over pod b's window: %d series, want 1", n)
	}
	// Pod a now takes all 10 rps.
	step(20)
	before := instant(t, store, `istio_requests_total{reporter="destination",pod="a"}`, at.Add(-set.Scrape))
	tr.restart("stable")
	step(1)
	after := instant(t, store, `istio_requests_total{reporter="destination",pod="a"}`, at.Add(-set.Scrape))
	if after >= before || after != 150 {
		t.Errorf("after restart %v (before %v), want 150", after, before)
	}
	within(t, "rate across the reset", instant(t, store, `sum(rate(istio_requests_total{reporter="destination"}[1m]))`, at.Add(-set.Scrape)), 10, 0.01)
}

// The rate schedule: steps, ramps and the daily curve integrate exactly.
func TestRateSchedule(t *testing.T) {
	start := scenario.DefaultStartTime
	rps := func(v float64) *float64 { return &v }
	tr := &scenario.Traffic{RPS: rps(10), Events: []scenario.TrafficEvent{
		{At: scenario.Duration{Duration: 10 * time.Minute}, RPS: rps(20)},
		{At: scenario.Duration{Duration: 20 * time.Minute}, RPS: rps(40), Over: &scenario.Duration{Duration: 10 * time.Minute}},
		{At: scenario.Duration{Duration: 25 * time.Minute}, RPS: rps(0)}, // cuts the ramp at 30
	}}
	s := newRateSchedule(tr, start)
	at := func(d time.Duration) time.Time { return start.Add(d) }
	for _, tc := range []struct {
		from, to time.Duration
		want     float64
	}{
		{0, time.Minute, 600},
		{9*time.Minute + 30*time.Second, 10*time.Minute + 30*time.Second, 300 + 600},
		{20 * time.Minute, 25 * time.Minute, (20 + 30) / 2.0 * 300},
		{25 * time.Minute, 26 * time.Minute, 0},
	} {
		if got := s.requests(at(tc.from), at(tc.to)); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("requests(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
	d := newRateSchedule(&scenario.Traffic{RPS: rps(100), Daily: &scenario.DailyCurve{Amplitude: 0.5, Peak: "12:00"}}, start)
	if got := d.requests(at(12*time.Hour-time.Second), at(12*time.Hour+time.Second)); math.Abs(got-300) > 1e-6 {
		t.Errorf("peak: %v", got)
	}
	if got := d.requests(at(-time.Second), at(time.Second)); math.Abs(got-100) > 1e-6 {
		t.Errorf("trough: %v", got)
	}
}

// The Ready pods of each version follow SetPods and SetStableHash, whatever
// the order (the counts are kept between scrapes).
func TestReadyFollowsSetters(t *testing.T) {
	in := trafficInput(t, "    rps: 50\n")
	m := New(in, in.Settings(), promfake.NewStore())
	m.SetCanaryWeight(-1)
	pods := []Pod{{"a", "c1", true}, {"b", "s1", true}, {"c", "s1", true}, {"d", "s1", false}}
	for _, tc := range []struct {
		name  string
		apply func()
		want  [2]int
	}{
		{"no pods", func() {}, [2]int{0, 0}},
		{"pods, no stable hash", func() { m.SetPods(pods) }, [2]int{0, 3}},
		{"stable hash", func() { m.SetStableHash("s1") }, [2]int{2, 1}},
		{"a stable pod Ready", func() { p := slices.Clone(pods); p[3].Ready = true; m.SetPods(p) }, [2]int{3, 1}},
		{"the canary promoted", func() { m.SetStableHash("c1") }, [2]int{1, 3}},
		{"the same pods again", func() { p := slices.Clone(pods); p[3].Ready = true; m.SetPods(p) }, [2]int{1, 3}},
	} {
		tc.apply()
		if _, ready := m.split(); ready != tc.want {
			t.Errorf("%s: Ready stable/canary %v, want %v", tc.name, ready, tc.want)
		}
	}
}
