package validation

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

func service(name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: corev1.ServiceSpec{Selector: selector}}
}

func template(name string, metrics ...v1alpha1.Metric) *v1alpha1.AnalysisTemplate {
	return &v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: v1alpha1.AnalysisTemplateSpec{Metrics: metrics}}
}

func metric(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Query: "up"}}}
}

func ingress(name, backend string) *networkingv1.Ingress {
	return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{
		IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
			Path: "/", Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: backend}},
		}}}},
	}}}}
}

func virtualService(name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
		"metadata": map[string]any{"name": name, "namespace": "ns"}, "spec": spec,
	}}
	return u
}

func httpRoute(name string, hosts ...string) map[string]any {
	var dests []any
	for _, h := range hosts {
		dests = append(dests, map[string]any{"destination": map[string]any{"host": h}, "weight": int64(50)})
	}
	r := map[string]any{"route": dests}
	if name != "" {
		r["name"] = name
	}
	return r
}

func stepAnalysis(ro *v1alpha1.Rollout, refs ...v1alpha1.AnalysisTemplateRef) {
	steps(ro, v1alpha1.CanaryStep{Analysis: &v1alpha1.RolloutAnalysis{Templates: refs}})
}

func backgroundAnalysis(ro *v1alpha1.Rollout, args []v1alpha1.AnalysisRunArgument, refs ...v1alpha1.AnalysisTemplateRef) {
	ro.Spec.Strategy.Canary.Analysis = &v1alpha1.RolloutAnalysisBackground{RolloutAnalysis: v1alpha1.RolloutAnalysis{Templates: refs, Args: args}}
}

func routingServices() []*corev1.Service {
	return []*corev1.Service{service("stable", map[string]string{"app": "app"}), service("canary", map[string]string{"app": "app"})}
}

type refCase struct {
	name     string
	base     func() *v1alpha1.Rollout
	mutate   func(ro *v1alpha1.Rollout, objs *Objects)
	want     string
	notFound bool // reported in NotFound rather than Invalid
	missing  bool // reported in MissingTemplates rather than Invalid
}

