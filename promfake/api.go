package promfake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
)

// API serves the read endpoints of the Prometheus HTTP API over a Store:
// /api/v1/query, /api/v1/query_range, /api/v1/series, /api/v1/labels and
// /api/v1/label/<name>/values, with GET or form-encoded POST, parameters
// and JSON answers as Prometheus has them, so that client_golang's API
// client, Grafana and curl work against it. Only float samples exist.
// It also answers what clients call to check a server: status/buildinfo,
// status/config, status/flags, metadata, query_exemplars (empty), /-/healthy
// and /-/ready.
//
// Queries are bounded as a Prometheus server bounds them: a timeout (the
// request's own timeout parameter if shorter), at most MaxConcurrency at
// once (others wait in a queue, within their timeout), cancellation when
// the client goes away, and the engine's limits. These use the wall clock:
// they guard the HTTP server, not the simulation.
type API struct {
	Engine *Engine
	Store  *Store
	// Now is the time of an instant query without a time parameter; the
	// simulator passes a virtual time, never the wall clock.
	Now func() time.Time
	// Timeout bounds each query (Prometheus' --query.timeout); zero is
	// DefaultQueryTimeout.
	Timeout time.Duration
	// MaxConcurrency is the most queries evaluated at once (Prometheus'
	// --query.max-concurrency); zero is DefaultMaxConcurrency.
	MaxConcurrency int

	slotsOnce sync.Once
	slots     chan struct{}
}

// Prometheus' defaults for the API's bounds.
const (
	DefaultQueryTimeout   = 2 * time.Minute
	DefaultMaxConcurrency = 20
	// MaxRequestBytes bounds a request's form-encoded body.
	MaxRequestBytes = 1 << 20
)

// PrometheusVersion is the Prometheus release whose engine answers
// (github.com/prometheus/prometheus v0.316.0 is Prometheus 3.16.0), as
// status/buildinfo reports it: clients pick features by it.
const PrometheusVersion = "3.16.0"

// apiError is an error answer: its errorType and message.
type apiError struct {
	typ string
	err error
}

const (
	errorBadData  = "bad_data"
	errorExec     = "execution"
	errorCanceled = "canceled"
	errorTimeout  = "timeout"
	errorInternal = "internal"
	errorNotFound = "not_found"
)

func badParam(name string, err error) *apiError {
	return &apiError{errorBadData, fmt.Errorf("invalid parameter %q: %w", name, err)}
}

// answer is a successful answer: the data JSON and annotations.
type answer struct {
	data     []byte
	warnings []string
	infos    []string
}

// ServeHTTP routes a request to an endpoint.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if (r.URL.Path == "/-/healthy" || r.URL.Path == "/-/ready") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		writeText(w, strings.TrimPrefix(r.URL.Path, "/-/"))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var ans answer
	var aerr *apiError
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBytes)
	}
	if err := r.ParseForm(); err != nil {
		writeAnswer(w, ans, &apiError{errorBadData, fmt.Errorf("error parsing form values: %w", err)})
		return
	}
	switch path := r.URL.Path; {
	case path == "/api/v1/query":
		ans, aerr = a.bounded(r, a.query)
	case path == "/api/v1/query_range":
		ans, aerr = a.bounded(r, a.queryRange)
	case path == "/api/v1/query_exemplars":
		ans = answer{data: []byte("[]")}
	case path == "/api/v1/metadata":
		ans = answer{data: []byte("{}")}
	case path == "/api/v1/status/buildinfo":
		ans = a.buildInfo()
	case path == "/api/v1/status/config":
		ans = a.config()
	case path == "/api/v1/status/flags":
		ans = a.flags()
	case path == "/api/v1/series":
		ans, aerr = a.series(r)
	case path == "/api/v1/labels":
		ans, aerr = a.labelNames(r)
	case strings.HasPrefix(path, "/api/v1/label/") && strings.HasSuffix(path, "/values"):
		name := strings.TrimSuffix(strings.TrimPrefix(path, "/api/v1/label/"), "/values")
		ans, aerr = a.labelValues(r, name)
	default:
		http.NotFound(w, r)
		return
	}
	writeAnswer(w, ans, aerr)
}

// writeText answers /-/healthy and /-/ready as Prometheus words them.
func writeText(w http.ResponseWriter, probe string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if probe == "healthy" {
		_, _ = io.WriteString(w, "Prometheus Server is Healthy.\n")
	} else {
		_, _ = io.WriteString(w, "Prometheus Server is Ready.\n")
	}
}

