package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/thirdparty"
)

// SMITrafficSplitName is the TrafficSplit the SMI router manages: the
// configured name, else the rollout's.
func (s *state) smiTrafficSplitName() string {
	if n := s.ro.Spec.Strategy.Canary.TrafficRouting.SMI.TrafficSplitName; n != "" {
		return n
	}
	return s.ro.Name
}

// syncSMI creates the rollout's TrafficSplit or updates its backends (upstream
// rollout/trafficrouting/smi SetWeight). The controller writes its default API
// version, split.smi-spec.io/v1alpha1, whose weights are quantities ("20");
// an existing TrafficSplit of another version is kept at that version, with
// integer weights.
func (s *state) syncSMI(ctx context.Context, u routeUpdate) error {
	c := s.ro.Spec.Strategy.Canary
	smi := c.TrafficRouting.SMI
	root := smi.RootService
	if root == "" {
		root = c.StableService
	}
	name := s.smiTrafficSplitName()
	existing, err := s.getThirdParty(ctx, thirdparty.SMITrafficSplit, s.ro.Namespace, name)
	if err != nil {
		return err
	}
	version := thirdparty.SMITrafficSplit.Versions[0]
	if existing != nil {
		version = existing.GroupVersionKind().Version
	}
	weight := func(w int32) any {
		if version == "v1alpha1" {
			return fmt.Sprint(w)
		}
		return int64(w)
	}
	spec := map[string]any{
		"service": root,
		"backends": []any{
			map[string]any{"service": c.CanaryService, "weight": weight(u.weight)},
			map[string]any{"service": c.StableService, "weight": weight(maxWeight - u.weight)},
		},
	}
	if existing == nil {
		ts := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
		ts.SetGroupVersionKind(thirdparty.SMITrafficSplit.GVK(version))
		ts.SetName(name)
		ts.SetNamespace(s.ro.Namespace)
		ref := s.controllerRef()
		raw, _ := json.Marshal(ref)
		var refMap map[string]any
		_ = json.Unmarshal(raw, &refMap)
		ts.Object["metadata"].(map[string]any)["ownerReferences"] = []any{toJSONValue(refMap)}
		if err := s.r.Client.Create(ctx, ts); err != nil {
			s.event(engine.EventWarning, "TrafficSplitNotCreated", fmt.Sprintf("TrafficSplit `%s` failed creation: %v", name, err))
			return err
		}
		s.event(engine.EventNormal, "TrafficSplitCreated", fmt.Sprintf("TrafficSplit `%s` created", name))
		return nil
	}
	owned := false
	for _, r := range existing.GetOwnerReferences() {
		if r.Controller != nil && *r.Controller && r.UID == s.ro.UID {
			owned = true
		}
	}
	if !owned {
		return fmt.Errorf("Rollout does not own TrafficSplit `%s`", name)
	}
	cur, _, _ := unstructured.NestedMap(existing.Object, "spec")
	if reflect.DeepEqual(cur, spec) {
		return nil
	}
	existing.Object["spec"] = spec
	return s.r.Client.Update(ctx, existing)
}
