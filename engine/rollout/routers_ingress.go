package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Ingress annotations of the NGINX and ALB routers.
const (
	DefaultNginxAnnotationPrefix = "nginx.ingress.kubernetes.io"
	DefaultALBAnnotationPrefix   = "alb.ingress.kubernetes.io"
	ManagedALBAnnotations        = "rollouts.argoproj.io/managed-alb-annotations"
	canaryIngressSuffix          = "-canary"
)

// CanaryIngressName is the Ingress the NGINX router creates next to a stable
// one (upstream GetCanaryIngressName: at most 253 characters).
func CanaryIngressName(rollout, stableIngress string) string {
	prefix := rollout + "-" + stableIngress
	if len(prefix) > 253-len(canaryIngressSuffix) {
		prefix = prefix[:253-len(canaryIngressSuffix)]
	}
	return prefix + canaryIngressSuffix
}

// NginxAnnotationPrefix is the rollout's NGINX annotation prefix.
func NginxAnnotationPrefix(n *v1alpha1.NginxTrafficRouting) string {
	if n != nil && n.AnnotationPrefix != "" {
		return n.AnnotationPrefix
	}
	return DefaultNginxAnnotationPrefix
}

// NginxStableIngresses are the stable Ingresses of the rollout.
func NginxStableIngresses(n *v1alpha1.NginxTrafficRouting) []string {
	if n.StableIngresses != nil {
		return n.StableIngresses
	}
	return []string{n.StableIngress}
}

func (s *state) ingress(ctx context.Context, name string) (*networkingv1.Ingress, error) {
	var ing networkingv1.Ingress
	if err := s.r.Client.Get(ctx, types.NamespacedName{Namespace: s.ro.Namespace, Name: name}, &ing); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return &ing, nil
}

// syncNginx creates or updates the canary Ingress of each stable Ingress: the
// stable one's rules that reach the stable Service, pointed at the canary
// Service, with the canary annotations and the weight (upstream
// rollout/trafficrouting/nginx SetWeightPerIngress, buildCanaryIngress).
func (s *state) syncNginx(ctx context.Context, u routeUpdate) error {
	c := s.ro.Spec.Strategy.Canary
	n := c.TrafficRouting.Nginx
	prefix := NginxAnnotationPrefix(n)
	for _, stableName := range NginxStableIngresses(n) {
		stable, err := s.ingress(ctx, stableName)
		if err != nil || stable == nil {
			return err
		}
		name := CanaryIngressName(s.ro.Name, stableName)
		desired := &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.ro.Namespace, Annotations: map[string]string{},
				OwnerReferences: []metav1.OwnerReference{s.controllerRef()}},
		}
		for _, t := range stable.Spec.TLS {
			desired.Spec.TLS = append(desired.Spec.TLS, *t.DeepCopy())
		}
		desired.Spec.IngressClassName = stable.Spec.IngressClassName
		if v, ok := stable.Annotations["kubernetes.io/ingress.class"]; ok {
			desired.Annotations["kubernetes.io/ingress.class"] = v
		}
		for _, r := range stable.Spec.Rules {
			rule := r.DeepCopy()
			hit := false
			if rule.HTTP != nil {
				for i := range rule.HTTP.Paths {
					if b := rule.HTTP.Paths[i].Backend.Service; b != nil && b.Name == c.StableService {
						b.Name = c.CanaryService
						hit = true
					}
				}
			}
			if hit {
				desired.Spec.Rules = append(desired.Spec.Rules, *rule)
			}
		}
		if len(desired.Spec.Rules) == 0 {
			return fmt.Errorf("ingress `%s` has no rules using service %s backend", stableName, c.StableService)
		}
		for k, v := range n.AdditionalIngressAnnotations {
			if !strings.HasPrefix(k, prefix) {
				k = prefix + "/" + k
			}
			desired.Annotations[k] = v
		}
		maps.Copy(desired.Annotations, n.CanaryIngressAnnotations)
		desired.Annotations[prefix+"/canary"] = "true"
		desired.Annotations[prefix+"/canary-weight"] = fmt.Sprint(u.weight)
		if m := c.TrafficRouting.MaxTrafficWeight; m != nil {
			desired.Annotations[prefix+"/canary-weight-total"] = fmt.Sprint(*m)
		}

		current, err := s.ingress(ctx, name)
		if err != nil {
			return err
		}
		if current == nil {
			s.event(engine.EventNormal, "CreatingCanaryIngress", fmt.Sprintf("Creating canary ingress `%s` with weight `%d`", name, u.weight))
			if err := s.r.Client.Create(ctx, desired); err != nil {
				return fmt.Errorf("error creating canary ingress `%s`: %v", name, err)
			}
			continue
		}
		if !metav1.IsControlledBy(current, s.ro) {
			return fmt.Errorf("canary ingress `%s` controlled by different object", name)
		}
		// Annotations set by others are kept (upstream getDesiredAnnotations).
		for k, v := range current.Annotations {
			if _, ok := desired.Annotations[k]; !ok {
				desired.Annotations[k] = v
			}
		}
		next := current.DeepCopy()
		next.Annotations = desired.Annotations
		next.Spec = desired.Spec
		if equality.Semantic.DeepEqual(current.Annotations, next.Annotations) && equality.Semantic.DeepEqual(current.Spec, next.Spec) {
			continue
		}
		s.event(engine.EventNormal, "PatchingCanaryIngress", fmt.Sprintf("Updating Ingress `%s` to desiredWeight '%d'", name, u.weight))
		if err := s.r.Client.Update(ctx, next); err != nil {
			return fmt.Errorf("error patching canary ingress `%s`: %v", name, err)
		}
	}
	return nil
}

