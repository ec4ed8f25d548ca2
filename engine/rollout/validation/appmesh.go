package validation

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// App Mesh references (upstream getReferencedAppMeshResources, ValidateAppMeshResource
// and ValidateAppMeshVirtualRouter, v1.9.1). The path spells "appmesh" in lower case,
// as upstream does.

// appMeshRouteTypes are the route kinds the controller can weight (upstream
// supportedRouteTypes).
var appMeshRouteTypes = []string{"httpRoute", "tcpRoute", "http2Route", "grpcRoute"}

func (r *ReferenceErrors) gatherAppMesh(ro *v1alpha1.Rollout, objs Objects) []*unstructured.Unstructured {
	c := ro.Spec.Strategy.Canary
	if c == nil || c.TrafficRouting == nil || c.TrafficRouting.AppMesh == nil {
		return nil
	}
	fld := field.NewPath("spec", "strategy", "canary", "trafficRouting", "appmesh", "virtualService")
	am := c.TrafficRouting.AppMesh
	if am.VirtualService == nil {
		r.invalid(field.Invalid(fld, nil, "must provide virtual-service"))
		return nil
	}
	value := fmt.Sprintf("%s.%s", am.VirtualService.Name, ro.Namespace)
	find := func(list []*unstructured.Unstructured, ns, name string) *unstructured.Unstructured {
		i := slices.IndexFunc(list, func(u *unstructured.Unstructured) bool { return u.GetName() == name && u.GetNamespace() == ns })
		if i < 0 {
			return nil
		}
		return list[i]
	}
	vs := find(objs.AppMeshVirtualServices, ro.Namespace, am.VirtualService.Name)
	if vs == nil {
		r.notFound(field.Invalid(fld, value, fmt.Sprintf("virtualservices.appmesh.k8s.aws %q not found", am.VirtualService.Name)))
		return nil
	}
	ref, found, _ := unstructured.NestedMap(vs.Object, "spec", "provider", "virtualRouter", "virtualRouterRef")
	if !found {
		// Upstream returns this as a plain error: the controller retries instead of
		// writing InvalidSpec, and the rollout never progresses.
		r.invalid(field.InternalError(fld, fmt.Errorf("Virtual-service is not associated with virtual-router")))
		return nil
	}
	ns, _ := ref["namespace"].(string)
	if ns == "" {
		ns = vs.GetNamespace()
	}
	name, _ := ref["name"].(string)
	vr := find(objs.AppMeshVirtualRouters, ns, name)
	if vr == nil {
		r.notFound(field.Invalid(fld, value, fmt.Sprintf("virtualrouters.appmesh.k8s.aws %q not found", name)))
		return nil
	}
	return []*unstructured.Unstructured{vr}
}

// validateAppMeshRouter: a VirtualRouter with routes, each of a supported type with
// exactly two weighted targets. Only the first problem is reported, as upstream.
func validateAppMeshRouter(vr *unstructured.Unstructured) field.ErrorList {
	if vr.GetKind() != "VirtualRouter" {
		return field.ErrorList{field.Invalid(field.NewPath("kind"), vr.GetKind(), fmt.Sprintf("Expected object kind to be VirtualRouter but is %s", vr.GetKind()))}
	}
	routesPath := field.NewPath("spec", "routes")
	routes, found, err := unstructured.NestedSlice(vr.Object, "spec", "routes")
	if !found || err != nil || len(routes) == 0 {
		return field.ErrorList{field.Invalid(routesPath, vr.GetName(), fmt.Sprintf("No routes defined for AppMesh virtual-router %s", vr.GetName()))}
	}
	for i, ri := range routes {
		p := routesPath.Index(i)
		route, ok := ri.(map[string]any)
		if !ok {
			return field.ErrorList{field.Invalid(p, vr.GetName(), fmt.Sprintf("Invalid route was found for AppMesh virtual-router %s at index %d", vr.GetName(), i))}
		}
		routeName := route["name"]
		var rule map[string]any
		var kind string
		for _, t := range appMeshRouteTypes {
			if m, ok, err := unstructured.NestedMap(route, t); err != nil {
				return field.ErrorList{field.Invalid(p, vr.GetName(), fmt.Sprintf("Error getting route details for AppMesh virtual-router %s and route %s. Error: %s", vr.GetName(), routeName, err))}
			} else if ok {
				rule, kind = m, t
				break
			}
		}
		if rule == nil {
			return field.ErrorList{field.Invalid(p, vr.GetName(), fmt.Sprintf("Error getting route details for AppMesh virtual-router %s and route %s. Error: %s", vr.GetName(), routeName, "Route has unsupported route type"))}
		}
		tp := p.Child(kind, "action", "weightedTargets")
		targets, found, err := unstructured.NestedSlice(rule, "action", "weightedTargets")
		if !found || err != nil {
			return field.ErrorList{field.Invalid(tp, vr.GetName(), fmt.Sprintf("Invalid route action found for AppMesh virtual-router %s and route %s", vr.GetName(), routeName))}
		}
		if len(targets) != 2 {
			return field.ErrorList{field.Invalid(tp, vr.GetName(), fmt.Sprintf("Invalid number of weightedTargets (%d) for AppMesh virtual-router %s and route %s, expected 2", len(targets), vr.GetName(), routeName))}
		}
	}
	return nil
}
