// Package validation is the Rollout controller's validation: the spec rules it checks
// before reconciling (ValidateRollout) and the checks of the objects a Rollout refers to
// (ValidateRolloutReferences). A Rollout that fails either gets the InvalidSpec condition
// and is never reconciled; InvalidSpecMessage formats that condition's message.
//
// Written from upstream pkg/apis/rollouts/validation (validation.go,
// validation_references.go) and rollout/controller.go (getRolloutValidationErrors,
// getRolloutReferencedResources) at v1.9.1, with v1.10.0-rc1's differences selected by
// Options.Version. Field paths and messages are the controller's, including its quirks:
// canary rules are reported under spec.strategy (not spec.strategy.canary), e.g.
// "spec.strategy.steps[0].setWeight", exactly as the controller and `kubectl argo
// rollouts lint` print them.
//
// The functions are pure: no client, no clock.
//
// Use, as the controller does before each reconcile:
//
//	opts := validation.Options{Version: version}
//	if errs := validation.ValidateRollout(ro, opts); len(errs) > 0 {
//		// InvalidSpec: validation.InvalidSpecMessage(ro, errs[0])
//	}
//	refs := validation.ValidateRolloutReferences(ro, objs, opts)
//	if e := refs.Fatal(); e != nil {
//		// an invalid reference or a missing analysis template:
//		// validation.InvalidSpecMessage(ro, e)
//	}
//	// refs.NotFound (Services, Ingresses, ... absent from the manifests) is for the
//	// caller to judge; refs.First() is what the real controller would report.
//
// Controller(ro, objs, opts) returns the single error the controller would report.
package validation

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// The controller's messages (upstream validation.go constants).
const (
	MissingFieldMessage                                        = "Rollout has missing field '%s'"
	InvalidSetWeightMessage                                    = "SetWeight needs to be between 0 and %d"
	InvalidCanaryExperimentTemplateWeightWithoutTrafficRouting = "Experiment template weight cannot be set unless TrafficRouting is enabled"
	InvalidCanaryExperimentTemplateWeightRouter                = "Experiment template weight is only available for TrafficRouting with SMI, ALB, Istio and Plugins at this time"
	InvalidSetCanaryScaleTrafficPolicy                         = "SetCanaryScale requires TrafficRouting to be set"
	InvalidSetHeaderRouteTrafficPolicy                         = "SetHeaderRoute requires TrafficRouting, supports Istio and ALB and Apisix"
	InvalidSetMirrorRouteTrafficPolicyV19                      = "SetMirrorRoute requires TrafficRouting, supports Istio only"
	InvalidSetMirrorRouteTrafficPolicyV110                     = "SetMirrorRoute requires TrafficRouting, supports Istio and Plugins"
	InvalidStringMatchMultipleValuePolicy                      = "StringMatch match value must have exactly one of the following: exact, regex, prefix"
	InvalidStringMatchMissedValuePolicy                        = "StringMatch value missed, match value must have one of the following: exact, regex, prefix"
	InvalidSetHeaderRouteALBValuePolicy                        = "SetHeaderRoute match value invalid. ALB supports 'exact' value only"
	InvalidDurationMessage                                     = "Duration needs to be greater than 0"
	InvalidMaxSurgeMaxUnavailable                              = "MaxSurge and MaxUnavailable both can not be zero"
	InvalidStepMessage                                         = "Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or pause"
	InvalidStrategyMessage                                     = "Multiple Strategies can not be listed"
	DuplicatedServicesBlueGreenMessage                         = "This rollout uses the same service for the active and preview services, but two different services are required."
	DuplicatedServicesCanaryMessage                            = "This rollout uses the same service for the stable and canary services, but two different services are required."
	InvalidAntiAffinityStrategyMessage                         = "AntiAffinity must have exactly one strategy listed"
	InvalidAntiAffinityWeightMessage                           = "AntiAffinity weight must be between 1-100"
	ScaleDownLimitLargerThanRevisionLimit                      = "This rollout's revision history limit can not be smaller than the rollout's scale down limit"
	InvalidTrafficRoutingMessage                               = "Canary service and Stable service must to be set to use Traffic Routing"
	InvalidAnalysisArgsMessage                                 = "Analyses arguments must refer to valid object metadata supported by downwardAPI"
	InvalidCanaryScaleDownDelay                                = "Canary scaleDownDelaySeconds can only be used with traffic routing"
	InvalidCanaryDynamicStableScale                            = "Canary dynamicStableScale can only be used with traffic routing"
	InvalidCanaryDynamicStableScaleWithScaleDownDelay          = "Canary dynamicStableScale cannot be used with scaleDownDelaySeconds"
	InvalidCanaryMaxWeightOnlySupportInNginxAndPlugins         = "Canary maxTrafficWeight in traffic routing only supported in Nginx and Plugins"
	InvalidPingPongProvidedMessage                             = "Ping service and Pong service must to be set to use Ping-Pong feature"
	DuplicatedPingPongServicesMessage                          = "This rollout uses the same service for the ping and pong services, but two different services are required."
	MissedAlbRootServiceMessage                                = "Root service field is required for the configuration with ALB and ping-pong feature enabled"
	PingPongWithRouterOnlyMessageV19                           = "Ping-pong feature works with the ALB and Istio traffic routers only"
	PingPongWithRouterOnlyMessageV110                          = "Ping-pong feature works with the ALB, Istio, and plugin-based traffic routers only"
	InvalideStepRouteNameNotFoundInManagedRoutes               = "Steps define a route that does not exist in spec.strategy.canary.trafficRouting.managedRoutes"
)

