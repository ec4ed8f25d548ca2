package lint

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/analysis"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/rollout/validation"
	"github.com/rollsim/rollsim/sim/scenario"
)

func (l *linter) run() {
	l.notSimulated()
	for _, d := range l.docs {
		switch o := d.obj.(type) {
		case *v1alpha1.AnalysisTemplate:
			l.template(d, &o.Spec)
		case *v1alpha1.ClusterAnalysisTemplate:
			l.template(d, &o.Spec)
		}
	}
	for _, d := range l.docs {
		switch o := d.obj.(type) {
		case *v1alpha1.Rollout:
			l.controller(d, o)
			l.analysisUses(d, o)
			l.rollout(d, o)
		case *v1alpha1.Experiment:
			l.experiment(d, o)
		}
	}
	l.scenarioChecks()
}

// objects are the manifests a Rollout in namespace ns may refer to, as the
// controller's reference validation takes them.
func (l *linter) objects() validation.Objects {
	var objs []client.Object
	for _, d := range l.docs {
		if o, ok := d.obj.(client.Object); ok {
			objs = append(objs, o)
		}
	}
	return validation.ObjectsOf(objs)
}

// has reports whether the input holds an object of the given kind (and
// apiVersion prefix, when not "").
func (l *linter) has(kind, apiPrefix string) bool {
	for _, d := range l.docs {
		if d.kind == kind && strings.HasPrefix(d.apiVersion, apiPrefix) {
			return true
		}
	}
	return false
}

// controller runs the Rollout controller's validation: the spec rules, then
// the references to the objects among the inputs.
func (l *linter) controller(d *document, ro *v1alpha1.Rollout) {
	opts := validation.Options{Version: l.version}
	for _, e := range validation.ValidateRollout(ro, opts) {
		l.add(d, specPath(d, ro, e.Field), Error, "invalid-spec", e.Error(),
			fmt.Sprintf("the controller sets the InvalidSpec condition (The Rollout %q is invalid: ...) and never reconciles the Rollout; fix %s", ro.Name, e.Field))
	}
	refs, ok := references(ro, l.objects(), opts)
	if !ok {
		return
	}
	for _, e := range refs.Invalid {
		if strings.Contains(e.Detail, "has no rules using service") {
			// `kubectl argo rollouts lint` checks only the Ingresses that route
			// to the stable (or ALB/SMI root) service, so it never reports this.
			l.add(d, specPath(d, ro, e.Field), Warning, "ingress-service", e.Error(),
				"point a rule of the Ingress at the stable service (the ALB root service when set); the controller refuses the Rollout (InvalidSpec) although `kubectl argo rollouts lint` accepts it")
			continue
		}
		l.add(d, specPath(d, ro, e.Field), Error, "invalid-reference", e.Error(),
			fmt.Sprintf("the controller sets the InvalidSpec condition (The Rollout %q is invalid: ...); fix the object or the reference", ro.Name))
	}
	for _, e := range refs.MissingTemplates {
		cluster := strings.HasPrefix(e.Detail, "ClusterAnalysisTemplate")
		kind := "AnalysisTemplate"
		if cluster {
			kind = "ClusterAnalysisTemplate"
		}
		sev := Warning
		why := fmt.Sprintf("no %s is among the files, so it may be installed separately", kind)
		if len(l.scenarios) > 0 || l.has(kind, "argoproj.io/") {
			sev = Error
			why = "the files hold the other templates"
			if len(l.scenarios) > 0 {
				why = "`rollsim run` refuses the scenario"
			}
		}
		l.add(d, specPath(d, ro, e.Field), sev, "missing-template", e.Error(),
			fmt.Sprintf("%s, and the controller refuses a Rollout whose template it cannot find (InvalidSpec); add the %s to the files linted or fix the name", why, kind))
	}
	for _, e := range refs.NotFound {
		kind, apiPrefix := notFoundKind(e.Detail)
		sev := Info
		if l.has(kind, apiPrefix) {
			sev = Warning
		}
		l.add(d, specPath(d, ro, e.Field), sev, "not-found", e.Error(),
			fmt.Sprintf("the controller refuses the Rollout until the %s exists (InvalidSpec); lint it together with the Rollout to have it checked", kind))
	}
}

