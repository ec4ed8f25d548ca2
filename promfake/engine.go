package promfake

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/annotations"
)

// Engine settings. They mirror a default Prometheus server, except the
// timeout, which only guards against a runaway query: results must not
// depend on how fast the host is.
const (
	// LookbackDelta is how far back an instant vector selector looks for a
	// sample (Prometheus' --query.lookback-delta default).
	LookbackDelta = 5 * time.Minute
	// DefaultSubqueryStep is the step of a subquery written without one,
	// such as x[5m:] (Prometheus' default global evaluation_interval).
	DefaultSubqueryStep = time.Minute
	// MaxSamples is the most samples a query may hold in memory at once
	// (Prometheus' --query.max-samples default).
	MaxSamples = 50_000_000
	// queryTimeout is the engine's wall-clock guard; a zero value would make
	// every query fail.
	queryTimeout = time.Hour
)

// Engine evaluates PromQL with the upstream engine. It holds no state between
// queries (parsed queries are never cached: the engine rewrites the AST) and
// is safe for concurrent use.
type Engine struct {
	ng *promql.Engine
}

// NewEngine returns an engine configured like a default Prometheus server.
func NewEngine() *Engine {
	return &Engine{ng: promql.NewEngine(engineOpts())}
}

func engineOpts() promql.EngineOpts {
	step := DefaultSubqueryStep.Milliseconds()
	return promql.EngineOpts{
		MaxSamples:               MaxSamples,
		Timeout:                  queryTimeout,
		LookbackDelta:            LookbackDelta,
		NoStepSubqueryIntervalFn: func(int64) int64 { return step },
		EnableAtModifier:         true,
		EnableNegativeOffset:     true,
	}
}

// Result is what a query returned: the promql value (promql.Vector,
// promql.Scalar, promql.Matrix or promql.String) and the engine's annotations
// as strings, each list sorted so that results are deterministic. Warnings
// and Infos are kept apart as in the Prometheus HTTP API.
type Result struct {
	Value    parser.Value
	Warnings []string
	Infos    []string
}

// Errors for range parameters, worded as the Prometheus HTTP API words them
// (the engine itself does not check these).
var (
	errBadStep  = errors.New("zero or negative query resolution step widths are not accepted. Try a positive integer")
	errEndStart = errors.New("end timestamp must not be before start time")
)

// InvalidQueryError is an error building a query (a PromQL parse error, a
// disabled feature) rather than running it; the HTTP API answers it with
// bad_data. Its message is the engine's own.
type InvalidQueryError struct{ Err error }

func (e *InvalidQueryError) Error() string { return e.Err.Error() }
func (e *InvalidQueryError) Unwrap() error { return e.Err }

// Instant evaluates query at time at against q. Errors, including parse
// errors, are the engine's own.
func (e *Engine) Instant(ctx context.Context, q storage.Queryable, query string, at time.Time) (Result, error) {
	if err := checkTime(at); err != nil {
		return Result{}, err
	}
	qry, err := e.ng.NewInstantQuery(ctx, q, nil, query, at)
	if err != nil {
		return Result{}, &InvalidQueryError{Err: err}
	}
	return run(ctx, qry, query)
}

// Range evaluates query at start, start+step, ... up to end (inclusive)
// against q and returns a promql.Matrix.
func (e *Engine) Range(ctx context.Context, q storage.Queryable, query string, start, end time.Time, step time.Duration) (Result, error) {
	if err := checkTime(start); err != nil {
		return Result{}, err
	}
	if err := checkTime(end); err != nil {
		return Result{}, err
	}
	if step <= 0 {
		return Result{}, errBadStep
	}
	if end.Before(start) {
		return Result{}, errEndStart
	}
	qry, err := e.ng.NewRangeQuery(ctx, q, nil, query, start, end, step)
	if err != nil {
		return Result{}, &InvalidQueryError{Err: err}
	}
	return run(ctx, qry, query)
}

func run(ctx context.Context, qry promql.Query, query string) (Result, error) {
	res := qry.Exec(ctx)
	var r Result
	r.Warnings, r.Infos = annotationStrings(res.Warnings, query)
	if res.Err != nil {
		qry.Close()
		return r, res.Err
	}
	r.Value = res.Value
	// Close hands the point slices of a matrix back to the engine's pools,
	// which would corrupt a returned Matrix; other values are copies.
	if _, isMatrix := res.Value.(promql.Matrix); !isMatrix {
		qry.Close()
	}
	return r, nil
}

func annotationStrings(a annotations.Annotations, query string) (warnings, infos []string) {
	if len(a) == 0 {
		return nil, nil
	}
	warnings, infos = a.AsStrings(query, 0, 0)
	slices.Sort(warnings)
	slices.Sort(infos)
	if len(warnings) == 0 {
		warnings = nil
	}
	if len(infos) == 0 {
		infos = nil
	}
	return warnings, infos
}