// Controller defaults the rules read (upstream utils/defaults).
const (
	defaultReplicas                = 1
	defaultRevisionHistoryLimit    = 10
	defaultProgressDeadlineSeconds = 600
	defaultMaxSurge                = "25%"
	defaultMaxUnavailable          = "25%"
	defaultMaxTrafficWeight        = 100
)

// Options selects the controller version whose rules and wording apply. The zero
// value is the default version (v1.10). v1.10 differs from v1.9 in two rules (ping-pong
// and setMirrorRoute accept plugin routers, with new messages); v1.8.4's rules equal
// v1.9.1's for everything checked here (its ingress check dispatches on the router
// rather than the ingress name, which gives the same result for referenced ingresses).
type Options struct {
	Version engine.Version
}

func (o Options) v110() bool {
	return o.Version == engine.V1_10
}

// ValidateRollout returns every spec error the controller would find (upstream
// ValidateRollout), in the controller's order; the controller reports the first.
// The pod template gets the subset of Kubernetes' ReplicaSet pod-template validation
// described at validatePodTemplate.
func ValidateRollout(ro *v1alpha1.Rollout, opts Options) field.ErrorList {
	return validateSpec(ro, field.NewPath("spec"), opts)
}

func validateSpec(ro *v1alpha1.Rollout, fld *field.Path, opts Options) field.ErrorList {
	spec := ro.Spec
	var errs field.ErrorList

	replicas := int32(defaultReplicas)
	if spec.Replicas != nil {
		replicas = *spec.Replicas
	}
	errs = append(errs, nonNegative(int64(replicas), fld.Child("replicas"))...)

	if spec.WorkloadRef == nil {
		if spec.Selector == nil {
			errs = append(errs, field.Required(fld.Child("selector"), fmt.Sprintf(MissingFieldMessage, ".spec.selector")))
		} else {
			errs = append(errs, metavalidation.ValidateLabelSelector(spec.Selector, metavalidation.LabelSelectorValidationOptions{}, fld.Child("selector"))...)
			if len(spec.Selector.MatchLabels)+len(spec.Selector.MatchExpressions) == 0 {
				errs = append(errs, field.Invalid(fld.Child("selector"), spec.Selector, "empty selector is invalid for deployment"))
			}
		}
	} else if !templateEmpty(spec) {
		// The lint case: during reconciliation the template is resolved from the
		// reference first and this check is skipped.
		errs = append(errs, field.InternalError(fld.Child("template"), fmt.Errorf("template must be empty for workload reference rollout")))
	}

	selector, err := metav1.LabelSelectorAsSelector(spec.Selector)
	if err != nil {
		errs = append(errs, field.Invalid(fld.Child("selector"), spec.Selector, "invalid label selector"))
	} else if spec.WorkloadRef == nil {
		errs = append(errs, validatePodTemplate(&spec.Template, selector, fld.Child("template"))...)
	}
	errs = append(errs, nonNegative(int64(spec.MinReadySeconds), fld.Child("minReadySeconds"))...)

	errs = append(errs, nonNegative(int64(revisionHistoryLimit(ro)), fld.Child("revisionHistoryLimit"))...)

	pds := int32(defaultProgressDeadlineSeconds)
	if spec.ProgressDeadlineSeconds != nil {
		pds = *spec.ProgressDeadlineSeconds
	}
	errs = append(errs, nonNegative(int64(pds), fld.Child("progressDeadlineSeconds"))...)
	if pds <= spec.MinReadySeconds {
		errs = append(errs, field.Invalid(fld.Child("progressDeadlineSeconds"), pds, "must be greater than minReadySeconds"))
	}

	errs = append(errs, validateStrategy(ro, fld.Child("strategy"), opts)...)
	return errs
}

