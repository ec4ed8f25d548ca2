package scenario

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/rollout/validation"
)

// Defaults of the scenario file (design.md).
const (
	defaultNamespace     = "default"
	defaultPodReadyAfter = 10 * time.Second
	defaultScrape        = 15 * time.Second
	defaultUntil         = 3 * time.Hour
	defaultWarmup        = 15 * time.Minute
	defaultSeed          = 1
)

// DefaultStartTime is the fixed epoch of t=0 when the scenario gives none.
var DefaultStartTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// complete fills defaults and rejects what the real controller would refuse up
// front, naming the document and field.
func (in *Input) complete() error {
	sc := &in.Scenario
	bad := in.scenarioError
	if sc.Metadata.Name == "" {
		return bad("metadata.name", "required")
	}
	if sc.Spec.Namespace == "" {
		sc.Spec.Namespace = defaultNamespace
	}
	if _, err := engine.ParseVersion(sc.Spec.ControllerVersion); err != nil {
		return bad("spec.controllerVersion", "%v", err)
	}
	for _, o := range in.Objects {
		if _, cluster := o.(*v1alpha1.ClusterAnalysisTemplate); !cluster && o.GetNamespace() == "" {
			o.SetNamespace(sc.Spec.Namespace)
		}
	}
	if err := in.validateNames(); err != nil {
		return err
	}
	ro, err := in.selectRollout()
	if err != nil {
		return err
	}
	if ro == nil {
		return in.completeExperimentsOnly()
	}
	if err := in.validateRun(); err != nil {
		return err
	}
	if err := in.validateLimits(ro); err != nil {
		return err
	}
	if err := in.validateUpdate(ro); err != nil {
		return err
	}
	if err := in.validateController(ro); err != nil {
		return err
	}
	if err := in.validateSimulated(ro); err != nil {
		return err
	}
	if err := in.validateExperiments(); err != nil {
		return err
	}
	if err := in.loadRecorded(bad); err != nil {
		return err
	}
	if err := in.checkRecordedCoverage(ro, bad); err != nil {
		return err
	}
	if err := in.validateTraffic(ro, bad); err != nil {
		return err
	}
	if err := in.checkRecordedMetrics(ro); err != nil {
		return err
	}
	return in.validateProviders(ro, bad)
}

// scenarioError is invalid input in the Scenario document.
func (in *Input) scenarioError(fieldPath, format string, args ...any) error {
	return in.ScenarioDoc.Errorf("Scenario "+in.Scenario.Metadata.Name, fieldPath, format, args...)
}

// rolloutError is invalid input in the document of ro.
func (in *Input) rolloutError(ro *v1alpha1.Rollout, fieldPath, format string, args ...any) *InputError {
	return in.origins[ro].Errorf("Rollout "+ro.Name, fieldPath, format, args...)
}

// ValidationObjects are the manifests a Rollout may refer to, as the
// controller's reference validation takes them.
func (in *Input) ValidationObjects() validation.Objects {
	return validation.ObjectsOf(in.Objects)
}

// validateController is the controller's own validation of the rollout (its
// InvalidSpec condition): the spec rules, then the references. Services and
// router objects left out of the manifests are tolerated (a scenario need not
// carry them); a missing analysis template is not.
func (in *Input) validateController(ro *v1alpha1.Rollout) error {
	v, _ := engine.ParseVersion(in.Scenario.Spec.ControllerVersion)
	opts := validation.Options{Version: v}
	if errs := validation.ValidateRollout(ro, opts); len(errs) > 0 {
		return in.invalidSpec(ro, errs[0])
	}
	if e := validation.ValidateRolloutReferences(ro, in.ValidationObjects(), opts).Fatal(); e != nil {
		return in.invalidSpec(ro, e)
	}
	return nil
}

