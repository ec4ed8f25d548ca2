// Package conditions evaluates AnalysisTemplate successCondition / failureCondition
// expressions the way the Argo Rollouts controller does (utils/evaluate upstream):
// the same expr-lang environment, the same decision table and the same error texts.
//
// Unlike upstream, which compiles an expression on every measurement, programs are
// compiled once per (expression, Go type of result) and cached; the environment's
// helper closures are rebound to the current result at run time.
package conditions

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/rollsim/rollsim/engine"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Phase is the outcome of evaluating a measurement's value against the conditions.
type Phase string

const (
	Successful   Phase = "Successful"
	Failed       Phase = "Failed"
	Inconclusive Phase = "Inconclusive"
	Error        Phase = "Error"
)

// Wording selects how evaluation errors are reported. Controllers up to v1.9 report
// the expression library's own message; v1.10 wraps it with the condition's name.
type Wording int

const (
	WordingV110 Wording = iota // `could not evaluate successCondition "<expr>": <err>`
	WordingV19                 // raw expr error (v1.8 and v1.9)
)

// WordingOf is the wording controller version v uses.
func WordingOf(v engine.Version) Wording {
	if v.WrapsConditionErrors() {
		return WordingV110
	}
	return WordingV19
}

// Evaluate decides a measurement's phase from its value and the metric's conditions.
// An error comes with Phase Error; its text is what the controller records as the
// measurement message.
func Evaluate(result any, successCondition, failureCondition string, wording Wording) (Phase, error) {
	success, failure := false, false
	var err error
	if successCondition != "" {
		if success, err = Eval(result, successCondition); err != nil {
			return Error, wrap(err, "successCondition", successCondition, result, wording)
		}
	}
	if failureCondition != "" {
		if failure, err = Eval(result, failureCondition); err != nil {
			return Error, wrap(err, "failureCondition", failureCondition, result, wording)
		}
	}
	switch {
	case successCondition == "" && failureCondition == "":
		// Upstream code (not its docs) treats "no conditions" as success.
		return Successful, nil
	case failureCondition == "":
		failure = !success
	case successCondition == "":
		success = !failure
	}
	switch {
	case failure:
		return Failed, nil
	case success:
		return Successful, nil
	default:
		return Inconclusive, nil
	}
}

func wrap(err error, which, expression string, result any, wording Wording) error {
	if wording == WordingV19 {
		return err
	}
	if nilOrEmpty(result) {
		return fmt.Errorf("could not evaluate %s \"%s\": metric result is nil or empty: no data returned from the metric provider", which, expression)
	}
	return fmt.Errorf("could not evaluate %s \"%s\": %w", which, expression, err)
}

type cacheKey struct {
	expression string
	typ        reflect.Type
}

type compiled struct {
	program *vm.Program
	err     error
}

var (
	cacheMu sync.RWMutex
	cache   = map[cacheKey]compiled{}
)

// evalState is a reusable evaluation environment: the variables map, the helpers
// bound to the current result, and a VM. Pooling it makes an evaluation
// allocation-free apart from the result itself.
type evalState struct {
	result any
	vars   map[string]any
	vm     vm.VM
}

func (e *evalState) isNil(any) bool { return isNil(e.result) }

func (e *evalState) defaultValue(_ any, d any) any { return defaultOf(e.result, d) }

var states = sync.Pool{New: func() any {
	e := &evalState{}
	e.vars = map[string]any{
		"result":  nil,
		"asInt":   asInt,
		"asFloat": asFloat,
		"isNaN":   math.IsNaN,
		"isInf":   isInf,
		// Upstream's isNil and default ignore their first argument and look at the
		// whole result; reproduced on purpose.
		"isNil":   e.isNil,
		"default": e.defaultValue,
	}
	return e
}}

// Eval runs one boolean condition against result.
func Eval(result any, condition string) (bool, error) {
	e := states.Get().(*evalState)
	defer func() {
		e.result = nil
		e.vars["result"] = nil
		states.Put(e)
	}()
	value := deref(result)
	e.result = result
	e.vars["result"] = value
	prog, err := program(condition, value, e.vars)
	if err != nil {
		return false, err
	}
	out, err := runProgram(&e.vm, prog, e.vars)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("expected bool, but got %T", out)
	}
	return b, nil
}