// nonNegative is Kubernetes' ValidateNonnegativeField.
func nonNegative(v int64, fld *field.Path) field.ErrorList {
	return apivalidation.ValidateNonnegativeField(v, fld)
}

func templateEmpty(spec v1alpha1.RolloutSpec) bool {
	t := spec.Template
	return len(t.Labels) == 0 && len(t.Annotations) == 0 && t.Name == "" &&
		len(t.Spec.Containers) == 0 && len(t.Spec.InitContainers) == 0 && len(t.Spec.Volumes) == 0 &&
		t.Spec.ServiceAccountName == "" && len(t.Spec.NodeSelector) == 0 && t.Spec.Affinity == nil && len(t.Spec.Tolerations) == 0
}

func revisionHistoryLimit(ro *v1alpha1.Rollout) int32 {
	if ro.Spec.RevisionHistoryLimit == nil {
		return defaultRevisionHistoryLimit
	}
	return *ro.Spec.RevisionHistoryLimit
}

func validateStrategy(ro *v1alpha1.Rollout, fld *field.Path, opts Options) field.ErrorList {
	s := ro.Spec.Strategy
	switch {
	case s.BlueGreen == nil && s.Canary == nil:
		// Upstream appends "strategy" to a path that already ends in it.
		return field.ErrorList{field.Required(fld.Child("strategy"), fmt.Sprintf(MissingFieldMessage, ".spec.strategy.canary or .spec.strategy.blueGreen"))}
	case s.BlueGreen != nil && s.Canary != nil:
		return field.ErrorList{field.Invalid(fld.Child("strategy"), "blueGreen: true canary: true", InvalidStrategyMessage)}
	case s.BlueGreen != nil:
		return validateBlueGreen(ro, fld)
	default:
		return validateCanary(ro, fld, opts)
	}
}

func validateBlueGreen(ro *v1alpha1.Rollout, fld *field.Path) field.ErrorList {
	bg := ro.Spec.Strategy.BlueGreen
	var errs field.ErrorList
	// An empty activeService equals an empty previewService: the controller reports
	// a missing activeService this way.
	if bg.ActiveService == bg.PreviewService {
		errs = append(errs, field.Invalid(fld.Child("activeService"), bg.ActiveService, DuplicatedServicesBlueGreenMessage))
	}
	if bg.ScaleDownDelayRevisionLimit != nil && revisionHistoryLimit(ro) < *bg.ScaleDownDelayRevisionLimit {
		errs = append(errs, field.Invalid(fld.Child("scaleDownDelayRevisionLimit"), *bg.ScaleDownDelayRevisionLimit, ScaleDownLimitLargerThanRevisionLimit))
	}
	errs = append(errs, validateAntiAffinity(bg.AntiAffinity, fld.Child("antiAffinity"))...)
	return errs
}

// requireCanaryStableServices: the routers that need both services named
// (upstream requireCanaryStableServices).
func requireCanaryStableServices(c *v1alpha1.CanaryStrategy) bool {
	tr := c.TrafficRouting
	if tr == nil {
		return false
	}
	return (tr.ALB != nil && c.PingPong == nil) ||
		(tr.Istio != nil && tr.Istio.DestinationRule == nil && c.PingPong == nil) ||
		tr.SMI != nil || tr.Apisix != nil || tr.Ambassador != nil || tr.Nginx != nil ||
		tr.AppMesh != nil || tr.Traefik != nil
}

