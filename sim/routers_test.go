package sim_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/rollsim/rollsim/engine/api/decode"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

func events(res *sim.Result, reason string) []sim.Entry {
	var out []sim.Entry
	for _, e := range res.Timeline {
		if e.Reason == reason && e.At >= 0 {
			out = append(out, e)
		}
	}
	return out
}

func service(t *testing.T, res *sim.Result, name string) *corev1.Service {
	t.Helper()
	for i := range res.Services {
		if res.Services[i].Name == name {
			return &res.Services[i]
		}
	}
	t.Fatalf("no Service %s in the result", name)
	return nil
}

func routerObject(t *testing.T, res *sim.Result, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for i := range res.RouterObjects {
		if u := &res.RouterObjects[i]; u.GetKind() == kind && u.GetName() == name {
			return u
		}
	}
	t.Fatalf("no %s %s in the result", kind, name)
	return nil
}

func ingress(t *testing.T, res *sim.Result, name string) *networkingv1.Ingress {
	t.Helper()
	for i := range res.Ingresses {
		if res.Ingresses[i].Name == name {
			return &res.Ingresses[i]
		}
	}
	t.Fatalf("no Ingress %s in the result", name)
	return nil
}

// measured is the value of the first measurement of each step run, in order.
func measured(res *sim.Result) []string {
	var out []string
	for _, run := range res.AnalysisRuns {
		for _, mr := range run.Status.MetricResults {
			if len(mr.Measurements) > 0 {
				out = append(out, mr.Measurements[0].Value)
			}
		}
	}
	return out
}

var desiredWeight = regexp.MustCompile(`set to desiredWeight '(\d+)'`)

// The real v1.9.1 controller's Istio host-split run (shared/reference/...): the
// weights it wrote and when, the Service switches, the final VirtualService
// and Services, the old stable going 30 s after the promotion.
func TestReferenceIstioHostSplit(t *testing.T) {
	res := runFile(t, "../scenarios/reference-istio-host-split-promotes.yaml")
	if res.Verdict != scenario.Promoted {
		t.Fatalf("verdict %s", res.Verdict)
	}
	// expected-vsvc.txt: 20/80 at t+1s, 60/40 at t+11s, 100/0 then 0/100 at t+21s
	// (the controller log has whole seconds; pods are Ready in about a second there).
	want := []struct {
		weight string
		at     time.Duration
	}{{"20", time.Second}, {"60", 11 * time.Second}, {"100", 21 * time.Second}, {"0", 21 * time.Second}}
	got := events(res, "Updated VirtualService")
	if len(got) != len(want) {
		t.Fatalf("VirtualService writes %v, want %v", got, want)
	}
	for i, e := range got {
		m := desiredWeight.FindStringSubmatch(e.Message)
		if m == nil || m[1] != want[i].weight || (e.At-want[i].at).Abs() > time.Second {
			t.Errorf("write %d: %s at %v, want weight %s at %v (±1s)", i, e.Message, e.At, want[i].weight, want[i].at)
		}
		if !strings.Contains(e.Message, "VirtualService `istio-host-split-vsvc`") {
			t.Errorf("message %q", e.Message)
		}
	}
	// Service selectors: canary 5d7988ff77 → 7cbf688f6d at t+1s; stable at t+21s,
	// between the 100 and the 0.
	sw := events(res, "SwitchService")
	if len(sw) != 2 ||
		sw[0].Message != "Switched selector for service 'istio-host-split-canary' from '5d7988ff77' to '7cbf688f6d'" || (sw[0].At-time.Second).Abs() > time.Second ||
		sw[1].Message != "Switched selector for service 'istio-host-split-stable' from '5d7988ff77' to '7cbf688f6d'" || (sw[1].At-21*time.Second).Abs() > time.Second {
		t.Errorf("service switches %v", sw)
	}
	var order []string
	for _, e := range res.Timeline {
		switch {
		case e.At < 0:
		case e.Reason == "SwitchService":
			order = append(order, strings.Split(e.Message, "'")[1])
		case e.Reason == "Updated VirtualService":
			order = append(order, desiredWeight.FindStringSubmatch(e.Message)[1])
		}
	}
	if strings.Join(order, " ") != "istio-host-split-canary 20 60 100 istio-host-split-stable 0" {
		t.Errorf("order of writes %q", order)
	}
	// The old stable ReplicaSet is scaled down scaleDownDelaySeconds after the switch.
	var down []sim.Entry
	for _, e := range events(res, "ScalingReplicaSet") {
		if strings.Contains(e.Message, "istio-host-split-5d7988ff77") {
			down = append(down, e)
		}
	}
	if len(down) != 1 || !strings.HasSuffix(down[0].Message, "from 4 to 0") || (down[0].At-51*time.Second).Abs() > time.Second {
		t.Errorf("old stable scale-down %v, want 4 → 0 at t+51s", down)
	}
	if got := measured(res); !reflect.DeepEqual(got, []string{"[1]"}) {
		t.Errorf("measurements %v, want [1] (the canary Service's series, at 20%%)", got)
	}

	// Final objects: both Services on the new hash and managed; the
	// VirtualService's spec as the controller left it.
	for _, name := range []string{"istio-host-split-canary", "istio-host-split-stable"} {
		svc := service(t, res, name)
		if svc.Spec.Selector["rollouts-pod-template-hash"] != "7cbf688f6d" || svc.Annotations["argo-rollouts.argoproj.io/managed-by-rollouts"] != "istio-host-split" {
			t.Errorf("Service %s: selector %v, annotations %v", name, svc.Spec.Selector, svc.Annotations)
		}
	}
	vs := routerObject(t, res, "VirtualService", "istio-host-split-vsvc")
	if vs.GetGeneration() != 5 {
		t.Errorf("VirtualService generation %d, want 5 (created, then 4 weight changes)", vs.GetGeneration())
	}
	ref := referenceFile(t, "istio-host-split-promotes", "virtualservice.yaml")
	if ref != nil {
		objs, err := decode.Objects(ref)
		if err != nil {
			t.Fatal(err)
		}
		real := objs[0].(*unstructured.Unstructured)
		if !reflect.DeepEqual(real.Object["spec"], vs.Object["spec"]) {
			t.Errorf("VirtualService spec\n got %v\nwant %v", vs.Object["spec"], real.Object["spec"])
		}
	}
}

