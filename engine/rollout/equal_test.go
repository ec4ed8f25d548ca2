package rollout_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/rollout"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

func TestStatusEqualCoversEveryField(t *testing.T) {
	for _, c := range []struct {
		v      any
		fields []string
	}{
		{v1alpha1.RolloutStatus{}, []string{"Abort", "PauseConditions", "ControllerPause", "AbortedAt", "CurrentPodHash", "CurrentStepHash",
			"Replicas", "UpdatedReplicas", "ReadyReplicas", "AvailableReplicas", "CurrentStepIndex", "CollisionCount", "ObservedGeneration",
			"Conditions", "Canary", "BlueGreen", "HPAReplicas", "Selector", "StableRS", "RestartedAt", "PromoteFull", "Phase", "Message",
			"WorkloadObservedGeneration", "ALB", "ALBs"}},
		{v1alpha1.PauseCondition{}, []string{"Reason", "StartTime"}},
		{v1alpha1.RolloutCondition{}, []string{"Type", "Status", "LastUpdateTime", "LastTransitionTime", "Reason", "Message"}},
		{v1alpha1.CanaryStatus{}, []string{"CurrentStepAnalysisRunStatus", "CurrentBackgroundAnalysisRunStatus", "CurrentExperiment", "Weights", "StablePingPong", "StepPluginStatuses"}},
		{v1alpha1.BlueGreenStatus{}, []string{"PreviewSelector", "ActiveSelector", "ScaleUpPreviewCheckPoint", "PrePromotionAnalysisRunStatus", "PostPromotionAnalysisRunStatus"}},
		{v1alpha1.TrafficWeights{}, []string{"Canary", "Stable", "Additional", "Verified"}},
		{v1alpha1.StepPluginStatus{}, []string{"Index", "Name", "Operation", "Phase", "Message", "StartedAt", "UpdatedAt", "FinishedAt", "Backoff", "Executions", "Disabled", "Status"}},
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
	// Types compared with ==: every field is comparable and compared as a value.
	for _, v := range []any{v1alpha1.RolloutAnalysisRunStatus{}, v1alpha1.WeightDestination{}, v1alpha1.ALBStatus{}} {
		if typ := reflect.TypeOf(v); !typ.Comparable() {
			t.Errorf("%s is compared with == but is not comparable", typ.Name())
		}
	}
}

// statusEqual agrees with equality.Semantic.DeepEqual on every pair of
// statuses persist compares in every scenario, on statuses of different
// rollouts and runs, and on single-field variations of them.
func TestStatusEqualAgreesWithSemantic(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	var seen []*v1alpha1.RolloutStatus
	pairs := 0
	check := func(a, b *v1alpha1.RolloutStatus) {
		t.Helper()
		if got, want := rollout.StatusEqual(a, b), equality.Semantic.DeepEqual(*a, *b); got != want {
			t.Fatalf("statusEqual = %v, Semantic.DeepEqual = %v\na: %+v\nb: %+v", got, want, *a, *b)
		}
	}
	stop := rollout.ObserveStatuses(func(old, new *v1alpha1.RolloutStatus) {
		check(old, new)
		pairs++
		seen = append(seen, new.DeepCopy())
	})
	defer stop()
	for _, f := range files {
		in, err := scenario.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sim.Run(context.Background(), in, sim.Options{}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	stop()
	if pairs < 1000 {
		t.Fatalf("only %d statuses compared", pairs)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i, a := range seen {
		check(a, seen[rng.IntN(len(seen))])
		if i%5 == 0 {
			b := a.DeepCopy()
			mutate(rng, reflect.ValueOf(b).Elem())
			check(a, b)
			check(b, a)
		}
	}
	// Variations the scenarios may not reach: every field of an empty status.
	for range 3000 {
		a := v1alpha1.RolloutStatus{}
		for range 1 + rng.IntN(6) {
			mutate(rng, reflect.ValueOf(&a).Elem())
		}
		b := a.DeepCopy()
		if rng.IntN(3) > 0 {
			mutate(rng, reflect.ValueOf(b).Elem())
		}
		check(&a, b)
	}
}

// mutate changes one leaf of v (or swaps nil and empty, or moves a time to
// another location, which are no changes).
func mutate(rng *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(metav1.Time{}) {
			tm := v.Interface().(metav1.Time)
			if rng.IntN(3) == 0 {
				v.Set(reflect.ValueOf(metav1.NewTime(tm.In(time.FixedZone("x", 3600)))))
			} else {
				v.Set(reflect.ValueOf(metav1.NewTime(tm.Add(time.Second))))
			}
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
		if v.Len() == 0 || rng.IntN(5) == 0 {
			switch {
			case v.IsNil():
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			case v.Len() == 0:
				v.Set(reflect.Append(v, reflect.New(v.Type().Elem()).Elem()))
			default:
				v.Set(v.Slice(0, v.Len()-1))
			}
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b := append([]byte(nil), v.Bytes()...)
			b[rng.IntN(len(b))]++
			v.SetBytes(b)
			return
		}
		// A copy of the slice: the mutation must not reach the original.
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		v.Set(c)
		mutate(rng, v.Index(rng.IntN(v.Len())))
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	}
}
