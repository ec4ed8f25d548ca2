package lint

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/conditions"
)

var (
	argRef     = regexp.MustCompile(`\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}`)
	anyRef     = regexp.MustCompile(`\{\{[^}]*\}\}`)
	lenGuard   = regexp.MustCompile(`len\(\s*result\s*\)\s*(>|>=|!=|==)\s*[0-9]`)
	nanGuard   = regexp.MustCompile(`isNaN\(`)
	firstIndex = regexp.MustCompile(`result\s*\[\s*0\s*\]`)
)

var promParser = parser.NewParser(parser.Options{})

// template checks one AnalysisTemplate or ClusterAnalysisTemplate.
func (l *linter) template(d *document, what string, spec *v1alpha1.AnalysisTemplateSpec) {
	declared := map[string]v1alpha1.Argument{}
	for _, a := range spec.Args {
		declared[a.Name] = a
	}
	used := map[string]bool{}
	for i := range spec.Metrics {
		m := &spec.Metrics[i]
		at := fmt.Sprintf("spec.metrics[%d]", i)
		raw, _ := json.Marshal(m)
		for _, ref := range argRef.FindAllStringSubmatch(string(raw), -1) {
			name := ref[1]
			used[name] = true
			if _, ok := declared[name]; !ok {
				l.add(d, at, Error, "undeclared-arg", what,
					fmt.Sprintf("metric %q uses {{args.%s}} but the template declares no arg %q", m.Name, name, name),
					fmt.Sprintf("add `- name: %s` to spec.args (the controller refuses the template with \"failed to resolve {{args.%s}}\")", name, name))
			}
		}
		l.metric(d, what, at, m, declared)
	}
	for i, a := range spec.Args {
		if !used[a.Name] {
			l.add(d, fmt.Sprintf("spec.args[%d]", i), Warning, "unused-arg", what,
				fmt.Sprintf("arg %q is declared but no metric uses it", a.Name),
				fmt.Sprintf("use it as {{args.%s}} or remove it; callers must still supply it when it has no value", a.Name))
		}
	}
}

// metric checks one metric of a template.
func (l *linter) metric(d *document, what, at string, m *v1alpha1.Metric, args map[string]v1alpha1.Argument) {
	name := fmt.Sprintf("metric %q", m.Name)
	count := -1 // unbounded
	if m.Count != nil && m.Count.IntValue() > 0 {
		count = m.Count.IntValue()
	}
	countIsArg := m.Count != nil && argRef.MatchString(m.Count.String())
	// count and interval.
	if m.Count != nil && m.Count.IntValue() > 1 && m.Interval == "" {
		l.add(d, at+".count", Error, "count-without-interval", what,
			fmt.Sprintf("%s has count %d but no interval", name, m.Count.IntValue()),
			"set interval (e.g. interval: 1m): without it the controller rejects the metric (a count above 1 needs an interval)")
	}
	if m.Interval != "" && (m.Count == nil || m.Count.IntValue() == 0) && !countIsArg {
		if l.usedInline(m) {
			l.add(d, at+".interval", Error, "never-finishes", what,
				fmt.Sprintf("%s has an interval but no count: it measures until the run is stopped, and an inline (step) analysis is never stopped", name),
				"set count (e.g. count: 5) so the step analysis finishes; the controller rejects it otherwise (InvalidSpec: runs indefinitely)")
		}
	}
	// Limits that cannot be reached.
	fl := 0
	if m.FailureLimit != nil {
		fl = m.FailureLimit.IntValue()
	}
	if count > 0 && fl >= count {
		l.add(d, at+".failureLimit", Warning, "cannot-fail", what,
			fmt.Sprintf("%s has failureLimit %d with count %d: it fails only when more than %d of %d measurements fail, which cannot happen", name, fl, count, fl, count),
			fmt.Sprintf("lower failureLimit below %d (failure is failed > failureLimit), or raise count", count))
	}
	// Conditions.
	var query string
	var vector = true
	if p := m.Provider.Prometheus; p != nil {
		query = p.Query
		l.promql(d, what, at+".provider.prometheus.query", name, query, args, &vector)
	}
	for _, c := range []struct{ field, cond string }{{"successCondition", m.SuccessCondition}, {"failureCondition", m.FailureCondition}} {
		if c.cond == "" {
			continue
		}
		l.condition(d, what, at+"."+c.field, name, c.field, c.cond, m.Provider.Prometheus != nil, vector)
	}
	if m.Provider.Prometheus != nil && vector {
		conds := m.SuccessCondition + " " + m.FailureCondition
		if firstIndex.MatchString(conds) && !lenGuard.MatchString(conds) && !strings.Contains(conds, "default(") {
			field := "successCondition"
			if !firstIndex.MatchString(m.SuccessCondition) {
				field = "failureCondition"
			}
			l.add(d, at+"."+field, Warning, "unguarded-index", what,
				fmt.Sprintf("%s reads result[0] without checking len(result) > 0: an empty result (no series yet, a label typo) makes every measurement an Error", name),
				"write `len(result) > 0 && result[0] >= ...`, and decide whether no data should pass or fail")
		}
		if isRatio(query) && !nanGuard.MatchString(conds) {
			field := "successCondition"
			if m.SuccessCondition == "" {
				field = "failureCondition"
			}
			l.add(d, at+"."+field, Warning, "nan-ratio", what,
				fmt.Sprintf("%s divides two rates but its conditions do not handle NaN: with no requests in the window the ratio is 0/0 = NaN, which fails a successCondition (or is Inconclusive with both conditions)", name),
				"add `isNaN(result[0]) ||` (NaN passes) or `!isNaN(result[0]) &&` (NaN fails) to the condition, or guard the denominator with `> 0`")
		}
	}
}