// referenceFile reads a file of the real controller's runs, nil if absent.
func referenceFile(t *testing.T, dir, name string) []byte {
	for _, up := range []string{"..", filepath.Join("..", "..")} {
		b, err := os.ReadFile(filepath.Join("..", up, "shared", "reference", "real-controller-v1.9.1", dir, name))
		if err == nil {
			return b
		}
	}
	t.Logf("reference %s/%s not available", dir, name)
	return nil
}

// Each router's final objects, and what the data plane made of their weights.
func TestRouterScenarios(t *testing.T) {
	t.Run("istio subset split", func(t *testing.T) {
		res := runFile(t, "../scenarios/istio-subset-split.yaml")
		dr := routerObject(t, res, "DestinationRule", "reviews")
		subsets, _, _ := unstructured.NestedSlice(dr.Object, "spec", "subsets")
		if len(subsets) != 2 {
			t.Fatalf("subsets %v", subsets)
		}
		for _, s := range subsets {
			l := s.(map[string]any)["labels"].(map[string]any)
			if l["rollouts-pod-template-hash"] != "6f58f7d645" || l["app"] != "reviews" {
				t.Errorf("subset %v", s)
			}
		}
		vs := routerObject(t, res, "VirtualService", "reviews")
		http, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
		if len(http) != 1 || http[0].(map[string]any)["name"] != "primary" {
			t.Errorf("managed routes left in the VirtualService: %v", http)
		}
		var writes []string
		for _, e := range events(res, "Updated VirtualService") {
			writes = append(writes, strings.TrimPrefix(e.Message, "VirtualService `reviews` "))
		}
		want := []string{"set mirrorRoute 'mirror-gets'", "set headerRoute 'canary-header'", "set to desiredWeight '25'",
			"set to desiredWeight '75'", "removed all managed routes.", "set to desiredWeight '100'", "set to desiredWeight '0'"}
		if !reflect.DeepEqual(writes, want) {
			t.Errorf("VirtualService writes\n got %q\nwant %q", writes, want)
		}
		// 50% of 80 rps mirrored to the one canary pod, which alone answers them.
		if got := measured(res); len(got) != 2 || got[0] != "[40]" || !strings.HasPrefix(got[1], "[0.00499") {
			t.Errorf("measurements %v, want [40] mirrored requests/s and the canary's 0.5%% errors", got)
		}
	})
	t.Run("nginx", func(t *testing.T) {
		res := runFile(t, "../scenarios/nginx-canary.yaml")
		ing := ingress(t, res, "checkout-checkout-ingress-canary")
		want := map[string]string{
			"kubernetes.io/ingress.class":                  "nginx",
			"nginx.ingress.kubernetes.io/canary":           "true",
			"nginx.ingress.kubernetes.io/canary-weight":    "0",
			"nginx.ingress.kubernetes.io/canary-by-header": "X-Canary",
		}
		if !reflect.DeepEqual(ing.Annotations, want) {
			t.Errorf("annotations %v", ing.Annotations)
		}
		if b := ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service; b.Name != "checkout-canary" {
			t.Errorf("canary Ingress backend %v", b)
		}
		if len(ing.OwnerReferences) != 1 || ing.OwnerReferences[0].Name != "checkout" {
			t.Errorf("owner %v", ing.OwnerReferences)
		}
		if got := measured(res); len(got) != 1 || !strings.HasPrefix(got[0], "[0.995") {
			t.Errorf("measurements %v, want 10%% of requests at 5%% errors", got)
		}
		if service(t, res, "checkout-stable").Spec.Selector["rollouts-pod-template-hash"] != "7444f9b49" {
			t.Error("stable Service not on the new hash")
		}
	})
	t.Run("alb", func(t *testing.T) {
		res := runFile(t, "../scenarios/alb-canary.yaml")
		ing := ingress(t, res, "checkout-alb")
		if got := ing.Annotations["alb.ingress.kubernetes.io/actions.checkout-root"]; got != `{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"checkout-canary","ServicePort":"80","Weight":0},{"ServiceName":"checkout-stable","ServicePort":"80","Weight":100}]}}` {
			t.Errorf("action %s", got)
		}
		if got := ing.Annotations["rollouts.argoproj.io/managed-alb-annotations"]; got != `{"checkout":["alb.ingress.kubernetes.io/actions.checkout-root"]}` {
			t.Errorf("managed %s", got)
		}
		if got := measured(res); !reflect.DeepEqual(got, []string{"[0.996]", "[0.98]"}) {
			t.Errorf("measurements %v, want 4%% errors at 10%% then 50%%", got)
		}
		// Aborted: the canary Service goes back to the stable pods.
		if service(t, res, "checkout-canary").Spec.Selector["rollouts-pod-template-hash"] != "6cc4954b9d" {
			t.Error("canary Service not back on the stable hash")
		}
	})
	t.Run("smi", func(t *testing.T) {
		res := runFile(t, "../scenarios/smi-canary.yaml")
		ts := routerObject(t, res, "TrafficSplit", "emoji")
		if ts.GetAPIVersion() != "split.smi-spec.io/v1alpha1" || len(ts.GetOwnerReferences()) != 1 {
			t.Errorf("TrafficSplit %v", ts.Object)
		}
		want := map[string]any{"service": "emoji", "backends": []any{
			map[string]any{"service": "emoji-canary", "weight": "0"},
			map[string]any{"service": "emoji-stable", "weight": "100"}}}
		if !reflect.DeepEqual(ts.Object["spec"], want) {
			t.Errorf("spec %v", ts.Object["spec"])
		}
		if e := events(res, "TrafficSplitCreated"); len(e) != 0 {
			t.Errorf("the TrafficSplit is created at the initial deploy, before t=0: %v", e)
		}
		if got := measured(res); len(got) != 1 || !strings.HasPrefix(got[0], "[0.990") {
			t.Errorf("measurements %v, want 20%% of requests at 5%% errors", got)
		}
	})
	t.Run("gateway api", func(t *testing.T) {
		res := runFile(t, "../scenarios/gatewayapi-httproute.yaml")
		hr := routerObject(t, res, "HTTPRoute", "backend")
		rules, _, _ := unstructured.NestedSlice(hr.Object, "spec", "rules")
		refs := rules[0].(map[string]any)["backendRefs"].([]any)
		if refs[0].(map[string]any)["weight"] != int64(100) || refs[1].(map[string]any)["weight"] != int64(0) {
			t.Errorf("backendRefs %v", refs)
		}
		if hr.GetGeneration() != 6 || len(rules) != 1 || len(hr.GetLabels()) != 0 {
			t.Errorf("generation %d (want 6: 25, header rule, 75, 100 without it, 0), %d rules, labels %v", hr.GetGeneration(), len(rules), hr.GetLabels())
		}
		if got := measured(res); len(got) != 1 || !strings.HasPrefix(got[0], "[0.991") {
			t.Errorf("measurements %v, want 5%% + 95%% × 25%% of requests at 3%% errors", got)
		}
		// Mid-rollout: the plugin's header rule and in-progress label.
		src, err := os.ReadFile("../scenarios/gatewayapi-httproute.yaml")
		if err != nil {
			t.Fatal(err)
		}
		mid := strings.Replace(string(src), "  expect:\n    outcome: Promoted\n    within: 6m\n", "  until: 2m\n", 1)
		file := filepath.Join(t.TempDir(), "mid.yaml")
		if err := os.WriteFile(file, []byte(mid), 0o644); err != nil {
			t.Fatal(err)
		}
		in, err := scenario.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		midRes, err := sim.Run(context.Background(), in, sim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		hr = routerObject(t, midRes, "HTTPRoute", "backend")
		rules, _, _ = unstructured.NestedSlice(hr.Object, "spec", "rules")
		if len(rules) != 2 || hr.GetLabels()["rollouts.argoproj.io/gatewayapi-canary"] != "in-progress" {
			t.Fatalf("mid-rollout HTTPRoute: %d rules, labels %v", len(rules), hr.GetLabels())
		}
		beta := rules[1].(map[string]any)
		want := map[string]any{"name": "beta",
			"backendRefs": []any{map[string]any{"group": "", "kind": "Service", "name": "backend-canary", "port": int64(3000)}},
			"matches": []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": "/"},
				"headers": []any{map[string]any{"name": "x-beta", "type": "Exact", "value": "true"}}}}}
		if !reflect.DeepEqual(beta, want) {
			t.Errorf("header rule\n got %v\nwant %v", beta, want)
		}
	})
}

