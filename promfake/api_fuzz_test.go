package promfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzAPIQuery sends arbitrary queries and parameters through the HTTP
// handler, as `rollsim serve` receives them: every answer is JSON with
// status success or error (an error with an errorType and a message), with
// a status code that matches, within a bounded time; nothing panics.
func FuzzAPIQuery(f *testing.F) {
	for _, seed := range []struct {
		rangeQuery                   bool
		query, time, start, end, stp string
	}{
		{false, seedQuery, "", "", "", ""},
		{false, `queue_depth`, "1735689600", "", "", ""},
		{false, `max_over_time(envoy_cluster_upstream_rq_total[30d:1ms])`, "", "", "", ""},
		{false, `count_over_time({__name__=~".+"}[1h:4ms])`, "", "", "", ""},
		{false, `sum by (envoy_response_code) (rate(envoy_cluster_upstream_rq[1m] @ end()))`, "2025-01-01T00:30:00Z", "", "", ""},
		{false, `label_replace(up, "a", "$1", "b", "(.*")`, "", "", "", ""},
		{false, strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300), "", "", "", ""},
		{false, "1" + strings.Repeat("+1", 1001), "", "", "", ""},
		{false, `{__name__=~"(a|b|c)+.*x?"}[5m:]`, "-1e300", "", "", ""},
		{true, `rate(envoy_cluster_upstream_rq_total[1m])`, "", "1735689600", "1735693200", "15"},
		{true, `x[5m:1s]`, "", "0", "9e18", "1ms"},
		{true, `time()`, "", "1735689600", "1735689600.5", "-1"},
		{false, `histogram_quantile(0.99, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket[5m])))`, "", "", "", ""},
		{false, `"\xff"`, "nope", "", "", ""},
	} {
		f.Add(seed.rangeQuery, seed.query, seed.time, seed.start, seed.end, seed.stp)
	}
	s := seedStore(f, 10*time.Minute, steady(85, 15))
	if err := LoadSeriesNotation(s, `queue_depth{app="x"}`, "0+5x10", t0, time.Minute); err != nil {
		f.Fatal(err)
	}
	a := &API{Engine: NewEngine(), Store: s, Now: func() time.Time { return t0.Add(10 * time.Minute) }, Timeout: 2 * time.Second}
	f.Fuzz(func(t *testing.T, rangeQuery bool, query, ts, start, end, step string) {
		params := url.Values{"query": {query}}
		path := "/api/v1/query"
		if rangeQuery {
			path = "/api/v1/query_range"
			params.Set("start", start)
			params.Set("end", end)
			params.Set("step", step)
		} else if ts != "" {
			params.Set("time", ts)
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(params.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		began := time.Now()
		a.ServeHTTP(rec, req)
		if took := time.Since(began); took > 10*time.Second {
			t.Errorf("%s %q took %s", path, query, took)
		}
		var ans struct {
			Status    string          `json:"status"`
			Data      json.RawMessage `json:"data"`
			ErrorType string          `json:"errorType"`
			Error     string          `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
			t.Fatalf("%s %q: not JSON (%v): %s", path, query, err, rec.Body.Bytes())
		}
		switch ans.Status {
		case "success":
			if rec.Code != http.StatusOK || len(ans.Data) == 0 {
				t.Errorf("%s %q: success with code %d, data %s", path, query, rec.Code, ans.Data)
			}
		case "error":
			if ans.ErrorType == "" || ans.Error == "" || rec.Code != errorStatus(ans.ErrorType) || rec.Code == http.StatusOK {
				t.Errorf("%s %q: error answer %d %s", path, query, rec.Code, rec.Body.Bytes())
			}
		default:
			t.Errorf("%s %q: status %q", path, query, ans.Status)
		}
	})
}
