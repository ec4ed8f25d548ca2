package traffic

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

func mustUnstructured(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	j, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	return u
}

func lookup(objs ...client.Object) Objects {
	return func(kind, ns, name string) client.Object {
		for _, o := range objs {
			k := o.GetObjectKind().GroupVersionKind().Kind
			if _, ok := o.(*networkingv1.Ingress); ok {
				k = "Ingress"
			}
			if k == kind && o.GetNamespace() == ns && o.GetName() == name {
				return o
			}
		}
		return nil
	}
}

func canaryRollout(tr v1alpha1.RolloutTrafficRouting) *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "ns"},
		Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
			CanaryService: "app-canary", StableService: "app-stable", TrafficRouting: &tr,
		}}},
	}
}

func TestRoutingOf(t *testing.T) {
	vs := mustUnstructured(t, `
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: vs, namespace: ns}
spec:
  http:
  - name: mirror
    match: [{method: {exact: GET}}]
    route: [{destination: {host: app-stable}, weight: 70}, {destination: {host: app-canary}, weight: 30}]
    mirror: {host: app-canary}
    mirrorPercentage: {value: 25}
  - name: primary
    route:
    - {destination: {host: app-stable.ns.svc.cluster.local}, weight: 70}
    - {destination: {host: app-canary.ns.svc.cluster.local}, weight: 30}
  - name: header
    match: [{headers: {x-canary: {exact: "true"}}}]
    route: [{destination: {host: app-canary}, weight: 100}]
`)
	ro := canaryRollout(v1alpha1.RolloutTrafficRouting{
		Istio:         &v1alpha1.IstioTrafficRouting{VirtualService: &v1alpha1.IstioVirtualService{Name: "vs", Routes: []string{"primary"}}},
		ManagedRoutes: []v1alpha1.MangedRoutes{{Name: "mirror"}, {Name: "header"}},
	})
	got, ok := RoutingOf(ro, lookup(vs))
	if !ok || got != (Routing{Canary: 0.3, Mirror: 0.25, Header: true}) {
		t.Errorf("istio: %+v %v", got, ok)
	}
	if _, ok := RoutingOf(ro, lookup()); ok {
		t.Error("istio without its VirtualService: routing claimed")
	}

	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "alb", Namespace: "ns", Annotations: map[string]string{
		"alb.ingress.kubernetes.io/actions.app-stable": `{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"app-canary","ServicePort":"80","Weight":15},{"ServiceName":"app-stable","ServicePort":"80","Weight":85}]}}`,
	}}}
	ro = canaryRollout(v1alpha1.RolloutTrafficRouting{ALB: &v1alpha1.ALBTrafficRouting{Ingress: "alb", ServicePort: 80}})
	if got, ok := RoutingOf(ro, lookup(ing)); !ok || got.Canary != 0.15 {
		t.Errorf("alb: %+v %v", got, ok)
	}

	ts := mustUnstructured(t, `
apiVersion: split.smi-spec.io/v1alpha1
kind: TrafficSplit
metadata: {name: app, namespace: ns}
spec:
  service: app
  backends: [{service: app-canary, weight: "40"}, {service: app-stable, weight: "60"}]
`)
	ro = canaryRollout(v1alpha1.RolloutTrafficRouting{SMI: &v1alpha1.SMITrafficRouting{}})
	if got, ok := RoutingOf(ro, lookup(ts)); !ok || got.Canary != 0.4 {
		t.Errorf("smi: %+v %v", got, ok)
	}

	m := &Model{canaryShare: -1, headerShare: 0.1}
	m.SetRouting(Routing{Canary: 0.5, Header: true, Mirror: 0.2})
	if m.canaryShare != 0.55 || m.mirror != 0.2 {
		t.Errorf("header share: canary %v, mirror %v", m.canaryShare, m.mirror)
	}
}
