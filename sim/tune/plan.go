package tune

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/rollsim/rollsim/sim/scenario"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Setting is one key's value in a combination.
type Setting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Combination is one policy: a value for every varied key.
type Combination []Setting

// Label reads "failureLimit=1 interval=1m".
func (c Combination) Label() string {
	parts := make([]string, len(c))
	for i, s := range c {
		parts[i] = s.Key + "=" + s.Value
	}
	return strings.Join(parts, " ")
}

// Combinations is the cartesian product of the varied values, in flag order,
// the last key varying fastest. No --vary gives one combination: the template
// as written.
func Combinations(vary []Vary) []Combination {
	out := []Combination{{}}
	for _, v := range vary {
		var next []Combination
		for _, c := range out {
			for _, val := range v.Values {
				n := append(append(Combination{}, c...), Setting{v.Key, val})
				next = append(next, n)
			}
		}
		out = next
	}
	return out
}

// Plan is a sweep ready to run: one scenario variant per (combination, case),
// case 0 being the scenario as written and case 1+j degradation j.
type Plan struct {
	Spec   Spec
	Combos []Combination
	// inputs[c][k][w] is combination c's case k in window w (one window
	// without a backtest).
	inputs [][][]*scenario.Input
}

// windows is the number of backtest windows, 1 without a backtest.
func (p *Plan) windows() int { return max(1, len(p.Spec.Windows)) }

// Trials is the number of runs of each case of each combination: Runs per
// window.
func (p *Plan) Trials() int { return p.Spec.Runs * p.windows() }

// Cases is the number of cases per combination: the healthy one and one per
// degradation.
func (p *Plan) Cases() int { return 1 + len(p.Spec.Degrade) }

// Tasks is the number of runs in the whole sweep.
func (p *Plan) Tasks() int { return len(p.Combos) * p.Cases() * p.Trials() }

// task numbers runs: combination-major, then case, then trial (window-major,
// then run index).
func (p *Plan) task(c, k, i int) int { return (c*p.Cases()+k)*p.Trials() + i }

func (p *Plan) untask(t int) (c, k, i int) {
	i = t % p.Trials()
	t /= p.Trials()
	return t / p.Cases(), t % p.Cases(), i
}

// FlagError is invalid tuning input, naming the flag; the CLI exits 2 on it.
type FlagError struct {
	Flag string
	Err  error
}

