package conditions

import (
	"strings"
	"testing"
)

func TestCompile(t *testing.T) {
	vector, scalar := []float64{}, float64(0)
	tests := []struct {
		cond   string
		sample any
		err    string // "" when it compiles
	}{
		{"len(result) > 0 && result[0] >= 0.95", vector, ""},
		{"result >= 0.95", vector, "mismatched types []float64 and float64"},
		{"result >= 0.95", scalar, ""},
		{"result[0] >= 0.95", scalar, "type float64[int] is undefined"},
		{"isNaN(result[0]) || result[0] > 1", vector, ""},
		{"result == 'It worked!'", vector, "mismatched types []float64 and string"},
		// Untyped (web and other providers): any shape goes.
		{"result == 'It worked!'", nil, ""},
		{"result == true", nil, ""},
		{"result.pValue > 0.05", nil, ""},
		{"len(result) > 0 && result[0].value > 1", nil, ""},
		{"asFloat(result) > 0.5 && !isNil(result) && default(result, 1) == 1", nil, ""},
		// What no result can make valid.
		{"result >== 1", nil, `unexpected token Operator("=")`},
		{"results == true", nil, "unknown name results"},
		{"1 + 1", nil, "expected bool"},
	}
	for _, tt := range tests {
		err := Compile(tt.cond, tt.sample)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%q on %T: %v", tt.cond, tt.sample, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q on %T: got %v, want %q", tt.cond, tt.sample, err, tt.err)
		}
	}
	// Compile evaluates nothing and leaves Eval's environment alone.
	if ok, err := Eval([]float64{1}, "result[0] == 1"); !ok || err != nil {
		t.Fatalf("Eval after Compile: %v %v", ok, err)
	}
}
