package traffic

import (
	"encoding/json"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/api/thirdparty"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/rollout"
)

// Routing is what the data plane does with the rollout's requests, as read
// from the traffic router's objects.
type Routing struct {
	// Canary is the share of requests routed to the canary (0..1).
	Canary float64
	// Mirror is the share of requests also copied to the canary by a mirror
	// route (the copies' answers are dropped, but the canary serves and
	// counts them).
	Mirror float64
	// Header reports a header route to the canary in place.
	Header bool
}

// Objects is a lookup of the router objects in the API: by kind (as in
// thirdparty, or "Ingress" and "Service"), namespace and name.
type Objects func(kind, namespace, name string) client.Object

// RoutingOf reads the routing of a canary rollout from its router's objects,
// as the proxies would apply it: the weights of the Istio VirtualService's
// route (and a mirror route's percentage), of the NGINX canary Ingress, of the
// ALB action annotation, of the SMI TrafficSplit or of the Gateway API
// plugin's HTTPRoute. ok is false when the rollout has no router rollsim
// models or its object is not in the API (then only the status says it).
func RoutingOf(ro *v1alpha1.Rollout, get Objects) (Routing, bool) {
	c := ro.Spec.Strategy.Canary
	if c == nil || c.TrafficRouting == nil {
		return Routing{}, false
	}
	tr := c.TrafficRouting
	switch {
	case tr.Istio != nil:
		return istioRouting(ro, get)
	case tr.Nginx != nil:
		stable := rollout.NginxStableIngresses(tr.Nginx)
		if len(stable) == 0 || get("Ingress", ro.Namespace, stable[0]) == nil {
			return Routing{}, false
		}
		ing, _ := get("Ingress", ro.Namespace, rollout.CanaryIngressName(ro.Name, stable[0])).(*networkingv1.Ingress)
		if ing == nil {
			return Routing{}, true // no canary Ingress yet: everything to the stable
		}
		prefix := rollout.NginxAnnotationPrefix(tr.Nginx)
		if ing.Annotations[prefix+"/canary"] != "true" {
			return Routing{}, true
		}
		w, _ := strconv.ParseFloat(ing.Annotations[prefix+"/canary-weight"], 64)
		total := 100.0
		if t, err := strconv.ParseFloat(ing.Annotations[prefix+"/canary-weight-total"], 64); err == nil && t > 0 {
			total = t
		}
		return Routing{Canary: clamp01(w / total)}, true
	case tr.ALB != nil:
		name := tr.ALB.Ingress
		if len(tr.ALB.Ingresses) > 0 {
			name = tr.ALB.Ingresses[0]
		}
		ing, _ := get("Ingress", ro.Namespace, name).(*networkingv1.Ingress)
		if ing == nil {
			return Routing{}, false
		}
		var action rollout.ALBAction
		v, ok := ing.Annotations[rollout.ALBActionAnnotation(ro)]
		if !ok || json.Unmarshal([]byte(v), &action) != nil {
			return Routing{}, true
		}
		w, total := action.CanaryWeight(c.CanaryService)
		if total <= 0 {
			return Routing{}, true
		}
		return Routing{Canary: float64(w) / float64(total)}, true
	case tr.SMI != nil:
		name := tr.SMI.TrafficSplitName
		if name == "" {
			name = ro.Name
		}
		ts, _ := get(thirdparty.SMITrafficSplit.Kind, ro.Namespace, name).(*unstructured.Unstructured)
		if ts == nil {
			return Routing{}, true // created on the first reconcile; until then the root service's pods
		}
		backends, _, _ := unstructured.NestedSlice(ts.Object, "spec", "backends")
		return shareOf(backends, "service", c.CanaryService), true
	}
	if raw, ok := tr.Plugins[rollout.GatewayAPIPlugin]; ok {
		cfg, err := rollout.ParseGatewayAPIConfig(raw)
		routes := cfg.Routes()
		if err != nil || len(routes) == 0 {
			return Routing{}, false
		}
		ns := cfg.Namespace
		if ns == "" {
			ns = ro.Namespace
		}
		hr, _ := get(thirdparty.HTTPRoute.Kind, ns, routes[0].Name).(*unstructured.Unstructured)
		if hr == nil {
			return Routing{}, false
		}
		rules, _, _ := unstructured.NestedSlice(hr.Object, "spec", "rules")
		var out Routing
		found := false
		for _, r := range rules {
			m, _ := r.(map[string]any)
			if rollout.ManagedRule(m, tr.ManagedRoutes, c.CanaryService) {
				out.Header = true
				continue
			}
			refs, _ := m["backendRefs"].([]any)
			if !found && (hasRef(refs, c.CanaryService) || hasRef(refs, c.StableService)) {
				out.Canary = shareOf(refs, "name", c.CanaryService).Canary
				found = true
			}
		}
		return out, true
	}
	return Routing{}, false
}

