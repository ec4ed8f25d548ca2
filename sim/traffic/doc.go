// Package traffic is the request load of a scenario and what exporters would
// count of it: at every scrape the model splits the requests between the
// stable and canary versions (by the traffic router's weight, or by Ready pods
// as kube-proxy spreads them), answers them with each version's status codes
// and latencies, and writes Envoy Gateway or Istio series into a promfake
// store. It also loads the scenario's extra series (spec.series).
//
// The run loop drives it through New, the setters and Scrape; it never reads
// the API server. Ahead writes the coming scrapes early, as tentative samples,
// for batches of queries: Scrape confirms each when its time comes with the
// same pods, and any change drops them and puts the counters and random
// streams back, so a run scrapes the same with or without.
package traffic
