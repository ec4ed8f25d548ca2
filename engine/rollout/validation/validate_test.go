package validation

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

func baseCanary() *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "ns", Labels: map[string]string{"team": "a"}},
		Spec: v1alpha1.RolloutSpec{
			Replicas: ptr.To[int32](4),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "app"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "app"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1"}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				Steps: []v1alpha1.CanaryStep{{SetWeight: ptr.To[int32](20)}, {Pause: &v1alpha1.RolloutPause{Duration: v1alpha1.DurationFromString("10s")}}},
			}},
		},
	}
}

func baseBlueGreen() *v1alpha1.Rollout {
	ro := baseCanary()
	ro.Spec.Strategy = v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{ActiveService: "active", PreviewService: "preview"}}
	return ro
}

// withRouting gives the canary services and a traffic router.
func withRouting(ro *v1alpha1.Rollout, tr *v1alpha1.RolloutTrafficRouting) {
	c := ro.Spec.Strategy.Canary
	c.StableService, c.CanaryService = "stable", "canary"
	c.TrafficRouting = tr
}

func istio() *v1alpha1.RolloutTrafficRouting {
	return &v1alpha1.RolloutTrafficRouting{Istio: &v1alpha1.IstioTrafficRouting{VirtualService: &v1alpha1.IstioVirtualService{Name: "vs"}}}
}

func nginx() *v1alpha1.RolloutTrafficRouting {
	return &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "ing"}}
}

func alb() *v1alpha1.RolloutTrafficRouting {
	return &v1alpha1.RolloutTrafficRouting{ALB: &v1alpha1.ALBTrafficRouting{Ingress: "ing", ServicePort: 80}}
}

func steps(ro *v1alpha1.Rollout, s ...v1alpha1.CanaryStep) { ro.Spec.Strategy.Canary.Steps = s }

type ruleCase struct {
	name    string
	base    func() *v1alpha1.Rollout
	mutate  func(ro *v1alpha1.Rollout)
	version engine.Version
	want    string // the controller's error, path and message (field.Error.Error())
}