func hasRef(refs []any, name string) bool {
	for _, r := range refs {
		if m, _ := r.(map[string]any); m["name"] == name {
			return true
		}
	}
	return false
}

// shareOf is the canary's share of weighted backends (a missing weight counts
// 1, as in the Gateway API; SMI v1alpha1 weights are quantities).
func shareOf(backends []any, key, canary string) Routing {
	var w, total float64
	for _, b := range backends {
		m, _ := b.(map[string]any)
		v := 1.0
		if raw, ok := m["weight"]; ok {
			v = number(raw)
		}
		total += v
		if m[key] == canary {
			w += v
		}
	}
	if total <= 0 {
		return Routing{}
	}
	return Routing{Canary: w / total}
}

func number(v any) float64 {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	case string:
		f, _ := strconv.ParseFloat(n, 64)
		return f
	}
	return 0
}

func clamp01(f float64) float64 { return min(max(f, 0), 1) }

// istioRouting reads the first VirtualService of the rollout: the canary's
// share of the weighted route, the mirror percentage of a mirror route, and
// whether a header route is in place.
func istioRouting(ro *v1alpha1.Rollout, get Objects) (Routing, bool) {
	c := ro.Spec.Strategy.Canary
	is := c.TrafficRouting.Istio
	refs := rollout.IstioVirtualServices(is)
	if len(refs) == 0 {
		return Routing{}, false
	}
	ns, name := rollout.VirtualServiceRef(refs[0].Name, ro.Namespace)
	vs, _ := get(thirdparty.IstioVirtualService.Kind, ns, name).(*unstructured.Unstructured)
	if vs == nil {
		return Routing{}, false
	}
	var canarySubset string
	if is.DestinationRule != nil {
		canarySubset = is.DestinationRule.CanarySubsetName
	}
	isCanary := func(dest map[string]any) bool {
		host, _ := dest["host"].(string)
		sub, _ := dest["subset"].(string)
		if canarySubset != "" {
			return sub == canarySubset
		}
		return rollout.HostName(host) == c.CanaryService
	}
	var out Routing
	routes, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
	weighted := -1
	for i, r := range routes {
		m, _ := r.(map[string]any)
		name, _ := m["name"].(string)
		managed := false
		for _, mr := range c.TrafficRouting.ManagedRoutes {
			managed = managed || mr.Name == name
		}
		if managed {
			if mirror, ok := m["mirror"].(map[string]any); ok && isCanary(mirror) {
				pct := 100.0
				if mp, ok := m["mirrorPercentage"].(map[string]any); ok {
					pct = number(mp["value"])
				}
				out.Mirror = clamp01(pct / 100)
			} else if _, ok := m["match"]; ok {
				out.Header = true
			}
			continue
		}
		if weighted < 0 && (len(refs[0].Routes) == 0 && (len(routes) == 1 || name == "") || slices.Contains(refs[0].Routes, name)) {
			weighted = i
		}
	}
	if weighted < 0 {
		// tls or tcp only
		for _, kind := range []string{"tls", "tcp"} {
			if rs, _, _ := unstructured.NestedSlice(vs.Object, "spec", kind); len(rs) > 0 {
				routes, weighted = rs, 0
				break
			}
		}
	}
	if weighted < 0 {
		return out, true
	}
	m, _ := routes[weighted].(map[string]any)
	dests, _ := m["route"].([]any)
	var w, total float64
	for _, d := range dests {
		dm, _ := d.(map[string]any)
		dest, _ := dm["destination"].(map[string]any)
		v := 0.0
		if raw, ok := dm["weight"]; ok {
			v = number(raw)
		} else if len(dests) == 1 {
			v = 100 // a single destination takes everything
		}
		total += v
		if isCanary(dest) {
			w += v
		}
	}
	if total > 0 {
		out.Canary = w / total
	}
	return out, true
}

// ActiveHash is the pod-template hash a blue-green Service selects, if the
// rollout manages it ("" otherwise).
func ActiveHash(svc *corev1.Service) string {
	if svc == nil {
		return ""
	}
	return svc.Spec.Selector[rollout.PodTemplateHashLabel]
}
