package sim

import (
	"fmt"
	"time"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// validateTraffic checks spec.traffic and fills its defaults.
func (in *Input) validateTraffic(ro *v1alpha1.Rollout, bad func(fieldPath, format string, args ...any) error) error {
	sc := &in.Scenario
	tr := &sc.Spec.Traffic
	switch tr.Mesh {
	case "", "envoy":
		tr.Mesh = "envoy"
	case "istio":
		return bad("spec.traffic.mesh", "istio series are not generated yet; use envoy")
	default:
		return bad("spec.traffic.mesh", "unknown mesh %q (want envoy)", tr.Mesh)
	}
	if tr.Route == "" {
		tr.Route = fmt.Sprintf("httproute/%s/%s", sc.Spec.Namespace, ro.Name)
	}
	switch tr.Noise {
	case "":
		tr.Noise = "poisson"
	case "poisson", "none":
	default:
		return bad("spec.traffic.noise", "unknown noise %q (want poisson or none)", tr.Noise)
	}
	if tr.RPS != nil && *tr.RPS < 0 {
		return bad("spec.traffic.rps", "must be >= 0")
	}
	if tr.ScrapeInterval != nil && tr.ScrapeInterval.Duration < time.Second {
		return bad("spec.traffic.scrapeInterval", "must be at least 1s")
	}
	checkRate := func(path string, b *Behaviour) error {
		if b != nil && b.ErrorRate != nil && (*b.ErrorRate < 0 || *b.ErrorRate > 1) {
			return bad(path+".errorRate", "must be between 0 and 1, got %v", *b.ErrorRate)
		}
		return nil
	}
	if err := checkRate("spec.traffic.stable", &tr.Stable); err != nil {
		return err
	}
	if err := checkRate("spec.traffic.canary", &tr.Canary); err != nil {
		return err
	}
	for i, ev := range tr.Events {
		p := fmt.Sprintf("spec.traffic.events[%d]", i)
		if err := checkRate(p+".stable", ev.Stable); err != nil {
			return err
		}
		if err := checkRate(p+".canary", ev.Canary); err != nil {
			return err
		}
		if ev.RPS != nil && *ev.RPS < 0 {
			return bad(p+".rps", "must be >= 0")
		}
	}
	return nil
}
