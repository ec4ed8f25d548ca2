package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/thirdparty"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// IstioVirtualServices are the VirtualServices the rollout routes through
// (virtualService or virtualServices).
func IstioVirtualServices(is *v1alpha1.IstioTrafficRouting) []v1alpha1.IstioVirtualService {
	if is == nil {
		return nil
	}
	if len(is.VirtualServices) > 0 {
		return is.VirtualServices
	}
	if is.VirtualService != nil {
		return []v1alpha1.IstioVirtualService{*is.VirtualService}
	}
	return nil
}

// VirtualServiceRef splits a VirtualService reference: "name" or
// "name.namespace" (upstream GetVirtualServiceNamespaceName).
func VirtualServiceRef(ref, rolloutNamespace string) (namespace, name string) {
	fields := strings.Split(ref, ".")
	name = fields[0]
	if len(fields) >= 2 && fields[1] != "" {
		return fields[1], name
	}
	return rolloutNamespace, name
}

// HostName is the service name of an Istio destination host: the part before
// the first dot (upstream getHost; a host starting with a dot has none).
func HostName(host string) string {
	if i := strings.Index(host, "."); i >= 0 {
		return host[:i]
	}
	return host
}

// syncIstio is the Istio reconciler (upstream rollout/trafficrouting/istio):
// the DestinationRule's subsets get the pod-template hashes, then every
// VirtualService gets its managed routes removed or set and the weights of
// its canary and stable destinations.
func (s *state) syncIstio(ctx context.Context, u routeUpdate) error {
	is := s.ro.Spec.Strategy.Canary.TrafficRouting.Istio
	drHost := ""
	if dr := is.DestinationRule; dr != nil {
		if s.delayDestinationRule(u) {
			// Upstream UpdateHash fails, and with it the weight change.
			return nil
		}
		host, err := s.updateDestinationRule(ctx, dr, u)
		if err != nil {
			return err
		}
		drHost = host
	}
	for _, vs := range IstioVirtualServices(is) {
		if err := s.syncVirtualService(ctx, vs, drHost, u); err != nil {
			return err
		}
	}
	return nil
}

// delayDestinationRule: without canary/stable Services, the subsets are not
// moved while a ReplicaSet taking traffic is not fully available (upstream
// shouldDelayDestinationRuleUpdate).
func (s *state) delayDestinationRule(u routeUpdate) bool {
	c := s.ro.Spec.Strategy.Canary
	if c.CanaryService != "" || c.StableService != "" {
		return false
	}
	for _, rs := range s.allRSs {
		h := rs.Labels[PodTemplateHashLabel]
		if rsReplicas(rs) == 0 || h == "" || (h != u.stableHash && h != u.canaryHash) {
			continue
		}
		if s.newStatus.Abort && h == u.canaryHash {
			continue
		}
		if !replicaSetAvailable(rs) {
			return true
		}
	}
	return false
}