// ALB action annotation content (upstream utils/ingress ALBAction).
type albTargetGroup struct {
	ServiceName string `json:"ServiceName,omitempty"`
	ServicePort string `json:"ServicePort,omitempty"`
	Weight      *int64 `json:"Weight,omitempty"`
}

type albStickiness struct {
	Enabled         bool  `json:"Enabled"`
	DurationSeconds int64 `json:"DurationSeconds"`
}

type albForwardConfig struct {
	TargetGroups                []albTargetGroup `json:"TargetGroups"`
	TargetGroupStickinessConfig *albStickiness   `json:"TargetGroupStickinessConfig,omitempty"`
}

// ALBAction is the forward action the ALB router writes on the Ingress.
type ALBAction struct {
	Type          string           `json:"Type"`
	ForwardConfig albForwardConfig `json:"ForwardConfig"`
}

// CanaryWeight reads the canary's share (percent of the total weight) of a
// forward action, for the service named canary.
func (a ALBAction) CanaryWeight(canary string) (weight, total int64) {
	for _, tg := range a.ForwardConfig.TargetGroups {
		if tg.Weight == nil {
			continue
		}
		total += *tg.Weight
		if tg.ServiceName == canary {
			weight += *tg.Weight
		}
	}
	return weight, total
}

// ALBActionAnnotation is the annotation key of the rollout's forward action.
func ALBActionAnnotation(ro *v1alpha1.Rollout) string {
	alb := ro.Spec.Strategy.Canary.TrafficRouting.ALB
	prefix := DefaultALBAnnotationPrefix
	if alb.AnnotationPrefix != "" {
		prefix = alb.AnnotationPrefix
	}
	svc := ro.Spec.Strategy.Canary.StableService
	if alb.RootService != "" {
		svc = alb.RootService
	}
	return prefix + "/actions." + svc
}

// syncALB writes the forward action with the canary and stable weights on each
// Ingress, and records it among the rollout's managed annotations (upstream
// rollout/trafficrouting/alb SetWeightPerIngress, getForwardActionString).
func (s *state) syncALB(ctx context.Context, u routeUpdate) error {
	c := s.ro.Spec.Strategy.Canary
	alb := c.TrafficRouting.ALB
	names := alb.Ingresses
	if names == nil {
		names = []string{alb.Ingress}
	}
	port := fmt.Sprint(alb.ServicePort)
	action := ALBAction{Type: "forward", ForwardConfig: albForwardConfig{TargetGroups: []albTargetGroup{
		{ServiceName: c.CanaryService, ServicePort: port, Weight: ptrInt64(int64(u.weight))},
		{ServiceName: c.StableService, ServicePort: port, Weight: ptrInt64(int64(maxWeight - u.weight))},
	}}}
	if st := alb.StickinessConfig; st != nil && st.Enabled {
		action.ForwardConfig.TargetGroupStickinessConfig = &albStickiness{Enabled: true, DurationSeconds: st.DurationSeconds}
	}
	value, err := json.Marshal(action)
	if err != nil {
		return err
	}
	key := ALBActionAnnotation(s.ro)
	for _, name := range names {
		ing, err := s.ingress(ctx, name)
		if err != nil || ing == nil {
			return err
		}
		next := ing.DeepCopy()
		if next.Annotations == nil {
			next.Annotations = map[string]string{}
		}
		next.Annotations[key] = string(value)
		managed := map[string][]string{}
		if v := next.Annotations[ManagedALBAnnotations]; v != "" {
			if err := json.Unmarshal([]byte(v), &managed); err != nil {
				return err
			}
		}
		keys := managed[s.ro.Name]
		found := false
		for _, k := range keys {
			found = found || k == key
		}
		if !found {
			managed[s.ro.Name] = append(keys, key)
		}
		m, _ := json.Marshal(managed)
		next.Annotations[ManagedALBAnnotations] = string(m)
		if equality.Semantic.DeepEqual(ing.Annotations, next.Annotations) {
			continue
		}
		s.event(engine.EventNormal, "PatchingALBIngress", fmt.Sprintf("Updating Ingress `%s` to desiredWeight '%d'", name, u.weight))
		if err := s.r.Client.Update(ctx, next); err != nil {
			return fmt.Errorf("error patching alb ingress `%s`: %v", name, err)
		}
	}
	return nil
}

func ptrInt64(v int64) *int64 { return &v }
