package sim

import (
	"regexp"

	"github.com/rollsim/rollsim/internal/memo"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/sim/scenario"
)

// Latency histograms are most of what the traffic model writes and draws (a
// bucket per bound, per response code). A run whose queries cannot read them
// leaves them out; `query`, `serve` and sessions, which answer any query,
// keep them.

// latencyMetrics are the histogram series the traffic model writes.
var latencyMetrics = []string{
	"envoy_cluster_upstream_rq_time_bucket", "envoy_cluster_upstream_rq_time_count", "envoy_cluster_upstream_rq_time_sum",
	"istio_request_duration_milliseconds_bucket", "istio_request_duration_milliseconds_count", "istio_request_duration_milliseconds_sum",
}

// placeholder is an argument or other substitution in a query.
var placeholder = regexp.MustCompile(`\{\{[^}]*\}\}`)

// readsLatency reports whether some Prometheus query of the scenario's
// analyses may select a latency histogram series. A query that does not
// parse, or whose metric names depend on its arguments, may.
func readsLatency(in *scenario.Input) bool {
	for _, q := range promQueries(in) {
		if latencyReaders.Get(q, mayReadLatency) {
			return true
		}
	}
	return false
}

// latencyReaders remembers mayReadLatency's answers: a sweep runs the same
// queries thousands of times.
var latencyReaders = memo.Bounded[string, bool]{Max: 1024}

// mayReadLatency parses q with its placeholders filled two ways: if either
// fails, or they select differently by metric name, anything goes.
func mayReadLatency(q string) bool {
	p := parser.NewParser(parser.Options{})
	a, errA := p.ParseExpr(placeholder.ReplaceAllString(q, "a"))
	b, errB := p.ParseExpr(placeholder.ReplaceAllString(q, "b"))
	if errA != nil || errB != nil {
		return true
	}
	sa, sb := parser.ExtractSelectors(a), parser.ExtractSelectors(b)
	if len(sa) != len(sb) {
		return true
	}
	for i := range sa {
		if nameMatchers(sa[i]) != nameMatchers(sb[i]) {
			return true
		}
		for _, name := range latencyMetrics {
			if selectsName(sa[i], name) || selectsName(sb[i], name) {
				return true
			}
		}
	}
	return false
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