func (a *API) timeout() time.Duration {
	if a.Timeout > 0 {
		return a.Timeout
	}
	return DefaultQueryTimeout
}

func (a *API) maxConcurrency() int {
	if a.MaxConcurrency > 0 {
		return a.MaxConcurrency
	}
	return DefaultMaxConcurrency
}

// bounded runs a query endpoint within the query timeout (or the request's
// shorter timeout parameter) and a concurrency slot, as Prometheus does.
func (a *API) bounded(r *http.Request, endpoint func(*http.Request) (answer, *apiError)) (answer, *apiError) {
	timeout := a.timeout()
	if s := r.FormValue("timeout"); s != "" {
		d, err := parseDuration(s)
		if err != nil {
			return answer{}, badParam("timeout", err)
		}
		timeout = min(timeout, d)
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	a.slotsOnce.Do(func() { a.slots = make(chan struct{}, a.maxConcurrency()) })
	select {
	case a.slots <- struct{}{}:
		defer func() { <-a.slots }()
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return answer{}, &apiError{errorTimeout, promql.ErrQueryTimeout("query queue")}
		}
		return answer{}, &apiError{errorCanceled, promql.ErrQueryCanceled("query queue")}
	}
	return endpoint(r.WithContext(ctx))
}

func (a *API) buildInfo() answer {
	b := []byte(`{"version":`)
	b = appendString(b, PrometheusVersion)
	b = append(b, `,"revision":"rollsim","branch":"","buildUser":"rollsim","buildDate":"","goVersion":`...)
	b = appendString(b, runtime.Version())
	return answer{data: append(b, '}')}
}

func (a *API) config() answer {
	yaml := "global:\n  scrape_interval: 15s\n  scrape_timeout: 10s\n  evaluation_interval: " + model.Duration(DefaultSubqueryStep).String() + "\n"
	return answer{data: append(appendString([]byte(`{"yaml":`), yaml), '}')}
}

func (a *API) flags() answer {
	flags := [][2]string{
		{"query.lookback-delta", model.Duration(LookbackDelta).String()},
		{"query.max-concurrency", strconv.Itoa(a.maxConcurrency())},
		{"query.max-samples", strconv.Itoa(MaxSamples)},
		{"query.timeout", model.Duration(a.timeout()).String()},
	}
	b := []byte{'{'}
	for i, f := range flags {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f[0])
		b = append(b, ':')
		b = appendString(b, f[1])
	}
	return answer{data: append(b, '}')}
}