func maxTrafficWeight(ro *v1alpha1.Rollout) int32 {
	if c := ro.Spec.Strategy.Canary; c != nil && c.TrafficRouting != nil && c.TrafficRouting.MaxTrafficWeight != nil {
		return *c.TrafficRouting.MaxTrafficWeight
	}
	return defaultMaxTrafficWeight
}

func validateCanary(ro *v1alpha1.Rollout, fld *field.Path, opts Options) field.ErrorList {
	c := ro.Spec.Strategy.Canary
	var errs field.ErrorList
	errs = append(errs, validateCanaryServices(ro, fld, opts)...)
	maxWeight := maxTrafficWeight(ro)
	for i, step := range c.Steps {
		errs = append(errs, validateCanaryStep(ro, step, fld, fld.Child("steps").Index(i), maxWeight, opts)...)
	}
	errs = append(errs, validateAntiAffinity(c.AntiAffinity, fld.Child("antiAffinity"))...)
	return errs
}

// validateCanaryServices checks the canary's services, ping-pong and the
// settings that need (or forbid) a traffic router.
func validateCanaryServices(ro *v1alpha1.Rollout, fld *field.Path, opts Options) field.ErrorList {
	c := ro.Spec.Strategy.Canary
	tr := c.TrafficRouting
	var errs field.ErrorList
	errs = append(errs, maxSurgeMaxUnavailable(ro, fld.Child("maxSurge"))...)
	if c.CanaryService != "" && c.StableService != "" && c.CanaryService == c.StableService {
		errs = append(errs, field.Invalid(fld.Child("stableService"), c.StableService, DuplicatedServicesCanaryMessage))
	}
	if pp := c.PingPong; pp != nil {
		pingPongRouter := tr == nil || tr.ALB != nil || tr.Istio != nil
		msg := PingPongWithRouterOnlyMessageV19
		if opts.v110() {
			pingPongRouter = pingPongRouter || len(tr.Plugins) > 0
			msg = PingPongWithRouterOnlyMessageV110
		}
		if !pingPongRouter {
			errs = append(errs, field.Invalid(fld.Child("trafficRouting", "alb"), tr.ALB, msg))
		}
		if pp.PingService == "" {
			errs = append(errs, field.Invalid(fld.Child("pingPong", "pingService"), pp.PingService, InvalidPingPongProvidedMessage))
		}
		if pp.PongService == "" {
			errs = append(errs, field.Invalid(fld.Child("pingPong", "pongService"), pp.PongService, InvalidPingPongProvidedMessage))
		}
		if pp.PingService == pp.PongService {
			errs = append(errs, field.Invalid(fld.Child("pingPong", "pingService"), pp.PingService, DuplicatedPingPongServicesMessage))
		}
		if tr != nil && tr.ALB != nil && tr.ALB.RootService == "" {
			errs = append(errs, field.Invalid(fld.Child("trafficRouting", "alb", "rootService"), tr.ALB.RootService, MissedAlbRootServiceMessage))
		}
	}
	if requireCanaryStableServices(c) {
		if c.StableService == "" {
			errs = append(errs, field.Invalid(fld.Child("stableService"), c.StableService, InvalidTrafficRoutingMessage))
		}
		if c.CanaryService == "" {
			errs = append(errs, field.Invalid(fld.Child("canaryService"), c.CanaryService, InvalidTrafficRoutingMessage))
		}
	}
	if tr == nil {
		if c.ScaleDownDelaySeconds != nil {
			errs = append(errs, field.Invalid(fld.Child("scaleDownDelaySeconds"), *c.ScaleDownDelaySeconds, InvalidCanaryScaleDownDelay))
		}
		if c.DynamicStableScale {
			errs = append(errs, field.Invalid(fld.Child("dynamicStableScale"), c.DynamicStableScale, InvalidCanaryDynamicStableScale))
		}
	} else {
		if c.ScaleDownDelaySeconds != nil && c.DynamicStableScale {
			errs = append(errs, field.Invalid(fld.Child("dynamicStableScale"), c.DynamicStableScale, InvalidCanaryDynamicStableScaleWithScaleDownDelay))
		}
		if tr.MaxTrafficWeight != nil && tr.Nginx == nil && len(tr.Plugins) == 0 {
			errs = append(errs, field.Invalid(fld.Child("trafficRouting", "maxTrafficWeight"), *tr.MaxTrafficWeight, InvalidCanaryMaxWeightOnlySupportInNginxAndPlugins))
		}
	}
	return errs
}