// updateDestinationRule labels the canary and stable subsets with their hashes
// (upstream UpdateHash) and returns the rule's host.
func (s *state) updateDestinationRule(ctx context.Context, dr *v1alpha1.IstioDestinationRule, u routeUpdate) (string, error) {
	obj, err := s.getThirdParty(ctx, thirdparty.IstioDestinationRule, s.ro.Namespace, dr.Name)
	if err != nil || obj == nil {
		if obj == nil && err == nil {
			s.event(engine.EventWarning, "DestinationRuleNotFound", fmt.Sprintf("DestinationRule `%s` not found", dr.Name))
		}
		return "", err
	}
	host, _, _ := unstructured.NestedString(obj.Object, "spec", "host")
	orig := obj.DeepCopy()
	var kept []any
	for _, sub := range slice(obj.Object, "spec", "subsets") {
		m, ok := sub.(map[string]any)
		if !ok {
			continue
		}
		name, _ := m["name"].(string)
		var hash string
		switch name {
		case dr.CanarySubsetName:
			hash = u.canaryHash
		case dr.StableSubsetName:
			hash = u.stableHash
		default:
			// Other subsets are dropped (upstream keeps only the canary, the
			// stable and experiment subsets).
			if !slices.Contains(dr.AdditionalSubsetNames, name) {
				continue
			}
			kept = append(kept, m)
			continue
		}
		labels, _ := m["labels"].(map[string]any)
		if labels == nil {
			labels = map[string]any{}
		}
		if hash != "" {
			labels[PodTemplateHashLabel] = hash
		} else {
			delete(labels, PodTemplateHashLabel)
		}
		m["labels"] = labels
		kept = append(kept, m)
	}
	if kept == nil {
		kept = []any{}
	}
	if err := unstructured.SetNestedSlice(obj.Object, kept, "spec", "subsets"); err != nil {
		return "", err
	}
	ann := obj.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[v1alpha1.ManagedByRolloutsKey] = s.ro.Name
	obj.SetAnnotations(ann)
	if reflect.DeepEqual(orig.Object, obj.Object) {
		return host, nil
	}
	if err := s.r.Client.Update(ctx, obj); err != nil {
		return "", fmt.Errorf("updating DestinationRule %s: %w", dr.Name, err)
	}
	if !reflect.DeepEqual(slice(orig.Object, "spec", "subsets"), slice(obj.Object, "spec", "subsets")) {
		s.event(engine.EventNormal, "UpdatedDestinationRule", fmt.Sprintf("DestinationRule %s subset updated (%s: %s, %s: %s)",
			dr.Name, dr.CanarySubsetName, u.canaryHash, dr.StableSubsetName, u.stableHash))
	}
	return host, nil
}

// syncVirtualService applies one reconcile's changes to one VirtualService and
// writes it once, with upstream's event for each change.
func (s *state) syncVirtualService(ctx context.Context, ref v1alpha1.IstioVirtualService, drHost string, u routeUpdate) error {
	ns, name := VirtualServiceRef(ref.Name, s.ro.Namespace)
	obj, err := s.getThirdParty(ctx, thirdparty.IstioVirtualService, ns, name)
	if err != nil || obj == nil {
		return err
	}
	tr := s.ro.Spec.Strategy.Canary.TrafficRouting
	var events []string
	changed := false
	if u.removeManaged && len(tr.ManagedRoutes) > 0 {
		routes := slice(obj.Object, "spec", "http")
		var rest []any
		for _, r := range routes {
			if !managedRoute(tr.ManagedRoutes, routeName(r)) {
				rest = append(rest, r)
			}
		}
		if len(rest) != len(routes) {
			setRoutes(obj, rest)
			changed = true
			events = append(events, fmt.Sprintf("VirtualService `%s` removed all managed routes.", name))
		}
	}
	if h := u.header; h != nil {
		before := slice(obj.Object, "spec", "http")
		s.setIstioHeaderRoute(obj, ref, h, drHost)
		orderManagedRoutes(obj, tr.ManagedRoutes)
		if !reflect.DeepEqual(before, slice(obj.Object, "spec", "http")) {
			changed = true
			events = append(events, fmt.Sprintf("VirtualService `%s` set headerRoute '%v'", name, h.Name))
		}
	}
	if m := u.mirror; m != nil {
		before := slice(obj.Object, "spec", "http")
		s.setIstioMirrorRoute(obj, ref, m, drHost)
		orderManagedRoutes(obj, tr.ManagedRoutes)
		if !reflect.DeepEqual(before, slice(obj.Object, "spec", "http")) {
			changed = true
			events = append(events, fmt.Sprintf("VirtualService `%s` set mirrorRoute '%v'", name, m.Name))
		}
	}
	if s.setIstioWeights(obj, ref, u.weight) {
		orderManagedRoutes(obj, tr.ManagedRoutes)
		changed = true
		events = append(events, fmt.Sprintf("VirtualService `%s` set to desiredWeight '%d'", name, u.weight))
	}
	if !changed {
		return nil
	}
	if err := s.r.Client.Update(ctx, obj); err != nil {
		return fmt.Errorf("updating VirtualService %s: %w", name, err)
	}
	for _, e := range events {
		s.event(engine.EventNormal, "Updated VirtualService", e)
	}
	return nil
}

