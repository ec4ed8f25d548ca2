package traffic

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollsim/rollsim/promfake"
	"github.com/rollsim/rollsim/sim/scenario"
)

// aheadStep is something that happens at a scrape, before it: a setter, a
// traffic event, a pod change, or writing ahead.
type aheadStep struct {
	at    int // scrape index
	ahead int // write this many scrapes ahead
	apply func(m *Model)
	pods  []Pod
}

// Writing scrapes ahead never changes what is scraped: every sequence of
// writes ahead, confirmations and changes that drop them gives the store
// (every sample, as promtool would dump it) of scraping one at a time.
func TestAheadScrapesAsIfOneAtATime(t *testing.T) {
	pods := []Pod{{"app-c-1", "canary1", true}, {"app-s-1", "stable1", true}, {"app-s-2", "stable1", true}}
	fewer := []Pod{{"app-s-1", "stable1", true}, {"app-s-2", "stable1", true}}
	weight := func(w int32) func(m *Model) { return func(m *Model) { m.SetCanaryWeight(w) } }
	rps := 80.0
	restart := &scenario.TrafficEvent{Restart: "gateway"}
	faster := &scenario.TrafficEvent{RPS: &rps}
	istio := "    mesh: istio\n    route: app.ns.svc.cluster.local\n    rps: 50\n"
	for _, tc := range []struct {
		name      string
		traffic   string
		blueGreen bool
		steps     []aheadStep
	}{
		{"preview traffic", "    rps: 50\n    preview: {rps: 5}\n", true, []aheadStep{{at: 0, apply: func(m *Model) { m.SetPreviewHash("canary1") }}, {at: 1, ahead: 12}, {at: 4, apply: func(m *Model) { m.SetPreviewHash("") }}, {at: 6, ahead: 3}}},
		{"confirmed to the end", "    rps: 50\n", false, []aheadStep{{at: 2, ahead: 30}}},
		{"weight changes mid-way", "    rps: 50\n", false, []aheadStep{{at: 1, ahead: 20}, {at: 7, apply: weight(60)}, {at: 9, ahead: 5}}},
		{"same weight again keeps them", "    rps: 50\n", false, []aheadStep{{at: 1, ahead: 20}, {at: 4, apply: weight(20)}}},
		{"a pod goes", "    rps: 50\n", false, []aheadStep{{at: 3, ahead: 10}, {at: 6, pods: fewer}, {at: 8, ahead: 10}}},
		{"gateway restart", "    rps: 50\n", false, []aheadStep{{at: 1, ahead: 20}, {at: 5, apply: func(m *Model) { m.Apply(restart) }}, {at: 6, ahead: 4}}},
		{"rps changes", "    rps: 50\n", false, []aheadStep{{at: 1, ahead: 20}, {at: 5, apply: func(m *Model) { m.Apply(faster) }}}},
		{"errors and latency", "    rps: 50\n    canary: {errorRate: 0.3, latency: {p50: 40ms, p99: 400ms}}\n", false, []aheadStep{{at: 1, ahead: 12}, {at: 5, apply: weight(0)}, {at: 6, ahead: 12}}},
		{"istio", istio, false, []aheadStep{{at: 1, ahead: 20}, {at: 6, apply: weight(50)}, {at: 8, ahead: 20}}},
		{"istio pod goes and comes back", istio, false, []aheadStep{{at: 1, ahead: 20}, {at: 5, pods: fewer}, {at: 6, ahead: 5}, {at: 9, pods: pods}, {at: 10, ahead: 10}}},
		{"istio restarts", istio, false, []aheadStep{{at: 1, ahead: 20}, {at: 5, apply: func(m *Model) { m.Apply(&scenario.TrafficEvent{Restart: "canary"}) }}, {at: 6, ahead: 10}, {at: 9, apply: func(m *Model) { m.Apply(restart) }}, {at: 10, ahead: 10}}},
		{"istio errors, no endpoints", istio + "    canary: {errorRate: 0.3}\n", false, []aheadStep{{at: 1, ahead: 10}, {at: 3, pods: fewer}, {at: 4, ahead: 10}}},
		{"no noise", "    rps: 50\n    noise: none\n", false, []aheadStep{{at: 1, ahead: 12}, {at: 4, apply: weight(50)}, {at: 5, ahead: 12}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in *scenario.Input
			if tc.blueGreen {
				in = blueGreenInput(t, tc.traffic)
			} else {
				in = trafficInput(t, tc.traffic)
			}
			plain := runAhead(t, in, pods, tc.steps, false)
			ahead := runAhead(t, in, pods, tc.steps, true)
			if !bytes.Equal(plain, ahead) {
				t.Errorf("store differs with scrapes written ahead:\n%s\none at a time:\n%s", ahead, plain)
			}
		})
	}
}