// invalidSpec is a controller validation error as invalid input: the
// controller's field path and InvalidSpec message, on the line of the field.
func (in *Input) invalidSpec(ro *v1alpha1.Rollout, e *field.Error) error {
	ie := in.rolloutError(ro, e.Field, "%s: %s", validation.InvalidSpecReason, validation.InvalidSpecMessage(ro, e))
	// The controller validates spec.strategy.canary (or .blueGreen) with the
	// path spec.strategy: find the field where the YAML has it.
	if data, ok := in.Document(ro); ok {
		for _, p := range []string{e.Field, strategyPath(ro, e.Field)} {
			if l := FieldLine(data, p); l > 0 {
				ie.At = in.origins[ro].Line + l - 1
				break
			}
		}
	}
	return ie
}

// strategyPath puts the strategy's own key into a controller path that lacks it.
func strategyPath(ro *v1alpha1.Rollout, p string) string {
	rest, ok := strings.CutPrefix(p, "spec.strategy.")
	if !ok || rest == "canary" || rest == "blueGreen" || strings.HasPrefix(rest, "canary.") || strings.HasPrefix(rest, "blueGreen.") {
		return p
	}
	switch {
	case ro.Spec.Strategy.Canary != nil:
		return "spec.strategy.canary." + rest
	case ro.Spec.Strategy.BlueGreen != nil:
		return "spec.strategy.blueGreen." + rest
	}
	return p
}

// selectRollout finds the rollout under test and fills spec.rollout.
func (in *Input) selectRollout() (*v1alpha1.Rollout, error) {
	sp := &in.Scenario.Spec
	var rollouts []*v1alpha1.Rollout
	for _, o := range in.Objects {
		if ro, ok := o.(*v1alpha1.Rollout); ok {
			rollouts = append(rollouts, ro)
		}
	}
	switch {
	case len(rollouts) == 0 && in.ExperimentsOnly():
		// Standalone Experiments are what the scenario runs.
		return nil, nil
	case len(rollouts) == 0:
		return nil, in.scenarioError("spec.manifests", "no Rollout found in %s or its manifests (nor a standalone Experiment)", in.File)
	case sp.Rollout == "" && len(rollouts) > 1:
		return nil, in.scenarioError("spec.rollout", "%d Rollouts given; name the one under test", len(rollouts))
	case sp.Rollout == "":
		sp.Rollout = rollouts[0].Name
	}
	ro := in.Rollout()
	if ro == nil {
		return nil, in.scenarioError("spec.rollout", "no Rollout named %q", sp.Rollout)
	}
	return ro, nil
}

// ExperimentsOnly reports a scenario of standalone Experiments: no Rollout
// among the manifests, at least one Experiment. It runs the Experiments from
// t=0 until every one has completed (or until), and its verdict is theirs.
func (in *Input) ExperimentsOnly() bool {
	experiments := false
	for _, o := range in.Objects {
		switch o.(type) {
		case *v1alpha1.Rollout:
			return false
		case *v1alpha1.Experiment:
			experiments = true
		}
	}
	return experiments
}