// validateCanaryStep checks one step (sf is its path).
func validateCanaryStep(ro *v1alpha1.Rollout, step v1alpha1.CanaryStep, fld, sf *field.Path, maxWeight int32, opts Options) field.ErrorList {
	tr := ro.Spec.Strategy.Canary.TrafficRouting
	var errs field.ErrorList
	errs = append(errs, multipleStepTypes(step, sf)...)
	if step.Experiment == nil && step.Pause == nil && step.SetWeight == nil && step.Analysis == nil && step.SetCanaryScale == nil &&
		step.SetHeaderRoute == nil && step.SetMirrorRoute == nil && step.Plugin == nil {
		// The value is upstream's: each field reports whether it is unset.
		v := "step.Experiment: true step.Pause: true step.SetWeight: true step.Analysis: true step.SetCanaryScale: true step.SetHeaderRoute: true step.SetMirrorRoute: true step.Plugin: true"
		errs = append(errs, field.Invalid(sf, v, InvalidStepMessage))
	}
	if step.SetWeight != nil && (*step.SetWeight < 0 || *step.SetWeight > maxWeight) {
		errs = append(errs, field.Invalid(sf.Child("setWeight"), *step.SetWeight, fmt.Sprintf(InvalidSetWeightMessage, maxWeight)))
	}
	// DurationSeconds is -1 for a string that is neither digits nor a Go
	// duration ("10x", "5 minutes").
	if step.Pause != nil && step.Pause.DurationSeconds() < 0 {
		errs = append(errs, field.Invalid(sf.Child("pause", "duration"), step.Pause.DurationSeconds(), InvalidDurationMessage))
	}
	if step.SetCanaryScale != nil && tr == nil {
		errs = append(errs, field.Required(fld.Child("trafficRouting"), InvalidSetCanaryScaleTrafficPolicy))
	}
	if hr := step.SetHeaderRoute; hr != nil {
		if tr == nil || (tr.Istio == nil && tr.ALB == nil && tr.Apisix == nil && len(tr.Plugins) == 0) {
			errs = append(errs, field.Invalid(sf.Child("setHeaderRoute"), hr, InvalidSetHeaderRouteTrafficPolicy))
		} else {
			for j, m := range hr.Match {
				mf := sf.Child("setHeaderRoute", "match").Index(j)
				if tr.ALB != nil {
					errs = append(errs, albMatchValue(m.HeaderValue, mf)...)
				} else {
					errs = append(errs, oneMatchValue(m.HeaderValue, mf)...)
				}
			}
		}
	}
	if mr := step.SetMirrorRoute; mr != nil {
		ok, msg := tr != nil && tr.Istio != nil, InvalidSetMirrorRouteTrafficPolicyV19
		if opts.v110() {
			ok, msg = tr != nil && (tr.Istio != nil || len(tr.Plugins) > 0), InvalidSetMirrorRouteTrafficPolicyV110
		}
		if !ok {
			errs = append(errs, field.Invalid(sf.Child("setMirrorRoute"), mr, msg))
		}
		for j, m := range mr.Match {
			mf := sf.Child("setMirrorRoute", "match").Index(j)
			// Upstream checks the method twice and the path once.
			if m.Method != nil {
				errs = append(errs, oneMatchValue(m.Method, mf)...)
			}
			if m.Path != nil {
				errs = append(errs, oneMatchValue(m.Path, mf)...)
			}
			if m.Method != nil {
				errs = append(errs, oneMatchValue(m.Method, mf)...)
			}
		}
	}
	if tr != nil && (step.SetHeaderRoute != nil || step.SetMirrorRoute != nil) && tr.ManagedRoutes == nil {
		errs = append(errs, field.Required(fld.Child("trafficRouting", "managedRoutes"), fmt.Sprintf(MissingFieldMessage, "spec.strategy.canary.trafficRouting.managedRoutes")))
	}
	if tr != nil && tr.ManagedRoutes != nil {
		if step.SetHeaderRoute != nil {
			errs = append(errs, routeInManagedRoutes(sf.Child("setHeaderRoute"), step.SetHeaderRoute.Name, tr.ManagedRoutes)...)
		}
		if step.SetMirrorRoute != nil {
			errs = append(errs, routeInManagedRoutes(sf.Child("setMirrorRoute"), step.SetMirrorRoute.Name, tr.ManagedRoutes)...)
		}
	}
	return append(errs, validateStepArgs(ro, step, sf, tr)...)
}