// usedInline reports whether a Rollout among the documents runs the metric's
// template as a step analysis (where a metric without count never ends).
func (l *linter) usedInline(m *v1alpha1.Metric) bool {
	for _, d := range l.docs {
		ro, ok := d.obj.(*v1alpha1.Rollout)
		if !ok || ro.Spec.Strategy.Canary == nil {
			continue
		}
		for _, st := range ro.Spec.Strategy.Canary.Steps {
			if st.Analysis == nil {
				continue
			}
			for _, ref := range st.Analysis.Templates {
				_, spec := l.findTemplate(ref.TemplateName, ref.IsClusterScope())
				if spec == nil {
					continue
				}
				for i := range spec.Metrics {
					if &spec.Metrics[i] == m {
						return true
					}
				}
			}
		}
	}
	return false
}

// isRatio: the query divides by something that can be zero.
func isRatio(q string) bool {
	expr, err := promParser.ParseExpr(placeholders(q, nil))
	if err != nil {
		return false
	}
	ratio := false
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if b, ok := n.(*parser.BinaryExpr); ok && b.Op == parser.DIV {
			if _, lit := b.RHS.(*parser.NumberLiteral); !lit {
				ratio = true
			}
		}
		return nil
	})
	return ratio
}

// placeholders substitutes args for parsing: a declared value when there is
// one, else a stand-in that parses where the placeholder sits (a duration
// inside [...], a word elsewhere).
func placeholders(q string, args map[string]v1alpha1.Argument) string {
	return anyRef.ReplaceAllStringFunc(q, func(ref string) string {
		if m := argRef.FindStringSubmatch(ref); m != nil {
			if a, ok := args[m[1]]; ok && a.Value != nil && *a.Value != "" {
				return *a.Value
			}
		}
		return "\x00"
	})
}

var durationSlot = regexp.MustCompile(`\[\x00|\x00\]|:\x00|\x00:`)