// references is ValidateRolloutReferences, guarded: it assumes a spec that
// passed ValidateRollout, and lint runs it on every Rollout.
func references(ro *v1alpha1.Rollout, objs validation.Objects, opts validation.Options) (refs validation.ReferenceErrors, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return validation.ValidateRolloutReferences(ro, objs, opts), true
}

func notFoundKind(detail string) (kind, apiPrefix string) {
	switch {
	case strings.HasPrefix(detail, "service "):
		return "Service", "v1"
	case strings.HasPrefix(detail, "ingress"):
		return "Ingress", ""
	case strings.HasPrefix(detail, "virtualservices.networking.istio.io"):
		return "VirtualService", "networking.istio.io/"
	case strings.HasPrefix(detail, "mappings."):
		return "Mapping", "getambassador.io/"
	case strings.HasPrefix(detail, "virtualrouters."):
		return "VirtualRouter", "appmesh.k8s.aws/"
	}
	return "VirtualService", "appmesh.k8s.aws/"
}

// specPath maps a controller path to where the YAML has it: the controller
// reports canary rules under spec.strategy, without the strategy's own key.
func specPath(d *document, ro *v1alpha1.Rollout, p string) string {
	rest, ok := strings.CutPrefix(p, "spec.strategy.")
	if !ok || strings.HasPrefix(rest, "canary.") || strings.HasPrefix(rest, "blueGreen.") {
		return p
	}
	alt := p
	switch {
	case ro.Spec.Strategy.Canary != nil:
		alt = "spec.strategy.canary." + rest
	case ro.Spec.Strategy.BlueGreen != nil:
		alt = "spec.strategy.blueGreen." + rest
	}
	if scenario.FieldNode(d.node, p) == nil && scenario.FieldNode(d.node, alt) != nil {
		return alt
	}
	if scenario.NodeLine(d.node, alt) > scenario.NodeLine(d.node, p) {
		return alt
	}
	return p
}

// use is one place an AnalysisRun is made from templates.
type use struct {
	path       string
	refs       []v1alpha1.AnalysisTemplateRef
	args       []v1alpha1.AnalysisRunArgument
	dryRun     []v1alpha1.DryRun
	retention  []v1alpha1.MeasurementRetention
	experiment bool // an experiment step's analysis: the Rollout controller does not check it
}

func uses(ro *v1alpha1.Rollout) []use {
	var out []use
	from := func(path string, a *v1alpha1.RolloutAnalysis) use {
		return use{path: path, refs: a.Templates, args: a.Args, dryRun: a.DryRun, retention: a.MeasurementRetention}
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		if c.Analysis != nil {
			out = append(out, from("spec.strategy.canary.analysis", &c.Analysis.RolloutAnalysis))
		}
		for i, st := range c.Steps {
			if st.Analysis != nil {
				out = append(out, from(fmt.Sprintf("spec.strategy.canary.steps[%d].analysis", i), st.Analysis))
			}
			if st.Experiment != nil {
				for j, a := range st.Experiment.Analyses {
					out = append(out, use{path: fmt.Sprintf("spec.strategy.canary.steps[%d].experiment.analyses[%d]", i, j),
						refs: []v1alpha1.AnalysisTemplateRef{{TemplateName: a.TemplateName, ClusterScope: a.ClusterScope}}, args: a.Args, experiment: true})
				}
			}
		}
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		if bg.PrePromotionAnalysis != nil {
			out = append(out, from("spec.strategy.blueGreen.prePromotionAnalysis", bg.PrePromotionAnalysis))
		}
		if bg.PostPromotionAnalysis != nil {
			out = append(out, from("spec.strategy.blueGreen.postPromotionAnalysis", bg.PostPromotionAnalysis))
		}
	}
	return out
}