// completeExperimentsOnly validates a scenario of standalone Experiments: what
// is about a Rollout (spec.rollout, spec.update, actions, traffic to the
// rollout's route, recordings replayed from its update) has nothing to act on
// and is refused rather than ignored.
func (in *Input) completeExperimentsOnly() error {
	sp := &in.Scenario.Spec
	bad := in.scenarioError
	const why = "the scenario has no Rollout, only standalone Experiments"
	switch {
	case sp.Rollout != "":
		return bad("spec.rollout", "no Rollout named %q: %s", sp.Rollout, why)
	case !sp.Update.Empty():
		return bad("spec.update", "there is nothing to update: %s (they are applied at t=0)", why)
	case len(sp.Actions) > 0:
		return bad("spec.actions", "actions act on the Rollout under test: %s", why)
	case trafficGiven(&sp.Traffic):
		return bad("spec.traffic", "the traffic model serves a Rollout's route: %s (use spec.series for Prometheus data)", why)
	case len(sp.Recorded) > 0:
		return bad("spec.recorded", "recordings are replayed from a Rollout's update: %s (use spec.series for Prometheus data)", why)
	}
	if err := in.validateRun(); err != nil {
		return err
	}
	if e := sp.Expect; e != nil {
		for _, f := range []struct {
			name string
			set  bool
		}{{"promotedAt", e.PromotedAt != nil}, {"abortedAt", e.AbortedAt != nil}} {
			if f.set {
				return bad("spec.expect."+f.name, "is about a Rollout: %s (use outcome and within)", why)
			}
		}
	}
	if err := in.validateExperiments(); err != nil {
		return err
	}
	for _, o := range in.Objects {
		if ex, ok := o.(*v1alpha1.Experiment); ok && ex.Namespace != sp.Namespace {
			// The run watches one namespace, as it does a Rollout's.
			return in.origins[o].Errorf("Experiment "+ex.Name, "metadata.namespace", "%q: the Experiments of a scenario without a Rollout run in spec.namespace (%q)", ex.Namespace, sp.Namespace)
		}
	}
	if err := in.validateLimits(&v1alpha1.Rollout{}); err != nil {
		return err
	}
	if err := in.validateSeries(bad); err != nil {
		return err
	}
	return in.validateProviders(nil, bad)
}

// validateUpdate checks spec.update against the rollout's containers.
func (in *Input) validateUpdate(ro *v1alpha1.Rollout) error {
	up := in.Scenario.Spec.Update
	if up.Empty() {
		return in.scenarioError("spec.update.image", "required: the image of the new revision (or a patch or deploymentPatch)")
	}
	containers := in.PodTemplate(ro).Spec.Containers
	if len(containers) == 0 {
		if d := in.WorkloadDeployment(ro); d != nil {
			return in.origins[d].Errorf("Deployment "+d.Name, "spec.template.spec.containers", "required")
		}
		if ro.Spec.WorkloadRef == nil {
			return in.rolloutError(ro, "spec.template.spec.containers", "required")
		}
		return in.rolloutError(ro, "spec.workloadRef.name", "deployments.apps %q not found in the manifests", ro.Spec.WorkloadRef.Name)
	}
	if c := up.Container; c != "" {
		found := false
		for _, x := range containers {
			found = found || x.Name == c
		}
		if !found {
			return in.scenarioError("spec.update.container", "Rollout %s has no container %q", ro.Name, c)
		}
	}
	return in.checkUpdate("spec.update", ro, up)
}

// checkUpdate applies an update to copies of the objects: a patch that does
// not apply, or makes a manifest the decoder refuses, is invalid input.
func (in *Input) checkUpdate(field string, ro *v1alpha1.Rollout, up Update) error {
	var dep *appsv1.Deployment
	if d := in.WorkloadDeployment(ro); d != nil {
		dep = d.DeepCopy()
	}
	if _, err := ApplyUpdate(ro.DeepCopy(), dep, up); err != nil {
		return in.scenarioError(field, "%v", err)
	}
	return nil
}

