package lint

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/rollsim/rollsim/engine/analysis"
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
func (l *linter) template(d *document, spec *v1alpha1.AnalysisTemplateSpec) {
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
				l.add(d, at, Error, "undeclared-arg",
					fmt.Sprintf("metric %q uses {{args.%s}} but the template declares no arg %q", m.Name, name, name),
					fmt.Sprintf("add `- name: %s` to spec.args (the controller refuses the template with \"failed to resolve {{args.%s}}\")", name, name))
			}
		}
		l.metric(d, at, m, declared)
	}
	l.metricSpecs(d, spec)
	for i, a := range spec.Args {
		if !used[a.Name] {
			l.add(d, fmt.Sprintf("spec.args[%d]", i), Warning, "unused-arg",
				fmt.Sprintf("arg %q is declared but no metric uses it", a.Name),
				fmt.Sprintf("use it as {{args.%s}} or remove it; callers must still supply it when it has no value", a.Name))
		}
	}
}

// metric checks one metric of a template.
func (l *linter) metric(d *document, at string, m *v1alpha1.Metric, args map[string]v1alpha1.Argument) {
	name := fmt.Sprintf("metric %q", m.Name)
	// A limit that cannot be reached (count == failureLimit: a larger
	// failureLimit is refused by the AnalysisRun controller, see metricSpecs).
	if m.Count != nil && m.FailureLimit != nil && !hasRef(m.Count.String()) && !hasRef(m.FailureLimit.String()) {
		count, fl := m.Count.IntValue(), m.FailureLimit.IntValue()
		csl := 0
		if m.ConsecutiveSuccessLimit != nil {
			csl = m.ConsecutiveSuccessLimit.IntValue()
		}
		if count > 0 && fl == count && csl == 0 {
			l.add(d, at+".failureLimit", Warning, "cannot-fail",
				fmt.Sprintf("%s has failureLimit %d with count %d: it fails only when more than %d of %d measurements fail, which cannot happen", name, fl, count, fl, count),
				fmt.Sprintf("lower failureLimit below %d (failure is failed > failureLimit), or raise count", count))
		}
	}
	// Conditions, typed by what the provider hands them.
	pv := m.Provider
	if pv.Job != nil {
		for _, c := range []struct{ field, cond string }{{"successCondition", m.SuccessCondition}, {"failureCondition", m.FailureCondition}} {
			if c.cond != "" {
				l.add(d, at+"."+c.field, Warning, "job-condition",
					fmt.Sprintf("%s runs a Job: its %s %q is never evaluated; the measurement is Successful when the Job succeeds and Failed when it fails", name, c.field, c.cond),
					"remove the condition, and make the Job's command exit non-zero when the check fails")
			}
		}
		return
	}
	var query string
	shape := vectorResult
	if p := pv.Prometheus; p != nil {
		query = p.Query
		if !l.promql(d, at+".provider.prometheus.query", name, query, args, &shape) {
			return
		}
	}
	for _, c := range []struct{ field, cond string }{{"successCondition", m.SuccessCondition}, {"failureCondition", m.FailureCondition}} {
		if c.cond == "" {
			continue
		}
		l.condition(d, at+"."+c.field, name, c.field, c.cond, pv, shape)
	}
	if pv.Prometheus != nil && shape == vectorResult {
		conds := m.SuccessCondition + " " + m.FailureCondition
		if firstIndex.MatchString(conds) && !lenGuard.MatchString(conds) && !strings.Contains(conds, "default(") {
			field := "successCondition"
			if !firstIndex.MatchString(m.SuccessCondition) {
				field = "failureCondition"
			}
			l.add(d, at+"."+field, Warning, "unguarded-index",
				fmt.Sprintf("%s reads result[0] without checking len(result) > 0: an empty result (no series yet, a label typo) makes every measurement an Error", name),
				"write `len(result) > 0 && result[0] >= ...`, and decide whether no data should pass or fail")
		}
		if isRatio(query) && !nanGuard.MatchString(conds) && strings.TrimSpace(conds) != "" {
			field := "successCondition"
			if m.SuccessCondition == "" {
				field = "failureCondition"
			}
			l.add(d, at+"."+field, Warning, "nan-ratio",
				fmt.Sprintf("%s divides two rates but its conditions do not handle NaN: with no requests in the window the ratio is 0/0 = NaN, which fails a successCondition (or is Inconclusive with both conditions)", name),
				"add `isNaN(result[0]) ||` (NaN passes) or `!isNaN(result[0]) &&` (NaN fails) to the condition, or guard the denominator with `> 0`")
		}
	}
}