// Blue-green: the preview and active Services' selectors, and production
// traffic following the active one.
func TestBlueGreenServices(t *testing.T) {
	res := runFile(t, "../scenarios/bluegreen-services.yaml")
	sw := events(res, "SwitchService")
	if len(sw) != 2 || !strings.Contains(sw[0].Message, "'catalog-preview' from '956d4bf5f' to '576d456f9b'") || sw[0].At != 0 ||
		!strings.Contains(sw[1].Message, "'catalog-active' from '956d4bf5f' to '576d456f9b'") {
		t.Errorf("switches %v", sw)
	}
	for _, name := range []string{"catalog-active", "catalog-preview"} {
		if got := service(t, res, name).Spec.Selector["rollouts-pod-template-hash"]; got != "576d456f9b" {
			t.Errorf("%s selects %s", name, got)
		}
	}
	if got := measured(res); !reflect.DeepEqual(got, []string{"[0.98]"}) {
		t.Errorf("post-promotion measurement %v, want the new version's 2%% errors on the production route", got)
	}
}

// Without its VirtualService in the manifests, the rollout still runs and the
// data plane follows the weights in the Rollout's status.
func TestRouterObjectMissing(t *testing.T) {
	src, err := os.ReadFile("../scenarios/reference-istio-host-split-promotes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	start := strings.Index(s, "apiVersion: networking.istio.io/v1alpha3")
	end := strings.Index(s[start:], "---\n")
	if start < 0 || end < 0 {
		t.Fatal("fixture: VirtualService not found")
	}
	file := filepath.Join(t.TempDir(), "no-vsvc.yaml")
	if err := os.WriteFile(file, []byte(s[:start]+s[start+end+4:]), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runFile(t, file)
	if res.Verdict != scenario.Promoted || len(events(res, "Updated VirtualService")) != 0 || len(res.RouterObjects) != 0 {
		t.Errorf("verdict %s, %d router objects", res.Verdict, len(res.RouterObjects))
	}
	if got := measured(res); !reflect.DeepEqual(got, []string{"[1]"}) {
		t.Errorf("measurements %v", got)
	}
}
