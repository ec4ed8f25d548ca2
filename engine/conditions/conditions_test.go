package conditions

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name             string
		result           any
		success, failure string
		wording          Wording
		want             Phase
		wantErr          string
	}{
		{name: "no conditions is success", result: []float64{0}, want: Successful},
		{name: "success only, true", result: []float64{0.97}, success: "result[0] >= 0.95", want: Successful},
		{name: "success only, false means failed", result: []float64{0.8}, success: "result[0] >= 0.95", want: Failed},
		{name: "failure only, true", result: []float64{0.8}, failure: "result[0] < 0.95", want: Failed},
		{name: "failure only, false means successful", result: []float64{0.99}, failure: "result[0] < 0.95", want: Successful},
		{name: "both true: failure wins", result: 5.0, success: "result > 1", failure: "result > 2", want: Failed},
		{name: "both false: inconclusive", result: 1.5, success: "result > 2", failure: "result < 1", want: Inconclusive},
		{name: "NaN compares false", result: []float64{nan}, success: "result[0] >= 0.9", want: Failed},
		{name: "NaN both conditions inconclusive", result: []float64{nan}, success: "result[0] >= 0.9", failure: "result[0] < 0.9", want: Inconclusive},
		{name: "isNaN guard", result: []float64{nan}, success: "isNaN(result[0]) || result[0] >= 0.9", want: Successful},
		{name: "+Inf passes >=", result: inf, success: "result >= 0.9", want: Successful},
		{name: "isInf failure", result: inf, failure: "isInf(result)", want: Failed},
		{name: "seed condition, empty vector guarded", result: []float64{}, success: "len(result) > 0 && result[0] >= 0.95", want: Failed},
		{name: "len guard alternative", result: []float64{}, success: "len(result) == 0 || result[0] >= 0.95", want: Successful},
		{name: "empty vector index error v1.10", result: []float64{}, success: "result[0] >= 0.95", want: Error,
			wantErr: `could not evaluate successCondition "result[0] >= 0.95": metric result is nil or empty: no data returned from the metric provider`},
		{name: "empty vector index error v1.9 is raw", result: []float64{}, success: "result[0] >= 0.95", wording: WordingV19, want: Error,
			wantErr: "index out of range"},
		{name: "vector compared as scalar does not compile", result: []float64{1}, success: "result > 0.9", want: Error,
			wantErr: `could not evaluate successCondition "result > 0.9": `},
		{name: "non-bool", result: 1.0, success: "1", want: Error, wantErr: "expected bool, but got int"},
		{name: "unknown name", result: 1.0, success: "foo > 1", want: Error, wantErr: "unknown name foo"},
		{name: "failureCondition error named", result: 1.0, failure: "bar", want: Error, wantErr: `could not evaluate failureCondition "bar"`},
		{name: "asInt truncates", result: 1.9, success: "asInt(result) == 1", want: Successful},
		{name: "asInt of string", result: "12", success: "asInt(result) == 12", want: Successful},
		{name: "asInt of bad string errors", result: "1.1", success: "asInt(result) == 1", want: Error, wantErr: "invalid syntax"},
		{name: "asFloat of string", result: "0.5", success: "asFloat(result) == 0.5", want: Successful},
		{name: "asFloat bad string", result: "NotANum", success: "asFloat(result) > 0", wording: WordingV19, want: Error,
			wantErr: `strconv.ParseFloat: parsing "NotANum": invalid syntax`},
		{name: "isNil ignores its argument", result: []float64(nil), success: "isNil(42)", want: Successful},
		{name: "isNil false on data", result: []float64{1}, success: "isNil(nil)", want: Failed},
		{name: "default ignores first arg", result: nil, success: "default(1, 7) == 7", want: Successful},
		{name: "string result", result: "OK", success: "result == 'OK'", want: Successful},
		{name: "all predicate", result: []float64{11, 12}, success: "all(result, {# > 10})", want: Successful},
		{name: "pointer is dereferenced", result: ptr(0.99), success: "result > 0.9", want: Successful},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Evaluate(tt.result, tt.success, tt.failure, tt.wording)
			if got != tt.want {
				t.Fatalf("phase = %s (err %v), want %s", got, err, tt.want)
			}
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// The cache is keyed by the result's type: the same text must still compile
// differently for a scalar and a vector.
func TestProgramCachePerType(t *testing.T) {
	if ok, err := Eval(2.0, "result > 1"); err != nil || !ok {
		t.Fatalf("scalar: %v %v", ok, err)
	}
	if _, err := Eval([]float64{2}, "result > 1"); err == nil {
		t.Fatal("vector compared with > should not compile")
	}
	if ok, err := Eval(0.5, "result > 1"); err != nil || ok {
		t.Fatalf("scalar again: %v %v", ok, err)
	}
}

func TestEvalTime(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	got, err := EvalTime(`now() - duration("1h")`, now)
	if err != nil || !got.Equal(now.Add(-time.Hour)) {
		t.Fatalf("got %v %v", got, err)
	}
	if _, err := EvalTime(`1`, now); err == nil || !strings.Contains(err.Error(), "expected time.Time") {
		t.Fatalf("want type error, got %v", err)
	}
}

func ptr(f float64) *float64 { return &f }

func BenchmarkEvaluate(b *testing.B) {
	v := []float64{0.97}
	b.ReportAllocs()
	for b.Loop() {
		if p, _ := Evaluate(v, "len(result) > 0 && result[0] >= 0.95", "", WordingV110); p != Successful {
			b.Fatal(p)
		}
	}
}

func FuzzEvaluate(f *testing.F) {
	f.Add("result[0] >= 0.95", 0.9)
	f.Add("len(result) > 0 && result[0] >= 0.95", 1.0)
	f.Add("isNil(result) || default(result, 1) > 0", 0.0)
	f.Fuzz(func(t *testing.T, cond string, v float64) {
		p, err := Evaluate([]float64{v}, cond, "", WordingV110)
		if (p == Error) != (err != nil) {
			t.Fatalf("phase %s with err %v", p, err)
		}
	})
}
