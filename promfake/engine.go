package promfake

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
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
	// (Prometheus' --query.max-samples). Prometheus' default, 50,000,000,
	// lets one query take several GB; at 5,000,000 the worst queries measured
	// stay under 1 GB. Over it a query fails with the engine's own "query
	// processing would load too many samples into memory in query execution".
	MaxSamples = 5_000_000
	// MaxSubquerySteps is the most evaluation steps a subquery may take
	// (over the parent's whole range). The engine allocates per-step
	// statistics for a subquery before it evaluates anything (8 bytes a
	// step: x[30d:1ms] asks for 20 GB at once) and MaxSamples only counts
	// samples found, so the steps are bounded up front, like the 11,000
	// points per series of a range query. x[30d:1m] is 43,201 steps.
	MaxSubquerySteps = 1_000_000
	// queryTimeout is the engine's last-resort wall-clock guard (a zero value
	// would make every query fail). Callers bound queries with their
	// context: the prometheus provider's timeout (30 s by default), serve's
	// --query.timeout; a deadline reached gives the engine's own "query
	// timed out in ...".
	queryTimeout = time.Hour
)

// Engine evaluates PromQL with the upstream engine. Its only state is a
// bounded cache of parsed queries, which hands the engine a fresh copy of a
// query's tree for every evaluation (the engine rewrites the tree it
// evaluates). It is safe for concurrent use.
type Engine struct {
	ng     *promql.Engine
	parser *parseCache
}

// NewEngine returns an engine configured like a default Prometheus server,
// with the limits above.
func NewEngine() *Engine {
	pc := newParseCache()
	return &Engine{ng: promql.NewEngine(engineOpts(pc)), parser: pc}
}

// engineOpts are the upstream engine's options; a nil parser is the
// upstream default.
func engineOpts(p parser.Parser) promql.EngineOpts {
	step := DefaultSubqueryStep.Milliseconds()
	return promql.EngineOpts{
		Parser:                   p,
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
	// errTooManyPoints is the HTTP API's bound on a range query, applied to
	// every range query (a prometheus provider's rangeQuery too), as the
	// server the provider would call applies it.
	errTooManyPoints = errors.New("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
)

// maxPoints is Prometheus' limit of points per series of a range query.
const maxPoints = 11000

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
	if err := e.check(query, at, at, 0); err != nil {
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
	if end.Sub(start)/step > maxPoints {
		return Result{}, errTooManyPoints
	}
	if err := e.check(query, start, end, step); err != nil {
		return Result{}, err
	}
	qry, err := e.ng.NewRangeQuery(ctx, q, nil, query, start, end, step)
	if err != nil {
		return Result{}, &InvalidQueryError{Err: err}
	}
	return run(ctx, qry, query)
}

// Stepwise reports whether a range query of query answers, at each of its
// steps, what an instant query at that time would (annotations aside: a
// caller compares those), and whether that answer is a scalar. A query that
// does not parse is not stepwise.
func (e *Engine) Stepwise(query string) (ok, scalar bool) {
	p := e.parser.parse(query)
	if p.err != nil || !p.stepwise {
		return false, false
	}
	return true, p.expr.Type() == parser.ValueTypeScalar
}

// check parses query (through the cache, so the engine's own parse is a
// hit) and bounds its subqueries' steps, before the engine allocates
// anything.
func (e *Engine) check(query string, start, end time.Time, step time.Duration) error {
	p := e.parser.parse(query)
	if p.err != nil {
		return &InvalidQueryError{Err: p.err}
	}
	if !p.subquery {
		return nil
	}
	expr, ok := copyExpr(p.expr)
	if !ok {
		return nil
	}
	// Preprocessing resolves duration expressions, @ start()/end() and
	// step-invariant parts as the engine will see them.
	expr, err := promql.PreprocessExpr(expr, start, end, step)
	if err != nil {
		return nil // the engine reports it
	}
	if err := subquerySteps(expr, end.Sub(start)); err != nil {
		return &InvalidQueryError{Err: err}
	}
	return nil
}

// subquerySteps checks every subquery under n, whose parent evaluates over
// parentRange (0 for an instant), against MaxSubquerySteps.
func subquerySteps(n parser.Node, parentRange time.Duration) error {
	switch e := n.(type) {
	case *parser.SubqueryExpr:
		step := e.Step
		if step <= 0 {
			step = DefaultSubqueryStep
		}
		if e.Timestamp != nil {
			parentRange = 0 // fixed by @: one window for every parent step
		}
		span := parentRange + e.Range
		if span < parentRange { // overflow
			span = math.MaxInt64
		}
		if steps := int64(span/step) + 1; steps > MaxSubquerySteps {
			return fmt.Errorf("exceeded maximum resolution of %s points per subquery: %s would take %d steps. Try increasing the subquery step", groupThousands(MaxSubquerySteps), e, steps)
		}
		return subquerySteps(e.Expr, span)
	case *parser.StepInvariantExpr:
		return subquerySteps(e.Expr, 0) // evaluated once
	}
	for c := range parser.ChildrenIter(n) {
		if err := subquerySteps(c, parentRange); err != nil {
			return err
		}
	}
	return nil
}

func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
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
