package sim

import (
	"regexp"

	"github.com/rollsim/rollsim/internal/memo"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/sim/scenario"
)

// Which series a run's queries may read. Latency histograms are most of what
// the traffic model writes and draws (a bucket per bound, per response
// code), and a query usually reads one counter of several: a run leaves out
// the families of series no query of its analyses can select. `query`,
// `serve` and sessions, which answer any query, keep them all.

// placeholder is an argument or other substitution in a query.
var placeholder = regexp.MustCompile(`\{\{[^}]*\}\}`)

// seriesRead returns whether some Prometheus query of the scenario's
// analyses may select series of a metric name. A query that does not
// parse, or whose metric names depend on its arguments, may select any.
func seriesRead(in *scenario.Input) func(metric string) bool {
	var sels []selection
	for _, q := range promQueries(in) {
		sels = append(sels, selections.Get(q, selects))
	}
	return func(metric string) bool {
		for _, s := range sels {
			if s.reads(metric) {
				return true
			}
		}
		return false
	}
}

// selections remembers selects' answers: a sweep runs the same queries
// thousands of times.
var selections = memo.Bounded[string, selection]{Max: 1024}

// selection is what a query may select by metric name: anything, or what
// the __name__ matchers of its selectors accept.
type selection struct {
	any       bool
	selectors [][]*labels.Matcher
}

func (s selection) reads(metric string) bool {
	if s.any {
		return true
	}
	for _, ms := range s.selectors {
		if selectsName(ms, metric) {
			return true
		}
	}
	return false
}

// selects parses q with its placeholders filled two ways: if either fails,
// or they select differently by metric name, anything goes.
func selects(q string) selection {
	p := parser.NewParser(parser.Options{})
	a, errA := p.ParseExpr(placeholder.ReplaceAllString(q, "a"))
	b, errB := p.ParseExpr(placeholder.ReplaceAllString(q, "b"))
	if errA != nil || errB != nil {
		return selection{any: true}
	}
	sa, sb := parser.ExtractSelectors(a), parser.ExtractSelectors(b)
	if len(sa) != len(sb) {
		return selection{any: true}
	}
	for i := range sa {
		if nameMatchers(sa[i]) != nameMatchers(sb[i]) {
			return selection{any: true}
		}
	}
	return selection{selectors: sa}
}

// nameMatchers is a selector's __name__ matchers, as text.
func nameMatchers(ms []*labels.Matcher) string {
	var s string
	for _, m := range ms {
		if m.Name == labels.MetricName {
			s += m.String() + ","
		}
	}
	return s
}

// selectsName reports whether a selector's __name__ matchers accept name.
func selectsName(ms []*labels.Matcher, name string) bool {
	for _, m := range ms {
		if m.Name == labels.MetricName && !m.Matches(name) {
			return false
		}
	}
	return true
}

// promQueries lists the Prometheus queries of every analysis in the scenario.
func promQueries(in *scenario.Input) []string {
	var out []string
	add := func(metrics []v1alpha1.Metric) {
		for _, m := range metrics {
			if p := m.Provider.Prometheus; p != nil {
				out = append(out, p.Query)
			}
		}
	}
	for _, o := range in.Objects {
		switch o := o.(type) {
		case *v1alpha1.AnalysisTemplate:
			add(o.Spec.Metrics)
		case *v1alpha1.ClusterAnalysisTemplate:
			add(o.Spec.Metrics)
		case *v1alpha1.AnalysisRun:
			add(o.Spec.Metrics)
		}
	}
	return out
}
