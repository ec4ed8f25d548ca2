package scenario

import (
	"fmt"
	"strings"
	"time"

	"github.com/rollsim/rollsim/engine/api/thirdparty"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/rollout"
)

// validateNames applies the API server's rules for object names (what
// `kubectl apply` would be refused), and refuses an object given twice.
func (in *Input) validateNames() error {
	if errs := validation.IsDNS1123Label(in.Scenario.Spec.Namespace); len(errs) > 0 {
		return in.scenarioError("spec.namespace", "Invalid value: %q: %s", in.Scenario.Spec.Namespace, strings.Join(errs, "; "))
	}
	seen := map[string]Origin{}
	for _, o := range in.Objects {
		if u, ok := o.(*unstructured.Unstructured); ok && !thirdparty.Served(u.GroupVersionKind()) {
			// Kept, not simulated (a Kustomization, an HPA, ...): it never
			// reaches the API server, and some such kinds have no name.
			continue
		}
		kind := kindOf(o)
		bad := func(format string, args ...any) error {
			return in.origins[o].Errorf(strings.TrimSpace(kind+" "+o.GetName()), "metadata.name", format, args...)
		}
		name := o.GetName()
		if name == "" {
			return bad("Required value: name is required")
		}
		check := validation.IsDNS1123Subdomain
		if _, ok := o.(*corev1.Service); ok {
			check = validation.IsDNS1035Label
		}
		if errs := check(name); len(errs) > 0 {
			return bad("Invalid value: %q: %s", name, strings.Join(errs, "; "))
		}
		if ns := o.GetNamespace(); ns != "" {
			if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
				return in.origins[o].Errorf(kind+" "+name, "metadata.namespace", "Invalid value: %q: %s", ns, strings.Join(errs, "; "))
			}
		}
		id := kind + "\x00" + o.GetNamespace() + "\x00" + name
		if first, dup := seen[id]; dup {
			return bad("%s %q is given twice (first in %s, document %d)", kind, name, first.File, first.Doc)
		}
		seen[id] = in.origins[o]
	}
	return nil
}

// kindOf is the kind of a decoded manifest.
func kindOf(o client.Object) string {
	if k := o.GetObjectKind().GroupVersionKind().Kind; k != "" {
		return k
	}
	t := fmt.Sprintf("%T", o)
	return t[strings.LastIndex(t, ".")+1:]
}