func (e *FlagError) Error() string { return e.Flag + ": " + e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// NewPlan checks the spec against the loaded scenario and builds every variant.
// Errors are *FlagError, or wrap *scenario.InputError when a variant is something the
// controller would refuse (naming the combination).
func NewPlan(in *scenario.Input, spec Spec) (*Plan, error) {
	if spec.Runs < 1 {
		return nil, &FlagError{"--runs", fmt.Errorf("must be at least 1, got %d", spec.Runs)}
	}
	metric, err := pickMetric(in, spec.Metric)
	if err != nil {
		return nil, err
	}
	spec.Metric = metric
	seen := map[string]bool{}
	for _, v := range spec.Vary {
		if seen[v.Key] {
			return nil, &FlagError{"--vary " + v.Key, fmt.Errorf("given twice; list all values in one flag: --vary %s=V1,V2", v.Key)}
		}
		seen[v.Key] = true
		if arg := ArgName(v.Key); arg != "" {
			if err := checkArg(in, metric, arg); err != nil {
				return nil, &FlagError{"--vary " + v.Key, err}
			}
		}
	}
	p := &Plan{Spec: spec, Combos: Combinations(spec.Vary)}
	for _, c := range p.Combos {
		base := in.Clone()
		for _, s := range c {
			apply(base, metric, s)
		}
		if err := base.Revalidate(); err != nil {
			return nil, fmt.Errorf("--vary %s: %w", c.Label(), err)
		}
		cases := make([][]*scenario.Input, p.Cases())
		for w := range p.windows() {
			wbase := base
			if len(spec.Windows) > 0 {
				wbase = window(base, spec.Windows[w], spec.WindowLength)
				if err := wbase.Revalidate(); err != nil {
					return nil, fmt.Errorf("window at t=0%+s: %w", spec.Windows[w], err)
				}
			}
			cases[0] = append(cases[0], wbase)
			for j, d := range spec.Degrade {
				// Degraded after the window is placed: with a recording, the
				// synthetic canary's rate is the route's recorded rate there.
				v := wbase.Clone()
				v.SetCanaryErrorRate(d.At, d.ErrorRate)
				if err := v.Revalidate(); err != nil {
					return nil, fmt.Errorf("--degrade %s: %w", d.Name(), err)
				}
				cases[1+j] = append(cases[1+j], v)
			}
		}
		p.inputs = append(p.inputs, cases)
	}
	return p, nil
}

// templates lists the AnalysisTemplates and ClusterAnalysisTemplates of the input.
func templates(in *scenario.Input) []*v1alpha1.AnalysisTemplateSpec {
	var out []*v1alpha1.AnalysisTemplateSpec
	for _, o := range in.Objects {
		switch t := o.(type) {
		case *v1alpha1.AnalysisTemplate:
			out = append(out, &t.Spec)
		case *v1alpha1.ClusterAnalysisTemplate:
			out = append(out, &t.Spec)
		}
	}
	return out
}

// pickMetric checks --metric, or picks the only metric there is.
func pickMetric(in *scenario.Input, want string) (string, error) {
	names := map[string]bool{}
	for _, t := range templates(in) {
		for _, m := range t.Metrics {
			names[m.Name] = true
		}
	}
	var list []string
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	switch {
	case len(list) == 0:
		return "", &FlagError{"--metric", fmt.Errorf("%s has no AnalysisTemplate with metrics to tune", in.File)}
	case want != "" && !names[want]:
		return "", &FlagError{"--metric", fmt.Errorf("no metric %q in the templates of %s (metrics: %s)", want, in.File, strings.Join(list, ", "))}
	case want != "":
		return want, nil
	case len(list) > 1:
		return "", &FlagError{"--metric", fmt.Errorf("the templates of %s have metrics %s: name the one to tune", in.File, strings.Join(list, ", "))}
	}
	return list[0], nil
}

// checkArg requires the metric's template to declare the argument and the metric
// to use it, so that varying it changes something.
func checkArg(in *scenario.Input, metric, arg string) error {
	use := regexp.MustCompile(`\{\{\s*args\.` + regexp.QuoteMeta(arg) + `\s*\}\}`)
	for _, t := range templates(in) {
		for _, m := range t.Metrics {
			if m.Name != metric {
				continue
			}
			declared := false
			for _, a := range t.Args {
				declared = declared || a.Name == arg
			}
			if !declared {
				return fmt.Errorf("the template of metric %q declares no argument %q; add `args: [{name: %s, value: \"0.95\"}]` and write the condition with {{args.%s}}", metric, arg, arg, arg)
			}
			if !use.MatchString(m.SuccessCondition) && !use.MatchString(m.FailureCondition) && !usedElsewhere(m, use) {
				return fmt.Errorf("metric %q does not use {{args.%s}}; mark the threshold in its condition, e.g. successCondition: result[0] >= {{args.%s}}", metric, arg, arg)
			}
		}
	}
	return nil
}

// usedElsewhere reports whether an argument appears in the metric's query or
// other string fields (a window such as [{{args.window}}]).
func usedElsewhere(m v1alpha1.Metric, use *regexp.Regexp) bool {
	if p := m.Provider.Prometheus; p != nil && use.MatchString(p.Query) {
		return true
	}
	if p := m.Provider.Web; p != nil && use.MatchString(p.URL) {
		return true
	}
	for _, f := range []*intstr.IntOrString{m.Count, m.FailureLimit, m.InconclusiveLimit, m.ConsecutiveErrorLimit, m.ConsecutiveSuccessLimit} {
		if f != nil && f.Type == intstr.String && use.MatchString(f.StrVal) {
			return true
		}
	}
	return use.MatchString(string(m.Interval)) || use.MatchString(string(m.InitialDelay))
}

// apply sets one value in a cloned input: a field of the metric in every
// template that has it, or an argument in the templates and in every analysis of
// the Rollout that passes it.
func apply(in *scenario.Input, metric string, s Setting) {
	if arg := ArgName(s.Key); arg != "" {
		setArg(in, arg, s.Value)
		return
	}
	for _, t := range templates(in) {
		for i := range t.Metrics {
			m := &t.Metrics[i]
			if m.Name != metric {
				continue
			}
			n, _ := strconv.Atoi(s.Value)
			num := intstr.FromInt32(int32(n))
			switch s.Key {
			case KeyFailureLimit:
				m.FailureLimit = &num
			case KeyCount:
				m.Count = &num
			case KeyConsecutiveErrorLimit:
				m.ConsecutiveErrorLimit = &num
			case KeyInconclusiveLimit:
				m.InconclusiveLimit = &num
			case KeyConsecutiveSuccessLimit:
				m.ConsecutiveSuccessLimit = &num
			case KeyInterval:
				m.Interval = v1alpha1.DurationString(s.Value)
			case KeyInitialDelay:
				m.InitialDelay = v1alpha1.DurationString(s.Value)
			}
		}
	}
}

func setArg(in *scenario.Input, arg, value string) {
	for _, t := range templates(in) {
		for i := range t.Args {
			if t.Args[i].Name == arg {
				v := value
				t.Args[i].Value = &v
				t.Args[i].ValueFrom = nil
			}
		}
	}
	ro := in.Rollout()
	if ro == nil {
		return
	}
	set := func(a *v1alpha1.RolloutAnalysis) {
		if a == nil {
			return
		}
		for i := range a.Args {
			if a.Args[i].Name == arg {
				a.Args[i].Value = value
				a.Args[i].ValueFrom = nil
			}
		}
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		set(bg.PrePromotionAnalysis)
		set(bg.PostPromotionAnalysis)
	}
	c := ro.Spec.Strategy.Canary
	if c == nil {
		return
	}
	if c.Analysis != nil {
		set(&c.Analysis.RolloutAnalysis)
	}
	for i := range c.Steps {
		set(c.Steps[i].Analysis)
	}
}