func hasRef(s string) bool { return strings.Contains(s, "{{") }

// metricSpecs is the AnalysisRun controller's validation of each metric, on
// the template alone: what it refuses makes every run from the template end
// in Error. Metrics whose count, limits or durations come from args are
// checked where a Rollout supplies them (analysisUses).
func (l *linter) metricSpecs(d *document, spec *v1alpha1.AnalysisTemplateSpec) {
	seen := map[string]bool{}
	for i, m := range spec.Metrics {
		at := fmt.Sprintf("spec.metrics[%d]", i)
		if seen[m.Name] {
			l.metricSpecError(d, at+".name", m.Name, fmt.Sprintf("metrics[%d]: duplicate name '%s'", i, m.Name))
			continue
		}
		seen[m.Name] = true
		raw, _ := json.Marshal(struct {
			C, F, I, E, S any
			Iv, D         v1alpha1.DurationString
		}{m.Count, m.FailureLimit, m.InconclusiveLimit, m.ConsecutiveErrorLimit, m.ConsecutiveSuccessLimit, m.Interval, m.InitialDelay})
		if hasRef(string(raw)) {
			continue
		}
		if err := analysis.ValidateMetrics([]v1alpha1.Metric{m}); err != nil {
			msg := strings.Replace(err.Error(), "metrics[0]", fmt.Sprintf("metrics[%d]", i), 1)
			l.metricSpecError(d, at+metricField(msg), m.Name, msg)
		}
	}
}

func (l *linter) metricSpecError(d *document, path, metric, msg string) {
	if l.specReported == nil {
		l.specReported = map[string]bool{}
	}
	l.specReported[metric+"\x00"+stripIndex(msg)] = true
	l.add(d, path, Error, "analysis-spec-invalid",
		fmt.Sprintf("metric %q: the AnalysisRun controller rejects every run with this metric: \"Analysis spec invalid: %s\"", metric, msg),
		"the controller accepts the Rollout, but each AnalysisRun ends in Error on its first reconcile and the rollout aborts; fix the metric as the message says")
}

// metricField is the field a metric validation message is about.
func metricField(msg string) string {
	switch {
	case strings.Contains(msg, "count (") || strings.Contains(msg, "count must be"):
		return ".count"
	case strings.Contains(msg, "interval must be specified"):
		return ".count"
	case strings.Contains(msg, "invalid interval"):
		return ".interval"
	case strings.Contains(msg, "startDelay"):
		return ".initialDelay"
	case strings.Contains(msg, "failureLimit"):
		return ".failureLimit"
	case strings.Contains(msg, "consecutiveSuccessLimit"):
		return ".consecutiveSuccessLimit"
	case strings.Contains(msg, "inconclusiveLimit"):
		return ".inconclusiveLimit"
	case strings.Contains(msg, "consecutiveErrorLimit"):
		return ".consecutiveErrorLimit"
	case strings.Contains(msg, "provider"):
		return ".provider"
	}
	return ""
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
// interval. It sets *shape to what the query returns, and reports whether the
// query parsed.
func (l *linter) promql(d *document, at, name, q string, args map[string]v1alpha1.Argument, shape *resultShape) bool {
	if strings.TrimSpace(q) == "" {
		l.add(d, at, Error, "promql-empty", name+" has an empty query", "write the PromQL query the metric measures")
		return false
	}
	s := placeholders(q, args)
	// A placeholder where a duration goes becomes a duration.
	for durationSlot.MatchString(s) {
		s = strings.NewReplacer("[\x00", "[5m", "\x00]", "5m]", ":\x00", ":1m", "\x00:", "5m:").Replace(s)
	}
	s = strings.ReplaceAll(s, "\x00", "placeholder")
	expr, err := promParser.ParseExpr(s)
	if err != nil {
		l.add(d, at, Error, "promql-parse", fmt.Sprintf("%s: the query does not parse: %v", name, err),
			"fix the PromQL (try it in the Prometheus UI or with `rollsim query`); the measurement is an Error every time")
		return false
	}
	*shape = shapeOf(expr)
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
			switch {
			case ms.Range < l.scrape:
				l.add(d, at, Error, "window-too-short",
					fmt.Sprintf("%s: %s(...[%s]) is shorter than one scrape (%s apart): it never holds the two samples %s needs, so the result is always empty", name, fn, ms.Range, l.scrape, fn),
					fmt.Sprintf("use a window of at least 4× the scrape interval, e.g. [%s]", 4*l.scrape))
			case ms.Range < 2*l.scrape:
				l.add(d, at, Warning, "window-too-short",
					fmt.Sprintf("%s: %s(...[%s]) spans fewer than two scrapes (%s apart): it is empty most of the time", name, fn, ms.Range, l.scrape),
					fmt.Sprintf("use a window of at least 4× the scrape interval, e.g. [%s]", 4*l.scrape))
			}
		}
		return nil
	})
	return true
}