// resolve finds the templates of refs (nested ones included) in namespace
// ns; the name of the first missing one is returned with ok false.
func (l *linter) resolve(refs []v1alpha1.AnalysisTemplateRef, ns string, depth int) (t analysis.Templates, missing v1alpha1.AnalysisTemplateRef, ok bool) {
	if depth > 32 {
		return t, missing, false
	}
	for _, ref := range refs {
		d := l.findTemplate(ref, ns)
		if d == nil {
			return t, ref, false
		}
		var nested []v1alpha1.AnalysisTemplateRef
		switch x := d.obj.(type) {
		case *v1alpha1.AnalysisTemplate:
			t.Namespaced = append(t.Namespaced, x)
			nested = x.Spec.Templates
		case *v1alpha1.ClusterAnalysisTemplate:
			t.Cluster = append(t.Cluster, x)
			nested = x.Spec.Templates
		}
		if len(nested) > 0 {
			inner, m, ok := l.resolve(nested, ns, depth+1)
			if !ok {
				return t, m, false
			}
			t.Namespaced = append(t.Namespaced, inner.Namespaced...)
			t.Cluster = append(t.Cluster, inner.Cluster...)
		}
	}
	return t, missing, true
}

// findTemplate returns the document of the template a reference names.
func (l *linter) findTemplate(ref v1alpha1.AnalysisTemplateRef, ns string) *document {
	for _, d := range l.docs {
		switch o := d.obj.(type) {
		case *v1alpha1.AnalysisTemplate:
			if !ref.IsClusterScope() && o.Name == ref.TemplateName && (ns == "" || o.Namespace == ns) {
				return d
			}
		case *v1alpha1.ClusterAnalysisTemplate:
			if ref.IsClusterScope() && o.Name == ref.TemplateName {
				return d
			}
		}
	}
	return nil
}

// analysisUses checks what the controllers do when they create and first
// reconcile each AnalysisRun of the Rollout: the Secrets its args read and
// the metric validation (`Analysis spec invalid: ...`). The Rollout
// controller's own template checks (missing templates and args, merge errors)
// come from controller().
func (l *linter) analysisUses(d *document, ro *v1alpha1.Rollout) {
	for _, u := range uses(ro) {
		t, missing, ok := l.resolve(u.refs, ro.Namespace, 0)
		if !ok {
			if u.experiment && missing.TemplateName != "" {
				l.missingTemplate(d, u.path+".templateName", missing)
			}
			continue
		}
		spec, err := t.RunSpec(runArgs(u.args), u.dryRun, u.retention)
		if err != nil {
			if u.experiment {
				l.add(d, u.path, Error, "analysis-spec-invalid",
					fmt.Sprintf("the experiment cannot create its AnalysisRun from %s: %v", templateNames(t), err),
					"the Experiment fails; supply the arg in the step's analyses[].args, or fix the templates")
			}
			continue
		}
		l.secrets(d, u.path, ro.Namespace, spec.Args)
		resolveArgs := placeholderSecrets(spec.Args)
		var metrics []v1alpha1.Metric
		for _, m := range spec.Metrics {
			rm, err := analysis.ResolveMetric(m, resolveArgs)
			if err != nil {
				metrics = nil // an undeclared arg: reported on the template
				break
			}
			metrics = append(metrics, rm)
		}
		if metrics == nil {
			continue
		}
		if err := analysis.ValidateMetrics(metrics); err != nil {
			if name := metricOf(err, metrics); name != "" && l.specReported[name+"\x00"+stripIndex(err.Error())] {
				continue // the same problem, reported on the template
			}
			l.add(d, u.path, Error, "analysis-spec-invalid",
				fmt.Sprintf("every AnalysisRun from %s ends in Error: \"Analysis spec invalid: %v\"", templateNames(t), err),
				"the controller accepts the Rollout, but rejects the run on its first reconcile, and the rollout aborts; fix the metric (with the args this Rollout gives)")
		}
	}
}

var indexPrefix = regexp.MustCompile(`^metrics\[\d+\]: `)

func stripIndex(s string) string { return indexPrefix.ReplaceAllString(s, "") }

var metricIndex = regexp.MustCompile(`^metrics\[(\d+)\]`)

func metricOf(err error, metrics []v1alpha1.Metric) string {
	m := metricIndex.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	var i int
	fmt.Sscan(m[1], &i)
	if i < len(metrics) {
		return metrics[i].Name
	}
	return ""
}

