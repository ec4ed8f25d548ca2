package sim

import "testing"

// Which queries may read the latency histograms: one row per rule.
func TestMayReadLatency(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  bool
	}{
		{`sum(irate(envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"httproute/{{args.ns}}/.*"}[1m]))`, false},
		{`histogram_quantile(0.99, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket[2m])))`, true},
		{`sum(rate(istio_request_duration_milliseconds_sum[1m])) / sum(rate(istio_request_duration_milliseconds_count[1m]))`, true},
		{`sum(rate(istio_requests_total{reporter="destination"}[1m]))`, false},
		{`{__name__=~"envoy_cluster_upstream_rq_time.*"}`, true}, // a name pattern that matches
		{`{__name__=~"envoy_cluster_upstream_rq_xx|up"}`, false}, // one that does not
		{`{envoy_cluster_name="x"}`, true},                       // no name: every metric
		{`sum(rate({{args.metric}}[1m]))`, true},                 // the name is an argument
		{`sum(rate(envoy_{{args.kind}}_bucket[1m]))`, true},      // part of it is
		{`sum(rate(x{a="{{args.v}}"}[1m]))`, false},              // a label value is not the name
		{`sum(rate(x[1m]`, true}, // does not parse
		{`vector(1)`, false},
	} {
		if got := mayReadLatency(tc.query); got != tc.want {
			t.Errorf("mayReadLatency(%s) = %v, want %v", tc.query, got, tc.want)
		}
	}
}