// referenceRules has one row per upstream reference rule (validation_references.go and
// the lookups of rollout/controller.go getRolloutReferencedResources, v1.9.1).
var referenceRules = []refCase{
	// Services
	{name: "stable service not found", notFound: true, mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, nginx())
		o.Services = o.Services[1:]
	}, want: `spec.strategy.canary.stableService: Invalid value: "stable": service "stable" not found`},
	{name: "canary service selector does not match", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		ro.Spec.Strategy.Canary.StableService, ro.Spec.Strategy.Canary.CanaryService = "stable", "canary"
		o.Services[1].Spec.Selector = map[string]string{"app": "other"}
	}, want: `spec.strategy.canary.canaryService: Invalid value: "canary": Service "canary" has unmatch label "app" in rollout`},
	{name: "pod-template-hash selector label is ignored, others must match", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		ro.Spec.Strategy.Canary.StableService = "stable"
		o.Services[0].Spec.Selector = map[string]string{"app": "app", v1alpha1.DefaultRolloutUniqueLabelKey: "abc", "tier": "web"}
	}, want: `spec.strategy.canary.stableService: Invalid value: "stable": Service "stable" has unmatch label "tier" in rollout`},
	{name: "service managed by another rollout", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		ro.Spec.Strategy.Canary.StableService = "stable"
		o.Services[0].Annotations = map[string]string{v1alpha1.ManagedByRolloutsKey: "other"}
	}, want: `spec.strategy.canary.stableService: Invalid value: "stable": Service "stable" is managed by another Rollout`},
	{name: "ping service selector does not match", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		ro.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{ALB: &v1alpha1.ALBTrafficRouting{Ingress: "ing", RootService: "root", ServicePort: 80}}
		ro.Spec.Strategy.Canary.PingPong = &v1alpha1.PingPongSpec{PingService: "ping", PongService: "pong"}
		o.Services = append(o.Services, service("ping", map[string]string{"app": "x"}), service("pong", map[string]string{"app": "app"}))
		o.Ingresses = []*networkingv1.Ingress{ingress("ing", "root")}
	}, want: `spec.strategy.canary.pingPong.pingService: Invalid value: "ping": Service "ping" has unmatch label "app" in rollout`},
	{name: "active service not found", base: baseBlueGreen, notFound: true, mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		o.Services = []*corev1.Service{service("preview", map[string]string{"app": "app"})}
	}, want: `spec.strategy.blueGreen.activeService: Invalid value: "active": service "active" not found`},
	{name: "preview service selector does not match", base: baseBlueGreen, mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		o.Services = []*corev1.Service{service("active", map[string]string{"app": "app"}), service("preview", map[string]string{"app": "x"})}
	}, want: `spec.strategy.blueGreen.previewService: Invalid value: "preview": Service "preview" has unmatch label "app" in rollout`},

	// Analysis templates
	{name: "step template not found", missing: true, mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		stepAnalysis(ro, v1alpha1.AnalysisTemplateRef{TemplateName: "missing"})
	}, want: `spec.strategy.canary.steps[0].analysis.templates: Invalid value: "missing": AnalysisTemplate 'missing' not found`},
	{name: "cluster template not found", missing: true, mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		backgroundAnalysis(ro, nil, v1alpha1.AnalysisTemplateRef{TemplateName: "missing", ClusterScope: ptr.To(true)})
	}, want: `spec.strategy.canary.analysis.templates: Invalid value: "missing": ClusterAnalysisTemplate 'missing' not found`},
	{name: "nested template not found", missing: true, mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		o.AnalysisTemplates[0].Spec.Templates = []v1alpha1.AnalysisTemplateRef{{TemplateName: "inner"}}
		stepAnalysis(ro, v1alpha1.AnalysisTemplateRef{TemplateName: "t"})
	}, want: `spec.templates: Invalid value: "inner": AnalysisTemplate 'inner' not found`},
	{name: "pre-promotion template not found", base: baseBlueGreen, missing: true, mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		o.Services = []*corev1.Service{service("active", nil), service("preview", nil)}
		ro.Spec.Strategy.BlueGreen.PrePromotionAnalysis = &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "missing"}}}
	}, want: `spec.strategy.blueGreen.prePromotionAnalysis.templates: Invalid value: "missing": AnalysisTemplate 'missing' not found`},
	{name: "templates with the same metric", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		o.AnalysisTemplates = append(o.AnalysisTemplates, template("u", metric("m")))
		stepAnalysis(ro, v1alpha1.AnalysisTemplateRef{TemplateName: "t"}, v1alpha1.AnalysisTemplateRef{TemplateName: "u"})
	}, want: `spec.strategy.canary.steps[0].analysis.templates: Invalid value: "templateNames: [t u]": two metrics have the same name 'm'`},
	{name: "templates with conflicting arg values", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		o.AnalysisTemplates[0].Spec.Args = []v1alpha1.Argument{{Name: "a", Value: ptr.To("1")}}
		o.AnalysisTemplates = append(o.AnalysisTemplates, &v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "u", Namespace: "ns"},
			Spec: v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{metric("n")}, Args: []v1alpha1.Argument{{Name: "a", Value: ptr.To("2")}}}})
		stepAnalysis(ro, v1alpha1.AnalysisTemplateRef{TemplateName: "t"}, v1alpha1.AnalysisTemplateRef{TemplateName: "u"})
	}, want: "spec.strategy.canary.steps[0].analysis.templates: Invalid value: \"templateNames: [t u]\": Argument `a` specified multiple times with different values: '1', '2'"},
	{name: "step measurementRetention duplicates the template's", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		o.AnalysisTemplates[0].Spec.MeasurementRetention = []v1alpha1.MeasurementRetention{{MetricName: "m", Limit: 5}}
		stepAnalysis(ro, v1alpha1.AnalysisTemplateRef{TemplateName: "t"})
		ro.Spec.Strategy.Canary.Steps[0].Analysis.MeasurementRetention = []v1alpha1.MeasurementRetention{{MetricName: "m", Limit: 2}}
	}, want: `spec.strategy.canary.steps[0].analysis.templates: Invalid value: "templateNames: [t]": two Measurement Retention metric rules have the same name 'm'`},
	{name: "step dryRun duplicates the template's, seen from the background analysis", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		// Upstream re-merges every template set with each step's rules.
		o.AnalysisTemplates = append(o.AnalysisTemplates, &v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "bg", Namespace: "ns"},
			Spec: v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{metric("b")}, DryRun: []v1alpha1.DryRun{{MetricName: "b"}}}})
		stepAnalysis(ro, v1alpha1.AnalysisTemplateRef{TemplateName: "t"})
		ro.Spec.Strategy.Canary.Steps[0].Analysis.DryRun = []v1alpha1.DryRun{{MetricName: "b"}}
		backgroundAnalysis(ro, nil, v1alpha1.AnalysisTemplateRef{TemplateName: "bg"})
	}, want: `spec.strategy.canary.analysis.templates: Invalid value: "templateNames: [bg]": two Dry-Run metric rules have the same name 'b'`},
	{name: "inline analysis arg not supplied", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		o.AnalysisTemplates[0].Spec.Args = []v1alpha1.Argument{{Name: "svc"}}
		stepAnalysis(ro, v1alpha1.AnalysisTemplateRef{TemplateName: "t"})
	}, want: `spec.strategy.canary.steps[0].analysis.templates: Invalid value: "templateNames: [t]": args.svc was not resolved`},
	{name: "inline analysis runs indefinitely", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		o.AnalysisTemplates[0].Spec.Metrics[0].Interval = "1m"
		stepAnalysis(ro, v1alpha1.AnalysisTemplateRef{TemplateName: "t"})
	}, want: `spec.strategy.canary.steps[0].analysis.templates: Invalid value: "t": AnalysisTemplate t has metric m which runs indefinitely. Invalid value for count: <nil>`},
	{name: "post-promotion analysis count from an arg runs indefinitely", base: baseBlueGreen, mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		o.Services = []*corev1.Service{service("active", nil), service("preview", nil)}
		o.AnalysisTemplates[0].Spec.Args = []v1alpha1.Argument{{Name: "n"}}
		o.AnalysisTemplates[0].Spec.Metrics[0].Interval = "1m"
		o.AnalysisTemplates[0].Spec.Metrics[0].Count = ptr.To(intstr.FromString("{{args.n}}"))
		ro.Spec.Strategy.BlueGreen.PostPromotionAnalysis = &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "t"}},
			Args: []v1alpha1.AnalysisRunArgument{{Name: "n", Value: "3"}}}
	}, want: `spec.strategy.blueGreen.postPromotionAnalysis.templates: Invalid value: "t": AnalysisTemplate t has metric m which runs indefinitely. Invalid value for count: dummy-value`},
	{name: "inline analysis arg with value and valueFrom", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		o.AnalysisTemplates[0].Spec.Args = []v1alpha1.Argument{{Name: "a", Value: ptr.To("1"), ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "s", Key: "k"}}}}
		stepAnalysis(ro, v1alpha1.AnalysisTemplateRef{TemplateName: "t"})
	}, want: `spec.strategy.canary.steps[0].analysis.templates: Invalid value: "t": AnalysisTemplate t: arg 'a' has both Value and ValueFrom fields`},
	{name: "inline analysis unknown placeholder", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		o.AnalysisTemplates[0].Spec.Metrics[0].Provider.Prometheus.Query = "up{job='{{args.nope}}'}"
		stepAnalysis(ro, v1alpha1.AnalysisTemplateRef{TemplateName: "t"})
	}, want: `spec.strategy.canary.steps[0].analysis.templates: Invalid value: "t": AnalysisTemplate t: failed to resolve {{args.nope}}`},
	{name: "background analysis without args", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		o.AnalysisTemplates[0].Spec.Args = []v1alpha1.Argument{{Name: "svc"}}
		backgroundAnalysis(ro, nil, v1alpha1.AnalysisTemplateRef{TemplateName: "t"})
	}, want: `spec.strategy.canary.analysis.templates: Invalid value: "templateNames: [t]": args.svc was not resolved`},
	{name: "background analysis missing one arg", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		o.AnalysisTemplates[0].Spec.Args = []v1alpha1.Argument{{Name: "svc"}, {Name: "ns"}}
		// The merge check passes when every arg is supplied; the background check
		// then looks at each template arg without a default.
		backgroundAnalysis(ro, []v1alpha1.AnalysisRunArgument{{Name: "svc", Value: "x"}, {Name: "ns", Value: "y"}}, v1alpha1.AnalysisTemplateRef{TemplateName: "t"})
		ro.Spec.Strategy.Canary.Analysis.Args = ro.Spec.Strategy.Canary.Analysis.Args[:1]
		o.AnalysisTemplates[0].Spec.Args[1].Value = nil
		o.AnalysisTemplates = append(o.AnalysisTemplates, &v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "u", Namespace: "ns"},
			Spec: v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{metric("n")}, Args: []v1alpha1.Argument{{Name: "ns", Value: ptr.To("d")}}}})
		ro.Spec.Strategy.Canary.Analysis.Templates = append(ro.Spec.Strategy.Canary.Analysis.Templates, v1alpha1.AnalysisTemplateRef{TemplateName: "u"})
	}, want: `spec.strategy.canary.analysis.templates: Invalid value: "t": ns`},

	// Ingresses
	{name: "nginx stableIngress and stableIngresses", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, nginx())
		ro.Spec.Strategy.Canary.TrafficRouting.Nginx.StableIngresses = []string{"ing2"}
	}, want: "spec.strategy.canary.trafficRouting.nginx: Internal error: Either StableIngress or StableIngresses must be configured. Both are configured."},
	{name: "nginx neither stableIngress nor stableIngresses", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{}})
	}, want: "spec.strategy.canary.trafficRouting.nginx: Internal error: Either StableIngress or StableIngresses must be configured. Neither are configured."},
	{name: "alb ingress and ingresses", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, alb())
		ro.Spec.Strategy.Canary.TrafficRouting.ALB.Ingresses = []string{"ing2"}
	}, want: "spec.strategy.canary.trafficRouting.alb: Internal error: Either Ingress or Ingresses must be configured. Both are configured."},
	{name: "alb neither ingress nor ingresses", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, &v1alpha1.RolloutTrafficRouting{ALB: &v1alpha1.ALBTrafficRouting{ServicePort: 80}})
	}, want: "spec.strategy.canary.trafficRouting.alb: Internal error: Either Ingress or Ingresses must be configured. Neither are configured."},
	{name: "nginx stable ingress not found", notFound: true, mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, nginx())
		o.Ingresses = nil
	}, want: `spec.strategy.canary.trafficRouting.nginx.stableIngress: Invalid value: "ing": ingress.networking.k8s.io "ing" not found`},
	{name: "alb ingresses: one not found", notFound: true, mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, &v1alpha1.RolloutTrafficRouting{ALB: &v1alpha1.ALBTrafficRouting{Ingresses: []string{"ing", "ing2"}, ServicePort: 80}})
	}, want: `spec.strategy.canary.trafficRouting.alb.ingresses: Invalid value: ["ing","ing2"]: ingress.networking.k8s.io "ing2" not found`},
	{name: "nginx stable ingress without the stable service", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, nginx())
		o.Ingresses = []*networkingv1.Ingress{ingress("ing", "other")}
	}, want: "spec.strategy.canary.trafficRouting.nginx.stableIngress: Invalid value: \"ing\": ingress `ing` has no rules using service stable backend"},
	{name: "nginx stableIngresses entry without the stable service", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngresses: []string{"ing", "ing2"}}})
		o.Ingresses = append(o.Ingresses, ingress("ing2", "other"))
	}, want: "spec.strategy.canary.trafficRouting.nginx.stableIngresses: Invalid value: \"ing2\": ingress `ing2` has no rules using service stable backend"},
	{name: "alb ingress without the root service", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, alb())
		ro.Spec.Strategy.Canary.TrafficRouting.ALB.RootService = "root"
	}, want: "spec.strategy.canary.trafficRouting.alb.ingress: Invalid value: \"ing\": ingress `ing` has no rules using service root backend"},

	// Istio
	{name: "istio virtualService and virtualServices", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, istio())
		ro.Spec.Strategy.Canary.TrafficRouting.Istio.VirtualServices = []v1alpha1.IstioVirtualService{{Name: "vs2"}}
	}, want: "spec.strategy.canary.trafficRouting.istio: Internal error: either VirtualService or VirtualServices must be configured"},
	{name: "virtual service not found", notFound: true, mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, istio())
		o.VirtualServices = nil
	}, want: `spec.strategy.canary.trafficRouting.istio.virtualService.name: Invalid value: "vs": virtualservices.networking.istio.io "vs" not found`},
	{name: "virtual service without routes", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, istio())
		o.VirtualServices = []*unstructured.Unstructured{virtualService("vs", map[string]any{"hosts": []any{"x"}})}
	}, want: `spec.strategy.canary.trafficRouting.istio.virtualService.name: Invalid value: "vs": Unable to get any of the HTTP, TCP or TLS routes for the Istio VirtualService`},
	{name: "virtual service route name not found", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, istio())
		ro.Spec.Strategy.Canary.TrafficRouting.Istio.VirtualService.Routes = []string{"primary"}
	}, want: `spec.strategy.canary.trafficRouting.istio.virtualService.name: Invalid value: "vs": Istio VirtualService has invalid HTTP routes. Error: HTTP Route 'primary' is not found in the defined Virtual Service.`},
	{name: "virtual service route without the canary", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, istio())
		o.VirtualServices = []*unstructured.Unstructured{virtualService("vs", map[string]any{"http": []any{httpRoute("", "stable.ns.svc.cluster.local")}})}
	}, want: `spec.strategy.canary.trafficRouting.istio.virtualService.name: Invalid value: "vs": Istio VirtualService has invalid HTTP routes. Error: Canary Service 'canary' not found in route`},
	{name: "virtual service route without the stable", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, istio())
		o.VirtualServices = []*unstructured.Unstructured{virtualService("vs", map[string]any{"http": []any{httpRoute("", "canary")}})}
	}, want: `spec.strategy.canary.trafficRouting.istio.virtualService.name: Invalid value: "vs": Istio VirtualService has invalid HTTP routes. Error: Stable Service 'stable' not found in route`},
	{name: "virtual service with several unnamed routes", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, istio())
		o.VirtualServices = []*unstructured.Unstructured{virtualService("vs", map[string]any{"http": []any{httpRoute("", "stable", "canary"), httpRoute("b", "other")}})}
	}, want: `spec.strategy.canary.trafficRouting.istio.virtualService.name: Invalid value: "vs": Istio VirtualService has invalid HTTP routes. Error: spec.http[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.routes`},
	{name: "destination rule subset missing from route", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, istio())
		ro.Spec.Strategy.Canary.TrafficRouting.Istio.DestinationRule = &v1alpha1.IstioDestinationRule{Name: "dr", CanarySubsetName: "canary", StableSubsetName: "stable"}
	}, want: `spec.strategy.canary.trafficRouting.istio.virtualService.name: Invalid value: "vs": Istio VirtualService has invalid HTTP routes. Error: Canary DestinationRule subset 'canary' not found in route`},
	{name: "tls route not matching", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, istio())
		ro.Spec.Strategy.Canary.TrafficRouting.Istio.VirtualService.TLSRoutes = []v1alpha1.TLSRoute{{Port: 443}}
		o.VirtualServices = []*unstructured.Unstructured{virtualService("vs", map[string]any{"tls": []any{map[string]any{
			"match": []any{map[string]any{"port": int64(8443), "sniHosts": []any{"a"}}}, "route": []any{}}}})}
	}, want: `spec.strategy.canary.trafficRouting.istio.virtualService.name: Invalid value: "vs": Istio VirtualService has invalid TLS routes. Error: No matching TLS routes found in the defined Virtual Service.`},
	{name: "tcp route not matching", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, istio())
		ro.Spec.Strategy.Canary.TrafficRouting.Istio.VirtualService.TCPRoutes = []v1alpha1.TCPRoute{{Port: 5432}}
		o.VirtualServices = []*unstructured.Unstructured{virtualService("vs", map[string]any{"tcp": []any{map[string]any{
			"match": []any{map[string]any{"port": int64(5433)}}, "route": []any{}}}})}
	}, want: `spec.strategy.canary.trafficRouting.istio.virtualService.name: Invalid value: "vs": Istio VirtualService has invalid TCP routes. Error: No matching TCP routes found in the defined Virtual Service.`},

	// Ambassador
	{name: "ambassador without mappings", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, &v1alpha1.RolloutTrafficRouting{Ambassador: &v1alpha1.AmbassadorTrafficRouting{}})
	}, want: "spec.strategy.canary.trafficRouting.ambassador.mappings: Invalid value: null: must provide at least one mapping"},
	{name: "ambassador mapping not found", notFound: true, mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, &v1alpha1.RolloutTrafficRouting{Ambassador: &v1alpha1.AmbassadorTrafficRouting{Mappings: []string{"map"}}})
	}, want: `spec.strategy.canary.trafficRouting.ambassador.mappings: Invalid value: "map": mappings.getambassador.io "map" not found`},
	{name: "ambassador mapping with weight", mutate: func(ro *v1alpha1.Rollout, o *Objects) {
		withRouting(ro, &v1alpha1.RolloutTrafficRouting{Ambassador: &v1alpha1.AmbassadorTrafficRouting{Mappings: []string{"map"}}})
		o.AmbassadorMappings = []*unstructured.Unstructured{{Object: map[string]any{"apiVersion": "getambassador.io/v2", "kind": "Mapping",
			"metadata": map[string]any{"name": "map", "namespace": "ns"}, "spec": map[string]any{"weight": int64(10)}}}}
	}, want: `spec.weight: Invalid value: "map": Ambassador mapping "map" can not define weight`},
}