// specRules has one row per upstream ValidateRollout rule (validation.go, v1.9.1, and
// the v1.10 wording where it changed), each the smallest change to a valid Rollout.
var specRules = []ruleCase{
	// ValidateRolloutSpec
	{name: "negative replicas", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Replicas = ptr.To[int32](-1) },
		want: "spec.replicas: Invalid value: -1: must be greater than or equal to 0"},
	{name: "no selector", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Selector = nil },
		want: "spec.selector: Required value: Rollout has missing field '.spec.selector'"},
	{name: "empty selector", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Selector = &metav1.LabelSelector{} },
		want: "spec.selector: Invalid value: {}: empty selector is invalid for deployment"},
	{name: "invalid selector label", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Selector.MatchLabels = map[string]string{"app": "bad value"}
		ro.Spec.Template.Labels = map[string]string{"app": "bad value"}
	}, want: `spec.selector.matchLabels: Invalid value: "bad value": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`},
	{name: "invalid selector operator", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Near"}}}
	}, want: `spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator`},
	{name: "workloadRef with template", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.WorkloadRef = &v1alpha1.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "d"}
	}, want: "spec.template: Internal error: template must be empty for workload reference rollout"},
	{name: "selector does not match template labels", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Template.Labels = map[string]string{"app": "other"} },
		want: "spec.template.metadata.labels: Invalid value: {\"app\":\"other\"}: `selector` does not match template `labels`"},
	{name: "no containers", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Template.Spec.Containers = nil },
		want: "spec.template.spec.containers: Required value"},
	{name: "container without name", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Template.Spec.Containers[0].Name = "" },
		want: "spec.template.spec.containers[0].name: Required value"},
	{name: "container name not a DNS label", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Template.Spec.Containers[0].Name = "App_1" },
		want: `spec.template.spec.containers[0].name: Invalid value: "App_1": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
	{name: "container without image", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Template.Spec.Containers[0].Image = "" },
		want: "spec.template.spec.containers[0].image: Required value"},
	{name: "duplicate container names", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Template.Spec.Containers = append(ro.Spec.Template.Spec.Containers, corev1.Container{Name: "app", Image: "side:1"})
	}, want: `spec.template.spec.containers[1].name: Duplicate value: "app"`},
	{name: "container port out of range", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Template.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 70000}}
	}, want: "spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"},
	{name: "restartPolicy not Always", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever },
		want: `spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`},
	{name: "activeDeadlineSeconds", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Template.Spec.ActiveDeadlineSeconds = ptr.To[int64](5) },
		want: "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"},
	{name: "invalid template label", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Template.Labels["bad key!"] = "x" },
		want: `spec.template.labels: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`},
	{name: "negative minReadySeconds", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.MinReadySeconds = -1 },
		want: "spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0"},
	{name: "negative revisionHistoryLimit", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.RevisionHistoryLimit = ptr.To[int32](-1) },
		want: "spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"},
	{name: "negative progressDeadlineSeconds", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.ProgressDeadlineSeconds = ptr.To[int32](-1) },
		want: "spec.progressDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0"},
	{name: "progressDeadlineSeconds not above minReadySeconds", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.MinReadySeconds = 600 },
		want: "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"},

	// ValidateRolloutStrategy
	{name: "no strategy", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Strategy = v1alpha1.RolloutStrategy{} },
		want: "spec.strategy.strategy: Required value: Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'"},
	{name: "both strategies", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.BlueGreen = &v1alpha1.BlueGreenStrategy{ActiveService: "a"}
	}, want: `spec.strategy.strategy: Invalid value: "blueGreen: true canary: true": Multiple Strategies can not be listed`},

	// ValidateRolloutStrategyBlueGreen
	{name: "blueGreen without activeService", base: baseBlueGreen, mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.BlueGreen.ActiveService, ro.Spec.Strategy.BlueGreen.PreviewService = "", ""
	}, want: `spec.strategy.activeService: Invalid value: "": This rollout uses the same service for the active and preview services, but two different services are required.`},
	{name: "blueGreen same active and preview", base: baseBlueGreen, mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.BlueGreen.PreviewService = "active" },
		want: `spec.strategy.activeService: Invalid value: "active": This rollout uses the same service for the active and preview services, but two different services are required.`},
	{name: "blueGreen scaleDownDelayRevisionLimit above revisionHistoryLimit", base: baseBlueGreen, mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.BlueGreen.ScaleDownDelayRevisionLimit = ptr.To[int32](11)
	}, want: "spec.strategy.scaleDownDelayRevisionLimit: Invalid value: 11: This rollout's revision history limit can not be smaller than the rollout's scale down limit"},
	{name: "blueGreen antiAffinity with no strategy", base: baseBlueGreen, mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.BlueGreen.AntiAffinity = &v1alpha1.AntiAffinity{}
	}, want: `spec.strategy.antiAffinity: Invalid value: "antiAffinity.PreferredDuringSchedulingIgnoredDuringExecution: false antiAffinity.RequiredDuringSchedulingIgnoredDuringExecution: false": AntiAffinity must have exactly one strategy listed`},

	// ValidateRolloutStrategyCanary
	{name: "maxSurge and maxUnavailable zero", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.MaxSurge = ptr.To(intstr.FromInt32(0))
		ro.Spec.Strategy.Canary.MaxUnavailable = ptr.To(intstr.FromString("0%"))
	}, want: "spec.strategy.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can not be zero"},
	{name: "same stable and canary service", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.StableService, ro.Spec.Strategy.Canary.CanaryService = "svc", "svc"
	}, want: `spec.strategy.stableService: Invalid value: "svc": This rollout uses the same service for the stable and canary services, but two different services are required.`},
	{name: "pingPong with nginx (v1.10)", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, nginx())
		ro.Spec.Strategy.Canary.PingPong = &v1alpha1.PingPongSpec{PingService: "ping", PongService: "pong"}
	}, want: "spec.strategy.trafficRouting.alb: Invalid value: null: Ping-pong feature works with the ALB, Istio, and plugin-based traffic routers only"},
	{name: "pingPong with nginx (v1.9)", version: engine.V1_9, mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, nginx())
		ro.Spec.Strategy.Canary.PingPong = &v1alpha1.PingPongSpec{PingService: "ping", PongService: "pong"}
	}, want: "spec.strategy.trafficRouting.alb: Invalid value: null: Ping-pong feature works with the ALB and Istio traffic routers only"},
	{name: "pingPong without pingService", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.PingPong = &v1alpha1.PingPongSpec{PongService: "pong"}
	}, want: `spec.strategy.pingPong.pingService: Invalid value: "": Ping service and Pong service must to be set to use Ping-Pong feature`},
	{name: "pingPong without pongService", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.PingPong = &v1alpha1.PingPongSpec{PingService: "ping"}
	}, want: `spec.strategy.pingPong.pongService: Invalid value: "": Ping service and Pong service must to be set to use Ping-Pong feature`},
	{name: "pingPong same services", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.PingPong = &v1alpha1.PingPongSpec{PingService: "p", PongService: "p"}
	}, want: `spec.strategy.pingPong.pingService: Invalid value: "p": This rollout uses the same service for the ping and pong services, but two different services are required.`},
	{name: "pingPong with ALB without rootService", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.TrafficRouting = alb()
		ro.Spec.Strategy.Canary.PingPong = &v1alpha1.PingPongSpec{PingService: "ping", PongService: "pong"}
	}, want: `spec.strategy.trafficRouting.alb.rootService: Invalid value: "": Root service field is required for the configuration with ALB and ping-pong feature enabled`},
	{name: "trafficRouting without stableService", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, nginx())
		ro.Spec.Strategy.Canary.StableService = ""
	}, want: `spec.strategy.stableService: Invalid value: "": Canary service and Stable service must to be set to use Traffic Routing`},
	{name: "trafficRouting without canaryService", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, istio())
		ro.Spec.Strategy.Canary.CanaryService = ""
	}, want: `spec.strategy.canaryService: Invalid value: "": Canary service and Stable service must to be set to use Traffic Routing`},
	{name: "scaleDownDelaySeconds without trafficRouting", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.ScaleDownDelaySeconds = ptr.To[int32](30) },
		want: "spec.strategy.scaleDownDelaySeconds: Invalid value: 30: Canary scaleDownDelaySeconds can only be used with traffic routing"},
	{name: "dynamicStableScale without trafficRouting", mutate: func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.DynamicStableScale = true },
		want: "spec.strategy.dynamicStableScale: Invalid value: true: Canary dynamicStableScale can only be used with traffic routing"},
	{name: "dynamicStableScale with scaleDownDelaySeconds", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, istio())
		ro.Spec.Strategy.Canary.DynamicStableScale = true
		ro.Spec.Strategy.Canary.ScaleDownDelaySeconds = ptr.To[int32](30)
	}, want: "spec.strategy.dynamicStableScale: Invalid value: true: Canary dynamicStableScale cannot be used with scaleDownDelaySeconds"},
	{name: "maxTrafficWeight with istio", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, istio())
		ro.Spec.Strategy.Canary.TrafficRouting.MaxTrafficWeight = ptr.To[int32](1000)
	}, want: "spec.strategy.trafficRouting.maxTrafficWeight: Invalid value: 1000: Canary maxTrafficWeight in traffic routing only supported in Nginx and Plugins"},
	{name: "step with several types", mutate: func(ro *v1alpha1.Rollout) {
		steps(ro, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](10), Pause: &v1alpha1.RolloutPause{}})
	}, want: `spec.strategy.steps[0]: Invalid value: "step.Experiment: false step.Pause: true step.SetWeight: true step.Analysis: false": Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or pause`},
	{name: "empty step", mutate: func(ro *v1alpha1.Rollout) { steps(ro, v1alpha1.CanaryStep{}) },
		want: `spec.strategy.steps[0]: Invalid value: "step.Experiment: true step.Pause: true step.SetWeight: true step.Analysis: true step.SetCanaryScale: true step.SetHeaderRoute: true step.SetMirrorRoute: true step.Plugin: true": Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or pause`},
	{name: "setWeight above 100", mutate: func(ro *v1alpha1.Rollout) { steps(ro, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](120)}) },
		want: "spec.strategy.steps[0].setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100"},
	{name: "setWeight negative", mutate: func(ro *v1alpha1.Rollout) { steps(ro, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](-1)}) },
		want: "spec.strategy.steps[0].setWeight: Invalid value: -1: SetWeight needs to be between 0 and 100"},
	{name: "setWeight above maxTrafficWeight", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, nginx())
		ro.Spec.Strategy.Canary.TrafficRouting.MaxTrafficWeight = ptr.To[int32](1000)
		steps(ro, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](1001)})
	}, want: "spec.strategy.steps[0].setWeight: Invalid value: 1001: SetWeight needs to be between 0 and 1000"},
	{name: "pause duration not a duration", mutate: func(ro *v1alpha1.Rollout) {
		steps(ro, v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: v1alpha1.DurationFromString("10x")}})
	}, want: "spec.strategy.steps[0].pause.duration: Invalid value: -1: Duration needs to be greater than 0"},
	{name: "pause duration in words", mutate: func(ro *v1alpha1.Rollout) {
		steps(ro, v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: v1alpha1.DurationFromString("5 minutes")}})
	}, want: "spec.strategy.steps[0].pause.duration: Invalid value: -1: Duration needs to be greater than 0"},
	{name: "negative pause duration", mutate: func(ro *v1alpha1.Rollout) {
		steps(ro, v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: v1alpha1.DurationFromInt(-5)}})
	}, want: "spec.strategy.steps[0].pause.duration: Invalid value: -5: Duration needs to be greater than 0"},
	{name: "setCanaryScale without trafficRouting", mutate: func(ro *v1alpha1.Rollout) {
		steps(ro, v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: ptr.To[int32](1)}})
	}, want: "spec.strategy.trafficRouting: Required value: SetCanaryScale requires TrafficRouting to be set"},
	{name: "setHeaderRoute without trafficRouting", mutate: func(ro *v1alpha1.Rollout) {
		steps(ro, v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "h"}})
	}, want: `spec.strategy.steps[0].setHeaderRoute: Invalid value: {"name":"h"}: SetHeaderRoute requires TrafficRouting, supports Istio and ALB and Apisix`},
	{name: "setHeaderRoute ALB match not exact", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, alb())
		ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes = []v1alpha1.MangedRoutes{{Name: "h"}}
		steps(ro, v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x", HeaderValue: &v1alpha1.StringMatch{Prefix: "a"}}}}})
	}, want: `spec.strategy.steps[0].setHeaderRoute.match[0]: Invalid value: {"prefix":"a"}: SetHeaderRoute match value invalid. ALB supports 'exact' value only`},
	{name: "setHeaderRoute ALB match missing", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, alb())
		ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes = []v1alpha1.MangedRoutes{{Name: "h"}}
		steps(ro, v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x"}}}})
	}, want: `spec.strategy.steps[0].setHeaderRoute.match[0]: Invalid value: null: StringMatch value missed, match value must have one of the following: exact, regex, prefix`},
	{name: "setHeaderRoute match with two values", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, istio())
		ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes = []v1alpha1.MangedRoutes{{Name: "h"}}
		steps(ro, v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x", HeaderValue: &v1alpha1.StringMatch{Exact: "a", Prefix: "b"}}}}})
	}, want: `spec.strategy.steps[0].setHeaderRoute.match[0]: Invalid value: {"exact":"a","prefix":"b"}: StringMatch match value must have exactly one of the following: exact, regex, prefix`},
	{name: "setHeaderRoute match with no value", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, istio())
		ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes = []v1alpha1.MangedRoutes{{Name: "h"}}
		steps(ro, v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x", HeaderValue: &v1alpha1.StringMatch{}}}}})
	}, want: `spec.strategy.steps[0].setHeaderRoute.match[0]: Invalid value: {}: StringMatch value missed, match value must have one of the following: exact, regex, prefix`},
	{name: "setMirrorRoute with nginx (v1.10)", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, nginx())
		ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes = []v1alpha1.MangedRoutes{{Name: "m"}}
		steps(ro, v1alpha1.CanaryStep{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "m"}})
	}, want: `spec.strategy.steps[0].setMirrorRoute: Invalid value: {"name":"m"}: SetMirrorRoute requires TrafficRouting, supports Istio and Plugins`},
	{name: "setMirrorRoute without trafficRouting (v1.9)", version: engine.V1_9, mutate: func(ro *v1alpha1.Rollout) {
		steps(ro, v1alpha1.CanaryStep{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "m"}})
	}, want: `spec.strategy.steps[0].setMirrorRoute: Invalid value: {"name":"m"}: SetMirrorRoute requires TrafficRouting, supports Istio only`},
	{name: "setMirrorRoute path match with two values", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, istio())
		ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes = []v1alpha1.MangedRoutes{{Name: "m"}}
		steps(ro, v1alpha1.CanaryStep{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "m", Match: []v1alpha1.RouteMatch{{Path: &v1alpha1.StringMatch{Exact: "/a", Regex: "/b"}}}}})
	}, want: `spec.strategy.steps[0].setMirrorRoute.match[0]: Invalid value: {"exact":"/a","regex":"/b"}: StringMatch match value must have exactly one of the following: exact, regex, prefix`},
	{name: "header route without managedRoutes", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, istio())
		steps(ro, v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "h"}})
	}, want: "spec.strategy.trafficRouting.managedRoutes: Required value: Rollout has missing field 'spec.strategy.canary.trafficRouting.managedRoutes'"},
	{name: "header route not in managedRoutes", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, istio())
		ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes = []v1alpha1.MangedRoutes{{Name: "other"}}
		steps(ro, v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "h"}})
	}, want: `spec.strategy.steps[0].setHeaderRoute: Invalid value: "h": Steps define a route that does not exist in spec.strategy.canary.trafficRouting.managedRoutes`},
	{name: "mirror route not in managedRoutes", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, istio())
		ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes = []v1alpha1.MangedRoutes{{Name: "other"}}
		steps(ro, v1alpha1.CanaryStep{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "m"}})
	}, want: `spec.strategy.steps[0].setMirrorRoute: Invalid value: "m": Steps define a route that does not exist in spec.strategy.canary.trafficRouting.managedRoutes`},
	{name: "experiment weight without trafficRouting", mutate: func(ro *v1alpha1.Rollout) {
		steps(ro, v1alpha1.CanaryStep{Experiment: &v1alpha1.RolloutExperimentStep{Templates: []v1alpha1.RolloutExperimentTemplate{{Name: "t", SpecRef: "canary", Weight: ptr.To[int32](10)}}}})
	}, want: "spec.strategy.steps[0].experiment.templates[0].weight: Invalid value: 10: Experiment template weight cannot be set unless TrafficRouting is enabled"},
	{name: "experiment weight with nginx", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, nginx())
		steps(ro, v1alpha1.CanaryStep{Experiment: &v1alpha1.RolloutExperimentStep{Templates: []v1alpha1.RolloutExperimentTemplate{{Name: "t", SpecRef: "canary", Weight: ptr.To[int32](10)}}}})
	}, want: "spec.strategy.steps[0].experiment.templates[0].weight: Invalid value: 10: Experiment template weight is only available for TrafficRouting with SMI, ALB, Istio and Plugins at this time"},
	{name: "analysis arg with unsupported metadata fieldRef", mutate: func(ro *v1alpha1.Rollout) {
		steps(ro, v1alpha1.CanaryStep{Analysis: &v1alpha1.RolloutAnalysis{
			Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "t"}},
			Args:      []v1alpha1.AnalysisRunArgument{{Name: "x", ValueFrom: &v1alpha1.ArgumentValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: "metadata.generateName"}}}},
		}})
	}, want: `spec.strategy.steps[0].analyses: Invalid value: [{"name":"x","valueFrom":{"fieldRef":{"fieldPath":"metadata.generateName"}}}]: Analyses arguments must refer to valid object metadata supported by downwardAPI`},
	{name: "experiment analysis arg with unsupported metadata fieldRef", mutate: func(ro *v1alpha1.Rollout) {
		steps(ro, v1alpha1.CanaryStep{Experiment: &v1alpha1.RolloutExperimentStep{
			Templates: []v1alpha1.RolloutExperimentTemplate{{Name: "t", SpecRef: "canary"}},
			Analyses: []v1alpha1.RolloutExperimentStepAnalysisTemplateRef{{Name: "a", TemplateName: "t",
				Args: []v1alpha1.AnalysisRunArgument{{Name: "x", ValueFrom: &v1alpha1.ArgumentValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: "metadata.labels['']"}}}}}},
		}})
	}, want: `spec.strategy.steps[0].analyses: Invalid value: [{"name":"x","valueFrom":{"fieldRef":{"fieldPath":"metadata.labels['']"}}}]: Analyses arguments must refer to valid object metadata supported by downwardAPI`},
	{name: "canary antiAffinity with both strategies", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.AntiAffinity = &v1alpha1.AntiAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: &v1alpha1.PreferredDuringSchedulingIgnoredDuringExecution{Weight: 10},
			RequiredDuringSchedulingIgnoredDuringExecution:  &v1alpha1.RequiredDuringSchedulingIgnoredDuringExecution{},
		}
	}, want: `spec.strategy.antiAffinity: Invalid value: "antiAffinity.PreferredDuringSchedulingIgnoredDuringExecution: true antiAffinity.RequiredDuringSchedulingIgnoredDuringExecution: true": AntiAffinity must have exactly one strategy listed`},
	{name: "antiAffinity weight out of range", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.AntiAffinity = &v1alpha1.AntiAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: &v1alpha1.PreferredDuringSchedulingIgnoredDuringExecution{Weight: 101},
		}
	}, want: "spec.strategy.antiAffinity.weight: Invalid value: 101: AntiAffinity weight must be between 1-100"},
}

func TestValidateRolloutRules(t *testing.T) {
	for _, c := range specRules {
		t.Run(c.name, func(t *testing.T) {
			mk := c.base
			if mk == nil {
				mk = baseCanary
			}
			ro := mk()
			if errs := ValidateRollout(ro, Options{Version: c.version}); len(errs) > 0 {
				t.Fatalf("base rollout invalid: %v", errs)
			}
			c.mutate(ro)
			errs := ValidateRollout(ro, Options{Version: c.version})
			if len(errs) == 0 {
				t.Fatalf("no error; want %q", c.want)
			}
			// The controller reports the first error: it must be the row's.
			if errs[0].Error() != c.want {
				t.Fatalf("first error\n got %q\nwant %q\nall: %v", errs[0].Error(), c.want, errs)
			}
		})
	}
}

// validCases are upstream's accepted variants (validation_test.go "valid ..." and
// "success ..." cases): none may produce an error.
var validCases = []ruleCase{
	{name: "blue-green", base: baseBlueGreen, mutate: func(*v1alpha1.Rollout) {}},
	{name: "plugin router without services", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Plugins: map[string]json.RawMessage{"org/p": []byte(`{}`)}}
	}},
	{name: "istio with a DestinationRule without services", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.TrafficRouting = istio()
		ro.Spec.Strategy.Canary.TrafficRouting.Istio.DestinationRule = &v1alpha1.IstioDestinationRule{Name: "dr", CanarySubsetName: "c", StableSubsetName: "s"}
	}},
	{name: "istio with ping-pong", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.TrafficRouting = istio()
		ro.Spec.Strategy.Canary.PingPong = &v1alpha1.PingPongSpec{PingService: "ping", PongService: "pong"}
	}},
	{name: "ping-pong with a plugin router (v1.10)", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Plugins: map[string]json.RawMessage{"org/p": []byte(`{}`)}}
		ro.Spec.Strategy.Canary.PingPong = &v1alpha1.PingPongSpec{PingService: "ping", PongService: "pong"}
	}},
	{name: "setMirrorRoute with a plugin router (v1.10)", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Plugins: map[string]json.RawMessage{"org/p": []byte(`{}`)},
			ManagedRoutes: []v1alpha1.MangedRoutes{{Name: "m"}}}
		steps(ro, v1alpha1.CanaryStep{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "m", Percentage: ptr.To[int32](50),
			Match: []v1alpha1.RouteMatch{{Method: &v1alpha1.StringMatch{Exact: "GET"}, Path: &v1alpha1.StringMatch{Prefix: "/api"}}}}})
	}},
	{name: "setHeaderRoute with ALB exact match", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, alb())
		ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes = []v1alpha1.MangedRoutes{{Name: "h"}}
		steps(ro, v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x", HeaderValue: &v1alpha1.StringMatch{Exact: "1"}}}}})
	}},
	{name: "maxTrafficWeight with nginx", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, nginx())
		ro.Spec.Strategy.Canary.TrafficRouting.MaxTrafficWeight = ptr.To[int32](1000)
		steps(ro, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](1000)})
	}},
	{name: "experiment weight with SMI", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, &v1alpha1.RolloutTrafficRouting{SMI: &v1alpha1.SMITrafficRouting{}})
		steps(ro, v1alpha1.CanaryStep{Experiment: &v1alpha1.RolloutExperimentStep{Templates: []v1alpha1.RolloutExperimentTemplate{{Name: "t", SpecRef: "canary", Weight: ptr.To[int32](10)}}}})
	}},
	{name: "setCanaryScale with a router", mutate: func(ro *v1alpha1.Rollout) {
		withRouting(ro, istio())
		steps(ro, v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Weight: ptr.To[int32](30)}}, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](30)})
	}},
	{name: "pause durations: digits, Go duration, zero, none", mutate: func(ro *v1alpha1.Rollout) {
		steps(ro,
			v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: v1alpha1.DurationFromString("30")}},
			v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: v1alpha1.DurationFromString("1m30s")}},
			v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: v1alpha1.DurationFromInt(0)}},
			v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}})
	}},
	{name: "workloadRef without selector or template", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.WorkloadRef = &v1alpha1.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "d"}
		ro.Spec.Selector = nil
		ro.Spec.Template = corev1.PodTemplateSpec{}
	}},
	{name: "privileged container", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Template.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
	}},
	{name: "analysis args from supported metadata", mutate: func(ro *v1alpha1.Rollout) {
		steps(ro, v1alpha1.CanaryStep{Analysis: &v1alpha1.RolloutAnalysis{
			Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "t"}},
			Args: []v1alpha1.AnalysisRunArgument{
				{Name: "a", ValueFrom: &v1alpha1.ArgumentValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: "metadata.name"}}},
				{Name: "b", ValueFrom: &v1alpha1.ArgumentValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: "metadata.labels['team']"}}},
				{Name: "c", ValueFrom: &v1alpha1.ArgumentValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: "metadata.annotations"}}},
				{Name: "d", ValueFrom: &v1alpha1.ArgumentValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: "spec.replicas"}}},
			},
		}})
	}},
	{name: "maxSurge zero with maxUnavailable set", mutate: func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.MaxSurge = ptr.To(intstr.FromInt32(0))
		ro.Spec.Strategy.Canary.MaxUnavailable = ptr.To(intstr.FromString("10%"))
	}},
}

func TestValidateRolloutValid(t *testing.T) {
	for _, c := range validCases {
		t.Run(c.name, func(t *testing.T) {
			mk := c.base
			if mk == nil {
				mk = baseCanary
			}
			ro := mk()
			c.mutate(ro)
			if errs := ValidateRollout(ro, Options{Version: c.version}); len(errs) > 0 {
				t.Fatalf("unexpected errors: %v", errs)
			}
		})
	}
}