// validateStepArgs checks an experiment step's template weights and the
// metadata fieldRefs of a step's analysis args.
func validateStepArgs(ro *v1alpha1.Rollout, step v1alpha1.CanaryStep, sf *field.Path, tr *v1alpha1.RolloutTrafficRouting) field.ErrorList {
	var errs field.ErrorList
	var args []v1alpha1.AnalysisRunArgument
	if ex := step.Experiment; ex != nil {
		for ti, t := range ex.Templates {
			if t.Weight == nil {
				continue
			}
			wf := sf.Child("experiment", "templates").Index(ti).Child("weight")
			if tr == nil {
				errs = append(errs, field.Invalid(wf, *t.Weight, InvalidCanaryExperimentTemplateWeightWithoutTrafficRouting))
			} else if tr.ALB == nil && tr.SMI == nil && tr.Istio == nil && len(tr.Plugins) == 0 {
				errs = append(errs, field.Invalid(wf, *t.Weight, InvalidCanaryExperimentTemplateWeightRouter))
			}
		}
		for _, a := range ex.Analyses {
			args = append(args, a.Args...)
		}
	}
	if step.Analysis != nil {
		args = append(args, step.Analysis.Args...)
	}
	for _, a := range args {
		if a.ValueFrom != nil && a.ValueFrom.FieldRef != nil && strings.HasPrefix(a.ValueFrom.FieldRef.FieldPath, "metadata") {
			if _, err := metadataField(ro, a.ValueFrom.FieldRef.FieldPath); err != nil {
				errs = append(errs, field.Invalid(sf.Child("analyses"), args, InvalidAnalysisArgsMessage))
			}
		}
	}
	return errs
}

// metadataField resolves a downward-API metadata path on the rollout, like upstream's
// use of Kubernetes' fieldpath.ExtractFieldPathAsString: metadata.name, namespace,
// uid, labels, annotations, labels['k'] and annotations['k'] (an absent key is "").
func metadataField(ro *v1alpha1.Rollout, path string) (string, error) {
	if sub, key, ok := splitSubscript(path); ok {
		var m map[string]string
		switch sub {
		case "metadata.annotations":
			m = ro.Annotations
		case "metadata.labels":
			m = ro.Labels
		default:
			return "", fmt.Errorf("fieldPath %q does not support subscript", path)
		}
		if errs := utilvalidation.IsQualifiedName(strings.ToLower(key)); len(errs) != 0 {
			return "", fmt.Errorf("invalid key subscript in %s: %s", path, strings.Join(errs, ";"))
		}
		return m[key], nil
	}
	switch path {
	case "metadata.annotations":
		return formatMap(ro.Annotations), nil
	case "metadata.labels":
		return formatMap(ro.Labels), nil
	case "metadata.name":
		return ro.Name, nil
	case "metadata.namespace":
		return ro.Namespace, nil
	case "metadata.uid":
		return string(ro.UID), nil
	}
	return "", fmt.Errorf("unsupported fieldPath: %v", path)
}

func splitSubscript(path string) (string, string, bool) {
	open := strings.Index(path, "[")
	if open < 0 || !strings.HasSuffix(path, "]") {
		return path, "", false
	}
	key := path[open+1 : len(path)-1]
	if len(key) < 2 || !(key[0] == '\'' && key[len(key)-1] == '\'') {
		return path, "", false
	}
	return path[:open], key[1 : len(key)-1], true
}

func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + strconv.Quote(m[k]) + "\n")
	}
	return b.String()
}

func routeInManagedRoutes(fld *field.Path, name string, routes []v1alpha1.MangedRoutes) field.ErrorList {
	for _, r := range routes {
		if r.Name == name {
			return nil
		}
	}
	return field.ErrorList{field.Invalid(fld, name, InvalideStepRouteNameNotFoundInManagedRoutes)}
}