// promql parses the query and checks range windows against the scrape
// interval. It sets *vector to false when the query is a scalar.
func (l *linter) promql(d *document, what, at, name, q string, args map[string]v1alpha1.Argument, vector *bool) {
	if strings.TrimSpace(q) == "" {
		l.add(d, at, Error, "promql-empty", what, name+" has an empty query", "write the PromQL query the metric measures")
		return
	}
	s := placeholders(q, args)
	// A placeholder where a duration goes becomes a duration.
	for durationSlot.MatchString(s) {
		s = strings.NewReplacer("[\x00", "[5m", "\x00]", "5m]", ":\x00", ":1m", "\x00:", "5m:").Replace(s)
	}
	s = strings.ReplaceAll(s, "\x00", "placeholder")
	expr, err := promParser.ParseExpr(s)
	if err != nil {
		l.add(d, at, Error, "promql-parse", what, fmt.Sprintf("%s: the query does not parse: %v", name, err),
			"fix the PromQL (try it in the Prometheus UI or with `rollsim query`); the measurement is an Error every time")
		return
	}
	*vector = expr.Type() != parser.ValueTypeScalar
	parser.Inspect(expr, func(n parser.Node, path []parser.Node) error {
		call, ok := n.(*parser.Call)
		if !ok || call.Func == nil {
			return nil
		}
		fn := call.Func.Name
		if fn != "irate" && fn != "rate" && fn != "increase" && fn != "delta" && fn != "idelta" {
			return nil
		}
		for _, arg := range call.Args {
			ms, ok := arg.(*parser.MatrixSelector)
			if !ok {
				continue
			}
			if ms.Range < 2*l.scrape {
				l.add(d, at, Error, "window-too-short", what,
					fmt.Sprintf("%s: %s(...[%s]) spans fewer than two scrapes (%s apart): it is empty most of the time", name, fn, ms.Range, l.scrape),
					fmt.Sprintf("use a window of at least 4× the scrape interval, e.g. [%s]", 4*l.scrape))
			}
		}
		return nil
	})
}

// condition checks that a condition evaluates on a typical result.
func (l *linter) condition(d *document, what, at, name, field, cond string, prometheus, vector bool) {
	if anyRef.MatchString(cond) {
		return // resolved at run time
	}
	var sample any = []float64{0.5}
	if prometheus && !vector {
		sample = 0.5
	}
	_, err := conditions.Eval(sample, cond)
	if err != nil && !prometheus {
		// Other providers return other shapes: only report what fails for
		// a number as well.
		if _, err2 := conditions.Eval(0.5, cond); err2 == nil {
			err = nil
		}
	}
	if err != nil {
		shape := "a vector result such as [0.5]"
		if sample == 0.5 {
			shape = "a scalar result 0.5"
		}
		l.add(d, at, Error, "condition", what,
			fmt.Sprintf("%s: %s does not evaluate on %s: %v", name, field, shape, err),
			"the expression language is expr-lang; Prometheus vectors arrive as a list, so compare result[0] (after len(result) > 0)")
	}
}

