package rollout

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rollsim/rollsim/engine/api/thirdparty"
)

// GatewayAPIConfig is the Gateway API plugin's configuration
// (trafficRouting.plugins["argoproj-labs/gatewayAPI"]), as far as weights go.
type GatewayAPIConfig struct {
	HTTPRoute  string `json:"httpRoute,omitempty"`
	HTTPRoutes []struct {
		Name            string `json:"name"`
		UseHeaderRoutes bool   `json:"useHeaderRoutes,omitempty"`
	} `json:"httpRoutes,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// ParseGatewayAPIConfig reads the plugin configuration; Routes lists the
// HTTPRoutes it manages.
func ParseGatewayAPIConfig(raw []byte) (GatewayAPIConfig, error) {
	var cfg GatewayAPIConfig
	if len(raw) == 0 {
		return cfg, nil
	}
	err := json.Unmarshal(raw, &cfg)
	return cfg, err
}

// Routes are the names of the HTTPRoutes the plugin manages.
func (c GatewayAPIConfig) Routes() []string {
	var out []string
	if c.HTTPRoute != "" {
		out = append(out, c.HTTPRoute)
	}
	for _, r := range c.HTTPRoutes {
		out = append(out, r.Name)
	}
	return out
}

// syncGatewayAPI does what the Gateway API plugin's SetWeight does: in every
// rule of each managed HTTPRoute, the backendRef of the canary Service gets the
// canary weight and that of the stable Service the rest. Header routes (the
// plugin's extra rules, tracked in its ConfigMap) are not modelled.
func (s *state) syncGatewayAPI(ctx context.Context, raw []byte, u routeUpdate) error {
	cfg, err := ParseGatewayAPIConfig(raw)
	if err != nil {
		return fmt.Errorf("trafficRouting.plugins[%q]: %w", GatewayAPIPlugin, err)
	}
	ns := cfg.Namespace
	if ns == "" {
		ns = s.ro.Namespace
	}
	c := s.ro.Spec.Strategy.Canary
	for _, name := range cfg.Routes() {
		route, err := s.getThirdParty(ctx, thirdparty.HTTPRoute, ns, name)
		if err != nil || route == nil {
			if err != nil {
				return err
			}
			continue
		}
		changed := false
		for _, rule := range slice(route.Object, "spec", "rules") {
			rm, _ := rule.(map[string]any)
			refs, _ := rm["backendRefs"].([]any)
			for _, ref := range refs {
				m, _ := ref.(map[string]any)
				var want int64
				switch m["name"] {
				case c.CanaryService:
					want = int64(u.weight)
				case c.StableService:
					want = int64(maxWeight - u.weight)
				default:
					continue
				}
				if m["weight"] == nil || intOf(m["weight"]) != want {
					m["weight"] = want
					changed = true
				}
			}
		}
		if !changed {
			continue
		}
		if err := s.r.Client.Update(ctx, route); err != nil {
			return fmt.Errorf("updating HTTPRoute %s: %w", name, err)
		}
	}
	return nil
}