func writeAnswer(w http.ResponseWriter, ans answer, aerr *apiError) {
	b := make([]byte, 0, 256+len(ans.data))
	code := http.StatusOK
	if aerr != nil {
		b = append(b, `{"status":"error","errorType":`...)
		b = appendString(b, aerr.typ)
		b = append(b, `,"error":`...)
		b = appendString(b, aerr.err.Error())
		code = errorStatus(aerr.typ)
	} else {
		b = append(b, `{"status":"success","data":`...)
		b = append(b, ans.data...)
	}
	if len(ans.warnings) > 0 {
		b = append(b, `,"warnings":`...)
		b = appendStrings(b, ans.warnings)
	}
	if len(ans.infos) > 0 {
		b = append(b, `,"infos":`...)
		b = appendStrings(b, ans.infos)
	}
	b = append(b, '}')
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func errorStatus(typ string) int {
	switch typ {
	case errorBadData:
		return http.StatusBadRequest
	case errorExec:
		return http.StatusUnprocessableEntity
	case errorCanceled:
		return 499 // what Prometheus answers when the client went away
	case errorTimeout:
		return http.StatusServiceUnavailable
	case errorNotFound:
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

// Formatted bounds that client libraries send for "no limit" (Prometheus
// accepts them explicitly since Go's time parser cannot).
var (
	minTimeFormatted = time.Unix(math.MinInt64/1000+62135596801, 0).UTC().Format(time.RFC3339Nano)
	maxTimeFormatted = time.Unix(math.MaxInt64/1000-62135596801, 999999999).UTC().Format(time.RFC3339Nano)
)

// parseTime reads a time as Prometheus does: Unix seconds (with a fraction)
// or RFC 3339.
func parseTime(s string) (time.Time, error) {
	if t, err := strconv.ParseFloat(s, 64); err == nil {
		sec, frac := math.Modf(t)
		frac = math.Round(frac*1000) / 1000
		return time.Unix(int64(sec), int64(frac*float64(time.Second))).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	switch s {
	case minTimeFormatted:
		return minTime, nil
	case maxTimeFormatted:
		return maxTime, nil
	}
	return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", s)
}

func parseTimeParam(r *http.Request, name string, def time.Time) (time.Time, *apiError) {
	v := r.FormValue(name)
	if v == "" {
		return def, nil
	}
	t, err := parseTime(v)
	if err != nil {
		return time.Time{}, badParam(name, fmt.Errorf("invalid time value for '%s': %w", name, err))
	}
	return t, nil
}

func parseDuration(s string) (time.Duration, error) {
	if d, err := strconv.ParseFloat(s, 64); err == nil {
		ts := d * float64(time.Second)
		if math.IsNaN(ts) || ts >= float64(math.MaxInt64) || ts < float64(math.MinInt64) {
			return 0, fmt.Errorf("cannot parse %q to a valid duration. It overflows int64", s)
		}
		return time.Duration(ts), nil
	}
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d), nil
	}
	return 0, fmt.Errorf("cannot parse %q to a valid duration", s)
}

func parseLimit(r *http.Request) (int, *apiError) {
	s := r.FormValue("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, badParam("limit", err)
	}
	if n < 0 {
		return 0, badParam("limit", errors.New("limit must be non-negative"))
	}
	return n, nil
}

// queryError maps an engine error to the API's error types.
func queryError(err error) *apiError {
	var iq *InvalidQueryError
	switch {
	case errors.As(err, &iq):
		return badParam("query", iq.Err)
	case errors.Is(err, ErrTimeOutOfRange), errors.Is(err, errTooManyPoints):
		return &apiError{errorBadData, err}
	}
	var eqc promql.ErrQueryCanceled
	var eqt promql.ErrQueryTimeout
	var es promql.ErrStorage
	switch {
	case errors.As(err, &eqc), errors.Is(err, context.Canceled):
		return &apiError{errorCanceled, err}
	case errors.As(err, &eqt), errors.Is(err, context.DeadlineExceeded):
		return &apiError{errorTimeout, err}
	case errors.As(err, &es):
		return &apiError{errorInternal, err}
	}
	return &apiError{errorExec, err}
}

func truncated(res *Result, limit int) {
	if limit <= 0 {
		return
	}
	cut := false
	switch v := res.Value.(type) {
	case promql.Vector:
		if len(v) > limit {
			res.Value, cut = v[:limit], true
		}
	case promql.Matrix:
		if len(v) > limit {
			res.Value, cut = v[:limit], true
		}
	}
	if cut {
		res.Warnings = append(res.Warnings, "results truncated due to limit")
	}
}

func (a *API) query(r *http.Request) (answer, *apiError) {
	limit, aerr := parseLimit(r)
	if aerr != nil {
		return answer{}, aerr
	}
	now := time.Time{}
	if a.Now != nil {
		now = a.Now()
	}
	ts, aerr := parseTimeParam(r, "time", now)
	if aerr != nil {
		return answer{}, aerr
	}
	res, err := a.Engine.Instant(r.Context(), a.Store, r.FormValue("query"), ts)
	if err != nil {
		return answer{warnings: res.Warnings, infos: res.Infos}, queryError(err)
	}
	truncated(&res, limit)
	return resultAnswer(res)
}

func resultAnswer(res Result) (answer, *apiError) {
	data, err := QueryDataJSON(res.Value)
	if err != nil {
		return answer{}, &apiError{errorInternal, err}
	}
	return answer{data: data, warnings: res.Warnings, infos: res.Infos}, nil
}

func (a *API) queryRange(r *http.Request) (answer, *apiError) {
	limit, aerr := parseLimit(r)
	if aerr != nil {
		return answer{}, aerr
	}
	start, err := parseTime(r.FormValue("start"))
	if err != nil {
		return answer{}, badParam("start", err)
	}
	end, err := parseTime(r.FormValue("end"))
	if err != nil {
		return answer{}, badParam("end", err)
	}
	if end.Before(start) {
		return answer{}, badParam("end", errEndStart)
	}
	step, err := parseDuration(r.FormValue("step"))
	if err != nil {
		return answer{}, badParam("step", err)
	}
	if step <= 0 {
		return answer{}, badParam("step", errBadStep)
	}
	if end.Sub(start)/step > maxPoints {
		return answer{}, &apiError{errorBadData, errTooManyPoints}
	}
	res, err := a.Engine.Range(r.Context(), a.Store, r.FormValue("query"), start, end, step)
	if err != nil {
		return answer{warnings: res.Warnings, infos: res.Infos}, queryError(err)
	}
	truncated(&res, limit)
	return resultAnswer(res)
}

// selection reads start, end and match[] (optional unless required) and
// calls f for every selected series, each once, in label order.
func (a *API) selection(r *http.Request, required bool, f func(labels.Labels)) *apiError {
	if err := r.ParseForm(); err != nil {
		return &apiError{errorBadData, fmt.Errorf("error parsing form values: %w", err)}
	}
	matches := r.Form["match[]"]
	if required && len(matches) == 0 {
		return &apiError{errorBadData, errors.New("no match[] parameter provided")}
	}
	start, aerr := parseTimeParam(r, "start", minTime)
	if aerr != nil {
		return aerr
	}
	end, aerr := parseTimeParam(r, "end", maxTime)
	if aerr != nil {
		return aerr
	}
	sets, err := notationParser.ParseMetricSelectors(matches)
	if err != nil {
		return badParam("match[]", err)
	}
	if len(sets) == 0 {
		sets = [][]*labels.Matcher{{labels.MustNewMatcher(labels.MatchRegexp, labels.MetricName, ".+")}}
	}
	q, err := a.Store.Querier(millis(start), millis(end))
	if err != nil {
		return &apiError{errorExec, err}
	}
	defer q.Close()
	var all []labels.Labels
	for _, ms := range sets {
		ss := q.Select(r.Context(), true, &storage.SelectHints{Start: millis(start), End: millis(end), Func: "series"}, ms...)
		for ss.Next() {
			all = append(all, ss.At().Labels())
		}
		if err := ss.Err(); err != nil {
			return &apiError{errorExec, err}
		}
	}
	slices.SortFunc(all, labels.Compare)
	all = slices.CompactFunc(all, labels.Equal)
	for _, ls := range all {
		f(ls)
	}
	return nil
}

// millis converts a time to milliseconds, saturating at the int64 range.
func millis(t time.Time) int64 {
	switch {
	case !t.After(minTime):
		return math.MinInt64
	case !t.Before(maxTime):
		return math.MaxInt64
	}
	return t.UnixMilli()
}

func (a *API) series(r *http.Request) (answer, *apiError) {
	limit, aerr := parseLimit(r)
	if aerr != nil {
		return answer{}, aerr
	}
	b := []byte{'['}
	n := 0
	var warnings []string
	aerr = a.selection(r, true, func(ls labels.Labels) {
		if limit > 0 && n >= limit {
			if n == limit {
				warnings = []string{"results truncated due to limit"}
			}
			n++
			return
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = appendLabels(b, ls)
		n++
	})
	if aerr != nil {
		return answer{}, aerr
	}
	return answer{data: append(b, ']'), warnings: warnings}, nil
}

func (a *API) labelNames(r *http.Request) (answer, *apiError) {
	limit, aerr := parseLimit(r)
	if aerr != nil {
		return answer{}, aerr
	}
	seen := map[string]bool{}
	aerr = a.selection(r, false, func(ls labels.Labels) {
		ls.Range(func(l labels.Label) { seen[l.Name] = true })
	})
	if aerr != nil {
		return answer{}, aerr
	}
	return sortedAnswer(seen, limit), nil
}

func (a *API) labelValues(r *http.Request, name string) (answer, *apiError) {
	if strings.HasPrefix(name, "U__") {
		name = model.UnescapeName(name, model.ValueEncodingEscaping)
	}
	if !model.UTF8Validation.IsValidLabelName(name) {
		return answer{}, &apiError{errorBadData, fmt.Errorf("invalid label name: %q", name)}
	}
	limit, aerr := parseLimit(r)
	if aerr != nil {
		return answer{}, aerr
	}
	seen := map[string]bool{}
	aerr = a.selection(r, false, func(ls labels.Labels) {
		if v := ls.Get(name); v != "" {
			seen[v] = true
		}
	})
	if aerr != nil {
		return answer{}, aerr
	}
	return sortedAnswer(seen, limit), nil
}

func sortedAnswer(set map[string]bool, limit int) answer {
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	var warnings []string
	if limit > 0 && len(out) > limit {
		out = out[:limit]
		warnings = []string{"results truncated due to limit"}
	}
	return answer{data: appendStrings(nil, out), warnings: warnings}
}