func routeName(r any) string {
	m, _ := r.(map[string]any)
	n, _ := m["name"].(string)
	return n
}

func managedRoute(managed []v1alpha1.MangedRoutes, name string) bool {
	for _, m := range managed {
		if m.Name == name {
			return true
		}
	}
	return false
}

func setRoutes(obj *unstructured.Unstructured, routes []any) {
	if routes == nil {
		routes = []any{}
	}
	_ = unstructured.SetNestedSlice(obj.Object, routes, "spec", "http")
}

// orderManagedRoutes puts the managed routes first, in managedRoutes order
// (upstream orderRoutes).
func orderManagedRoutes(obj *unstructured.Unstructured, managed []v1alpha1.MangedRoutes) {
	if len(managed) == 0 {
		return
	}
	routes := slice(obj.Object, "spec", "http")
	if routes == nil {
		return
	}
	var out []any
	for _, m := range managed {
		for _, r := range routes {
			if routeName(r) == m.Name {
				out = append(out, r)
			}
		}
	}
	for _, r := range routes {
		if !managedRoute(managed, routeName(r)) {
			out = append(out, r)
		}
	}
	setRoutes(obj, out)
}

// weightRouteIndexes are the http routes whose weights the rollout sets: the
// named ones, else the only route, else the first unnamed one (upstream
// getHttpRouteIndexesToPatch).
func weightRouteIndexes(names []string, routes []any) []int {
	if len(names) == 0 {
		if len(routes) == 1 {
			return []int{0}
		}
		for i, r := range routes {
			if routeName(r) == "" {
				return []int{i}
			}
		}
		return nil
	}
	var out []int
	for _, n := range names {
		for i, r := range routes {
			if routeName(r) == n {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// matchIndexes are the tls or tcp routes with a single port equal to the
// rollout's (and, for tls, the same SNI hosts), or the first route when the
// rollout names none (upstream getTlsRouteIndexesToPatch, searchTcpRoute).
func matchIndexes(routes []any, ports []int64, sni [][]string) []int {
	if len(routes) == 0 {
		return nil
	}
	if len(ports) == 0 {
		return []int{0}
	}
	var out []int
	for k, want := range ports {
		for i, r := range routes {
			m, _ := r.(map[string]any)
			portSet := map[int64]bool{}
			hosts := map[string]bool{}
			mts, _ := m["match"].([]any)
			for _, mt := range mts {
				mm, _ := mt.(map[string]any)
				portSet[intOf(mm["port"])] = true
				sn, _ := mm["sniHosts"].([]any)
				for _, h := range sn {
					if hs, ok := h.(string); ok {
						hosts[hs] = true
					}
				}
			}
			if len(portSet) > 1 {
				continue
			}
			var port int64
			for p := range portSet {
				port = p
			}
			if port != want {
				continue
			}
			if sni != nil {
				var got []string
				for h := range hosts {
					got = append(got, h)
				}
				exp := append([]string(nil), sni[k]...)
				sort.Strings(got)
				sort.Strings(exp)
				if !slices.Equal(got, exp) {
					continue
				}
			}
			out = append(out, i)
		}
	}
	return out
}

// setIstioWeights sets the canary and stable destinations' weights of the
// rollout's http, tls and tcp routes (and of mirror routes listed in
// managedRoutes), dropping destinations that are neither (upstream
// generateVirtualServicePatches, processRoutes). It reports a change.
func (s *state) setIstioWeights(obj *unstructured.Unstructured, ref v1alpha1.IstioVirtualService, weight int32) bool {
	c := s.ro.Spec.Strategy.Canary
	var canarySubset, stableSubset string
	var additional []string
	if dr := c.TrafficRouting.Istio.DestinationRule; dr != nil {
		canarySubset, stableSubset, additional = dr.CanarySubsetName, dr.StableSubsetName, dr.AdditionalSubsetNames
	}
	changed := false
	patch := func(route any) {
		m, ok := route.(map[string]any)
		if !ok {
			return
		}
		dests, _ := m["route"].([]any)
		stable := int64(maxWeight - weight)
		for _, d := range dests {
			dm, _ := d.(map[string]any)
			dest, _ := dm["destination"].(map[string]any)
			if sub, _ := dest["subset"].(string); sub != "" && slices.Contains(additional, sub) {
				stable -= intOf(dm["weight"])
			}
		}
		stable = max(stable, 0)
		var out []any
		for _, d := range dests {
			dm, _ := d.(map[string]any)
			dest, _ := dm["destination"].(map[string]any)
			host, _ := dest["host"].(string)
			sub, _ := dest["subset"].(string)
			h := HostName(host)
			if h == "" {
				out = append(out, d)
				continue
			}
			var want int64
			switch {
			case h == c.CanaryService || (sub != "" && sub == canarySubset):
				want = int64(weight)
			case h == c.StableService || (sub != "" && sub == stableSubset):
				want = stable
			case sub != "" && slices.Contains(additional, sub):
				out = append(out, d)
				continue
			default:
				changed = true // not the rollout's: removed
				continue
			}
			if intOf(dm["weight"]) != want || dm["weight"] == nil {
				dm["weight"] = want
				changed = true
			}
			out = append(out, dm)
		}
		if out == nil {
			out = []any{}
		}
		m["route"] = out
	}
	routes := slice(obj.Object, "spec", "http")
	names := append([]string(nil), ref.Routes...)
	for _, r := range routes {
		if m, _ := r.(map[string]any); m["mirror"] != nil && managedRoute(c.TrafficRouting.ManagedRoutes, routeName(r)) {
			names = append(names, routeName(r))
		}
	}
	for _, i := range weightRouteIndexes(names, routes) {
		patch(routes[i])
	}
	var tlsPorts []int64
	var sni [][]string
	for _, t := range ref.TLSRoutes {
		tlsPorts = append(tlsPorts, t.Port)
		sni = append(sni, t.SNIHosts)
	}
	if sni == nil {
		sni = [][]string{}
	}
	tls := slice(obj.Object, "spec", "tls")
	for _, i := range matchIndexes(tls, tlsPorts, sni) {
		patch(tls[i])
	}
	var tcpPorts []int64
	for _, t := range ref.TCPRoutes {
		tcpPorts = append(tcpPorts, t.Port)
	}
	tcp := slice(obj.Object, "spec", "tcp")
	for _, i := range matchIndexes(tcp, tcpPorts, nil) {
		patch(tcp[i])
	}
	return changed
}

// weightRouteDestinations are the destinations of the first route the rollout
// sets weights on (upstream getVirtualServiceSetWeightRoute).
func weightRouteDestinations(ref v1alpha1.IstioVirtualService, routes []any) []any {
	for _, i := range weightRouteIndexes(ref.Routes, routes) {
		m, _ := routes[i].(map[string]any)
		d, _ := m["route"].([]any)
		return d
	}
	return nil
}

func firstDestinationPort(dests []any) any {
	if len(dests) == 0 {
		return nil
	}
	dm, _ := dests[0].(map[string]any)
	dest, _ := dm["destination"].(map[string]any)
	return dest["port"]
}

func (s *state) removeHTTPRoute(obj *unstructured.Unstructured, name string) {
	var rest []any
	for _, r := range slice(obj.Object, "spec", "http") {
		if routeName(r) != name {
			rest = append(rest, r)
		}
	}
	setRoutes(obj, rest)
}

func (s *state) canaryHost(drHost string) (string, string) {
	is := s.ro.Spec.Strategy.Canary.TrafficRouting.Istio
	host := s.ro.Spec.Strategy.Canary.CanaryService
	if drHost != "" {
		host = drHost
	}
	subset := ""
	if is.DestinationRule != nil {
		subset = is.DestinationRule.CanarySubsetName
	}
	return host, subset
}

// setIstioHeaderRoute adds (or, without matches, removes) the route that sends
// the matching requests to the canary (upstream reconcileVirtualServiceHeaderRoutes,
// createHeaderRoute): appended after the others.
func (s *state) setIstioHeaderRoute(obj *unstructured.Unstructured, ref v1alpha1.IstioVirtualService, h *v1alpha1.SetHeaderRoute, drHost string) {
	s.removeHTTPRoute(obj, h.Name)
	if h.Match == nil {
		return
	}
	routes := slice(obj.Object, "spec", "http")
	host, subset := s.canaryHost(drHost)
	var matches []any
	for _, m := range h.Match {
		v := map[string]any{}
		if m.HeaderValue != nil {
			for k, val := range map[string]string{"exact": m.HeaderValue.Exact, "regex": m.HeaderValue.Regex, "prefix": m.HeaderValue.Prefix} {
				if val != "" {
					v[k] = val
				}
			}
		}
		matches = append(matches, map[string]any{"headers": map[string]any{m.HeaderName: v}})
	}
	dest := map[string]any{"host": host}
	if p := firstDestinationPort(weightRouteDestinations(ref, routes)); p != nil {
		if n := intOf(p.(map[string]any)["number"]); n > 0 {
			dest["port"] = map[string]any{"number": n}
		}
	}
	if subset != "" {
		dest["subset"] = subset
	}
	route := map[string]any{
		"name":  h.Name,
		"match": matches,
		"route": []any{map[string]any{"weight": int64(maxWeight), "destination": dest}},
	}
	setRoutes(obj, append(routes, route))
}

// setIstioMirrorRoute adds (or, without matches, removes) a route that mirrors
// a percentage of the matching requests to the canary while they keep the
// rollout's weights, first among the routes (upstream
// reconcileVirtualServiceMirrorRoutes, createMirrorRoute).
func (s *state) setIstioMirrorRoute(obj *unstructured.Unstructured, ref v1alpha1.IstioVirtualService, m *v1alpha1.SetMirrorRoute, drHost string) {
	s.removeHTTPRoute(obj, m.Name)
	if m.Match == nil {
		return
	}
	routes := slice(obj.Object, "spec", "http")
	host, subset := s.canaryHost(drHost)
	percent := int32(100)
	if m.Percentage != nil {
		percent = *m.Percentage
	}
	type match struct {
		Method  *v1alpha1.StringMatch           `json:"method,omitempty"`
		URI     *v1alpha1.StringMatch           `json:"uri,omitempty"`
		Headers map[string]v1alpha1.StringMatch `json:"headers,omitempty"`
	}
	var matches []match
	for _, rm := range m.Match {
		matches = append(matches, match{Method: rm.Method, URI: rm.Path, Headers: rm.Headers})
	}
	dests := weightRouteDestinations(ref, routes)
	mirror := map[string]any{"host": host}
	if subset != "" {
		mirror["subset"] = subset
	}
	if p := firstDestinationPort(dests); p != nil {
		mirror["port"] = map[string]any{"number": intOf(p.(map[string]any)["number"])}
	}
	route := []any{}
	for _, d := range dests {
		route = append(route, toJSONValue(d))
	}
	raw, _ := json.Marshal(matches)
	var matchI []any
	_ = json.Unmarshal(raw, &matchI)
	mr := map[string]any{
		"name":             m.Name,
		"match":            toJSONValue(matchI),
		"route":            toJSONValue(route),
		"mirror":           mirror,
		"mirrorPercentage": map[string]any{"value": int64(percent)},
	}
	setRoutes(obj, append([]any{mr}, routes...))
}

// toJSONValue deep-copies a JSON-compatible value, turning float64 integers
// into int64 (the form unstructured objects hold).
func toJSONValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = toJSONValue(e)
		}
		return out
	case []any:
		if x == nil {
			return nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toJSONValue(e)
		}
		return out
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
		return x
	}
	return v
}
