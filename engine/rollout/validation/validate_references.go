package validation

import (
	"fmt"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/rollsim/rollsim/engine/analysis"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Objects are the objects a Rollout may refer to, as found in the user's manifests.
// Objects in other namespaces than the Rollout's are ignored (cluster templates have
// none; an Istio VirtualService named "name.namespace" is looked up there). Istio
// VirtualServices, Ambassador Mappings and App Mesh objects are kept unstructured, as
// the controller reads them. Ingresses are networking.k8s.io/v1 (convert a legacy
// extensions/v1beta1 Ingress first).
type Objects struct {
	AnalysisTemplates        []*v1alpha1.AnalysisTemplate
	ClusterAnalysisTemplates []*v1alpha1.ClusterAnalysisTemplate
	Services                 []*corev1.Service
	Ingresses                []*networkingv1.Ingress
	VirtualServices          []*unstructured.Unstructured
	AmbassadorMappings       []*unstructured.Unstructured
	// App Mesh: the VirtualService the rollout names and the VirtualRouter it uses.
	AppMeshVirtualServices []*unstructured.Unstructured
	AppMeshVirtualRouters  []*unstructured.Unstructured
}

// ReferenceErrors is what ValidateRolloutReferences finds, split the way a simulator
// needs it:
//   - Invalid: referenced objects that exist but are wrong (a Service selector that
//     does not match the pod labels, an analysis that never ends, an arg that is never
//     given, an ingress without the stable service, ...), plus the reference rules that
//     need no object (nginx stableIngress vs stableIngresses, ...).
//   - MissingTemplates: AnalysisTemplates or ClusterAnalysisTemplates the rollout names
//     that are not in the manifests (`AnalysisTemplate 'x' not found`). A run cannot be
//     simulated without them: treat these as errors.
//   - NotFound: the other referenced objects absent from the manifests (Services,
//     Ingresses, Istio VirtualServices, Ambassador Mappings, App Mesh objects), in the
//     controller's wording (`service "x" not found`). The real controller reports them
//     as InvalidSpec too, but rollsim users often leave Services and router objects out
//     of a scenario: the caller decides (lint can warn, the loader can ignore them).
//
// The controller stops at the first missing object and reports it; here every present
// object is still checked. First gives the error the controller would write.
type ReferenceErrors struct {
	Invalid          field.ErrorList
	MissingTemplates field.ErrorList
	NotFound         field.ErrorList
	// ordered holds all three, in the controller's order of discovery.
	ordered field.ErrorList
}

// First is the error the controller's InvalidSpec condition would carry (nil if none):
// the first problem in the controller's order (rollout/controller.go
// getRolloutValidationErrors: objects are fetched kind by kind, then validated).
func (r ReferenceErrors) First() *field.Error {
	if len(r.ordered) == 0 {
		return nil
	}
	return r.ordered[0]
}

// Fatal is the first error that is not in NotFound (an invalid reference or a
// missing analysis template), in the controller's order: what a simulator that
// tolerates absent Services and router objects should refuse. Nil if none.
func (r ReferenceErrors) Fatal() *field.Error {
	for _, e := range r.ordered {
		if !slices.Contains(r.NotFound, e) {
			return e
		}
	}
	return nil
}

// All is every error in the controller's order.
func (r ReferenceErrors) All() field.ErrorList { return r.ordered }

func (r *ReferenceErrors) invalid(errs ...*field.Error) {
	r.Invalid = append(r.Invalid, errs...)
	r.ordered = append(r.ordered, errs...)
}

func (r *ReferenceErrors) missingTemplate(e *field.Error) {
	r.MissingTemplates = append(r.MissingTemplates, e)
	r.ordered = append(r.ordered, e)
}

func (r *ReferenceErrors) notFound(e *field.Error) {
	r.NotFound = append(r.NotFound, e)
	r.ordered = append(r.ordered, e)
}

// ValidateRolloutReferences checks the Rollout against the objects it names
// (upstream getRolloutReferencedResources + ValidateRolloutReferencedResources).
// Run it on a Rollout that passed ValidateRollout: like the controller, it assumes a
// spec that is valid.
func ValidateRolloutReferences(ro *v1alpha1.Rollout, objs Objects, opts Options) ReferenceErrors {
	var r ReferenceErrors
	// Phase 1, gathering, in the controller's order. Its errors come first.
	services := r.gatherServices(ro, objs)
	templateSets := r.gatherAnalyses(ro, objs)
	// A misconfigured nginx or ALB block stops the controller before it looks the
	// ingresses up.
	ingressConfigOK := true
	if c := ro.Spec.Strategy.Canary; c != nil && c.TrafficRouting != nil {
		tr := c.TrafficRouting
		if tr.Nginx != nil {
			single, multi := tr.Nginx.StableIngress != "", len(tr.Nginx.StableIngresses) > 0
			fld := field.NewPath("spec", "strategy", "canary", "trafficRouting", "nginx")
			if single && multi {
				r.invalid(field.InternalError(fld, fmt.Errorf("Either StableIngress or StableIngresses must be configured. Both are configured.")))
				ingressConfigOK = false
			} else if !single && !multi {
				r.invalid(field.InternalError(fld, fmt.Errorf("Either StableIngress or StableIngresses must be configured. Neither are configured.")))
				ingressConfigOK = false
			}
		}
		if tr.ALB != nil {
			single, multi := tr.ALB.Ingress != "", len(tr.ALB.Ingresses) > 0
			fld := field.NewPath("spec", "strategy", "canary", "trafficRouting", "alb")
			if single && multi {
				r.invalid(field.InternalError(fld, fmt.Errorf("Either Ingress or Ingresses must be configured. Both are configured.")))
				ingressConfigOK = false
			} else if !single && !multi {
				r.invalid(field.InternalError(fld, fmt.Errorf("Either Ingress or Ingresses must be configured. Neither are configured.")))
				ingressConfigOK = false
			}
		}
	}
	var ingresses []*networkingv1.Ingress
	if ingressConfigOK {
		ingresses = r.gatherIngresses(ro, objs)
	}
	vsvcs := r.gatherVirtualServices(ro, objs)
	mappings := r.gatherMappings(ro, objs)
	routers := r.gatherAppMesh(ro, objs)

	// Phase 2, validation of what was found.
	for _, s := range services {
		r.invalid(validateService(ro, s)...)
	}
	for _, ts := range templateSets {
		r.invalid(validateTemplateSet(ro, ts)...)
	}
	for _, ing := range ingresses {
		r.invalid(validateIngress(ro, ing)...)
	}
	for _, vs := range vsvcs {
		r.invalid(validateVirtualService(ro, vs)...)
	}
	for _, m := range mappings {
		if w, _, _ := unstructured.NestedInt64(m.Object, "spec", "weight"); w != 0 {
			r.invalid(field.Invalid(field.NewPath("spec", "weight"), m.GetName(), fmt.Sprintf("Ambassador mapping %q can not define weight", m.GetName())))
		}
	}
	for _, vr := range routers {
		r.invalid(validateAppMeshRouter(vr)...)
	}
	return r
}

// --- Services ---

type serviceRef struct {
	svc  *corev1.Service
	path *field.Path
}

func (r *ReferenceErrors) gatherServices(ro *v1alpha1.Rollout, objs Objects) []serviceRef {
	var out []serviceRef
	strategy := field.NewPath("spec", "strategy")
	add := func(name string, path *field.Path) {
		if name == "" {
			return
		}
		for _, s := range objs.Services {
			if s.Name == name && s.Namespace == ro.Namespace {
				out = append(out, serviceRef{s, path})
				return
			}
		}
		r.notFound(field.Invalid(path, name, fmt.Sprintf("service %q not found", name)))
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		add(bg.ActiveService, strategy.Child("blueGreen", "activeService"))
		add(bg.PreviewService, strategy.Child("blueGreen", "previewService"))
	} else if c := ro.Spec.Strategy.Canary; c != nil {
		add(c.StableService, strategy.Child("canary", "stableService"))
		add(c.CanaryService, strategy.Child("canary", "canaryService"))
		if c.PingPong != nil {
			add(c.PingPong.PingService, strategy.Child("canary", "pingPong", "pingService"))
			add(c.PingPong.PongService, strategy.Child("canary", "pingPong", "pongService"))
		}
	}
	return out
}

// validateService: every selector label but the pod-template-hash must be on the pod
// template, and a Service another Rollout manages cannot be shared.
func validateService(ro *v1alpha1.Rollout, s serviceRef) field.ErrorList {
	var errs field.ErrorList
	keys := make([]string, 0, len(s.svc.Spec.Selector))
	for k := range s.svc.Spec.Selector {
		keys = append(keys, k)
	}
	sort.Strings(keys) // upstream ranges over the map; sorted for a stable first error
	for _, k := range keys {
		if k == v1alpha1.DefaultRolloutUniqueLabelKey {
			continue
		}
		if v, ok := ro.Spec.Template.Labels[k]; !ok || v != s.svc.Spec.Selector[k] {
			errs = append(errs, field.Invalid(s.path, s.svc.Name, fmt.Sprintf("Service %q has unmatch label %q in rollout", s.svc.Name, k)))
		}
	}
	if owner, ok := managedBy(s.svc); ok && owner != ro.Name {
		errs = append(errs, field.Invalid(s.path, s.svc.Name, fmt.Sprintf("Service %q is managed by another Rollout", s.svc.Name)))
	}
	return errs
}

// managedBy reads the annotation the controller puts on a Service it manages: the
// managing Rollout's name (upstream serviceutil.HasManagedByAnnotation).
func managedBy(svc *corev1.Service) (string, bool) {
	name, ok := svc.Annotations[v1alpha1.ManagedByRolloutsKey]
	return name, ok
}

// --- Analysis templates ---

// templateType says where a set of templates is used (upstream AnalysisTemplateType).
type templateType int

const (
	prePromotion templateType = iota
	postPromotion
	inline
	background
)

type templateSet struct {
	kind      templateType
	path      *field.Path
	templates analysis.Templates
	args      []v1alpha1.AnalysisRunArgument
}

func (r *ReferenceErrors) gatherAnalyses(ro *v1alpha1.Rollout, objs Objects) []templateSet {
	var out []templateSet
	strategy := field.NewPath("spec", "strategy")
	add := func(kind templateType, a *v1alpha1.RolloutAnalysis, path *field.Path) {
		t, err := r.collectTemplates(ro, objs, a.Templates, path, 0)
		if err != nil {
			r.missingTemplate(err)
			return
		}
		t.Unique()
		out = append(out, templateSet{kind, path, t, a.Args})
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		if bg.PrePromotionAnalysis != nil {
			add(prePromotion, bg.PrePromotionAnalysis, strategy.Child("blueGreen", "prePromotionAnalysis", "templates"))
		}
		if bg.PostPromotionAnalysis != nil {
			add(postPromotion, bg.PostPromotionAnalysis, strategy.Child("blueGreen", "postPromotionAnalysis", "templates"))
		}
	} else if c := ro.Spec.Strategy.Canary; c != nil {
		for i, s := range c.Steps {
			if s.Analysis != nil {
				add(inline, s.Analysis, strategy.Child("canary", "steps").Index(i).Child("analysis", "templates"))
			}
		}
		if c.Analysis != nil {
			add(background, &c.Analysis.RolloutAnalysis, strategy.Child("canary", "analysis", "templates"))
		}
	}
	return out
}

// collectTemplates resolves references, nested ones included; a missing template is
// reported at the reference's path (spec.templates for a nested one, as upstream).
func (r *ReferenceErrors) collectTemplates(ro *v1alpha1.Rollout, objs Objects, refs []v1alpha1.AnalysisTemplateRef, path *field.Path, depth int) (analysis.Templates, *field.Error) {
	var t analysis.Templates
	if depth > 32 {
		return t, field.Invalid(path, "", "analysis template references nest deeper than 32 levels (a cycle?)")
	}
	for _, ref := range refs {
		var nested []v1alpha1.AnalysisTemplateRef
		if ref.IsClusterScope() {
			i := slices.IndexFunc(objs.ClusterAnalysisTemplates, func(x *v1alpha1.ClusterAnalysisTemplate) bool { return x.Name == ref.TemplateName })
			if i < 0 {
				return t, field.Invalid(path, ref.TemplateName, fmt.Sprintf("ClusterAnalysisTemplate '%s' not found", ref.TemplateName))
			}
			t.Cluster = append(t.Cluster, objs.ClusterAnalysisTemplates[i])
			nested = objs.ClusterAnalysisTemplates[i].Spec.Templates
		} else {
			i := slices.IndexFunc(objs.AnalysisTemplates, func(x *v1alpha1.AnalysisTemplate) bool {
				return x.Name == ref.TemplateName && x.Namespace == ro.Namespace
			})
			if i < 0 {
				return t, field.Invalid(path, ref.TemplateName, fmt.Sprintf("AnalysisTemplate '%s' not found", ref.TemplateName))
			}
			t.Namespaced = append(t.Namespaced, objs.AnalysisTemplates[i])
			nested = objs.AnalysisTemplates[i].Spec.Templates
		}
		if len(nested) > 0 {
			inner, err := r.collectTemplates(ro, objs, nested, field.NewPath("spec", "templates"), depth+1)
			if err != nil {
				return t, err
			}
			t.Namespaced = append(t.Namespaced, inner.Namespaced...)
			t.Cluster = append(t.Cluster, inner.Cluster...)
		}
	}
	return t, nil
}

// validateTemplateSet is upstream ValidateAnalysisTemplatesWithType: the templates
// must merge into one run with the rollout's args; a step, pre- or post-promotion
// analysis must finish (every metric has a count once args get placeholder values);
// a background analysis must get a value for every arg without a default.
func validateTemplateSet(ro *v1alpha1.Rollout, ts templateSet) field.ErrorList {
	value := fmt.Sprintf("templateNames: %s", fmt.Sprint(names(ts.templates)))
	args := placeholderRunArgs(ro, ts.args)
	if _, err := ts.templates.RunSpec(args, nil, nil); err != nil {
		return field.ErrorList{field.Invalid(ts.path, value, err.Error())}
	}
	// Upstream re-merges with the dry-run and retention rules of every inline analysis
	// step, whichever set of templates is being checked.
	if c := ro.Spec.Strategy.Canary; c != nil {
		for _, s := range c.Steps {
			if s.Analysis == nil {
				continue
			}
			if _, err := ts.templates.RunSpec(args, s.Analysis.DryRun, s.Analysis.MeasurementRetention); err != nil {
				return field.ErrorList{field.Invalid(ts.path, value, err.Error())}
			}
		}
	}
	var errs field.ErrorList
	for _, t := range ts.templates.Namespaced {
		errs = append(errs, validateTemplate(ro, t.Name, t.Spec, ts)...)
	}
	for _, t := range ts.templates.Cluster {
		errs = append(errs, validateTemplate(ro, t.Name, t.Spec, ts)...)
	}
	return errs
}

func names(t analysis.Templates) []string {
	out := []string{}
	for _, x := range t.Namespaced {
		out = append(out, x.Name)
	}
	for _, x := range t.Cluster {
		out = append(out, x.Name)
	}
	return out
}

// placeholderRunArgs is upstream buildAnalysisArgs: the rollout's args with dummy
// pod-template hashes; a metadata fieldRef the rollout cannot resolve drops them all,
// any other fieldRef resolves to "" at this stage.
func placeholderRunArgs(ro *v1alpha1.Rollout, in []v1alpha1.AnalysisRunArgument) []v1alpha1.Argument {
	out := []v1alpha1.Argument{}
	for _, a := range in {
		v := a.Value
		if vf := a.ValueFrom; vf != nil {
			switch {
			case vf.PodTemplateHashValue != nil && *vf.PodTemplateHashValue == v1alpha1.Latest:
				v = "dummy-new-hash"
			case vf.PodTemplateHashValue != nil && *vf.PodTemplateHashValue == v1alpha1.Stable:
				v = "dummy-stable-hash"
			case vf.PodTemplateHashValue != nil:
				v = ""
			case vf.FieldRef != nil && len(vf.FieldRef.FieldPath) >= 8 && vf.FieldRef.FieldPath[:8] == "metadata":
				s, err := metadataField(ro, vf.FieldRef.FieldPath)
				if err != nil {
					return nil
				}
				v = s
			case vf.FieldRef != nil:
				v = ""
			}
		}
		out = append(out, v1alpha1.Argument{Name: a.Name, Value: &v})
	}
	return out
}

func validateTemplate(ro *v1alpha1.Rollout, name string, spec v1alpha1.AnalysisTemplateSpec, ts templateSet) field.ErrorList {
	var errs field.ErrorList
	if ts.kind != background {
		args := make([]v1alpha1.Argument, len(spec.Args))
		for i, a := range spec.Args {
			args[i] = *a.DeepCopy()
		}
		placeholder := "dummy-value"
		for i := range args {
			if args[i].Value == nil && args[i].ValueFrom == nil {
				args[i].Value = &placeholder
			}
		}
		for i := range args {
			if args[i].ValueFrom != nil {
				if args[i].Value != nil {
					return field.ErrorList{field.Invalid(ts.path, name, fmt.Sprintf("AnalysisTemplate %s: arg '%s' has both Value and ValueFrom fields", name, args[i].Name))}
				}
				args[i].Value = &placeholder
			}
		}
		var resolved []v1alpha1.Metric
		for _, m := range spec.Metrics {
			rm, err := analysis.ResolveMetric(m, args)
			if err != nil {
				return field.ErrorList{field.Invalid(ts.path, name, fmt.Sprintf("AnalysisTemplate %s: %v", name, err))}
			}
			resolved = append(resolved, rm)
		}
		for _, m := range resolved {
			if m.EffectiveCount() == nil {
				errs = append(errs, field.Invalid(ts.path, name, fmt.Sprintf("AnalysisTemplate %s has metric %s which runs indefinitely. Invalid value for count: %s", name, m.Name, m.Count)))
			}
		}
		return errs
	}
	for _, a := range spec.Args {
		if a.Value != nil || a.ValueFrom != nil {
			continue
		}
		c := ro.Spec.Strategy.Canary
		if c == nil || c.Analysis == nil || c.Analysis.Args == nil {
			errs = append(errs, field.Invalid(ts.path, name, "missing analysis arguments in rollout spec"))
			continue
		}
		if !slices.ContainsFunc(c.Analysis.Args, func(ra v1alpha1.AnalysisRunArgument) bool { return ra.Name == a.Name }) {
			// Upstream's message is the bare argument name.
			errs = append(errs, field.Invalid(ts.path, name, a.Name))
		}
	}
	return errs
}

// --- Ingresses (nginx, ALB) ---

func (r *ReferenceErrors) gatherIngresses(ro *v1alpha1.Rollout, objs Objects) []*networkingv1.Ingress {
	c := ro.Spec.Strategy.Canary
	if c == nil || c.TrafficRouting == nil {
		return nil
	}
	trPath := field.NewPath("spec", "strategy", "canary", "trafficRouting")
	var out []*networkingv1.Ingress
	find := func(name string) *networkingv1.Ingress {
		for _, ing := range objs.Ingresses {
			if ing.Name == name && ing.Namespace == ro.Namespace {
				return ing
			}
		}
		return nil
	}
	// One not-found stops the lookup, as upstream; the value quoted is the whole list
	// for the list forms (and the nginx list's path is spelled "StableIngresses").
	lookup := func(list []string, single string, router, listField, singleField string) {
		if list != nil {
			for _, n := range list {
				ing := find(n)
				if ing == nil {
					r.notFound(field.Invalid(trPath.Child(router, listField), list, fmt.Sprintf("ingress.networking.k8s.io %q not found", n)))
					return
				}
				out = append(out, ing)
			}
			return
		}
		ing := find(single)
		if ing == nil {
			r.notFound(field.Invalid(trPath.Child(router, singleField), single, fmt.Sprintf("ingress.networking.k8s.io %q not found", single)))
			return
		}
		out = append(out, ing)
	}
	switch tr := c.TrafficRouting; {
	case tr.ALB != nil:
		lookup(tr.ALB.Ingresses, tr.ALB.Ingress, "alb", "ingresses", "ingress")
	case tr.Nginx != nil:
		lookup(tr.Nginx.StableIngresses, tr.Nginx.StableIngress, "nginx", "StableIngresses", "stableIngress")
	}
	return out
}

// validateIngress: the stable ingress must route to the stable service (the ALB root
// service when set).
func validateIngress(ro *v1alpha1.Rollout, ing *networkingv1.Ingress) field.ErrorList {
	c := ro.Spec.Strategy.Canary
	trPath := field.NewPath("spec", "strategy", "canary", "trafficRouting")
	check := func(path *field.Path, svc, value string) field.ErrorList {
		if hasRuleWithService(ing, svc) {
			return nil
		}
		return field.ErrorList{field.Invalid(path, value, fmt.Sprintf("ingress `%s` has no rules using service %s backend", ing.Name, svc))}
	}
	if n := c.TrafficRouting.Nginx; n != nil && (n.StableIngress == ing.Name || slices.Contains(n.StableIngresses, ing.Name)) {
		if slices.Contains(n.StableIngresses, ing.Name) {
			return check(trPath.Child("nginx", "stableIngresses"), c.StableService, ing.Name)
		}
		return check(trPath.Child("nginx", "stableIngress"), c.StableService, n.StableIngress)
	}
	if a := c.TrafficRouting.ALB; a != nil && (a.Ingress == ing.Name || slices.Contains(a.Ingresses, ing.Name)) {
		svc := c.StableService
		if a.RootService != "" {
			svc = a.RootService
		}
		if slices.Contains(a.Ingresses, ing.Name) {
			return check(trPath.Child("alb", "ingresses"), svc, ing.Name)
		}
		return check(trPath.Child("alb", "ingress"), svc, a.Ingress)
	}
	return nil
}

func hasRuleWithService(ing *networkingv1.Ingress, svc string) bool {
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for _, p := range rule.HTTP.Paths {
			if p.Backend.Service != nil && p.Backend.Service.Name == svc {
				return true
			}
		}
	}
	return false
}

// --- Ambassador ---

func (r *ReferenceErrors) gatherMappings(ro *v1alpha1.Rollout, objs Objects) []*unstructured.Unstructured {
	c := ro.Spec.Strategy.Canary
	if c == nil || c.TrafficRouting == nil || c.TrafficRouting.Ambassador == nil {
		return nil
	}
	fld := field.NewPath("spec", "strategy", "canary", "trafficRouting", "ambassador", "mappings")
	if len(c.TrafficRouting.Ambassador.Mappings) == 0 {
		r.invalid(field.Invalid(fld, nil, "must provide at least one mapping"))
		return nil
	}
	var out []*unstructured.Unstructured
	for _, name := range c.TrafficRouting.Ambassador.Mappings {
		i := slices.IndexFunc(objs.AmbassadorMappings, func(m *unstructured.Unstructured) bool {
			return m.GetName() == name && m.GetNamespace() == ro.Namespace
		})
		if i < 0 {
			r.notFound(field.Invalid(fld, name, fmt.Sprintf("mappings.getambassador.io %q not found", name)))
			return out
		}
		out = append(out, objs.AmbassadorMappings[i])
	}
	return out
}