// program compiles condition for values of value's type, once.
func program(condition string, value any, vars map[string]any) (*vm.Program, error) {
	key := cacheKey{condition, reflect.TypeOf(value)}
	cacheMu.RLock()
	c, ok := cache[key]
	cacheMu.RUnlock()
	if ok {
		return c.program, c.err
	}
	p, err := expr.Compile(condition, expr.Env(vars))
	c = compiled{p, unwrap(err)}
	cacheMu.Lock()
	cache[key] = c
	cacheMu.Unlock()
	return c.program, c.err
}

func runProgram(machine *vm.VM, p *vm.Program, vars map[string]any) (out any, err error) {
	defer func() {
		// expr recovers panics of helpers itself; this is a last guard so that no
		// user expression can crash a simulation.
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	out, err = machine.Run(p, vars)
	return out, unwrap(err)
}

// unwrap drops expr's source snippet and keeps the message, as upstream does.
func unwrap(err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		return errors.New(fe.Message)
	}
	return err
}

// EvalTime evaluates a rangeQuery start/end expression (`now() - duration("1h")`)
// with now() bound to the given (virtual) time instead of the wall clock.
func EvalTime(expression string, now time.Time) (time.Time, error) {
	vars := map[string]any{
		"isNaN": math.IsNaN,
		"isInf": isInf,
	}
	p, err := expr.Compile(expression, expr.Env(vars), expr.Function("now", func(...any) (any, error) {
		return now, nil
	}, new(func() time.Time)))
	if err != nil {
		return time.Time{}, unwrap(err)
	}
	out, err := expr.Run(p, vars)
	if err != nil {
		return time.Time{}, unwrap(err)
	}
	t, ok := out.(time.Time)
	if !ok {
		return time.Time{}, fmt.Errorf("expected time.Time, but got %T", out)
	}
	return t, nil
}

func isInf(f float64) bool { return math.IsInf(f, 0) }

func isNil(in any) bool {
	if in == nil {
		return true
	}
	switch reflect.TypeOf(in).Kind() {
	case reflect.Ptr, reflect.Map, reflect.Array, reflect.Chan, reflect.Slice:
		v := reflect.ValueOf(in)
		if v.Kind() == reflect.Array {
			return false
		}
		return v.IsNil()
	}
	return false
}

func nilOrEmpty(in any) bool {
	if isNil(in) {
		return true
	}
	v := reflect.ValueOf(in)
	switch v.Kind() {
	case reflect.Slice, reflect.Array:
		return v.Len() == 0
	}
	return false
}

func deref(in any) any {
	if isNil(in) {
		return nil
	}
	if reflect.TypeOf(in).Kind() != reflect.Ptr {
		return in
	}
	return reflect.ValueOf(in).Elem().Interface()
}

func defaultOf(result, d any) any {
	if isNil(result) {
		return d
	}
	return deref(result)
}

func asInt(in any) int64 {
	switch i := in.(type) {
	case float64:
		return int64(i)
	case float32:
		return int64(i)
	case int:
		return int64(i)
	case int8:
		return int64(i)
	case int16:
		return int64(i)
	case int32:
		return int64(i)
	case int64:
		return i
	case uint:
		return int64(i)
	case uint8:
		return int64(i)
	case uint16:
		return int64(i)
	case uint32:
		return int64(i)
	case uint64:
		return int64(i)
	case string:
		n, err := strconv.ParseInt(i, 10, 64)
		if err != nil {
			panic(err)
		}
		return n
	}
	panic(fmt.Sprintf("asInt() not supported on %v %v", reflect.TypeOf(in), in))
}

func asFloat(in any) float64 {
	switch i := in.(type) {
	case float64:
		return i
	case float32:
		return float64(i)
	case int:
		return float64(i)
	case int8:
		return float64(i)
	case int16:
		return float64(i)
	case int32:
		return float64(i)
	case int64:
		return float64(i)
	case uint:
		return float64(i)
	case uint8:
		return float64(i)
	case uint16:
		return float64(i)
	case uint32:
		return float64(i)
	case uint64:
		return float64(i)
	case string:
		f, err := strconv.ParseFloat(i, 64)
		if err != nil {
			panic(err)
		}
		return f
	}
	panic(fmt.Sprintf("asFloat() not supported on %v %v", reflect.TypeOf(in), in))
}