// resultShape is what a Prometheus query hands the conditions.
type resultShape int

const (
	vectorResult  resultShape = iota // []float64
	scalarResult                     // float64
	unknownResult                    // an arg supplies the expression: known at run time
)

// shapeOf is the result a parsed query gives. A query that is an arg (or
// arithmetic on args) can be anything.
func shapeOf(e parser.Expr) resultShape {
	switch x := e.(type) {
	case *parser.ParenExpr:
		return shapeOf(x.Expr)
	case *parser.VectorSelector:
		if strings.Contains(x.Name, "placeholder") {
			return unknownResult
		}
	case *parser.BinaryExpr:
		l, r := shapeOf(x.LHS), shapeOf(x.RHS)
		if l == unknownResult || r == unknownResult {
			return unknownResult
		}
	}
	if e.Type() == parser.ValueTypeScalar {
		return scalarResult
	}
	return vectorResult
}

// condition checks that a condition compiles for the result the provider
// hands it: a Prometheus vector ([]float64) or scalar (float64); for web (a
// JSON value at jsonPath: a string, number, bool, list or object) and every
// other provider the result's type is only known at run time, so only what no
// result can make valid (syntax, unknown names, a non-boolean expression) is
// reported.
func (l *linter) condition(d *document, at, name, field, cond string, pv v1alpha1.MetricProvider, result resultShape) {
	if anyRef.MatchString(cond) {
		return // resolved at run time
	}
	var sample any
	shape := "any result (the provider's result type is known only at run time)"
	switch {
	case pv.Prometheus != nil && result == vectorResult:
		sample, shape = []float64{}, "a Prometheus vector result (a list such as [0.5])"
	case pv.Prometheus != nil && result == scalarResult:
		sample, shape = float64(0), "a Prometheus scalar result (a number such as 0.5)"
	case pv.Web != nil:
		shape = "a web result (the JSON value at jsonPath: a string, number, bool, list or object)"
	}
	if err := conditions.Compile(cond, sample); err != nil {
		hint := "the expression language is expr-lang; fix the expression"
		if pv.Prometheus != nil && result == vectorResult {
			hint = "Prometheus vectors arrive as a list: compare result[0] (after len(result) > 0)"
		}
		l.add(d, at, Error, "condition", fmt.Sprintf("%s: %s does not compile for %s: %v", name, field, shape, err), hint)
	}
}