// validateSimulated rejects what the simulation does not cover yet.
func (in *Input) validateSimulated(ro *v1alpha1.Rollout) error {
	if ro.Spec.Strategy.Canary == nil && ro.Spec.Strategy.BlueGreen == nil {
		return in.rolloutError(ro, "spec.strategy", "a canary or blueGreen strategy is required")
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil && bg.ActiveService == "" {
		return in.rolloutError(ro, "spec.strategy.blueGreen.activeService", "Required value")
	}
	if ref := ro.Spec.WorkloadRef; ref != nil {
		if ref.Kind != "Deployment" || (ref.APIVersion != "apps/v1" && ref.APIVersion != "") {
			return in.rolloutError(ro, "spec.workloadRef", "workload of type %s/%s is not simulated (an apps/v1 Deployment is)", ref.APIVersion, ref.Kind)
		}
		if in.WorkloadDeployment(ro) == nil {
			return in.rolloutError(ro, "spec.workloadRef.name", "deployments.apps %q not found in the manifests", ref.Name)
		}
	}
	return nil
}

// WorkloadDeployment is the Deployment a Rollout's workloadRef names, among
// the manifests (nil without one).
func (in *Input) WorkloadDeployment(ro *v1alpha1.Rollout) *appsv1.Deployment {
	ref := ro.Spec.WorkloadRef
	if ref == nil {
		return nil
	}
	for _, o := range in.Objects {
		if d, ok := o.(*appsv1.Deployment); ok && d.Name == ref.Name && d.Namespace == ro.Namespace {
			return d
		}
	}
	return nil
}

// PodTemplate is the Rollout's pod template: its own, or that of the
// Deployment its workloadRef names, as the controller resolves it.
func (in *Input) PodTemplate(ro *v1alpha1.Rollout) *corev1.PodTemplateSpec {
	if d := in.WorkloadDeployment(ro); d != nil {
		return &d.Spec.Template
	}
	return &ro.Spec.Template
}

// validateExperiments checks standalone Experiments: templates with selectors,
// analyses whose templates exist.
func (in *Input) validateExperiments() error {
	for _, o := range in.Objects {
		ex, ok := o.(*v1alpha1.Experiment)
		if !ok {
			continue
		}
		bad := func(fieldPath, format string, args ...any) error {
			return in.origins[o].Errorf("Experiment "+ex.Name, fieldPath, format, args...)
		}
		if len(ex.Spec.Templates) == 0 {
			return bad("spec.templates", "at least one template is required")
		}
		for i, t := range ex.Spec.Templates {
			if t.Selector == nil {
				return bad(fmt.Sprintf("spec.templates[%d].selector", i), "Required value")
			}
		}
		for i, a := range ex.Spec.Analyses {
			ref := v1alpha1.AnalysisTemplateRef{TemplateName: a.TemplateName, ClusterScope: a.ClusterScope}
			if _, found := in.template(ref, ex.Namespace); !found {
				return bad(fmt.Sprintf("spec.analyses[%d].templateName", i), "AnalysisTemplate '%s' not found", a.TemplateName)
			}
		}
	}
	return nil
}

// validateRun checks the scenario's own fields about the run: pod failures,
// actions, time limits and the expected outcome.
func (in *Input) validateRun() error {
	sp := in.Scenario.Spec
	bad := in.scenarioError
	if d := sp.Cluster.PodReadyAfter; d != nil && d.Duration < 0 {
		return bad("spec.cluster.podReadyAfter", "must not be negative")
	}
	for i, f := range sp.Cluster.PodFailures {
		if f.Image == "" {
			return bad(fmt.Sprintf("spec.cluster.podFailures[%d].image", i), "required")
		}
	}
	for i, a := range sp.Actions {
		if err := a.check(); err != nil {
			return bad(fmt.Sprintf("spec.actions[%d]", i), "%v", err)
		}
		if a.Update != nil {
			if err := in.checkUpdate(fmt.Sprintf("spec.actions[%d].update", i), in.Rollout(), *a.Update); err != nil {
				return err
			}
		}
		if a.Apply != nil {
			obj, err := in.ApplyObject(*a.Apply)
			if err != nil {
				return bad(fmt.Sprintf("spec.actions[%d].apply", i), "%v", err)
			}
			if ro, ok := obj.(*v1alpha1.Rollout); ok && ro.Name != in.Scenario.Spec.Rollout {
				return bad(fmt.Sprintf("spec.actions[%d].apply", i), "only the Rollout under test (%s) is simulated; %s is another", in.Scenario.Spec.Rollout, ro.Name)
			}
		}
		if d := a.Delete; d != nil && d.Kind == v1alpha1.RolloutKind && d.Name == in.Scenario.Spec.Rollout {
			return bad(fmt.Sprintf("spec.actions[%d].delete", i), "deleting the Rollout under test ends nothing rollsim can judge")
		}
	}
	if sp.Until != nil && sp.Until.Duration <= 0 {
		return bad("spec.until", "must be positive")
	}
	if sp.Warmup != nil && sp.Warmup.Duration < 0 {
		return bad("spec.warmup", "must not be negative")
	}
	if e := sp.Expect; e != nil {
		switch e.Outcome {
		case "", Promoted, Aborted, Paused, Incomplete:
		default:
			return bad("spec.expect.outcome", "unknown outcome %q (want Promoted, Aborted, Paused or Incomplete)", e.Outcome)
		}
	}
	return nil
}

type namedSpec struct {
	name string
	spec v1alpha1.AnalysisTemplateSpec
}

// mergeCheck finds the merge errors the controller reports: a metric name twice.
func mergeCheck(specs []namedSpec) error {
	seen := map[string]bool{}
	for _, s := range specs {
		for _, m := range s.spec.Metrics {
			if seen[m.Name] {
				return fmt.Errorf("two metrics have the same name '%s'", m.Name)
			}
			seen[m.Name] = true
		}
	}
	return nil
}

func (in *Input) template(ref v1alpha1.AnalysisTemplateRef, namespace string) (v1alpha1.AnalysisTemplateSpec, bool) {
	for _, o := range in.Objects {
		switch t := o.(type) {
		case *v1alpha1.AnalysisTemplate:
			if !ref.IsClusterScope() && t.Name == ref.TemplateName && t.Namespace == namespace {
				return t.Spec, true
			}
		case *v1alpha1.ClusterAnalysisTemplate:
			if ref.IsClusterScope() && t.Name == ref.TemplateName {
				return t.Spec, true
			}
		}
	}
	return v1alpha1.AnalysisTemplateSpec{}, false
}

// Settings are the scenario's values with defaults applied.
type Settings struct {
	Version       engine.Version
	Namespace     string
	PodReadyAfter time.Duration
	Scrape        time.Duration // scrape interval
	Until         time.Duration // virtual time limit, after the update
	Warmup        time.Duration // stable traffic before the update
	Seed          int64
	Start         time.Time // the update (t=0) on the absolute clock
}

// Settings returns the scenario's settings with defaults applied.
func (in *Input) Settings() Settings {
	sp := in.Scenario.Spec
	s := Settings{
		Namespace:     sp.Namespace,
		PodReadyAfter: defaultPodReadyAfter,
		Scrape:        defaultScrape,
		Until:         defaultUntil,
		Warmup:        defaultWarmup,
		Seed:          defaultSeed,
		Start:         DefaultStartTime,
	}
	s.Version, _ = engine.ParseVersion(sp.ControllerVersion)
	if sp.Cluster.PodReadyAfter != nil {
		s.PodReadyAfter = sp.Cluster.PodReadyAfter.Duration
	}
	if sp.Traffic.ScrapeInterval != nil {
		s.Scrape = sp.Traffic.ScrapeInterval.Duration
	}
	if sp.StartTime != nil {
		s.Start = sp.StartTime.UTC()
	} else if len(sp.Recorded) > 0 {
		// Replaying a recording: t=0 is the recorded update, so that reports
		// show production's timestamps.
		if at, err := time.Parse(time.RFC3339Nano, sp.Recorded[0].UpdateAt); err == nil {
			s.Start = at.UTC()
		}
	}
	if sp.Until != nil {
		s.Until = sp.Until.Duration
	} else if rec := in.recorded; rec != nil {
		// Replaying a recording: by default, until the recording ends.
		s.Until = min(s.Until, max(0, rec.To.Sub(s.Start)))
	}
	if sp.Warmup != nil {
		s.Warmup = sp.Warmup.Duration
	}
	if sp.Seed != nil {
		s.Seed = *sp.Seed
	}
	return s
}

var (
	_ client.Object = (*v1alpha1.Rollout)(nil)
	_               = metav1.Now
)

// validateProviders checks spec.providers and that every metric whose answers
// rollsim cannot compute has a script.
func (in *Input) validateProviders(ro *v1alpha1.Rollout, bad func(fieldPath, format string, args ...any) error) error {
	sp := in.Scenario.Spec.Providers
	for i, w := range sp.Web {
		p := fmt.Sprintf("spec.providers.web[%d]", i)
		if w.URL == "" {
			return bad(p+".url", "required")
		}
		if len(w.Responses) == 0 {
			return bad(p+".responses", "at least one response is required")
		}
		for j, r := range w.Responses {
			if r.Status != 0 && (r.Status < 100 || r.Status > 599) {
				return bad(fmt.Sprintf("%s.responses[%d].status", p, j), "%d is not an HTTP status", r.Status)
			}
		}
	}
	jobs, values := map[string]bool{}, map[string]bool{}
	for i, j := range sp.Job {
		p := fmt.Sprintf("spec.providers.job[%d]", i)
		if j.Metric == "" {
			return bad(p+".metric", "required")
		}
		if len(j.Results) == 0 {
			return bad(p+".results", "at least one result is required")
		}
		jobs[j.Metric] = true
	}
	for i, v := range sp.Values {
		p := fmt.Sprintf("spec.providers.values[%d]", i)
		if v.Metric == "" {
			return bad(p+".metric", "required")
		}
		if len(v.Values) == 0 {
			return bad(p+".values", "at least one value is required")
		}
		values[v.Metric] = true
	}
	for _, t := range in.templatesUsedBy(ro) {
		for _, m := range t.spec.Metrics {
			pv := m.Provider
			switch {
			case pv.Prometheus != nil, pv.Web != nil:
			case pv.Job != nil:
				if !jobs[m.Name] {
					return bad("spec.providers.job", "metric %q of template %s runs a Job: script its outcome, e.g. {metric: %s, results: [Succeeded]}", m.Name, t.name, m.Name)
				}
			default:
				if pv.Count() > 0 && !values[m.Name] {
					return bad("spec.providers.values", "metric %q of template %s uses a provider rollsim does not model: script its values, e.g. {metric: %s, values: [0.99]}", m.Name, t.name, m.Name)
				}
			}
		}
	}
	return nil
}

// templatesUsedBy lists the templates the rollout's analyses reference, nested
// ones included, each once.
func (in *Input) templatesUsedBy(ro *v1alpha1.Rollout) []namedSpec {
	var out []namedSpec
	seen := map[string]bool{}
	ns := in.Scenario.Spec.Namespace
	if ro != nil {
		ns = ro.Namespace
	}
	var walk func(refs []v1alpha1.AnalysisTemplateRef, depth int)
	walk = func(refs []v1alpha1.AnalysisTemplateRef, depth int) {
		for _, ref := range refs {
			id := fmt.Sprintf("%v/%s", ref.IsClusterScope(), ref.TemplateName)
			spec, ok := in.template(ref, ns)
			if !ok || seen[id] || depth > 32 {
				continue
			}
			seen[id] = true
			out = append(out, namedSpec{ref.TemplateName, spec})
			walk(spec.Templates, depth+1)
		}
	}
	if ro == nil {
		ro = &v1alpha1.Rollout{}
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		if c.Analysis != nil {
			walk(c.Analysis.Templates, 0)
		}
		for _, st := range c.Steps {
			if st.Analysis != nil {
				walk(st.Analysis.Templates, 0)
			}
			if st.Experiment != nil {
				for _, a := range st.Experiment.Analyses {
					walk([]v1alpha1.AnalysisTemplateRef{{TemplateName: a.TemplateName, ClusterScope: a.ClusterScope}}, 0)
				}
			}
		}
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		for _, a := range []*v1alpha1.RolloutAnalysis{bg.PrePromotionAnalysis, bg.PostPromotionAnalysis} {
			if a != nil {
				walk(a.Templates, 0)
			}
		}
	}
	for _, o := range in.Objects {
		if ex, ok := o.(*v1alpha1.Experiment); ok {
			for _, a := range ex.Spec.Analyses {
				walk([]v1alpha1.AnalysisTemplateRef{{TemplateName: a.TemplateName, ClusterScope: a.ClusterScope}}, 0)
			}
		}
	}
	return out
}
