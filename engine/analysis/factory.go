package analysis

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Templates is the flattened, de-duplicated list of templates a run is built from:
// namespaced ones first, then cluster ones, each in reference order.
type Templates struct {
	Namespaced []*v1alpha1.AnalysisTemplate
	Cluster    []*v1alpha1.ClusterAnalysisTemplate
}

// FetchTemplates resolves template references (and their nested references)
// through the client. A missing template is the API's NotFound error.
func FetchTemplates(ctx context.Context, c client.Reader, namespace string, refs []v1alpha1.AnalysisTemplateRef) (Templates, error) {
	var t Templates
	if err := t.collect(ctx, c, namespace, refs, 0); err != nil {
		return Templates{}, err
	}
	t.Unique()
	return t, nil
}

// Unique keeps the first of templates referenced more than once (by name, in
// each scope), as upstream's template resolution does.
func (t *Templates) Unique() {
	t.Namespaced = uniqueBy(t.Namespaced, func(x *v1alpha1.AnalysisTemplate) string { return x.Name })
	t.Cluster = uniqueBy(t.Cluster, func(x *v1alpha1.ClusterAnalysisTemplate) string { return x.Name })
}

func (t *Templates) collect(ctx context.Context, c client.Reader, namespace string, refs []v1alpha1.AnalysisTemplateRef, depth int) error {
	if depth > 32 {
		return fmt.Errorf("analysis template references nest deeper than 32 levels (a cycle?)")
	}
	for _, ref := range refs {
		var nested []v1alpha1.AnalysisTemplateRef
		if ref.IsClusterScope() {
			var tpl v1alpha1.ClusterAnalysisTemplate
			if err := c.Get(ctx, types.NamespacedName{Name: ref.TemplateName}, &tpl); err != nil {
				return err
			}
			t.Cluster = append(t.Cluster, &tpl)
			nested = tpl.Spec.Templates
		} else {
			var tpl v1alpha1.AnalysisTemplate
			if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.TemplateName}, &tpl); err != nil {
				return err
			}
			t.Namespaced = append(t.Namespaced, &tpl)
			nested = tpl.Spec.Templates
		}
		if len(nested) > 0 {
			if err := t.collect(ctx, c, namespace, nested, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func uniqueBy[T any](in []T, key func(T) string) []T {
	seen := map[string]bool{}
	var out []T
	for _, x := range in {
		if k := key(x); !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out
}

func (t Templates) specs() []v1alpha1.AnalysisTemplateSpec {
	var out []v1alpha1.AnalysisTemplateSpec
	for _, x := range t.Namespaced {
		out = append(out, x.Spec)
	}
	for _, x := range t.Cluster {
		out = append(out, x.Spec)
	}
	return out
}

// Names lists the template names, as the controller quotes them in errors.
func (t Templates) Names() []string {
	var out []string
	for _, x := range t.Namespaced {
		out = append(out, x.Name)
	}
	for _, x := range t.Cluster {
		out = append(out, x.Name)
	}
	return out
}

// RunSpec merges the templates into one AnalysisRun spec (upstream
// NewAnalysisRunFromTemplates): metrics, args, dry-run and retention rules, with the
// caller's args merged in and every arg required to have a value.
func (t Templates) RunSpec(callerArgs []v1alpha1.Argument, dryRun []v1alpha1.DryRun, retention []v1alpha1.MeasurementRetention) (v1alpha1.AnalysisRunSpec, error) {
	var spec v1alpha1.AnalysisRunSpec
	metricNames := map[string]bool{}
	var args []v1alpha1.Argument
	argIndex := map[string]int{}
	spec.DryRun = append(spec.DryRun, dryRun...)
	spec.MeasurementRetention = append(spec.MeasurementRetention, retention...)
	for _, s := range t.specs() {
		for _, m := range s.Metrics {
			if metricNames[m.Name] {
				return spec, fmt.Errorf("two metrics have the same name '%s'", m.Name)
			}
			metricNames[m.Name] = true
			spec.Metrics = append(spec.Metrics, *m.DeepCopy())
		}
		for _, a := range s.Args {
			i, ok := argIndex[a.Name]
			if !ok {
				argIndex[a.Name] = len(args)
				args = append(args, *a.DeepCopy())
				continue
			}
			prev := args[i]
			switch {
			case prev.Value != nil && a.Value != nil && *prev.Value != *a.Value:
				return spec, fmt.Errorf("Argument `%s` specified multiple times with different values: '%s', '%s'", a.Name, *prev.Value, *a.Value)
			case prev.Value == nil:
				args[i] = *a.DeepCopy()
			}
		}
		spec.DryRun = append(spec.DryRun, s.DryRun...)
		spec.MeasurementRetention = append(spec.MeasurementRetention, s.MeasurementRetention...)
	}
	seen := map[string]bool{}
	for _, r := range spec.DryRun {
		if seen[r.MetricName] {
			return spec, fmt.Errorf("two Dry-Run metric rules have the same name '%s'", r.MetricName)
		}
		seen[r.MetricName] = true
	}
	seen = map[string]bool{}
	for _, r := range spec.MeasurementRetention {
		if seen[r.MetricName] {
			return spec, fmt.Errorf("two Measurement Retention metric rules have the same name '%s'", r.MetricName)
		}
		seen[r.MetricName] = true
	}
	merged, err := MergeArgs(callerArgs, args)
	if err != nil {
		return spec, err
	}
	spec.Args = merged
	if len(spec.DryRun) == 0 {
		spec.DryRun = nil
	}
	if len(spec.MeasurementRetention) == 0 {
		spec.MeasurementRetention = nil
	}
	return spec, nil
}

// MergeArgs lays the caller's args over the templates' (only names the templates
// declare are kept) and requires every arg to end up with a value or a source.
func MergeArgs(incoming, template []v1alpha1.Argument) ([]v1alpha1.Argument, error) {
	out := make([]v1alpha1.Argument, len(template))
	for i := range template {
		out[i] = *template[i].DeepCopy()
	}
	for _, a := range incoming {
		for i := range out {
			if out[i].Name != a.Name {
				continue
			}
			if a.Value != nil {
				v := *a.Value
				out[i].Value = &v
			} else if a.ValueFrom != nil {
				out[i].ValueFrom = a.ValueFrom.DeepCopy()
			}
		}
	}
	for _, a := range out {
		if a.Value == nil && a.ValueFrom == nil {
			return nil, fmt.Errorf("args.%s was not resolved", a.Name)
		}
	}
	return out, nil
}

// CreateRun creates the run; when the name is taken by a different or finished run,
// it retries with ".1", ".2", ... appended, and adopts an identical running one
// (upstream CreateWithCollisionCounter).
func CreateRun(ctx context.Context, c client.Client, run *v1alpha1.AnalysisRun) (*v1alpha1.AnalysisRun, error) {
	base := run.Name
	for n := 0; n < 100; n++ {
		if n > 0 {
			run.Name = fmt.Sprintf("%s.%d", base, n)
		}
		candidate := run.DeepCopy()
		err := c.Create(ctx, candidate)
		if err == nil {
			return candidate, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, err
		}
		var existing v1alpha1.AnalysisRun
		if err := c.Get(ctx, types.NamespacedName{Namespace: run.Namespace, Name: run.Name}, &existing); err != nil {
			return nil, err
		}
		if !existing.Status.Phase.Completed() && sameOwner(&existing, run) && sameSpec(existing.Spec, run.Spec) {
			return &existing, nil
		}
	}
	return nil, fmt.Errorf("could not find a free name for AnalysisRun %q", base)
}

func sameOwner(a, b metav1.Object) bool {
	ra, rb := metav1.GetControllerOf(a), metav1.GetControllerOf(b)
	return ra != nil && rb != nil && ra.UID == rb.UID
}

func sameSpec(a, b v1alpha1.AnalysisRunSpec) bool {
	strip := func(s v1alpha1.AnalysisRunSpec) v1alpha1.AnalysisRunSpec {
		return v1alpha1.AnalysisRunSpec{Metrics: s.Metrics, Args: s.Args, DryRun: s.DryRun, MeasurementRetention: s.MeasurementRetention}
	}
	return equalJSON(strip(a), strip(b))
}