// runAhead scrapes 40 times, doing steps before the scrapes they name
// (writing ahead only if ahead), and dumps the store.
func runAhead(t *testing.T, in *scenario.Input, pods []Pod, steps []aheadStep, ahead bool) []byte {
	t.Helper()
	set := in.Settings()
	store := promfake.NewStore()
	m := New(in, set, store)
	m.SetStableHash("stable1")
	m.SetCanaryWeight(20)
	for i := range 40 {
		at := set.Start.Add(time.Duration(i) * set.Scrape)
		for _, s := range steps {
			if s.at != i {
				continue
			}
			if s.apply != nil {
				s.apply(m)
			}
			if s.pods != nil {
				pods = s.pods
			}
			if s.ahead == 0 || !ahead {
				continue
			}
			until := at.Add(time.Duration(s.ahead) * set.Scrape)
			through, ok := aheadWith(m, until, pods, 1<<20)
			if i > 0 && (!ok || !through.Equal(until)) {
				t.Fatalf("scrape %d: wrote ahead through %s (%v), want %s", i, through, ok, until)
			}
		}
		if err := scrapeWith(m, at, pods); err != nil {
			t.Fatal(err)
		}
	}
	m.DropAhead()
	if n := store.TentativeSamples(); n != 0 {
		t.Fatalf("%d tentative samples left", n)
	}
	var b bytes.Buffer
	if err := promfake.WriteDump(&b, store); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Leaving a family of series out writes none of its series and changes no
// other: the rest are the same sample for sample, for each Envoy family
// alone and all of them, and Istio's latencies (its request counter is what
// every Istio query reads: always written).
func TestLeaveOutKeepsTheRest(t *testing.T) {
	envoy := trafficInput(t, "    rps: 50\n    canary: {errorRate: 0.2, latency: {p50: 40ms, p99: 400ms}}\n")
	istio := trafficInput(t, "    mesh: istio\n    route: app.ns.svc.cluster.local\n    rps: 50\n    canary: {errorRate: 0.2, latency: {p50: 40ms, p99: 400ms}}\n")
	pods := []Pod{{"app-c-1", "canary1", true}, {"app-s-1", "stable1", true}}
	dump := func(in *scenario.Input, leftOut []string) []string {
		set := in.Settings()
		store := promfake.NewStore()
		m := New(in, set, store)
		if leftOut != nil {
			m.LeaveOut(func(name string) bool { return !slices.Contains(leftOut, name) })
		}
		m.SetStableHash("stable1")
		m.SetCanaryWeight(30)
		for i := range 40 {
			if err := scrapeWith(m, set.Start.Add(time.Duration(i)*set.Scrape), pods); err != nil {
				t.Fatal(err)
			}
		}
		var b bytes.Buffer
		if err := promfake.WriteDump(&b, store); err != nil {
			t.Fatal(err)
		}
		return strings.SplitAfter(b.String(), "\n")
	}
	named := func(line string, names []string) bool {
		return slices.ContainsFunc(names, func(n string) bool { return strings.Contains(line, `__name__="`+n+`"`) })
	}
	var envoyAll []string
	for _, f := range promfake.EnvoyFamilies {
		envoyAll = append(envoyAll, f.MetricNames()...)
	}
	cases := []struct {
		name    string
		in      *scenario.Input
		leftOut []string
	}{
		{"envoy, all", envoy, envoyAll},
		{"istio latency", istio, promfake.IstioLatencyMetricNames},
	}
	for _, f := range promfake.EnvoyFamilies {
		cases = append(cases, struct {
			name    string
			in      *scenario.Input
			leftOut []string
		}{"envoy " + f.MetricNames()[0], envoy, f.MetricNames()})
	}
	for _, tc := range cases {
		all, left := dump(tc.in, nil), dump(tc.in, tc.leftOut)
		var want []string
		wrote := false
		for _, line := range all {
			if named(line, tc.leftOut) {
				wrote = true
			} else {
				want = append(want, line)
			}
		}
		if !wrote {
			t.Errorf("%s: the family is not written to begin with", tc.name)
		}
		if !slices.Equal(left, want) {
			t.Errorf("%s: left out, the store holds %d samples, want the other %d (first %.200q)", tc.name, len(left), len(want), strings.Join(left, ""))
		}
	}
}

// blueGreenInput is goodRollout as a blue-green rollout with a preview
// service.
func blueGreenInput(t *testing.T, traffic string) *scenario.Input {
	t.Helper()
	canary := "    canary:\n      steps:\n      - setWeight: 20\n      - analysis:\n          templates:\n          - templateName: rate\n"
	if !strings.Contains(goodRollout, canary) {
		t.Fatal("goodRollout has no canary strategy to replace")
	}
	return loadTraffic(t, strings.Replace(goodRollout, canary, "    blueGreen: {activeService: app, previewService: app-preview}\n", 1), traffic)
}

// ConfirmBefore confirms the scrapes written ahead before a time, within a
// bound on samples, as if scraped one at a time; the next real scrape follows.
func TestConfirmBefore(t *testing.T) {
	in := trafficInput(t, "    rps: 50\n")
	pods := []Pod{{"app-c-1", "canary1", true}, {"app-s-1", "stable1", true}}
	run := func(ahead bool, most int) (string, time.Time) {
		set := in.Settings()
		store := promfake.NewStore()
		m := New(in, set, store)
		m.SetStableHash("stable1")
		m.SetCanaryWeight(20)
		at := func(i int) time.Time { return set.Start.Add(time.Duration(i) * set.Scrape) }
		var last time.Time
		for i := 0; i < 20; i++ {
			if err := scrapeWith(m, at(i), pods); err != nil {
				t.Fatal(err)
			}
			if ahead && i == 2 {
				aheadWith(m, at(12), pods, 1<<20)
				if l := m.ConfirmBefore(at(9), most); !l.IsZero() {
					// Confirmed through l: the next real scrape is after it.
					last, i = l, int(l.Sub(set.Start)/set.Scrape)
				}
			}
		}
		m.DropAhead()
		var b bytes.Buffer
		if err := promfake.WriteDump(&b, store); err != nil {
			t.Fatal(err)
		}
		return b.String(), last
	}
	plain, _ := run(false, 1<<20)
	if got, last := run(true, 1<<20); got != plain || !last.Equal(in.Settings().Start.Add(8*in.Settings().Scrape)) {
		t.Errorf("confirmed through %s; store same as one at a time: %v", last, got == plain)
	}
	// A bound on samples stops it early, never past the bound.
	if got, last := run(true, 0); got != plain || !last.IsZero() {
		t.Errorf("with no room for samples: confirmed through %s; store same: %v", last, got == plain)
	}
}

// scrapeWith is Scrape with the world's pods set first, as the run loop does.
func scrapeWith(m *Model, at time.Time, pods []Pod) error {
	m.SetPods(pods)
	return m.Scrape(at)
}

// aheadWith is Ahead with the world's pods set first.
func aheadWith(m *Model, until time.Time, pods []Pod, budget int) (time.Time, bool) {
	m.SetPods(pods)
	return m.Ahead(until, budget)
}
