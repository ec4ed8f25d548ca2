package rollout

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/rollsim/rollsim/engine/api/thirdparty"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// GatewayAPIPlugin is the name the Gateway API traffic-router plugin is
// configured under in trafficRouting.plugins.
const GatewayAPIPlugin = "argoproj-labs/gatewayAPI"

// routeUpdate is what the traffic routers are told in one reconcile (upstream
// reconcileTrafficRouting, rollout/trafficrouting.go): the canary weight, the
// pod-template hashes of the two sides, and the step's header or mirror route.
type routeUpdate struct {
	weight                 int32
	canaryHash, stableHash string
	removeManaged          bool // fully promoted, aborted, promoteFull, or no canary pod available
	header                 *v1alpha1.SetHeaderRoute
	mirror                 *v1alpha1.SetMirrorRoute
}

// syncRouters writes the weights the canary reconcile decided (status
// canary.weights) into the router objects: Istio VirtualServices (and the
// DestinationRule of a subset split), the NGINX canary Ingress, the ALB
// Ingress's action annotation, the SMI TrafficSplit, and the Gateway API
// plugin's HTTPRoutes. A router object missing from the manifests is skipped
// (the controller would report InvalidSpec; scenarios may leave them out), so
// only the status records the weight then. stepAtStart is the step index the
// reconcile began with: header and mirror routes are set while that step is
// current, as upstream does before the step completes.
func (s *state) syncRouters(ctx context.Context, stepAtStart *int32, hashAtStart string) error {
	c := s.ro.Spec.Strategy.Canary
	if c == nil || c.TrafficRouting == nil || s.newStatus.Canary.Weights == nil {
		return nil
	}
	w := s.newStatus.Canary.Weights
	u := routeUpdate{weight: w.Canary.Weight, canaryHash: w.Canary.PodTemplateHash, stableHash: w.Stable.PodTemplateHash}
	u.removeManaged = s.fullyPromoted() || s.newStatus.Abort || s.ro.Status.PromoteFull ||
		s.newRS == nil || s.newRS.Status.AvailableReplicas == 0
	// As upstream, the step's header or mirror route is set whatever the
	// weights do, after the managed routes were removed.
	if stepAtStart != nil && hashAtStart == s.newStatus.CurrentPodHash && revisionOf(s.ro) > 1 {
		if steps := s.steps(); int(*stepAtStart) < len(steps) {
			u.header = steps[*stepAtStart].SetHeaderRoute
			u.mirror = steps[*stepAtStart].SetMirrorRoute
		}
	}
	tr := c.TrafficRouting
	if tr.Istio != nil {
		if err := s.syncIstio(ctx, u); err != nil {
			return err
		}
	}
	if tr.Nginx != nil {
		if err := s.syncNginx(ctx, u); err != nil {
			return err
		}
	}
	if tr.ALB != nil {
		if err := s.syncALB(ctx, u); err != nil {
			return err
		}
	}
	if tr.SMI != nil {
		if err := s.syncSMI(ctx, u); err != nil {
			return err
		}
	}
	if raw, ok := tr.Plugins[GatewayAPIPlugin]; ok {
		if err := s.syncGatewayAPI(ctx, raw, u); err != nil {
			return err
		}
	}
	return nil
}

// getThirdParty reads a router object, trying the versions its CRD serves in
// order (the controller's default API version first). Nil if there is none.
func (s *state) getThirdParty(ctx context.Context, k thirdparty.Kind, namespace, name string) (*unstructured.Unstructured, error) {
	for _, v := range k.Versions {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(k.GVK(v))
		err := s.r.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, u)
		if err == nil {
			return u, nil
		}
		if !apierrors.IsNotFound(err) && !meta.IsNoMatchError(err) {
			return nil, err
		}
	}
	return nil, nil
}

// slice returns a nested []any (nil if absent or of another type).
func slice(obj map[string]any, fields ...string) []any {
	v, _, _ := unstructured.NestedFieldNoCopy(obj, fields...)
	out, _ := v.([]any)
	return out
}

// intOf reads a JSON number of an unstructured object.
func intOf(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int32:
		return int64(n)
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}
