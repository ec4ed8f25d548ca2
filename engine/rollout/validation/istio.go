package validation

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Istio VirtualService references (upstream ValidateRolloutVirtualServicesConfig,
// IstioController.GetReferencedVirtualServices, ValidateVirtualService and the route
// checks of rollout/trafficrouting/istio).

func istioVirtualServices(ro *v1alpha1.Rollout) ([]v1alpha1.IstioVirtualService, *field.Path) {
	is := ro.Spec.Strategy.Canary.TrafficRouting.Istio
	if len(is.VirtualServices) > 0 {
		return is.VirtualServices, field.NewPath("spec", "strategy", "canary", "trafficRouting", "istio", "virtualServices", "name")
	}
	if is.VirtualService != nil {
		return []v1alpha1.IstioVirtualService{*is.VirtualService}, field.NewPath("spec", "strategy", "canary", "trafficRouting", "istio", "virtualService", "name")
	}
	return nil, nil
}

// splitVirtualServiceName reads "name" or "name.namespace".
func splitVirtualServiceName(s string) (namespace, name string) {
	f := strings.Split(s, ".")
	if len(f) >= 2 {
		return f[1], f[0]
	}
	return "", f[0]
}

func (r *ReferenceErrors) gatherVirtualServices(ro *v1alpha1.Rollout, objs Objects) []*unstructured.Unstructured {
	c := ro.Spec.Strategy.Canary
	if c == nil || c.TrafficRouting == nil || c.TrafficRouting.Istio == nil {
		return nil
	}
	is := c.TrafficRouting.Istio
	if (len(is.VirtualServices) > 0) == (is.VirtualService != nil) {
		r.invalid(field.InternalError(field.NewPath("spec", "strategy", "canary", "trafficRouting", "istio"), errors.New("either VirtualService or VirtualServices must be configured")))
		return nil
	}
	refs, fld := istioVirtualServices(ro)
	var out []*unstructured.Unstructured
	for _, ref := range refs {
		ns, name := splitVirtualServiceName(ref.Name)
		if ns == "" {
			ns = ro.Namespace
		}
		i := slices.IndexFunc(objs.VirtualServices, func(u *unstructured.Unstructured) bool {
			return u.GetName() == name && u.GetNamespace() == ns
		})
		if i < 0 {
			r.notFound(field.Invalid(fld, name, fmt.Sprintf("virtualservices.networking.istio.io %q not found", name)))
			return out
		}
		out = append(out, objs.VirtualServices[i])
	}
	return out
}

type istioDestination struct {
	Destination struct {
		Host   string `json:"host"`
		Subset string `json:"subset,omitempty"`
	} `json:"destination"`
	Weight int64 `json:"weight,omitempty"`
}

type istioHTTPRoute struct {
	Name  string             `json:"name,omitempty"`
	Route []istioDestination `json:"route,omitempty"`
}

type istioL4Route struct {
	Match []struct {
		Port     int64    `json:"port,omitempty"`
		SNIHosts []string `json:"sniHosts,omitempty"`
	} `json:"match,omitempty"`
	Route []istioDestination `json:"route,omitempty"`
}

func decodeRoutes(in []any, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func validateVirtualService(ro *v1alpha1.Rollout, vs *unstructured.Unstructured) field.ErrorList {
	refs, fld := istioVirtualServices(ro)
	var errs field.ErrorList
	for _, ref := range refs {
		_, name := splitVirtualServiceName(ref.Name)
		if name != vs.GetName() {
			continue
		}
		httpI, hasHTTP, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
		tlsI, hasTLS, _ := unstructured.NestedSlice(vs.Object, "spec", "tls")
		tcpI, hasTCP, _ := unstructured.NestedSlice(vs.Object, "spec", "tcp")
		if !hasHTTP && !hasTLS && !hasTCP {
			errs = append(errs, field.Invalid(fld, name, "Unable to get any of the HTTP, TCP or TLS routes for the Istio VirtualService"))
		}
		if hasHTTP {
			var routes []istioHTTPRoute
			if err := decodeRoutes(httpI, &routes); err != nil {
				errs = append(errs, field.Invalid(fld, name, "Unable to get HTTP routes for Istio VirtualService"))
			} else if err := validateHTTPRoutes(ro, ref.Routes, routes); err != nil {
				errs = append(errs, field.Invalid(fld, name, fmt.Sprintf("Istio VirtualService has invalid HTTP routes. Error: %s", err)))
			}
		}
		if hasTLS {
			var routes []istioL4Route
			if err := decodeRoutes(tlsI, &routes); err != nil {
				errs = append(errs, field.Invalid(fld, name, "Unable to get TLS routes for Istio VirtualService"))
			} else if err := validateTLSRoutes(ro, ref.TLSRoutes, routes); err != nil {
				errs = append(errs, field.Invalid(fld, name, fmt.Sprintf("Istio VirtualService has invalid TLS routes. Error: %s", err)))
			}
		}
		if hasTCP {
			var routes []istioL4Route
			if err := decodeRoutes(tcpI, &routes); err != nil {
				errs = append(errs, field.Invalid(fld, name, "Unable to get TCP routes for Istio VirtualService"))
			} else if err := validateTCPRoutes(ro, ref.TCPRoutes, routes); err != nil {
				errs = append(errs, field.Invalid(fld, name, fmt.Sprintf("Istio VirtualService has invalid TCP routes. Error: %s", err)))
			}
		}
		break
	}
	return errs
}

// stableAndCanary is upstream GetStableAndCanaryServices(ro, false): the ping-pong
// services only when no stable/canary service is named.
func stableAndCanary(ro *v1alpha1.Rollout) (string, string) {
	c := ro.Spec.Strategy.Canary
	if c.PingPong != nil && c.StableService == "" && c.CanaryService == "" {
		if ro.Status.Canary.StablePingPong == "ping" {
			return c.PingPong.PingService, c.PingPong.PongService
		}
		return c.PingPong.PongService, c.PingPong.PingService
	}
	return c.StableService, c.CanaryService
}

func validateHTTPRoutes(ro *v1alpha1.Rollout, names []string, routes []istioHTTPRoute) error {
	var idx []int
	if len(names) == 0 {
		if len(routes) == 1 {
			idx = []int{0}
		} else if i := slices.IndexFunc(routes, func(r istioHTTPRoute) bool { return r.Name == "" }); i >= 0 {
			idx = []int{i}
		}
	} else {
		for _, n := range names {
			i := slices.IndexFunc(routes, func(r istioHTTPRoute) bool { return r.Name == n })
			if i < 0 {
				return fmt.Errorf("HTTP Route '%s' is not found in the defined Virtual Service.", n)
			}
			idx = append(idx, i)
		}
	}
	for _, i := range idx {
		if err := validateDestinations(ro, routes[i].Route); err != nil {
			return err
		}
	}
	unmanaged := 0
	for _, r := range routes {
		if !slices.ContainsFunc(ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes, func(m v1alpha1.MangedRoutes) bool { return m.Name == r.Name }) {
			unmanaged++
		}
	}
	if len(names) == 0 && unmanaged > 1 {
		return fmt.Errorf("spec.http[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.routes")
	}
	return nil
}

// l4Match finds the routes whose match blocks name exactly one port, equal to want,
// and (for TLS) exactly the wanted SNI hosts.
func l4Match(routes []istioL4Route, port int64, sni []string, tls bool) []int {
	var out []int
	for i, r := range routes {
		ports := map[int64]bool{}
		hosts := map[string]bool{}
		for _, m := range r.Match {
			ports[m.Port] = true
			for _, h := range m.SNIHosts {
				hosts[h] = true
			}
		}
		if len(ports) > 1 {
			continue
		}
		var p int64
		for k := range ports {
			p = k
		}
		if p != port {
			continue
		}
		if tls {
			want := map[string]bool{}
			for _, h := range sni {
				want[h] = true
			}
			if len(want) != len(hosts) {
				continue
			}
			same := true
			for h := range want {
				same = same && hosts[h]
			}
			if !same {
				continue
			}
		}
		out = append(out, i)
	}
	return out
}

func validateTLSRoutes(ro *v1alpha1.Rollout, want []v1alpha1.TLSRoute, routes []istioL4Route) error {
	wants := make([]l4Want, len(want))
	for i, w := range want {
		wants[i] = l4Want{w.Port, w.SNIHosts}
	}
	return validateL4Routes(ro, wants, routes, true)
}

func validateTCPRoutes(ro *v1alpha1.Rollout, want []v1alpha1.TCPRoute, routes []istioL4Route) error {
	wants := make([]l4Want, len(want))
	for i, w := range want {
		wants[i] = l4Want{port: w.Port}
	}
	return validateL4Routes(ro, wants, routes, false)
}

// l4Want is a TLS or TCP route the rollout names: its port (and SNI hosts).
type l4Want struct {
	port int64
	sni  []string
}

// validateL4Routes checks the TLS (tls) or TCP routes the rollout names: each
// matches a route of the VirtualService, and every matched route sends to both
// the canary and the stable; without names, the one route there must be.
func validateL4Routes(ro *v1alpha1.Rollout, wants []l4Want, routes []istioL4Route, tls bool) error {
	kind, field := "TCP", "tcp"
	if tls {
		kind, field = "TLS", "tls"
	}
	idx := []int{0}
	if len(wants) > 0 {
		idx = nil
		for _, w := range wants {
			m := l4Match(routes, w.port, w.sni, tls)
			if len(m) == 0 {
				return fmt.Errorf("No matching %s routes found in the defined Virtual Service.", kind)
			}
			idx = append(idx, m...)
		}
	}
	for _, i := range idx {
		if i >= len(routes) {
			continue
		}
		if err := validateDestinations(ro, routes[i].Route); err != nil {
			return err
		}
	}
	if len(wants) == 0 && len(routes) > 1 {
		return fmt.Errorf("spec.%s[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.%sRoutes", field, field)
	}
	return nil
}

// validateDestinations: a route must send to both the canary and the stable (hosts,
// or the DestinationRule's subsets). A host is compared up to its first dot.
func validateDestinations(ro *v1alpha1.Rollout, dests []istioDestination) error {
	stable, canary := stableAndCanary(ro)
	dr := ro.Spec.Strategy.Canary.TrafficRouting.Istio.DestinationRule
	var hasStable, hasCanary, hasStableSubset, hasCanarySubset bool
	for _, d := range dests {
		host := d.Destination.Host
		if i := strings.Index(host, "."); i > 0 {
			host = host[:i]
		} else if i == 0 {
			host = ""
		}
		hasStable = hasStable || (stable != "" && host == stable)
		hasCanary = hasCanary || (canary != "" && host == canary)
		if dr != nil {
			hasStableSubset = hasStableSubset || (dr.StableSubsetName != "" && d.Destination.Subset == dr.StableSubsetName)
			hasCanarySubset = hasCanarySubset || (dr.CanarySubsetName != "" && d.Destination.Subset == dr.CanarySubsetName)
		}
	}
	if dr != nil {
		if !hasCanarySubset {
			return fmt.Errorf("Canary DestinationRule subset '%s' not found in route", dr.CanarySubsetName)
		}
		if !hasStableSubset {
			return fmt.Errorf("Stable DestinationRule subset '%s' not found in route", dr.StableSubsetName)
		}
		return nil
	}
	if !hasCanary {
		return fmt.Errorf("Canary Service '%s' not found in route", canary)
	}
	if !hasStable {
		return fmt.Errorf("Stable Service '%s' not found in route", stable)
	}
	return nil
}
