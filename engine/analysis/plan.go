package analysis

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// maxPlans bounds the per-run caches; past it they start over.
const maxPlans = 1024

// plan is what every reconcile of a run derives from its spec: the metrics
// resolved with placeholders for secrets, and the outcome of the spec checks.
// A run's spec does not change during its life (only spec.terminate is
// written), so it is worked out once per run rather than once per reconcile.
type plan struct {
	// inputs the plan was made from, compared on every use.
	args      []v1alpha1.Argument
	dryRules  []v1alpha1.DryRun
	retRules  []v1alpha1.MeasurementRetention
	nMetrics  int
	metrics   []v1alpha1.Metric // shared by reconciles: read only
	failure   string            // the run's Error message when the spec is unusable
	dryRun    map[string]bool
	retention map[string]int32
	// secretFree: no arg reads a Secret, so metrics are also what measure uses.
	secretFree bool
}

type planKey struct {
	uid types.UID
	run types.NamespacedName
}

// planCache holds the plans of the runs seen lately.
type planCache struct {
	mu    sync.Mutex
	plans map[planKey]*plan
}

// planOf returns run's plan, made now if the spec is new to the cache.
func (r *Reconciler) planOf(run *v1alpha1.AnalysisRun) *plan {
	if run.UID == "" {
		// No identity to cache under (objects made by tests).
		return makePlan(&run.Spec)
	}
	k := planKey{uid: run.UID, run: types.NamespacedName{Namespace: run.Namespace, Name: run.Name}}
	c := &r.plans
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.plans[k]; ok && p.madeFrom(&run.Spec) {
		return p
	}
	p := makePlan(&run.Spec)
	if c.plans == nil || len(c.plans) >= maxPlans {
		c.plans = map[planKey]*plan{}
	}
	c.plans[k] = p
	return p
}

func (p *plan) madeFrom(spec *v1alpha1.AnalysisRunSpec) bool {
	return p.nMetrics == len(spec.Metrics) && slices.EqualFunc(p.args, spec.Args, argEqual) &&
		slices.Equal(p.dryRules, spec.DryRun) && slices.Equal(p.retRules, spec.MeasurementRetention)
}

func argEqual(a, b v1alpha1.Argument) bool {
	if a.Name != b.Name || (a.Value == nil) != (b.Value == nil) || a.Value != nil && *a.Value != *b.Value {
		return false
	}
	if a.ValueFrom == nil || b.ValueFrom == nil {
		return a.ValueFrom == b.ValueFrom
	}
	return equalJSON(a.ValueFrom, b.ValueFrom)
}

// makePlan resolves and checks the metrics as the controller does at the top
// of every reconcile.
func makePlan(spec *v1alpha1.AnalysisRunSpec) *plan {
	p := &plan{
		nMetrics: len(spec.Metrics),
		dryRules: slices.Clone(spec.DryRun),
		retRules: slices.Clone(spec.MeasurementRetention),
	}
	p.secretFree = true
	for _, a := range spec.Args {
		p.args = append(p.args, *a.DeepCopy())
		if a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil {
			p.secretFree = false
		}
	}
	args := withoutSecrets(spec.Args)
	for _, m := range spec.Metrics {
		resolved, err := substitute(m, args)
		if err != nil {
			p.failure = fmt.Sprintf("Unable to resolve metric arguments: %v", err)
			return p
		}
		p.metrics = append(p.metrics, resolved)
	}
	if p.metrics == nil {
		p.metrics = []v1alpha1.Metric{}
	}
	var err error
	if err = validateMetrics(p.metrics); err == nil {
		if p.dryRun, err = dryRunMetrics(spec.DryRun, p.metrics); err == nil {
			p.retention, err = retentionLimits(spec.MeasurementRetention, p.metrics)
		}
	}
	if err != nil {
		p.failure = fmt.Sprintf("Analysis spec invalid: %v", err)
	}
	return p
}

// measured is the metric to measure for task index i with the run's real
// argument values: the plan's own when no arg is a secret.
func (r *Reconciler) measured(run *v1alpha1.AnalysisRun, p *plan, i int, args []v1alpha1.Argument) (v1alpha1.Metric, error) {
	if p.secretFree {
		return p.metrics[i], nil
	}
	return r.substituteCached(run, i, args)
}

// argsKey is args as a cache key.
func argsKey(args []v1alpha1.Argument) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString(a.Name)
		if a.Value != nil {
			b.WriteString("=")
			b.WriteString(*a.Value)
		}
		b.WriteString("\x00")
	}
	return b.String()
}
