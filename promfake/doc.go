// Package promfake is the embedded Prometheus of the simulator.
//
// It owns four things:
//
//   - series storage: [Store], an append-only, in-memory set of float series
//     addressed by label set, that implements storage.Queryable so the
//     upstream PromQL engine can read it directly; samples written
//     [Store.Tentatively] are seen only through [Store.WithTentative] until
//     confirmed or discarded;
//   - PromQL evaluation: [Engine], a thin wrapper over the upstream
//     promql.Engine (github.com/prometheus/prometheus/promql) configured like
//     a default Prometheus server (5m lookback, @ modifier and negative offsets
//     enabled, 1m default subquery step), so query semantics are upstream's.
//     It parses each distinct query once (a bounded LRU) and hands the engine
//     a deep copy of the tree per evaluation, since the engine rewrites the
//     tree it evaluates; and it bounds queries: [MaxSamples], [MaxSubquerySteps],
//     [MaxQueryLength], [MaxQueryNesting], [MaxQueryOperators];
//   - synthetic exporter series: writers such as [EnvoyCluster] that append
//     what a real Prometheus would have scraped from an exporter (here the
//     Envoy proxies of Envoy Gateway) at the virtual times the simulator asks
//     for;
//   - recorded series: [LoadRecorded] replays samples exported from a real
//     Prometheus (OpenMetrics backfill text, query/query_range JSON,
//     `promtool tsdb dump` output) on the virtual clock, and
//     [WriteOpenMetrics], [WriteDump] and [WriteQueryJSON] write them.
//
// What it must not do: read the wall clock (every timestamp is a virtual time
// passed in by the caller; the only wall-clock uses are inside the upstream
// engine, for its own timing statistics and its generous query timeout, and
// in [API], whose query timeout and queue guard the HTTP server), touch the
// network or the file system (recordings come in as an io.Reader), or start
// goroutines of its own beyond what the promql package needs. It does not
// import the prometheus tsdb package: samples live in plain slices and are
// served through storage.NewListSeriesIterator (textparse, for OpenMetrics
// recordings, brings only gogo/protobuf).
//
// Times are limited to what int64 nanoseconds can represent (years 1677 to
// 2262), because the engine converts evaluation times with UnixNano; times
// outside that range are rejected with an error rather than silently wrapped.
package promfake
