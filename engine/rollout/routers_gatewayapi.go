package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/rollsim/rollsim/engine/api/thirdparty"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// The Gateway API plugin's in-progress label (argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi
// internal/defaults): on the HTTPRoute while the canary has weight.
const (
	GatewayAPIInProgressLabel = "rollouts.argoproj.io/gatewayapi-canary"
	gatewayAPIInProgressValue = "in-progress"
)

// GatewayAPIRoute is one HTTPRoute the plugin manages.
type GatewayAPIRoute struct {
	Name            string `json:"name"`
	UseHeaderRoutes bool   `json:"useHeaderRoutes,omitempty"`
}

// GatewayAPIConfig is the Gateway API plugin's configuration
// (trafficRouting.plugins["argoproj-labs/gatewayAPI"]) as far as HTTPRoutes go.
type GatewayAPIConfig struct {
	HTTPRoute              string            `json:"httpRoute,omitempty"`
	HTTPRoutes             []GatewayAPIRoute `json:"httpRoutes,omitempty"`
	Namespace              string            `json:"namespace,omitempty"`
	DisableInProgressLabel bool              `json:"disableInProgressLabel,omitempty"`
	InProgressLabelKey     string            `json:"inProgressLabelKey,omitempty"`
	InProgressLabelValue   string            `json:"inProgressLabelValue,omitempty"`
}

// ParseGatewayAPIConfig reads the plugin configuration.
func ParseGatewayAPIConfig(raw []byte) (GatewayAPIConfig, error) {
	var cfg GatewayAPIConfig
	if len(raw) == 0 {
		return cfg, nil
	}
	err := json.Unmarshal(raw, &cfg)
	return cfg, err
}

// Routes are the HTTPRoutes the plugin manages: httpRoutes, then httpRoute
// (which uses header routes), as the plugin lists them (insertGatewayAPIRouteLists).
func (c GatewayAPIConfig) Routes() []GatewayAPIRoute {
	out := append([]GatewayAPIRoute(nil), c.HTTPRoutes...)
	if c.HTTPRoute != "" {
		out = append(out, GatewayAPIRoute{Name: c.HTTPRoute, UseHeaderRoutes: true})
	}
	return out
}

// ManagedRule reports a rule the plugin added for a header route: named
// after a managed route (or "<name>-<n>"), or, from older plugin versions, a
// rule whose only backendRef is the canary.
func ManagedRule(rule map[string]any, managed []v1alpha1.MangedRoutes, canary string) bool {
	name, _ := rule["name"].(string)
	for _, m := range managed {
		if name == m.Name {
			return true
		}
		if rest, ok := strings.CutPrefix(name, m.Name+"-"); ok {
			if _, err := strconv.Atoi(rest); err == nil {
				return true
			}
		}
	}
	refs, _ := rule["backendRefs"].([]any)
	if len(refs) != 1 {
		return false
	}
	ref, _ := refs[0].(map[string]any)
	return ref["name"] == canary
}

// syncGatewayAPI does what the Gateway API plugin does with HTTPRoutes
// (pkg/plugin/httproute.go): the canary and stable backendRefs of every rule
// but its own header rules get the weights, the in-progress label marks the
// route while the canary has weight; header routes add one rule per rule that
// reaches both Services (its matches with the header matches added, to the
// canary alone), removed with the managed routes.
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
	managed := c.TrafficRouting.ManagedRoutes
	for _, ref := range cfg.Routes() {
		route, err := s.getThirdParty(ctx, thirdparty.HTTPRoute, ns, ref.Name)
		if err != nil {
			return err
		}
		if route == nil {
			continue
		}
		orig := route.DeepCopy()
		rules := slice(route.Object, "spec", "rules")
		if ref.UseHeaderRoutes && (u.removeManaged || (u.header != nil && u.header.Match == nil)) {
			rules = removeManagedRules(rules, managed, c.CanaryService)
		}
		if h := u.header; ref.UseHeaderRoutes && h != nil && h.Match != nil {
			rules = setHeaderRules(rules, h, c.CanaryService, c.StableService)
		}
		canaryFound, stableFound := false, false
		for _, rule := range rules {
			rm, _ := rule.(map[string]any)
			if ManagedRule(rm, managed, c.CanaryService) {
				continue
			}
			refs, _ := rm["backendRefs"].([]any)
			for _, br := range refs {
				m, _ := br.(map[string]any)
				switch m["name"] {
				case c.CanaryService:
					m["weight"], canaryFound = int64(u.weight), true
				case c.StableService:
					m["weight"], stableFound = int64(maxWeight-u.weight), true
				}
			}
		}
		if !canaryFound || !stableFound {
			// The plugin refuses the route (BackendRefWasNotFoundInHTTPRouteError).
			continue
		}
		if rules == nil {
			rules = []any{}
		}
		_ = unstructured.SetNestedSlice(route.Object, rules, "spec", "rules")
		if !cfg.DisableInProgressLabel {
			key, value := cfg.InProgressLabelKey, cfg.InProgressLabelValue
			if key == "" {
				key = GatewayAPIInProgressLabel
			}
			if value == "" {
				value = gatewayAPIInProgressValue
			}
			labels := route.GetLabels()
			if u.weight == 0 {
				delete(labels, key)
			} else {
				if labels == nil {
					labels = map[string]string{}
				}
				labels[key] = value
			}
			if len(labels) == 0 {
				labels = nil
			}
			route.SetLabels(labels)
		}
		if reflect.DeepEqual(orig.Object, route.Object) {
			continue
		}
		if err := s.r.Client.Update(ctx, route); err != nil {
			return fmt.Errorf("updating HTTPRoute %s: %w", ref.Name, err)
		}
	}
	return nil
}