// goodObjects are objects that satisfy every reference of the rows' rollouts.
func goodObjects() Objects {
	return Objects{
		AnalysisTemplates: []*v1alpha1.AnalysisTemplate{template("t", metric("m"))},
		Services:          routingServices(),
		Ingresses:         []*networkingv1.Ingress{ingress("ing", "stable")},
		VirtualServices:   []*unstructured.Unstructured{virtualService("vs", map[string]any{"http": []any{httpRoute("", "stable", "canary.ns.svc.cluster.local")}})},
	}
}

func TestValidateRolloutReferencesRules(t *testing.T) {
	for _, c := range referenceRules {
		t.Run(c.name, func(t *testing.T) {
			mk := c.base
			if mk == nil {
				mk = baseCanary
			}
			ro, objs := mk(), goodObjects()
			c.mutate(ro, &objs)
			if errs := ValidateRollout(ro, Options{}); len(errs) > 0 {
				t.Fatalf("the row's rollout must pass the spec rules: %v", errs)
			}
			got := ValidateRolloutReferences(ro, objs, Options{})
			lists := map[string]field.ErrorList{"invalid": got.Invalid, "missingTemplates": got.MissingTemplates, "notFound": got.NotFound}
			which := "invalid"
			switch {
			case c.notFound:
				which = "notFound"
			case c.missing:
				which = "missingTemplates"
			}
			if l := lists[which]; len(l) == 0 || l[0].Error() != c.want {
				t.Fatalf("want %q first in %s, got %v", c.want, which, lists)
			}
			for name, l := range lists {
				if name != which && len(l) > 0 {
					t.Fatalf("unexpected errors in %s: %v", name, l)
				}
			}
			if got.First() == nil || got.First().Error() != c.want {
				t.Fatalf("First() = %v, want %q", got.First(), c.want)
			}
			if fatal := got.Fatal(); c.notFound && fatal != nil || !c.notFound && (fatal == nil || fatal.Error() != c.want) {
				t.Fatalf("Fatal() = %v (notFound row: %t)", fatal, c.notFound)
			}
		})
	}
}

