package scenario

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/promfake"
)

// validateTraffic checks spec.traffic and spec.series and fills defaults.
func (in *Input) validateTraffic(ro *v1alpha1.Rollout, bad func(fieldPath, format string, args ...any) error) error {
	sc := &in.Scenario
	tr := &sc.Spec.Traffic
	switch tr.Mesh {
	case "", "envoy":
		tr.Mesh = "envoy"
	case "istio":
	default:
		return bad("spec.traffic.mesh", "unknown mesh %q (want envoy or istio)", tr.Mesh)
	}
	in.defaultRoute(ro)
	if tr.Mesh == "istio" && len(strings.Split(tr.Route, ".")) < 2 {
		return bad("spec.traffic.route", "istio routes are a destination_service such as name.namespace.svc.cluster.local, got %q", tr.Route)
	}
	switch tr.Noise {
	case "":
		tr.Noise = "poisson"
	case "poisson", "none":
	default:
		return bad("spec.traffic.noise", "unknown noise %q (want poisson or none)", tr.Noise)
	}
	if tr.RPS != nil && !(*tr.RPS >= 0 && *tr.RPS < 1e9) {
		return bad("spec.traffic.rps", "must be between 0 and 1e9, got %v", *tr.RPS)
	}
	if in.CanaryOnly() && tr.RPS == nil {
		// The canary's share is of the route's recorded rate.
		if tr.Mesh != "envoy" {
			return bad("spec.traffic.rps", "required with spec.recorded and mesh %s: the route's request rate, which sizes the canary's share", tr.Mesh)
		}
		rps, err := in.recordedRate(tr.Route)
		if err != nil {
			return bad("spec.traffic.rps", "required with spec.recorded (the route's request rate, which sizes the synthetic canary's share) unless the recordings hold the route's envoy_cluster_upstream_rq_total: %v", err)
		}
		tr.RPS = &rps
	}
	if h := tr.HeaderShare; h != nil && !(*h >= 0 && *h <= 1) {
		return bad("spec.traffic.headerShare", "must be between 0 and 1, got %v", *h)
	}
	if d := tr.Daily; d != nil {
		if !(d.Amplitude >= 0 && d.Amplitude <= 1) {
			return bad("spec.traffic.daily.amplitude", "must be between 0 and 1, got %v", d.Amplitude)
		}
		if _, err := d.PeakOffset(); err != nil {
			return bad("spec.traffic.daily.peak", "%v", err)
		}
	}
	if tr.ScrapeInterval != nil && tr.ScrapeInterval.Duration < time.Second {
		return bad("spec.traffic.scrapeInterval", "must be at least 1s")
	}
	if err := checkBehaviour("spec.traffic.stable", &tr.Stable, bad); err != nil {
		return err
	}
	if err := checkBehaviour("spec.traffic.canary", &tr.Canary, bad); err != nil {
		return err
	}
	if err := in.validateTrafficEvents(bad); err != nil {
		return err
	}
	if err := validatePreview(tr, ro, bad); err != nil {
		return err
	}
	return in.validateSeries(bad)
}

// validateTrafficEvents checks spec.traffic.events.
func (in *Input) validateTrafficEvents(bad func(fieldPath, format string, args ...any) error) error {
	sc := &in.Scenario
	tr := &sc.Spec.Traffic
	warmup := defaultWarmup
	if sc.Spec.Warmup != nil {
		warmup = sc.Spec.Warmup.Duration
	}
	for i, ev := range tr.Events {
		p := fmt.Sprintf("spec.traffic.events[%d]", i)
		if ev.At.Duration < -warmup {
			return bad(p+".at", "%s is before the warmup starts (-%s)", ev.At.Duration, warmup)
		}
		if err := checkBehaviour(p+".stable", ev.Stable, bad); err != nil {
			return err
		}
		if err := checkBehaviour(p+".canary", ev.Canary, bad); err != nil {
			return err
		}
		if ev.RPS != nil && !(*ev.RPS >= 0 && *ev.RPS < 1e9) {
			return bad(p+".rps", "must be between 0 and 1e9, got %v", *ev.RPS)
		}
		if ev.Over != nil {
			if ev.RPS == nil {
				return bad(p+".over", "ramps the rps: set rps too")
			}
			if ev.Over.Duration <= 0 {
				return bad(p+".over", "must be positive")
			}
		}
		switch ev.Restart {
		case "", "stable", "canary", "gateway":
		default:
			return bad(p+".restart", "unknown %q (want stable, canary or gateway)", ev.Restart)
		}
	}
	return nil
}