func removeManagedRules(rules []any, managed []v1alpha1.MangedRoutes, canary string) []any {
	var out []any
	for _, r := range rules {
		if rm, _ := r.(map[string]any); !ManagedRule(rm, managed, canary) {
			out = append(out, r)
		}
	}
	return out
}

// setHeaderRules replaces the header route's rules (upstream plugin
// setHTTPHeaderRoute).
func setHeaderRules(rules []any, h *v1alpha1.SetHeaderRoute, canary, stable string) []any {
	var headers []any
	for _, m := range h.Match {
		v := m.HeaderValue
		if v == nil {
			continue
		}
		match := map[string]any{"name": m.HeaderName}
		switch {
		case v.Exact != "":
			match["type"], match["value"] = "Exact", v.Exact
		case v.Prefix != "":
			match["type"], match["value"] = "RegularExpression", v.Prefix+".*"
		case v.Regex != "":
			match["type"], match["value"] = "RegularExpression", v.Regex
		default:
			continue
		}
		headers = append(headers, match)
	}
	has := func(refs []any, name string) map[string]any {
		for _, r := range refs {
			if m, _ := r.(map[string]any); m["name"] == name {
				return m
			}
		}
		return nil
	}
	var added []any
	for _, r := range rules {
		rm, _ := r.(map[string]any)
		refs, _ := rm["backendRefs"].([]any)
		canaryRef := has(refs, canary)
		if canaryRef == nil || has(refs, stable) == nil {
			continue
		}
		name := h.Name
		if len(added) > 0 {
			name = fmt.Sprintf("%s-%d", h.Name, len(added))
		}
		backend := map[string]any{"group": "", "kind": "Service", "name": canary}
		if p, ok := canaryRef["port"]; ok {
			backend["port"] = p
		}
		rule := map[string]any{"name": name, "backendRefs": []any{backend}}
		var matches []any
		srcMatches, _ := rm["matches"].([]any)
		if len(srcMatches) == 0 {
			matches = []any{map[string]any{"headers": toJSONValue(headers)}}
		}
		for _, sm := range srcMatches {
			m, _ := sm.(map[string]any)
			merged := []any{}
			if hs, ok := m["headers"].([]any); ok {
				merged = append(merged, hs...)
			}
			merged = append(merged, headers...)
			nm := map[string]any{"headers": toJSONValue(merged)}
			for _, k := range []string{"path", "queryParams", "method"} {
				if v, ok := m[k]; ok {
					nm[k] = toJSONValue(v)
				}
			}
			matches = append(matches, nm)
		}
		rule["matches"] = matches
		if f, ok := rm["filters"].([]any); ok && len(f) > 0 {
			rule["filters"] = toJSONValue(f)
		}
		added = append(added, rule)
	}
	var kept []any
	for _, r := range rules {
		rm, _ := r.(map[string]any)
		if ManagedRule(rm, []v1alpha1.MangedRoutes{{Name: h.Name}}, "\x00") {
			continue
		}
		kept = append(kept, r)
	}
	return append(kept, added...)
}