// The same references, all present and right, give no error at all.
func TestValidateRolloutReferencesClean(t *testing.T) {
	ro := baseCanary()
	withRouting(ro, istio())
	stepAnalysis(ro, v1alpha1.AnalysisTemplateRef{TemplateName: "t"})
	backgroundAnalysis(ro, nil, v1alpha1.AnalysisTemplateRef{TemplateName: "t"})
	got := ValidateRolloutReferences(ro, goodObjects(), Options{})
	if len(got.All()) > 0 || got.First() != nil {
		t.Fatalf("unexpected: %v", got.All())
	}
}

func TestInvalidSpecMessage(t *testing.T) {
	ro := baseCanary()
	steps(ro, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](150)})
	err := Controller(ro, goodObjects(), Options{})
	if err == nil {
		t.Fatal("no error")
	}
	want := `The Rollout "app" is invalid: spec.strategy.steps[0].setWeight: Invalid value: 150: SetWeight needs to be between 0 and 100`
	if got := InvalidSpecMessage(ro, err); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	// With a valid spec, the first reference error is the one reported.
	ro = baseCanary()
	withRouting(ro, nginx())
	objs := goodObjects()
	objs.Services = objs.Services[1:]
	want = `The Rollout "app" is invalid: spec.strategy.canary.stableService: Invalid value: "stable": service "stable" not found`
	if got := InvalidSpecMessage(ro, Controller(ro, objs, Options{})); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if Controller(baseCanary(), goodObjects(), Options{}) != nil {
		t.Fatal("valid rollout reported invalid")
	}
}

