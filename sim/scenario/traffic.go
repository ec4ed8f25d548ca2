package scenario

import (
	"fmt"
	"time"
)

// Traffic is the request load and how each version answers it.
type Traffic struct {
	// Mesh picks the exporters whose series are generated: envoy (Envoy
	// Gateway's envoy_cluster_upstream_*) or istio (istio_requests_total and
	// istio_request_duration_milliseconds_*).
	Mesh string `json:"mesh,omitempty"`
	// Route is the envoy_cluster_name prefix (httproute/<namespace>/<name>;
	// the cluster is <route>/rule/0) or, for istio, the destination_service
	// the clients call (name.namespace.svc.cluster.local).
	Route string `json:"route,omitempty"`
	// RPS is the request rate at the start (requests per second).
	RPS *float64 `json:"rps,omitempty"`
	// Daily modulates the rate over the day.
	Daily *DailyCurve `json:"daily,omitempty"`
	// How often Prometheus scrapes the exporters (default 15s).
	ScrapeInterval *Duration `json:"scrapeInterval,omitempty"`
	// Noise is poisson (default: request counts drawn per scrape) or none
	// (exact expected counts).
	Noise string `json:"noise,omitempty"`
	// How the stable version answers.
	Stable Behaviour `json:"stable,omitempty"`
	// How the canary version answers (default: as the stable).
	Canary Behaviour `json:"canary,omitempty"`
	// Changes of the load or of a version's behaviour at virtual times.
	Events []TrafficEvent `json:"events,omitempty"`
	// Preview is the traffic a blue-green rollout's preview service gets (testers,
	// smoke tests): by default none at all, which leaves a pre-promotion analysis
	// of request metrics with nothing to measure.
	Preview *PreviewTraffic `json:"preview,omitempty"`
	// HeaderShare is the share of requests that carry what a setHeaderRoute
	// step matches (a header such as x-canary: "true"): while the router has
	// such a route, they go to the canary whatever the weights. Default 0.
	HeaderShare *float64 `json:"headerShare,omitempty"`
}

// PreviewTraffic is requests sent to the preview service, answered by the
// ReplicaSet it selects, counted under their own route.
type PreviewTraffic struct {
	// Route is the preview's envoy_cluster_name prefix (default: route +
	// "-preview") or, for istio, its destination_service (default: the
	// previewService's name.namespace.svc.cluster.local).
	Route string `json:"route,omitempty"`
	// The preview's request rate (requests per second).
	RPS *float64 `json:"rps,omitempty"`
}

// DailyCurve is a daily traffic cycle: the rate is multiplied by
// 1 + amplitude*cos(2π (time of day - peak) / 24h), so it peaks at `peak`
// (UTC, on the scenario's absolute clock) and bottoms out twelve hours later.
type DailyCurve struct {
	// The relative swing of the rate over the day (0.3: ±30%).
	Amplitude float64 `json:"amplitude"`
	Peak      string  `json:"peak,omitempty"` // "15:04", default "14:00"
}

// PeakOffset reads Peak, a time of day ("14:00"; empty is 14:00), as an
// offset from midnight.
func (d *DailyCurve) PeakOffset() (time.Duration, error) {
	if d.Peak == "" {
		return 14 * time.Hour, nil
	}
	t, err := time.Parse("15:04", d.Peak)
	if err != nil {
		return 0, fmt.Errorf("want a time of day such as \"14:00\", got %q", d.Peak)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Behaviour is how one version of the service answers requests.
type Behaviour struct {
	// ErrorRate is the share of 5xx answers. With Codes it rescales them: the
	// 5xx codes share errorRate, the others the rest, in their proportions.
	ErrorRate *float64 `json:"errorRate,omitempty"`
	// Codes is the share of each HTTP status code, e.g. {200: .98, 404: .01,
	// 503: .01}; shares add up to 1. Default {200: 1}, with errorRate as 503.
	Codes map[int]float64 `json:"codes,omitempty"`
	// Latency of the answers, fitted to a log-normal distribution.
	Latency *Latency `json:"latency,omitempty"`
}

// Latency is a response-time distribution given by two percentiles.
type Latency struct {
	// The median response time.
	P50 *Duration `json:"p50,omitempty"`
	// The 99th-percentile response time.
	P99 *Duration `json:"p99,omitempty"`
}

// TrafficEvent changes the load or a version's behaviour at a virtual time.
type TrafficEvent struct {
	// When the change happens, an offset from the update.
	At Duration `json:"at"`
	// The new request rate (requests per second).
	RPS *float64 `json:"rps,omitempty"`
	// Over turns the rps change into a linear ramp lasting this long.
	Over *Duration `json:"over,omitempty"`
	// The stable version's new behaviour.
	Stable *Behaviour `json:"stable,omitempty"`
	// The canary version's new behaviour.
	Canary *Behaviour `json:"canary,omitempty"`
	// Restart restarts processes, resetting their counters: stable or canary
	// (the version's pods: Istio sidecars), or gateway (the Envoy Gateway
	// proxy, or the Istio ingress gateway).
	Restart string `json:"restart,omitempty"`
}

// SeriesSpec is an extra raw series in promtool's input_series notation.
type SeriesSpec struct {
	// The series, as in promtool: metric{label="value"}.
	Series string `json:"series"`
	// The values in promtool's expanding notation, e.g. '0+5x120'.
	Values string `json:"values"`
	// Interval between values; default 1m, as promtool.
	Interval *Duration `json:"interval,omitempty"`
	// Start is the time of the first value, an offset from the update
	// (default 0s).
	Start *Duration `json:"start,omitempty"`
}