func templateNames(t analysis.Templates) string {
	var names []string
	for _, x := range t.Namespaced {
		names = append(names, "AnalysisTemplate "+x.Name)
	}
	for _, x := range t.Cluster {
		names = append(names, "ClusterAnalysisTemplate "+x.Name)
	}
	return strings.Join(names, " + ")
}

// runArgs are the Rollout's analysis args as the controller passes them when
// it creates a run; sources resolved only at that time get a stand-in.
func runArgs(in []v1alpha1.AnalysisRunArgument) []v1alpha1.Argument {
	out := make([]v1alpha1.Argument, 0, len(in))
	for _, a := range in {
		v := a.Value
		if a.ValueFrom != nil {
			v = "rollsim-lint-placeholder"
		}
		out = append(out, v1alpha1.Argument{Name: a.Name, Value: &v})
	}
	return out
}

// placeholderSecrets gives secret-backed args a stand-in value, as the
// controller does when it validates a run.
func placeholderSecrets(args []v1alpha1.Argument) []v1alpha1.Argument {
	out := make([]v1alpha1.Argument, len(args))
	for i, a := range args {
		out[i] = *a.DeepCopy()
		if a.ValueFrom != nil {
			v := "temp-for-secret"
			out[i].ValueFrom, out[i].Value = nil, &v
		}
	}
	return out
}

// secrets checks the Secrets the run's args read.
func (l *linter) secrets(d *document, path, ns string, args []v1alpha1.Argument) {
	for _, a := range args {
		if a.ValueFrom == nil || a.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := a.ValueFrom.SecretKeyRef
		var secret *corev1.Secret
		anySecret := false
		for _, sd := range l.docs {
			if s, ok := sd.obj.(*corev1.Secret); ok {
				anySecret = true
				if s.Name == ref.Name && s.Namespace == ns {
					secret = s
				}
			}
		}
		switch {
		case secret == nil:
			sev := Info
			hint := "Secrets are rarely kept with the manifests: make sure it exists in the namespace, or the AnalysisRun errors with `Unable to resolve metric arguments: secrets \"" + ref.Name + "\" not found`"
			if len(l.scenarios) > 0 {
				sev = Error
				hint = "`rollsim run` needs it: add the Secret to the scenario's manifests (with a fake value)"
			} else if anySecret {
				sev = Warning
			}
			l.add(d, path, sev, "missing-secret", fmt.Sprintf("arg %q reads key %q of Secret %q, which is not among the files", a.Name, ref.Key, ref.Name), hint)
		default:
			_, inData := secret.Data[ref.Key]
			_, inString := secret.StringData[ref.Key]
			if !inData && !inString {
				l.add(d, path, Error, "missing-secret", fmt.Sprintf("arg %q: key '%s' does not exist in secret '%s'", a.Name, ref.Key, ref.Name),
					"add the key to the Secret or fix spec.args[].valueFrom.secretKeyRef.key; every AnalysisRun errors with `Unable to resolve metric arguments` otherwise")
			}
		}
	}
}

func (l *linter) missingTemplate(d *document, path string, ref v1alpha1.AnalysisTemplateRef) {
	kind := "AnalysisTemplate"
	if ref.IsClusterScope() {
		kind = "ClusterAnalysisTemplate"
	}
	sev := Warning
	if len(l.scenarios) > 0 || l.has(kind, "argoproj.io/") {
		sev = Error
	}
	l.add(d, path, sev, "missing-template", fmt.Sprintf("%s '%s' not found", kind, ref.TemplateName),
		fmt.Sprintf("the analysis fails when it starts; add the %s to the files linted or fix the name", kind))
}

// experiment checks a standalone Experiment's analysis templates.
func (l *linter) experiment(d *document, ex *v1alpha1.Experiment) {
	for i, a := range ex.Spec.Analyses {
		ref := v1alpha1.AnalysisTemplateRef{TemplateName: a.TemplateName, ClusterScope: a.ClusterScope}
		if l.findTemplate(ref, ex.Namespace) == nil {
			l.missingTemplate(d, fmt.Sprintf("spec.analyses[%d].templateName", i), ref)
		}
	}
}