// rollout checks a Rollout's steps and its background analysis, including
// the blind window.
func (l *linter) rollout(d *document, ro *v1alpha1.Rollout) {
	c := ro.Spec.Strategy.Canary
	if c == nil {
		return
	}
	what := "Rollout/" + ro.Name
	n := len(c.Steps)
	for i, st := range c.Steps {
		if st.Analysis == nil {
			continue
		}
		for j, ref := range st.Analysis.Templates {
			if _, spec := l.findTemplate(ref.TemplateName, ref.IsClusterScope()); spec == nil && len(l.templates()) > 0 {
				kind := "AnalysisTemplate"
				if ref.IsClusterScope() {
					kind = "ClusterAnalysisTemplate"
				}
				l.add(d, fmt.Sprintf("spec.strategy.canary.steps[%d].analysis.templates[%d]", i, j), Warning, "missing-template", what,
					fmt.Sprintf("%s %q is not among the files linted", kind, ref.TemplateName),
					"lint the template together with the Rollout (rollsim lint rollout.yaml template.yaml) so its metrics are checked in context")
			}
		}
	}
	bg := c.Analysis
	if bg == nil || len(bg.Templates) == 0 {
		return
	}
	start := int32(0)
	if bg.StartingStep != nil {
		start = *bg.StartingStep
	}
	if bg.StartingStep != nil && int(start) >= n {
		l.add(d, "spec.strategy.canary.analysis.startingStep", Error, "starting-step", what,
			fmt.Sprintf("background analysis startingStep %d is beyond the %d steps (indices 0..%d): it would start only once the rollout is complete, so it never judges the canary", start, n, n-1),
			fmt.Sprintf("use a startingStep between 0 and %d", max(0, n-1)))
		return
	}
	// The blind window: from the background run's start to the end of the
	// last step, and how much of its end no regression can abort.
	var total time.Duration
	exact := true
	for _, st := range c.Steps[start:] {
		switch {
		case st.Pause != nil && st.Pause.Duration == nil:
			exact = false
		case st.Pause != nil:
			total += time.Duration(st.Pause.DurationSeconds()) * time.Second
		case st.Analysis != nil:
			d, ok := l.stepAnalysisDuration(st.Analysis)
			total += d
			exact = exact && ok
		case st.Experiment != nil:
			exact = false
		}
	}
	for _, ref := range bg.Templates {
		_, spec := l.findTemplate(ref.TemplateName, ref.IsClusterScope())
		if spec == nil {
			continue
		}
		for _, m := range spec.Metrics {
			interval, err := m.Interval.Duration()
			if err != nil || interval <= 0 {
				continue
			}
			fl := 0
			if m.FailureLimit != nil {
				fl = m.FailureLimit.IntValue()
			}
			if fl < 0 {
				continue
			}
			window := time.Duration(fl+1) * interval
			initial, _ := m.InitialDelay.Duration()
			var msg string
			switch {
			case exact && total > 0 && window+initial >= total:
				msg = fmt.Sprintf("background metric %q (interval %s, failureLimit %d) needs %d failed measurements, about %s, but the steps from startingStep %d take only about %s: no regression after the background run starts can abort this rollout",
					m.Name, interval, fl, fl+1, minutes(window), start, minutes(total))
			case exact && total > 0:
				msg = fmt.Sprintf("blind window: background metric %q (interval %s, failureLimit %d) needs %d failed measurements (about %s) to abort; a regression that begins in the last %s of the %s of steps (after about %s) can never abort the rollout: the run is terminated as Successful when the rollout finishes",
					m.Name, interval, fl, fl+1, minutes(window), minutes(window), minutes(total), minutes(total-window))
			default:
				msg = fmt.Sprintf("blind window: background metric %q (interval %s, failureLimit %d) needs %d failed measurements (about %s) to abort; a regression that begins less than %s before the last step completes can never abort the rollout: the run is terminated as Successful when the rollout finishes",
					m.Name, interval, fl, fl+1, minutes(window), minutes(window))
			}
			l.add(d, "spec.strategy.canary.analysis", Warning, "blind-window", what, msg,
				fmt.Sprintf("end the steps with a pause of at least %s (or an inline analysis step) so the background run can reach failureLimit, or lower failureLimit / interval", minutes(window)))
		}
	}
}

func (l *linter) templates() []*document {
	var out []*document
	for _, d := range l.docs {
		switch d.obj.(type) {
		case *v1alpha1.AnalysisTemplate, *v1alpha1.ClusterAnalysisTemplate:
			out = append(out, d)
		}
	}
	return out
}

// stepAnalysisDuration is how long an inline analysis runs when every metric
// has a count: its longest metric's initialDelay + (count-1) × interval.
func (l *linter) stepAnalysisDuration(a *v1alpha1.RolloutAnalysis) (time.Duration, bool) {
	var longest time.Duration
	for _, ref := range a.Templates {
		_, spec := l.findTemplate(ref.TemplateName, ref.IsClusterScope())
		if spec == nil {
			return 0, false
		}
		for _, m := range spec.Metrics {
			c := m.EffectiveCount()
			if c == nil || c.IntValue() <= 0 {
				return 0, false
			}
			interval, _ := m.Interval.Duration()
			initial, _ := m.InitialDelay.Duration()
			longest = max(longest, initial+time.Duration(c.IntValue()-1)*interval)
		}
	}
	return longest, true
}