func appMeshRollout() *v1alpha1.Rollout {
	ro := baseCanary()
	withRouting(ro, &v1alpha1.RolloutTrafficRouting{AppMesh: &v1alpha1.AppMeshTrafficRouting{VirtualService: &v1alpha1.AppMeshVirtualService{Name: "mvs"}}})
	return ro
}

func appMeshObjects(routes []any) Objects {
	o := goodObjects()
	o.AppMeshVirtualServices = []*unstructured.Unstructured{{Object: map[string]any{"apiVersion": "appmesh.k8s.aws/v1beta2", "kind": "VirtualService",
		"metadata": map[string]any{"name": "mvs", "namespace": "ns"},
		"spec":     map[string]any{"provider": map[string]any{"virtualRouter": map[string]any{"virtualRouterRef": map[string]any{"name": "vr"}}}}}}}
	o.AppMeshVirtualRouters = []*unstructured.Unstructured{{Object: map[string]any{"apiVersion": "appmesh.k8s.aws/v1beta2", "kind": "VirtualRouter",
		"metadata": map[string]any{"name": "vr", "namespace": "ns"}, "spec": map[string]any{"routes": routes}}}}
	return o
}

func weighted(n int) map[string]any {
	var targets []any
	for i := 0; i < n; i++ {
		targets = append(targets, map[string]any{"virtualNodeRef": map[string]any{"name": "n"}, "weight": int64(50)})
	}
	return map[string]any{"name": "primary", "httpRoute": map[string]any{"action": map[string]any{"weightedTargets": targets}}}
}