// routers are kinds a Rollout names in spec.strategy.canary.trafficRouting:
// the controller checks some of them (Ingress, Istio VirtualService,
// Ambassador Mapping, App Mesh), none of them is simulated from the file.
var routers = map[string]bool{
	"Ingress": true, "VirtualService": true, "DestinationRule": true, "HTTPRoute": true, "GRPCRoute": true, "TCPRoute": true, "TLSRoute": true,
	"TrafficSplit": true, "Mapping": true, "VirtualRouter": true, "ApisixRoute": true, "TraefikService": true, "Gateway": true, "IngressRoute": true,
	"TargetGroupBinding": true,
}

// simulated are the kinds `rollsim run` models.
// Experiment: standalone ones run at t=0, next to a Rollout or without one.
var simulated = map[string]bool{"Rollout": true, "AnalysisTemplate": true, "ClusterAnalysisTemplate": true, "Experiment": true, "Secret": true, "Service": true}

// notSimulated says once per kind that rollsim accepts and does not simulate
// it, and once per Rollout that workloadRef is not simulated.
func (l *linter) notSimulated() {
	type kindKey struct{ apiVersion, kind string }
	first := map[kindKey]*document{}
	count := map[kindKey]int{}
	var order []kindKey
	for _, d := range l.docs {
		if ro, ok := d.obj.(*v1alpha1.Rollout); ok && ro.Spec.WorkloadRef != nil {
			l.add(d, "spec.workloadRef", Info, "not-simulated", "workloadRef is not simulated: `rollsim run` needs the pod template inline", "")
		}
		if simulated[d.kind] && strings.HasPrefix(d.apiVersion, "argoproj.io/") || (d.kind == "Secret" || d.kind == "Service") && d.apiVersion == "v1" {
			continue
		}
		group := d.apiVersion
		if i := strings.Index(group, "/"); i >= 0 {
			group = group[:i]
		}
		k := kindKey{group, d.kind}
		if first[k] == nil {
			first[k] = d
			order = append(order, k)
		}
		count[k]++
	}
	for _, k := range order {
		d := first[k]
		n := ""
		if count[k] > 1 {
			n = fmt.Sprintf(" (%d objects)", count[k])
		}
		msg := fmt.Sprintf("%s (%s) is not simulated%s: rollsim accepts it and does not model it", d.kind, d.apiVersion, n)
		switch {
		case routers[d.kind]:
			msg = fmt.Sprintf("%s (%s) is not simulated%s: the controller's checks of it against the Rollouts that name it are made; `rollsim run` models the routing itself", d.kind, d.apiVersion, n)
		}
		l.add(d, "", Info, "not-simulated", msg, "")
	}
}

// scenarioChecks runs `rollsim run`'s loader on each Scenario: what it refuses
// and lint did not already report as an error is a `scenario` finding.
func (l *linter) scenarioChecks() {
	for _, d := range l.scenarios {
		data := l.scenarioSrc[d.file]
		if data == nil || d.file == Stdin {
			continue
		}
		_, err := scenario.LoadData(d.file, data)
		if err == nil {
			continue
		}
		if strings.Contains(err.Error(), validation.InvalidSpecReason+":") || l.hasErrors() {
			continue
		}
		f := Finding{File: d.file, Line: d.line(""), Severity: Error, Rule: "scenario", Object: d.what(), Message: err.Error(), Hint: "`rollsim run` refuses this input: " + Rules["scenario"].Help}
		var ie *scenario.InputError
		if errors.As(err, &ie) {
			f.File, f.Message = ie.File, ie.Err.Error()
			if ie.Field != "" {
				f.Message = ie.Field + ": " + f.Message
			}
			if ie.What != "" {
				f.Object = strings.Replace(ie.What, " ", "/", 1)
			}
			switch {
			case ie.At > 0:
				f.Line = ie.At
			case ie.Line > 0:
				f.Line = ie.Line
			}
		}
		if reason, ok := d.disabled["scenario"]; ok {
			f.suppressed = reason
		}
		l.findings = append(l.findings, f)
	}
}

func (l *linter) hasErrors() bool {
	for _, f := range l.findings {
		if f.Severity == Error && f.suppressed == "" {
			return true
		}
	}
	return false
}
