package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// rollsim serve answers the upstream client on loopback, with the scenario's
// clock (t=0 at the scenario's epoch), and stops when its context ends.
func TestServe(t *testing.T) {
	var out bytes.Buffer
	ctx, prom, stop := startServe(t, &serveOptions{file: "../../scenarios/inline-analysis-abort.yaml", listen: "127.0.0.1:0", out: &out,
		until: 20 * time.Minute, untilSet: true})
	at := time.Date(2025, 1, 1, 0, 5, 0, 0, time.UTC)
	val, _, _, err := prom.Query(ctx, `sum(irate(envoy_cluster_upstream_rq_xx{envoy_response_code_class="2"}[1m])) / sum(irate(envoy_cluster_upstream_rq_xx[1m]))`, at)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := val.(model.Vector); !ok || len(v) != 1 || v[0].Value < 0.7 || v[0].Value > 0.95 || !v[0].Timestamp.Time().Equal(at) {
		t.Errorf("query: %v", val)
	}
	// What Grafana's "Save & test" reads, and the flags' bounds.
	if bi, err := prom.Buildinfo(ctx); err != nil || bi.Version == "" {
		t.Errorf("buildinfo: %+v %v", bi, err)
	}
	if flags, err := prom.Flags(ctx); err != nil || flags["query.timeout"] != "2m" || flags["query.max-concurrency"] != "20" {
		t.Errorf("flags: %v %v", flags, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Bytes(), []byte("t=0 (the update) is 2025-01-01T00:00:00Z; samples from 2024-12-31T23:45:00Z to 2025-01-01T00:20:00Z")) {
		t.Errorf("banner: %s", out.String())
	}
	for _, bad := range []*serveOptions{{listen: "127.0.0.1:0", queryTimeout: -time.Second}, {listen: "127.0.0.1:0", maxConcurrency: -1}} {
		if err := bad.validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	for _, bad := range []string{"0.0.0.0:9090", "example.com:80", "nope"} {
		if err := (&serveOptions{listen: bad}).validate(); err == nil {
			t.Errorf("--listen %s accepted", bad)
		}
	}
}

// startServe runs o in the background and returns a context that lives as
// long as the server, a Prometheus API client of its address, and stop,
// which ends it and returns run's error.
func startServe(t *testing.T, o *serveOptions) (context.Context, v1.API, func() error) {
	t.Helper()
	addrc := make(chan string, 1)
	o.ready = func(a string) { addrc <- a }
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.run(ctx) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		cancel()
		t.Fatal(err)
	}
	c, err := api.NewClient(api.Config{Address: "http://" + addr})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return ctx, v1.NewAPI(c), func() error { cancel(); return <-done }
}