func validateAntiAffinity(aa *v1alpha1.AntiAffinity, fld *field.Path) field.ErrorList {
	if aa == nil {
		return nil
	}
	var errs field.ErrorList
	pref, req := aa.PreferredDuringSchedulingIgnoredDuringExecution, aa.RequiredDuringSchedulingIgnoredDuringExecution
	if (pref == nil) == (req == nil) {
		v := fmt.Sprintf("antiAffinity.PreferredDuringSchedulingIgnoredDuringExecution: %t antiAffinity.RequiredDuringSchedulingIgnoredDuringExecution: %t", pref != nil, req != nil)
		errs = append(errs, field.Invalid(fld, v, InvalidAntiAffinityStrategyMessage))
	}
	if pref != nil && (pref.Weight < 1 || pref.Weight > 100) {
		errs = append(errs, field.Invalid(fld.Child("weight"), pref.Weight, InvalidAntiAffinityWeightMessage))
	}
	return errs
}

// maxSurgeMaxUnavailable: both resolving to zero is refused. Percentages count as
// their number, so "0%" is zero; a value that is neither an int nor a valid percent
// counts as its IntValue (0 for a non-numeric string), as upstream's
// getIntOrPercentValue does.
func maxSurgeMaxUnavailable(ro *v1alpha1.Rollout, fld *field.Path) field.ErrorList {
	c := ro.Spec.Strategy.Canary
	surge := intstr.FromString(defaultMaxSurge)
	if c.MaxSurge != nil {
		surge = *c.MaxSurge
	}
	unavail := intstr.FromString(defaultMaxUnavailable)
	if c.MaxUnavailable != nil {
		unavail = *c.MaxUnavailable
	}
	if intOrPercent(surge) == 0 && intOrPercent(unavail) == 0 {
		// Both can only be zero when maxSurge is set (its default is 25%).
		return field.ErrorList{field.Invalid(fld, surge, InvalidMaxSurgeMaxUnavailable)}
	}
	return nil
}

func intOrPercent(v intstr.IntOrString) int {
	if v.Type == intstr.String && len(utilvalidation.IsValidPercent(v.StrVal)) == 0 {
		n, _ := strconv.Atoi(v.StrVal[:len(v.StrVal)-1])
		return n
	}
	return v.IntValue()
}

// multipleStepTypes: setWeight, pause, experiment and analysis are exclusive.
func multipleStepTypes(s v1alpha1.CanaryStep, fld *field.Path) field.ErrorList {
	n := 0
	for _, set := range []bool{s.SetWeight != nil, s.Pause != nil, s.Experiment != nil, s.Analysis != nil} {
		if set {
			n++
		}
	}
	if n < 2 {
		return nil
	}
	v := fmt.Sprintf("step.Experiment: %t step.Pause: %t step.SetWeight: %t step.Analysis: %t", s.Experiment != nil, s.Pause != nil, s.SetWeight != nil, s.Analysis != nil)
	return field.ErrorList{field.Invalid(fld, v, InvalidStepMessage)}
}

func albMatchValue(m *v1alpha1.StringMatch, fld *field.Path) field.ErrorList {
	if m == nil {
		return field.ErrorList{field.Invalid(fld, m, InvalidStringMatchMissedValuePolicy)}
	}
	if m.Exact == "" || m.Regex != "" || m.Prefix != "" {
		return field.ErrorList{field.Invalid(fld, m, InvalidSetHeaderRouteALBValuePolicy)}
	}
	return nil
}

func oneMatchValue(m *v1alpha1.StringMatch, fld *field.Path) field.ErrorList {
	if m == nil {
		return field.ErrorList{field.Invalid(fld, m, InvalidStringMatchMissedValuePolicy)}
	}
	n := 0
	for _, set := range []bool{m.Exact != "", m.Regex != "", m.Prefix != ""} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return field.ErrorList{field.Invalid(fld, m, InvalidStringMatchMultipleValuePolicy)}
	case n == 0:
		return field.ErrorList{field.Invalid(fld, m, InvalidStringMatchMissedValuePolicy)}
	}
	return nil
}
