package sim

import "testing"

// Which metric names a query may select: one row per rule of selects.
func TestQuerySelects(t *testing.T) {
	const (
		xx     = "envoy_cluster_upstream_rq_xx"
		total  = "envoy_cluster_upstream_rq_total"
		codes  = "envoy_cluster_upstream_rq"
		bucket = "envoy_cluster_upstream_rq_time_bucket"
		istio  = "istio_requests_total"
		isum   = "istio_request_duration_milliseconds_sum"
	)
	for _, tc := range []struct {
		query  string
		metric string
		want   bool
	}{
		{`sum(irate(envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"httproute/{{args.ns}}/.*"}[1m]))`, xx, true},
		{`sum(irate(envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"httproute/{{args.ns}}/.*"}[1m]))`, bucket, false},
		{`sum(irate(envoy_cluster_upstream_rq_xx[1m]))`, total, false},
		{`sum(irate(envoy_cluster_upstream_rq_xx[1m]))`, codes, false},
		{`sum(rate(envoy_cluster_upstream_rq{envoy_response_code="503"}[1m])) / sum(rate(envoy_cluster_upstream_rq_total[1m]))`, codes, true},
		{`sum(rate(envoy_cluster_upstream_rq{envoy_response_code="503"}[1m])) / sum(rate(envoy_cluster_upstream_rq_total[1m]))`, total, true},
		{`sum(rate(envoy_cluster_upstream_rq{envoy_response_code="503"}[1m])) / sum(rate(envoy_cluster_upstream_rq_total[1m]))`, xx, false},
		{`histogram_quantile(0.99, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket[2m])))`, bucket, true},
		{`sum(rate(istio_request_duration_milliseconds_sum[1m])) / sum(rate(istio_request_duration_milliseconds_count[1m]))`, isum, true},
		{`sum(rate(istio_requests_total{reporter="destination"}[1m]))`, isum, false},
		{`sum(rate(istio_requests_total{reporter="destination"}[1m]))`, istio, true},
		{`{__name__=~"envoy_cluster_upstream_rq_time.*"}`, bucket, true}, // a name pattern that matches
		{`{__name__=~"envoy_cluster_upstream_rq_xx|up"}`, bucket, false}, // one that does not
		{`{envoy_cluster_name="x"}`, total, true},                        // no name: every metric
		{`sum(rate({{args.metric}}[1m]))`, codes, true},                  // the name is an argument
		{`sum(rate(envoy_{{args.kind}}_bucket[1m]))`, bucket, true},      // part of it is
		{`sum(rate(x{a="{{args.v}}"}[1m]))`, xx, false},                  // a label value is not the name
		{`sum(rate(x[1m]`, xx, true}, // does not parse
		{`vector(1)`, xx, false},
	} {
		if got := selects(tc.query).reads(tc.metric); got != tc.want {
			t.Errorf("selects(%s).reads(%s) = %v, want %v", tc.query, tc.metric, got, tc.want)
		}
	}
}
