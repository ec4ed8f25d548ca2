package promfake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// apiServer serves the seed's Envoy counters (1h of 15s scrapes, 85% success)
// plus a promtool-notation gauge through the HTTP API.
func apiServer(t *testing.T) (*httptest.Server, v1.API) {
	t.Helper()
	s := seedStore(t, time.Hour, steady(85, 15))
	if err := LoadSeriesNotation(s, `queue_depth{app="x"}`, "0+5x60", t0, time.Minute); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&API{Engine: NewEngine(), Store: s, Now: func() time.Time { return t0.Add(time.Hour) }})
	t.Cleanup(srv.Close)
	c, err := api.NewClient(api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return srv, v1.NewAPI(c)
}

// The upstream client library reads every endpoint's answers.
func TestAPIWithUpstreamClient(t *testing.T) {
	_, client := apiServer(t)
	ctx := context.Background()
	at := t0.Add(time.Hour)

	val, warnings, _, err := client.Query(ctx, seedQuery, at)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("query: %v %v", err, warnings)
	}
	vec, ok := val.(model.Vector)
	if !ok || len(vec) != 1 || float64(vec[0].Value) != 0.85 || !vec[0].Timestamp.Time().Equal(at) || len(vec[0].Metric) != 0 {
		t.Errorf("query: %#v", val)
	}

	// Without a time, the API's Now.
	val, _, _, err = client.Query(ctx, `queue_depth`, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if vec := val.(model.Vector); len(vec) != 1 || vec[0].Value != 300 || vec[0].Metric["app"] != "x" {
		t.Errorf("query at now: %v", vec)
	}

	// Scalars and strings.
	val, _, _, err = client.Query(ctx, `scalar(queue_depth) * 2`, at)
	if err != nil {
		t.Fatal(err)
	}
	if sc, ok := val.(*model.Scalar); !ok || sc.Value != 600 || !sc.Timestamp.Time().Equal(at) {
		t.Errorf("scalar: %#v", val)
	}
	// (client_golang does not read string results; TestAPIJSON checks them.)

	// A range query: one point a minute over the last 10 minutes.
	val, _, _, err = client.QueryRange(ctx, seedQuery, v1.Range{Start: at.Add(-10 * time.Minute), End: at, Step: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	mat, ok := val.(model.Matrix)
	if !ok || len(mat) != 1 || len(mat[0].Values) != 11 {
		t.Fatalf("range: %v", val)
	}
	for _, p := range mat[0].Values {
		if p.Value != 0.85 {
			t.Errorf("range point %v", p)
		}
	}

	// A range selector in an instant query answers a matrix.
	val, _, _, err = client.Query(ctx, `queue_depth[3m]`, at)
	if err != nil {
		t.Fatal(err)
	}
	if mat, ok := val.(model.Matrix); !ok || len(mat) != 1 || len(mat[0].Values) != 3 {
		t.Errorf("range selector: %v", val)
	}

	series, _, _, err := client.Series(ctx, []string{`envoy_cluster_upstream_rq_total`, `{app="x"}`}, t0, at)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ls := range series {
		names = append(names, string(ls["__name__"])+"/"+string(ls["envoy_cluster_name"]))
	}
	want := "envoy_cluster_upstream_rq_total/httproute/joel-test/backend-eg/rule/0 envoy_cluster_upstream_rq_total/httproute/joel-test/other/rule/0 queue_depth/"
	if strings.Join(names, " ") != want {
		t.Errorf("series: %q", names)
	}

	labelNames, _, _, err := client.LabelNames(ctx, []string{`queue_depth`}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(labelNames) != "__name__, app" {
		t.Errorf("labels: %q", labelNames)
	}
	all, _, _, err := client.LabelNames(ctx, nil, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(all) != "__name__, app, envoy_cluster_name, envoy_response_code, envoy_response_code_class, job, le, namespace, pod" {
		t.Errorf("all labels: %q", all)
	}
	values, _, _, err := client.LabelValues(ctx, "envoy_response_code_class", nil, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(values) != 2 || values[0] != "2" || values[1] != "5" {
		t.Errorf("label values: %v", values)
	}
	// Outside every sample: nothing.
	values, _, _, err = client.LabelValues(ctx, "app", nil, t0.Add(-time.Hour), t0.Add(-time.Minute))
	if err != nil || len(values) != 0 {
		t.Errorf("label values before the data: %v %v", values, err)
	}

	// Annotations: infos apart from warnings.
	_, warnings, infos, err := client.Query(ctx, `rate(queue_depth[5m])`, at)
	if err != nil || len(warnings) != 0 || len(infos) != 1 || !strings.Contains(infos[0], "might not be a counter") {
		t.Errorf("annotations: %q %q %v", warnings, infos, err)
	}

	// Errors come back typed as Prometheus types them.
	_, _, _, err = client.Query(ctx, `sum(`, at)
	var apiErr *v1.Error
	if !errors.As(err, &apiErr) || apiErr.Type != v1.ErrBadData || !strings.HasPrefix(apiErr.Msg, `invalid parameter "query": 1:5: parse error`) {
		t.Errorf("parse error: %#v", err)
	}
	_, _, _, err = client.Query(ctx, `envoy_cluster_upstream_rq_total / on() envoy_cluster_upstream_rq_total`, at)
	if !errors.As(err, &apiErr) || apiErr.Type != v1.ErrExec || !strings.Contains(apiErr.Msg, "many-to-many matching not allowed") {
		t.Errorf("execution error: %#v", err)
	}
	_, _, _, err = client.QueryRange(ctx, seedQuery, v1.Range{Start: at, End: at.Add(-time.Minute), Step: time.Minute})
	if !errors.As(err, &apiErr) || apiErr.Type != v1.ErrBadData || apiErr.Msg != `invalid parameter "end": end timestamp must not be before start time` {
		t.Errorf("range error: %#v", err)
	}
}

// get fetches a raw answer.
func get(t *testing.T, srv *httptest.Server, path string, params url.Values) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path + "?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 404 && ct != "application/json" {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	return resp.StatusCode, string(b)
}

// The JSON is Prometheus' byte for byte: key order, number formats, errors.
func TestAPIJSON(t *testing.T) {
	srv, _ := apiServer(t)
	unix := func(d time.Duration) string {
		return strconv.FormatFloat(float64(t0.Add(d).UnixMilli())/1000, 'f', -1, 64)
	}
	ts := strconv.FormatInt(t0.Unix(), 10)
	for _, tc := range []struct {
		path   string
		params url.Values
		code   int
		want   string
	}{
		{"/api/v1/query", url.Values{"query": {`queue_depth`}, "time": {unix(90*time.Second + 15*time.Millisecond)}}, 200,
			`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"queue_depth","app":"x"},"value":[` + strconv.FormatInt(t0.Unix()+90, 10) + `.015,"5"]}]}}`},
		{"/api/v1/query", url.Values{"query": {`queue_depth / 0`}, "time": {unix(time.Minute)}}, 200,
			`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"app":"x"},"value":[` + strconv.FormatInt(t0.Unix()+60, 10) + `,"+Inf"]}]}}`},
		{"/api/v1/query", url.Values{"query": {`queue_depth * 1e-9`}, "time": {unix(time.Minute)}}, 200,
			`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"app":"x"},"value":[` + strconv.FormatInt(t0.Unix()+60, 10) + `,"5e-09"]}]}}`},
		{"/api/v1/query", url.Values{"query": {`nothing`}, "time": {ts}}, 200,
			`{"status":"success","data":{"resultType":"vector","result":[]}}`},
		{"/api/v1/query", url.Values{"query": {`1.5`}, "time": {ts + ".5"}}, 200,
			`{"status":"success","data":{"resultType":"scalar","result":[` + ts + `.500,"1.5"]}}`},
		{"/api/v1/query", url.Values{"query": {`"hello"`}, "time": {ts + ".05"}}, 200,
			`{"status":"success","data":{"resultType":"string","result":[` + ts + `.050,"hello"]}}`},
		{"/api/v1/query_range", url.Values{"query": {`queue_depth`}, "start": {ts}, "end": {unix(2 * time.Minute)}, "step": {"60"}}, 200,
			`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"queue_depth","app":"x"},"values":[[` + ts + `,"0"],[` + unix(time.Minute) + `,"5"],[` + unix(2*time.Minute) + `,"10"]]}]}}`},
		{"/api/v1/query", url.Values{"query": {`queue_depth`}, "time": {ts}, "limit": {"-1"}}, 400,
			`{"status":"error","errorType":"bad_data","error":"invalid parameter \"limit\": limit must be non-negative"}`},
		{"/api/v1/query", url.Values{"query": {`x`}, "time": {"yesterday"}}, 400,
			`{"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": invalid time value for 'time': cannot parse \"yesterday\" to a valid timestamp"}`},
		{"/api/v1/query_range", url.Values{"query": {`x`}, "start": {"0"}, "end": {"100000"}, "step": {"1"}}, 400,
			`{"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"}`},
		{"/api/v1/query_range", url.Values{"query": {`x`}, "start": {"0"}, "end": {"100"}, "step": {"0"}}, 400,
			`{"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"}`},
		{"/api/v1/series", url.Values{}, 400,
			`{"status":"error","errorType":"bad_data","error":"no match[] parameter provided"}`},
		{"/api/v1/series", url.Values{"match[]": {`{app="x"}`}}, 200,
			`{"status":"success","data":[{"__name__":"queue_depth","app":"x"}]}`},
		{"/api/v1/series", url.Values{"match[]": {`envoy_cluster_upstream_rq_total`}, "limit": {"1"}}, 200,
			`{"status":"success","data":[{"__name__":"envoy_cluster_upstream_rq_total","envoy_cluster_name":"httproute/joel-test/backend-eg/rule/0","job":"kubernetes-pods","namespace":"envoy-gateway-system","pod":"envoy-default-eg-e41e7b31-7d9c6b7f4-x2x9q"}],"warnings":["results truncated due to limit"]}`},
		{"/api/v1/labels", url.Values{"match[]": {`queue_depth`}}, 200,
			`{"status":"success","data":["__name__","app"]}`},
		{"/api/v1/label/app/values", url.Values{}, 200,
			`{"status":"success","data":["x"]}`},
		{"/api/v1/label/nope/values", url.Values{}, 200,
			`{"status":"success","data":[]}`},
		{"/api/v1/label/__name__/values", url.Values{"match[]": {`{app="x"}`}}, 200,
			`{"status":"success","data":["queue_depth"]}`},
	} {
		code, body := get(t, srv, tc.path, tc.params)
		if code != tc.code || body != tc.want {
			t.Errorf("%s?%s:\n got %d %s\nwant %d %s", tc.path, tc.params.Encode(), code, body, tc.code, tc.want)
		}
	}
	if code, _ := get(t, srv, "/api/v1/nope", nil); code != 404 {
		t.Errorf("unknown path: %d", code)
	}
}
