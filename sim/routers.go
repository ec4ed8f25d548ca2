package sim

import (
	"context"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/api/thirdparty"
	"github.com/rollsim/rollsim/sim/traffic"
)

// routerKey names a router object in the data plane's view.
type routerKey struct{ kind, namespace, name string }

// dataPlane is what the proxies know: the last written version of every
// Service, Ingress and router object. The traffic model's split comes from
// them (traffic.RoutingOf), as a mesh or ingress controller reads them, rather
// than from the Rollout's status.
type dataPlane struct {
	objects map[routerKey]client.Object
	// routed is set once a router object (or, for blue-green, the active
	// Service) decides the split; until then the status does.
	routed bool
}

func (d *dataPlane) get(kind, namespace, name string) client.Object {
	return d.objects[routerKey{kind, namespace, name}]
}

// routerKind is the data plane's name for obj's kind, if it reads that kind.
func routerKind(obj client.Object) (string, bool) {
	switch o := obj.(type) {
	case *corev1.Service:
		return "Service", true
	case *networkingv1.Ingress:
		return "Ingress", true
	case *unstructured.Unstructured:
		if thirdparty.Served(o.GroupVersionKind()) {
			return o.GetKind(), true
		}
	}
	return "", false
}

// seeRouterObject records a write of an object the data plane reads and
// reports whether it is one.
func (r *runner) seeRouterObject(obj client.Object) bool {
	kind, ok := routerKind(obj)
	if !ok {
		return false
	}
	if r.plane.objects == nil {
		r.plane.objects = map[routerKey]client.Object{}
	}
	r.plane.objects[routerKey{kind, obj.GetNamespace(), obj.GetName()}] = obj.DeepCopyObject().(client.Object)
	return true
}

// forgetRouterObject drops a deleted object from the data plane's view.
func (r *runner) forgetRouterObject(obj client.Object) {
	if kind, ok := routerKind(obj); ok {
		delete(r.plane.objects, routerKey{kind, obj.GetNamespace(), obj.GetName()})
		r.applyRouting()
	}
}

// applyRouting sets the traffic model's split from the router objects, when
// the rollout's router is modelled and its objects exist; blue-green
// production traffic follows the active Service's selector, the preview's
// requests the preview Service's.
func (r *runner) applyRouting() {
	ro := r.in.Rollout()
	if ro == nil || r.traffic == nil {
		return
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		svc, _ := r.plane.get("Service", ro.Namespace, bg.ActiveService).(*corev1.Service)
		hash := traffic.ActiveHash(svc)
		if hash == "" {
			return
		}
		r.plane.routed = true
		w := int32(100)
		if hash == r.stableHash {
			w = 0
		}
		r.traffic.SetCanaryWeight(w)
		if bg.PreviewService != "" {
			if p, _ := r.plane.get("Service", ro.Namespace, bg.PreviewService).(*corev1.Service); traffic.ActiveHash(p) != "" {
				r.traffic.SetPreviewHash(traffic.ActiveHash(p))
			}
		}
		return
	}
	routing, ok := traffic.RoutingOf(ro, r.plane.get)
	if !ok {
		return
	}
	r.plane.routed = true
	r.traffic.SetRouting(routing)
}

// routerObjects lists the final Services, Ingresses and router objects of the
// scenario's namespace for the report. A router kind is listed at each
// version its CRD serves; an object is kept at the version its manifest used
// (or the first, for objects the controller created), so both backends report
// it the same way (a real API server serves it at every version).
func (r *runner) routerObjects(ctx context.Context, res *Result) error {
	ns := client.InNamespace(r.roKey.Namespace)
	var deps appsv1.DeploymentList
	if err := r.c.List(ctx, &deps, ns); err != nil {
		return err
	}
	res.Deployments = deps.Items
	var svcs corev1.ServiceList
	if err := r.c.List(ctx, &svcs, ns); err != nil {
		return err
	}
	res.Services = svcs.Items
	var ings networkingv1.IngressList
	if err := r.c.List(ctx, &ings, ns); err != nil {
		return err
	}
	res.Ingresses = ings.Items
	written := map[routerKey]string{}
	for _, o := range r.in.Objects {
		if u, ok := o.(*unstructured.Unstructured); ok {
			written[routerKey{u.GroupVersionKind().GroupKind().String(), u.GetNamespace(), u.GetName()}] = u.GetAPIVersion()
		}
	}
	for _, k := range thirdparty.Kinds {
		found := map[routerKey]unstructured.Unstructured{}
		var order []routerKey
		for _, v := range k.Versions {
			list := &unstructured.UnstructuredList{}
			gvk := k.GVK(v)
			list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
			if err := r.c.List(ctx, list, ns); err != nil {
				continue
			}
			for _, item := range list.Items {
				key := routerKey{gvk.GroupKind().String(), item.GetNamespace(), item.GetName()}
				prev, seen := found[key]
				if !seen {
					order = append(order, key)
				}
				if !seen || (written[key] == item.GetAPIVersion() && prev.GetAPIVersion() != item.GetAPIVersion()) {
					found[key] = item
				}
			}
		}
		sort.Slice(order, func(i, j int) bool { return order[i].name < order[j].name })
		for _, key := range order {
			res.RouterObjects = append(res.RouterObjects, found[key])
		}
	}
	return nil
}
