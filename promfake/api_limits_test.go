package promfake

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// The status endpoints client libraries and Grafana's "Save & test" call.
func TestAPIStatusEndpoints(t *testing.T) {
	srv, client := apiServer(t)
	ctx := context.Background()
	bi, err := client.Buildinfo(ctx)
	if err != nil || bi.Version != PrometheusVersion || bi.GoVersion != runtime.Version() {
		t.Errorf("buildinfo: %+v %v", bi, err)
	}
	cfg, err := client.Config(ctx)
	if err != nil || !strings.Contains(cfg.YAML, "scrape_interval: 15s") {
		t.Errorf("config: %+v %v", cfg, err)
	}
	flags, err := client.Flags(ctx)
	if err != nil || flags["query.timeout"] != "2m" || flags["query.max-concurrency"] != "20" || flags["query.max-samples"] != "5000000" || flags["query.lookback-delta"] != "5m" {
		t.Errorf("flags: %v %v", flags, err)
	}
	md, err := client.Metadata(ctx, "", "")
	if err != nil || len(md) != 0 {
		t.Errorf("metadata: %v %v", md, err)
	}
	ex, err := client.QueryExemplars(ctx, "envoy_cluster_upstream_rq_total", t0, t0.Add(time.Hour))
	if err != nil || len(ex) != 0 {
		t.Errorf("exemplars: %v %v", ex, err)
	}
	for path, want := range map[string]string{"/-/healthy": "Prometheus Server is Healthy.\n", "/-/ready": "Prometheus Server is Ready.\n"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != want {
			t.Errorf("%s: %d %q", path, resp.StatusCode, b)
		}
	}
}

// slowQuery runs long enough on the seed store to hit short timeouts
// (about a million subquery steps).
const slowQuery = `max_over_time(envoy_cluster_upstream_rq_total[1h:4ms])`

func TestAPIQueryBounds(t *testing.T) {
	s := seedStore(t, time.Hour, steady(85, 15))
	a := &API{Engine: NewEngine(), Store: s, Now: func() time.Time { return t0.Add(time.Hour) }, Timeout: 50 * time.Millisecond, MaxConcurrency: 1}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	c, err := api.NewClient(api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	client := v1.NewAPI(c)
	ctx := context.Background()

	// The server's timeout: the engine's own words, errorType timeout, 503.
	start := time.Now()
	code, body := get(t, srv, "/api/v1/query", url.Values{"query": {slowQuery}})
	if code != 503 || !strings.HasPrefix(body, `{"status":"error","errorType":"timeout","error":"query timed out in `) {
		t.Errorf("timeout: %d %s", code, body)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("timed out after %s", took)
	}
	// The request's own shorter timeout.
	a2 := &API{Engine: a.Engine, Store: s, Now: a.Now}
	srv2 := httptest.NewServer(a2)
	t.Cleanup(srv2.Close)
	code, body = get(t, srv2, "/api/v1/query", url.Values{"query": {slowQuery}, "timeout": {"10ms"}})
	if code != 503 || !strings.Contains(body, `"errorType":"timeout"`) {
		t.Errorf("timeout parameter: %d %s", code, body)
	}
	// Through the client library: as from Prometheus, a 503 is a
	// server_error with the answer as detail.
	_, _, _, err = client.Query(ctx, slowQuery, t0.Add(time.Hour))
	var apiErr *v1.Error
	if !errors.As(err, &apiErr) || apiErr.Type != v1.ErrServer || !strings.Contains(apiErr.Detail, `"errorType":"timeout"`) {
		t.Errorf("client: %#v", err)
	}

	// A client that goes away cancels its query.
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, _, _, err := v1.NewAPI(must(api.NewClient(api.Config{Address: srv2.URL}))).Query(cctx, slowQuery, t0.Add(time.Hour))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("canceled: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the canceled query did not return")
	}

	// Over the concurrency limit, a query waits in the queue and times out
	// there.
	a.slotsOnce.Do(func() { a.slots = make(chan struct{}, 1) })
	a.slots <- struct{}{}
	code, body = get(t, srv, "/api/v1/query", url.Values{"query": {"1"}})
	<-a.slots
	if code != 503 || body != `{"status":"error","errorType":"timeout","error":"query timed out in query queue"}` {
		t.Errorf("queue: %d %s", code, body)
	}

	// Engine limits answer as errors, never a crash.
	code, body = get(t, srv2, "/api/v1/query", url.Values{"query": {`max_over_time(envoy_cluster_upstream_rq_total[30d:1ms])`}})
	if code != 400 || !strings.Contains(body, `"errorType":"bad_data","error":"invalid parameter \"query\": exceeded maximum resolution of 1,000,000 points per subquery`) {
		t.Errorf("subquery: %d %s", code, body)
	}
	code, body = get(t, srv2, "/api/v1/query", url.Values{"query": {`count_over_time({__name__=~".+"}[1h:4ms])`}})
	if code != 422 || body != `{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"}` {
		t.Errorf("samples: %d %s", code, body)
	}
	code, body = get(t, srv2, "/api/v1/query", url.Values{"query": {strings.Repeat("(", 100_000) + "1" + strings.Repeat(")", 100_000)}})
	if code != 400 || body != `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": query too long: 200001 bytes, the limit is 65536 bytes"}` {
		t.Errorf("long: %d %s", code, body)
	}

	// A body over MaxRequestBytes.
	resp, err := http.Post(srv2.URL+"/api/v1/query", "application/x-www-form-urlencoded", strings.NewReader("query="+strings.Repeat("1", MaxRequestBytes)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), `"errorType":"bad_data","error":"error parsing form values: http: request body too large"`) {
		t.Errorf("large body: %d %s", resp.StatusCode, b)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
