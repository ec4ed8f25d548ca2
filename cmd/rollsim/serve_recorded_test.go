package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// rollsim serve answers over spec.recorded too: the recorded series at their
// recorded times (t=0 is the recorded update), up to the recording's end.
func TestServeRecorded(t *testing.T) {
	var out bytes.Buffer
	ctx, prom, stop := startServe(t, &serveOptions{file: "../../scenarios/replay-canary-aborts.yaml", listen: "127.0.0.1:0", out: &out})
	at := time.Date(2026, 11, 24, 10, 2, 0, 0, time.UTC)
	val, _, _, err := prom.Query(ctx, `sum(rate(envoy_cluster_upstream_rq_xx{envoy_response_code_class="2"}[2m])) / sum(rate(envoy_cluster_upstream_rq_xx[2m]))`, at)
	if err != nil {
		t.Fatal(err)
	}
	// The value the replayed analysis measured at t=2m.
	if v, ok := val.(model.Vector); !ok || len(v) != 1 || float64(v[0].Value) != 0.948225186524983 {
		t.Errorf("query: %v", val)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Bytes(), []byte("t=0 (the update) is 2026-11-24T10:00:00Z; samples from 2026-11-24T09:00:00Z to 2026-11-24T11:00:00Z")) {
		t.Errorf("banner: %s", out.String())
	}
}
