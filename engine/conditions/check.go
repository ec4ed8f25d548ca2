package conditions

import (
	"math"

	"github.com/expr-lang/expr"
)

// untypedEnv is the controller's environment with result of unknown type.
type untypedEnv struct {
	Result  any                `expr:"result"`
	AsInt   func(any) int64    `expr:"asInt"`
	AsFloat func(any) float64  `expr:"asFloat"`
	IsNaN   func(float64) bool `expr:"isNaN"`
	IsInf   func(float64) bool `expr:"isInf"`
	IsNil   func(any) bool     `expr:"isNil"`
	Default func(any, any) any `expr:"default"`
}

var untyped = untypedEnv{AsInt: asInt, AsFloat: asFloat, IsNaN: math.IsNaN, IsInf: isInf, IsNil: isNil, Default: defaultOf}

// Compile checks that condition compiles in the controller's environment when
// result has the Go type of sample (e.g. []float64{} for a Prometheus vector,
// float64(0) for a scalar). A nil sample leaves result untyped: only what no
// result could make valid (syntax, unknown names, a non-boolean literal) fails,
// which is how the condition of a provider whose result shape depends on the
// response (web, Datadog, ...) is checked before any measurement. Nothing is
// evaluated.
func Compile(condition string, sample any) error {
	if sample == nil {
		_, err := expr.Compile(condition, expr.Env(untyped), expr.AsBool())
		return unwrap(err)
	}
	e := states.Get().(*evalState)
	defer func() {
		e.vars["result"] = nil
		states.Put(e)
	}()
	e.vars["result"] = sample
	_, err := expr.Compile(condition, expr.Env(e.vars), expr.AsBool())
	return unwrap(err)
}