func TestAppMeshReferences(t *testing.T) {
	tests := []struct {
		name     string
		objs     Objects
		mutate   func(*v1alpha1.Rollout)
		want     string
		notFound bool
	}{
		{name: "valid router", objs: appMeshObjects([]any{weighted(2)})},
		{name: "no virtual service in the rollout", objs: appMeshObjects([]any{weighted(2)}),
			mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.TrafficRouting.AppMesh.VirtualService = nil },
			want:   "spec.strategy.canary.trafficRouting.appmesh.virtualService: Invalid value: null: must provide virtual-service"},
		{name: "virtual service not found", objs: goodObjects(), notFound: true,
			want: `spec.strategy.canary.trafficRouting.appmesh.virtualService: Invalid value: "mvs.ns": virtualservices.appmesh.k8s.aws "mvs" not found`},
		{name: "router without routes", objs: appMeshObjects(nil),
			want: `spec.routes: Invalid value: "vr": No routes defined for AppMesh virtual-router vr`},
		{name: "route of an unsupported type", objs: appMeshObjects([]any{map[string]any{"name": "r", "udpRoute": map[string]any{}}}),
			want: `spec.routes[0]: Invalid value: "vr": Error getting route details for AppMesh virtual-router vr and route r. Error: Route has unsupported route type`},
		{name: "three weighted targets", objs: appMeshObjects([]any{weighted(3)}),
			want: `spec.routes[0].httpRoute.action.weightedTargets: Invalid value: "vr": Invalid number of weightedTargets (3) for AppMesh virtual-router vr and route primary, expected 2`},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) {
			ro := appMeshRollout()
			if c.mutate != nil {
				c.mutate(ro)
			}
			got := ValidateRolloutReferences(ro, c.objs, Options{})
			if c.want == "" {
				if len(got.All()) > 0 {
					t.Fatalf("unexpected: %v", got.All())
				}
				return
			}
			list := got.Invalid
			if c.notFound {
				list = got.NotFound
			}
			if len(list) != 1 || list[0].Error() != c.want || got.First().Error() != c.want {
				t.Fatalf("want %q, got invalid=%v notFound=%v", c.want, got.Invalid, got.NotFound)
			}
		})
	}
}

// With a Service missing and an analysis that never ends, Fatal skips the missing
// Service (reported first by the controller) and returns the analysis error.
func TestFatalSkipsNotFound(t *testing.T) {
	ro := baseCanary()
	withRouting(ro, nginx())
	stepAnalysis(ro, v1alpha1.AnalysisTemplateRef{TemplateName: "t"})
	objs := goodObjects()
	objs.Services = nil
	objs.AnalysisTemplates[0].Spec.Metrics[0].Interval = "1m"
	got := ValidateRolloutReferences(ro, objs, Options{})
	if len(got.NotFound) != 2 || got.First() != got.NotFound[0] {
		t.Fatalf("want the two missing Services first, got %v", got.All())
	}
	want := `spec.strategy.canary.steps[0].analysis.templates: Invalid value: "t": AnalysisTemplate t has metric m which runs indefinitely. Invalid value for count: <nil>`
	if f := got.Fatal(); f == nil || f.Error() != want {
		t.Fatalf("Fatal() = %v, want %q", f, want)
	}
}
