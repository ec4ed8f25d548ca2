package analysis

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// statusEqual compares these fields by hand: a new field must be added there.
func TestStatusEqualCoversEveryField(t *testing.T) {
	for _, c := range []struct {
		v      any
		fields []string
	}{
		{v1alpha1.AnalysisRunStatus{}, []string{"Phase", "Message", "MetricResults", "StartedAt", "RunSummary", "DryRunSummary", "CompletedAt"}},
		{v1alpha1.RunSummary{}, []string{"Count", "Successful", "Failed", "Inconclusive", "Error"}},
		{v1alpha1.MetricResult{}, []string{"Name", "Phase", "Measurements", "Message", "Count", "Successful", "Failed", "Inconclusive", "Error", "ConsecutiveError", "DryRun", "Metadata", "ConsecutiveSuccess"}},
		{v1alpha1.Measurement{}, []string{"Phase", "Message", "StartedAt", "FinishedAt", "Value", "Metadata", "ResumeAt"}},
	} {
		typ := reflect.TypeOf(c.v)
		var got []string
		for i := range typ.NumField() {
			got = append(got, typ.Field(i).Name)
		}
		if !slices.Equal(got, c.fields) {
			t.Errorf("%s has fields %v; statusEqual compares %v: update statusEqual and this list", typ.Name(), got, c.fields)
		}
	}
}

// statusEqual agrees with equality.Semantic.DeepEqual on random statuses and
// their single-field variations.
func TestStatusEqualAgreesWithSemantic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		a := randomStatus(rng)
		b := a.DeepCopy()
		if i%3 > 0 {
			mutate(rng, reflect.ValueOf(b).Elem())
		}
		if got, want := statusEqual(&a, b), equality.Semantic.DeepEqual(a, *b); got != want {
			t.Fatalf("statusEqual = %v, Semantic.DeepEqual = %v\na: %+v\nb: %+v", got, want, a, *b)
		}
	}
}

func randomTime(rng *rand.Rand) *metav1.Time {
	switch rng.IntN(3) {
	case 0:
		return nil
	case 1:
		// The same instant in another location: semantically equal.
		tm := metav1.NewTime(time.Unix(int64(rng.IntN(3)), 0).In(time.FixedZone("x", 3600)))
		return &tm
	}
	tm := metav1.NewTime(time.Unix(int64(rng.IntN(3)), 0).UTC())
	return &tm
}

func randomMap(rng *rand.Rand) map[string]string {
	switch rng.IntN(3) {
	case 0:
		return nil
	case 1:
		return map[string]string{}
	}
	return map[string]string{"k": []string{"a", "b"}[rng.IntN(2)]}
}

func randomStatus(rng *rand.Rand) v1alpha1.AnalysisRunStatus {
	s := v1alpha1.AnalysisRunStatus{Phase: v1alpha1.AnalysisPhaseRunning, Message: "m", StartedAt: randomTime(rng), CompletedAt: randomTime(rng)}
	if rng.IntN(2) == 0 {
		s.DryRunSummary = &v1alpha1.RunSummary{Count: int32(rng.IntN(2))}
	}
	n := rng.IntN(3)
	if n > 0 || rng.IntN(2) == 0 {
		s.MetricResults = []v1alpha1.MetricResult{}
	}
	for range n {
		mr := v1alpha1.MetricResult{Name: "m", Count: int32(rng.IntN(2)), Metadata: randomMap(rng)}
		for range rng.IntN(3) {
			mr.Measurements = append(mr.Measurements, v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseSuccessful,
				Value: "[1]", StartedAt: randomTime(rng), FinishedAt: randomTime(rng), ResumeAt: randomTime(rng), Metadata: randomMap(rng)})
		}
		s.MetricResults = append(s.MetricResults, mr)
	}
	return s
}

// mutate changes one leaf of v (or swaps nil and empty, which is no change).
func mutate(rng *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(metav1.Time{}) {
			v.Set(reflect.ValueOf(metav1.NewTime(v.Interface().(metav1.Time).Add(time.Second))))
			return
		}
		mutate(rng, v.Field(rng.IntN(v.NumField())))
	case reflect.Pointer:
		if v.IsNil() || rng.IntN(4) == 0 {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			} else {
				v.SetZero()
			}
			return
		}
		mutate(rng, v.Elem())
	case reflect.Slice:
		if v.Len() == 0 {
			if v.IsNil() {
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			} else {
				v.Set(reflect.Append(v, reflect.New(v.Type().Elem()).Elem()))
			}
			return
		}
		mutate(rng, v.Index(rng.IntN(v.Len())))
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
			return
		}
		v.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf("c"))
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int32:
		v.SetInt(v.Int() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	}
}