// validatePreview checks spec.traffic.preview against the rollout.
func validatePreview(tr *Traffic, ro *v1alpha1.Rollout, bad func(fieldPath, format string, args ...any) error) error {
	if p := tr.Preview; p != nil {
		if p.RPS != nil && *p.RPS < 0 {
			return bad("spec.traffic.preview.rps", "must be >= 0")
		}
		if tr.Mesh == "istio" && p.Route != "" && len(strings.Split(p.Route, ".")) < 2 {
			return bad("spec.traffic.preview.route", "istio routes are a destination_service such as name.namespace.svc.cluster.local, got %q", p.Route)
		}
		if ro.Spec.Strategy.BlueGreen == nil || ro.Spec.Strategy.BlueGreen.PreviewService == "" {
			return bad("spec.traffic.preview", "Rollout %s has no blue-green previewService", ro.Name)
		}
	}
	return nil
}

// defaultRoute fills spec.traffic.route when the scenario gives none: the
// recorded route, so that a synthetic canary lands next to it, else the
// rollout's own (its stable service for istio, an HTTPRoute of its name).
func (in *Input) defaultRoute(ro *v1alpha1.Rollout) {
	tr := &in.Scenario.Spec.Traffic
	if tr.Route == "" && tr.Mesh == "envoy" && in.recorded != nil {
		tr.Route = in.recorded.recordedRoute()
	}
	if tr.Route != "" {
		return
	}
	if tr.Mesh == "istio" {
		svc := ro.Name
		if c := ro.Spec.Strategy.Canary; c != nil && c.StableService != "" {
			svc = c.StableService
		}
		tr.Route = fmt.Sprintf("%s.%s.svc.cluster.local", svc, ro.Namespace)
		return
	}
	tr.Route = fmt.Sprintf("httproute/%s/%s", in.Scenario.Spec.Namespace, ro.Name)
}

func checkBehaviour(path string, b *Behaviour, bad func(fieldPath, format string, args ...any) error) error {
	if b == nil {
		return nil
	}
	if b.ErrorRate != nil && !(*b.ErrorRate >= 0 && *b.ErrorRate <= 1) {
		return bad(path+".errorRate", "must be between 0 and 1, got %v", *b.ErrorRate)
	}
	if b.Codes != nil {
		sum := 0.0
		for _, code := range slices.Sorted(maps.Keys(b.Codes)) {
			share := b.Codes[code]
			if code < 100 || code > 599 {
				return bad(fmt.Sprintf("%s.codes[%d]", path, code), "not an HTTP status code (100 to 599)")
			}
			if !(share >= 0 && share <= 1) {
				return bad(fmt.Sprintf("%s.codes[%d]", path, code), "share must be between 0 and 1, got %v", share)
			}
			sum += share
		}
		if math.Abs(sum-1) > 1e-6 {
			return bad(path+".codes", "shares must add up to 1, got %v", sum)
		}
	}
	if l := b.Latency; l != nil {
		if l.P50 == nil || l.P99 == nil {
			return bad(path+".latency", "give both p50 and p99")
		}
		if l.P50.Duration <= 0 {
			return bad(path+".latency.p50", "must be positive")
		}
		if l.P99.Duration < l.P50.Duration {
			return bad(path+".latency.p99", "must not be below p50 (%s)", l.P50.Duration)
		}
	}
	return nil
}

// generatedMetrics are the metric names rollsim writes itself; spec.series
// must not write them (the samples would collide).
func generatedMetrics() map[string]bool {
	out := map[string]bool{}
	for _, n := range promfake.EnvoyMetricNames {
		out[n] = true
	}
	for _, n := range promfake.IstioMetricNames {
		out[n] = true
	}
	return out
}

// validateSeries checks spec.series: promtool notation, parsed by the
// upstream parser.
func (in *Input) validateSeries(bad func(fieldPath, format string, args ...any) error) error {
	gen := generatedMetrics()
	seen := map[string]int{}
	for i, s := range in.Scenario.Spec.Series {
		p := fmt.Sprintf("spec.series[%d]", i)
		if s.Series == "" {
			return bad(p+".series", "required: a series such as 'queue_depth{app=\"x\"}'")
		}
		if strings.TrimSpace(s.Values) == "" {
			return bad(p+".values", "required: values in promtool notation such as '0+5x120'")
		}
		lset, _, err := promfake.ParseSeriesNotation(s.Series, s.Values)
		if err != nil {
			return bad(p, "%v", err)
		}
		if gen[lset.Get("__name__")] {
			return bad(p+".series", "%s is generated from spec.traffic; give the series another name", lset.Get("__name__"))
		}
		if j, dup := seen[lset.String()]; dup {
			return bad(p+".series", "%s is already given by spec.series[%d]", lset, j)
		}
		seen[lset.String()] = i
		if s.Interval != nil && s.Interval.Duration <= 0 {
			return bad(p+".interval", "must be positive")
		}
	}
	return nil
}