// rollout checks a Rollout's background analysis: startingStep and the blind
// window.
func (l *linter) rollout(d *document, ro *v1alpha1.Rollout) {
	c := ro.Spec.Strategy.Canary
	if c == nil {
		return
	}
	n := len(c.Steps)
	bg := c.Analysis
	if bg == nil || len(bg.Templates) == 0 {
		return
	}
	start := int32(0)
	if bg.StartingStep != nil {
		start = *bg.StartingStep
	}
	if bg.StartingStep != nil && (int(start) >= n || start < 0) {
		l.add(d, "spec.strategy.canary.analysis.startingStep", Error, "starting-step",
			fmt.Sprintf("background analysis startingStep %d is beyond the %d steps (indices 0..%d): it would start only once the rollout is complete, so it never judges the canary", start, n, n-1),
			fmt.Sprintf("use a startingStep between 0 and %d", max(0, n-1)))
		return
	}
	// The blind window: from the background run's start (or the end of the
	// last indefinite pause, where a human promotes after looking) to the end
	// of the last step, and how much of its end no regression can abort.
	from := int(start)
	for i := n - 1; i >= from; i-- {
		if st := c.Steps[i]; st.Pause != nil && st.Pause.Duration == nil {
			from = i + 1
			break
		}
	}
	afterPause := from > int(start)
	var total time.Duration
	exact := true
	for _, st := range c.Steps[from:] {
		switch {
		case st.Pause != nil:
			total += time.Duration(st.Pause.DurationSeconds()) * time.Second
		case st.Analysis != nil:
			d, ok := l.stepAnalysisDuration(st.Analysis, ro.Namespace)
			total += d
			exact = exact && ok
		case st.Experiment != nil:
			exact = false
		}
	}
	if exact && total == 0 && afterPause {
		return // the last step waits for a human: the analysis runs until then
	}
	origin := fmt.Sprintf("the steps from startingStep %d", start)
	if afterPause {
		origin = fmt.Sprintf("the steps after the indefinite pause (step %d)", from-1)
	}
	for _, ref := range bg.Templates {
		td := l.findTemplate(ref, ro.Namespace)
		if td == nil {
			continue
		}
		spec := templateSpec(td)
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
				msg = fmt.Sprintf("background metric %q (interval %s, failureLimit %d) needs %d failed measurements, about %s, but %s take only about %s: no regression in that time can abort this rollout",
					m.Name, interval, fl, fl+1, minutes(window), origin, minutes(total))
			case exact && total > 0:
				msg = fmt.Sprintf("blind window: background metric %q (interval %s, failureLimit %d) needs %d failed measurements (about %s) to abort; a regression that begins in the last %s of the %s of %s (after about %s) can never abort the rollout: the run is terminated as Successful when the rollout finishes",
					m.Name, interval, fl, fl+1, minutes(window), minutes(window), minutes(total), origin, minutes(total-window))
			case exact:
				continue
			default:
				msg = fmt.Sprintf("blind window: background metric %q (interval %s, failureLimit %d) needs %d failed measurements (about %s) to abort; a regression that begins less than %s before the last step completes can never abort the rollout: the run is terminated as Successful when the rollout finishes",
					m.Name, interval, fl, fl+1, minutes(window), minutes(window))
			}
			l.add(d, "spec.strategy.canary.analysis", Warning, "blind-window", msg,
				fmt.Sprintf("end the steps with a pause of at least %s (or an indefinite pause, or an inline analysis step) so the background run can reach failureLimit, or lower failureLimit / interval", minutes(window)))
		}
	}
}

func templateSpec(d *document) *v1alpha1.AnalysisTemplateSpec {
	switch o := d.obj.(type) {
	case *v1alpha1.AnalysisTemplate:
		return &o.Spec
	case *v1alpha1.ClusterAnalysisTemplate:
		return &o.Spec
	}
	return &v1alpha1.AnalysisTemplateSpec{}
}

// stepAnalysisDuration is how long an inline analysis runs when every metric
// has a count: its longest metric's initialDelay + (count-1) × interval.
func (l *linter) stepAnalysisDuration(a *v1alpha1.RolloutAnalysis, ns string) (time.Duration, bool) {
	var longest time.Duration
	for _, ref := range a.Templates {
		td := l.findTemplate(ref, ns)
		if td == nil {
			return 0, false
		}
		for _, m := range templateSpec(td).Metrics {
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