// validateLimits refuses scenarios past the limits (limits.go), before
// anything is generated: time, steps, replicas, samples and measurements.
func (in *Input) validateLimits(ro *v1alpha1.Rollout) error {
	sp := in.Scenario.Spec
	bad := in.scenarioError
	set := in.Settings()
	if sp.StartTime != nil {
		if t := sp.StartTime.UTC(); t.Before(MinStartTime) || t.After(MaxStartTime) {
			return bad("spec.startTime", "%s is outside the years %d to %d", t.Format(time.RFC3339), MinStartTime.Year(), MaxStartTime.Year())
		}
	}
	if span := set.Warmup + set.Until; set.Warmup > MaxVirtualTime || set.Until > MaxVirtualTime || span > MaxVirtualTime {
		field := "spec.until"
		if set.Warmup > set.Until {
			field = "spec.warmup"
		}
		return bad(field, "warmup (%s) + until (%s) is longer than %s, the limit of virtual time", set.Warmup, set.Until, MaxVirtualTime)
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		if len(c.Steps) > MaxSteps {
			return in.rolloutError(ro, "spec.strategy.canary.steps", "%d steps: more than %d, the limit", len(c.Steps), MaxSteps)
		}
		for i, st := range c.Steps {
			p := fmt.Sprintf("spec.strategy.canary.steps[%d]", i)
			if s := st.SetCanaryScale; s != nil && s.Replicas != nil && *s.Replicas > MaxReplicas {
				return in.rolloutError(ro, p+".setCanaryScale.replicas", "%d: more than %d, the limit", *s.Replicas, MaxReplicas)
			}
			if ex := st.Experiment; ex != nil {
				for j, t := range ex.Templates {
					tp := fmt.Sprintf("%s.experiment.templates[%d]", p, j)
					if t.SpecRef != v1alpha1.StableSpecRef && t.SpecRef != v1alpha1.CanarySpecRef {
						// The controller's error (rollout/experiment.go); it would
						// never create the experiment.
						return in.rolloutError(ro, tp+".specRef", "Invalid template step SpecRef: must be canary or stable, got %q", t.SpecRef)
					}
					if t.Replicas != nil && *t.Replicas > MaxReplicas {
						return in.rolloutError(ro, tp+".replicas", "%d: more than %d, the limit", *t.Replicas, MaxReplicas)
					}
				}
			}
		}
	}
	if ro.Spec.Replicas != nil && *ro.Spec.Replicas > MaxReplicas {
		return in.rolloutError(ro, "spec.replicas", "%d: more than %d, the limit", *ro.Spec.Replicas, MaxReplicas)
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil && bg.PreviewReplicaCount != nil && *bg.PreviewReplicaCount > MaxReplicas {
		return in.rolloutError(ro, "spec.strategy.blueGreen.previewReplicaCount", "%d: more than %d, the limit", *bg.PreviewReplicaCount, MaxReplicas)
	}
	for _, o := range in.Objects {
		ex, ok := o.(*v1alpha1.Experiment)
		if !ok {
			continue
		}
		for j, t := range ex.Spec.Templates {
			if t.Replicas != nil && *t.Replicas > MaxReplicas {
				return in.origins[o].Errorf("Experiment "+ex.Name, fmt.Sprintf("spec.templates[%d].replicas", j), "%d: more than %d, the limit", *t.Replicas, MaxReplicas)
			}
		}
	}
	if err := in.validateFieldRefs(ro); err != nil {
		return err
	}
	if err := in.validateSamples(ro, set); err != nil {
		return err
	}
	return in.validateMeasurements(ro, set)
}

// validateFieldRefs resolves the fieldRef args of the rollout's analyses on
// the Rollout: a path the controller cannot resolve fails every sync, so the
// rollout would never get past the analysis. Paths into status are left to
// the run (status is filled as it goes).
func (in *Input) validateFieldRefs(ro *v1alpha1.Rollout) error {
	check := func(p string, args []v1alpha1.AnalysisRunArgument) error {
		for k, a := range args {
			if a.ValueFrom == nil || a.ValueFrom.FieldRef == nil || strings.HasPrefix(a.ValueFrom.FieldRef.FieldPath, "status") {
				continue
			}
			if _, err := rollout.RolloutField(ro, a.ValueFrom.FieldRef.FieldPath); err != nil {
				return in.rolloutError(ro, fmt.Sprintf("%s.args[%d].valueFrom.fieldRef.fieldPath", p, k), "the controller cannot resolve argument %q: %v", a.Name, err)
			}
		}
		return nil
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		if c.Analysis != nil {
			if err := check("spec.strategy.canary.analysis", c.Analysis.Args); err != nil {
				return err
			}
		}
		for i, st := range c.Steps {
			if st.Analysis != nil {
				if err := check(fmt.Sprintf("spec.strategy.canary.steps[%d].analysis", i), st.Analysis.Args); err != nil {
					return err
				}
			}
		}
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		for _, a := range []struct {
			path string
			an   *v1alpha1.RolloutAnalysis
		}{{"spec.strategy.blueGreen.prePromotionAnalysis", bg.PrePromotionAnalysis}, {"spec.strategy.blueGreen.postPromotionAnalysis", bg.PostPromotionAnalysis}} {
			if a.an != nil {
				if err := check(a.path, a.an.Args); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Series the traffic model writes per scrape (measured with
// `count({__name__=~".+"})`): the Envoy cluster's, and Istio's for the gateway
// and for each pod (upper bounds).
const (
	envoySeriesPerScrape = 27
	istioSeriesFixed     = 60
	istioSeriesPerPod    = 50
)

// WarmupSamples estimates the samples written before the update: spec.series
// expanded (all of it is loaded up front) and the traffic series of the
// warmup, which every run generates. What the run adds after the update
// depends on when it is decided; the run loop guards it.
func (in *Input) WarmupSamples(ro *v1alpha1.Rollout, set Settings) (series, warmup uint64) {
	for _, s := range in.Scenario.Spec.Series {
		series += NotationSamples(s.Values)
	}
	scrape := max(set.Scrape, time.Second) // shorter ones are refused
	scrapes := uint64(set.Warmup/scrape) + 1
	perScrape := uint64(envoySeriesPerScrape)
	if in.Scenario.Spec.Traffic.Mesh == "istio" {
		replicas := uint64(1)
		if ro.Spec.Replicas != nil && *ro.Spec.Replicas > 0 {
			replicas = uint64(*ro.Spec.Replicas)
		}
		perScrape = istioSeriesFixed + istioSeriesPerPod*replicas
	}
	return series, scrapes * perScrape
}

func (in *Input) validateSamples(ro *v1alpha1.Rollout, set Settings) error {
	total := uint64(0)
	for i, s := range in.Scenario.Spec.Series {
		n := NotationSamples(s.Values)
		if total += n; n > MaxSamples || total > MaxSamples {
			return in.scenarioError(fmt.Sprintf("spec.series[%d].values", i), "expands to %s samples, the limit for one scenario is %d", countString(n), MaxSamples)
		}
	}
	_, warmup := in.WarmupSamples(ro, set)
	if total+warmup > MaxSamples {
		return in.scenarioError("spec.warmup", "the traffic series of the warmup (%s, scraped every %s) come to about %d samples (with spec.series: %d), the limit for one scenario is %d; shorten the warmup or scrape less often",
			set.Warmup, set.Scrape, warmup, total+warmup, MaxSamples)
	}
	return nil
}

func countString(n uint64) string {
	if n > MaxSamples {
		return "more than " + fmt.Sprint(MaxSamples)
	}
	return fmt.Sprint(n)
}

// validateMeasurements estimates the measurements of the rollout's analyses:
// per metric, count, or the run length / interval when that is smaller (or
// count is unset). A count given by an argument is left to the run's own
// guard.
func (in *Input) validateMeasurements(ro *v1alpha1.Rollout, set Settings) error {
	used := map[string]bool{}
	for _, t := range in.templatesUsedBy(ro) {
		used[t.name] = true
	}
	total := int64(0)
	for _, o := range in.Objects {
		var spec *v1alpha1.AnalysisTemplateSpec
		switch t := o.(type) {
		case *v1alpha1.AnalysisTemplate:
			spec = &t.Spec
		case *v1alpha1.ClusterAnalysisTemplate:
			spec = &t.Spec
		default:
			continue
		}
		if !used[o.GetName()] {
			continue
		}
		for i, m := range spec.Metrics {
			n := MetricMeasurements(m, set.Until)
			if total += n; n > MaxMeasurements || total > MaxMeasurements {
				field := fmt.Sprintf("spec.metrics[%d].count", i)
				if m.Count == nil {
					field = fmt.Sprintf("spec.metrics[%d].interval", i)
				}
				return in.origins[o].Errorf(kindOf(o)+" "+o.GetName(), field,
					"metric %q would take about %d measurements in %s (count %s, interval %q): more than %d, the limit for one run; lower count or raise interval",
					m.Name, n, set.Until, countOf(m.Count), m.Interval, MaxMeasurements)
			}
		}
	}
	return nil
}

// MetricMeasurements estimates the measurements a metric takes in a run of
// length until: its count, or until / interval + 1 when that is smaller or
// count is unset (a metric with an interval and no count measures until the
// run ends). A count given by an argument counts as unset.
func MetricMeasurements(m v1alpha1.Metric, until time.Duration) int64 {
	byTime := int64(1)
	if interval, err := m.Interval.Duration(); m.Interval != "" && err == nil && interval > 0 {
		byTime = int64(until/interval) + 1
	}
	if m.Count == nil || m.Count.Type != intstr.Int || m.Count.IntVal <= 0 {
		return byTime
	}
	count := int64(m.Count.IntVal)
	if m.Interval == "" {
		return count
	}
	return min(count, byTime)
}

func countOf(c *intstr.IntOrString) string {
	if c == nil {
		return "unset"
	}
	return c.String()
}
