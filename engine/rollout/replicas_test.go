package rollout

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

func rs(name string, replicas, available int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       appsv1.ReplicaSetSpec{Replicas: ptr.To(replicas)},
		Status:     appsv1.ReplicaSetStatus{Replicas: replicas, AvailableReplicas: available},
	}
}

func canaryRollout(replicas int32, surge, unavailable intstr.IntOrString) *v1alpha1.Rollout {
	return &v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{
		Replicas: ptr.To(replicas),
		Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{MaxSurge: &surge, MaxUnavailable: &unavailable}},
	}}
}

// Cases from the upstream documentation of CalculateReplicaCountsForBasicCanary,
// plus the seed's 3-replica rollout.
func TestBasicCanaryCounts(t *testing.T) {
	tests := []struct {
		replicas, weight    int32
		surge, unavail      intstr.IntOrString
		newRS, stableRS     *appsv1.ReplicaSet
		wantNew, wantStable int32
		older               []*appsv1.ReplicaSet
	}{
		// Examples from upstream's doc comment of CalculateReplicaCountsForBasicCanary.
		{10, 10, intstr.FromInt32(1), intstr.FromInt32(1), rs("new", 0, 0), rs("stable", 10, 10), 1, 9, nil},
		{10, 30, intstr.FromInt32(3), intstr.FromInt32(0), rs("new", 0, 0), rs("stable", 10, 10), 3, 10, nil},
		{10, 30, intstr.FromInt32(0), intstr.FromInt32(5), rs("new", 0, 0), rs("stable", 10, 10), 0, 7, nil},
		// Rows of upstream's canary_test table (utils/replicaset).
		{10, 5, intstr.FromInt32(0), intstr.FromInt32(1), rs("new", 0, 0), rs("stable", 10, 10), 0, 9, nil},
		{10, 5, intstr.FromInt32(0), intstr.FromInt32(1), rs("new", 0, 0), rs("stable", 9, 9), 1, 9, nil},
		{10, 50, intstr.FromInt32(2), intstr.FromInt32(1), rs("new", 0, 0), rs("stable", 10, 10), 2, 9, nil},
		{10, 0, intstr.FromInt32(1), intstr.FromInt32(1), rs("new", 1, 1), rs("stable", 10, 10), 0, 10, nil},
		{10, 100, intstr.FromInt32(1), intstr.FromInt32(1), rs("new", 10, 10), rs("stable", 1, 1), 10, 0, nil},
		{1, 20, intstr.FromInt32(1), intstr.FromInt32(0), rs("new", 0, 0), rs("stable", 1, 1), 1, 1, nil},
		{1, 90, intstr.FromInt32(1), intstr.FromInt32(0), rs("new", 0, 0), rs("stable", 1, 1), 1, 1, nil},
		{1, 49, intstr.FromInt32(0), intstr.FromInt32(1), rs("new", 0, 0), rs("stable", 1, 1), 0, 1, nil},
		{1, 51, intstr.FromInt32(0), intstr.FromInt32(1), rs("new", 0, 0), rs("stable", 1, 1), 0, 0, nil},
		{1, 51, intstr.FromInt32(0), intstr.FromInt32(1), rs("new", 0, 0), rs("stable", 0, 0), 1, 0, nil},
		{10, 30, intstr.FromInt32(1), intstr.FromInt32(0), rs("new", 0, 0), rs("stable", 1, 1), 1, 7, []*appsv1.ReplicaSet{rs("older", 3, 3)}},
		{10, 30, intstr.FromInt32(0), intstr.FromInt32(3), rs("new", 4, 4), rs("stable", 8, 5), 3, 7, nil},
		{1, 5, intstr.FromInt32(1), intstr.FromInt32(0), rs("new", 0, 0), rs("stable", 1, 1), 1, 1, nil},
		{1, 95, intstr.FromInt32(1), intstr.FromInt32(0), rs("new", 0, 0), rs("stable", 1, 1), 1, 1, nil},
		// Seed: 3 replicas, default 25% surge (1) and unavailable (0): one canary pod is
		// added next to the three stable ones.
		{3, 20, intstr.FromString("25%"), intstr.FromString("25%"), rs("new", 0, 0), rs("stable", 3, 3), 1, 3, nil},
		// Stable drains only as canary pods become available.
		{3, 40, intstr.FromString("25%"), intstr.FromString("25%"), rs("new", 1, 1), rs("stable", 3, 3), 1, 2, nil},
		{3, 60, intstr.FromString("25%"), intstr.FromString("25%"), rs("new", 1, 1), rs("stable", 2, 2), 2, 2, nil},
		{3, 60, intstr.FromString("25%"), intstr.FromString("25%"), rs("new", 2, 1), rs("stable", 2, 2), 2, 2, nil},
		{3, 60, intstr.FromString("25%"), intstr.FromString("25%"), rs("new", 2, 2), rs("stable", 2, 2), 2, 1, nil},
		// Abort: weight 0 drains the canary while the stable is complete.
		{3, 0, intstr.FromString("25%"), intstr.FromString("25%"), rs("new", 1, 1), rs("stable", 3, 3), 0, 3, nil},
		// The end of the steps: everything to the new ReplicaSet.
		{3, 100, intstr.FromString("25%"), intstr.FromString("25%"), rs("new", 2, 2), rs("stable", 1, 1), 3, 1, nil},
		{3, 100, intstr.FromString("25%"), intstr.FromString("25%"), rs("new", 3, 3), rs("stable", 1, 1), 3, 0, nil},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("replicas=%d,weight=%d,surge=%s,unavail=%s,new=%d/%d,stable=%d/%d", tt.replicas, tt.weight,
			tt.surge.String(), tt.unavail.String(), *tt.newRS.Spec.Replicas, tt.newRS.Status.AvailableReplicas,
			*tt.stableRS.Spec.Replicas, tt.stableRS.Status.AvailableReplicas)
		t.Run(name, func(t *testing.T) {
			ro := canaryRollout(tt.replicas, tt.surge, tt.unavail)
			gotNew, gotStable := basicCanaryCounts(ro, tt.weight, tt.newRS, tt.stableRS, tt.older)
			if gotNew != tt.wantNew || gotStable != tt.wantStable {
				t.Fatalf("got new=%d stable=%d, want new=%d stable=%d", gotNew, gotStable, tt.wantNew, tt.wantStable)
			}
		})
	}
}

func TestApproximateCounts(t *testing.T) {
	tests := []struct {
		replicas, weight, surge int32
		canary, stable          int32
	}{
		{3, 20, 1, 1, 3}, // 25% beats 33%
		{3, 50, 1, 2, 2}, // surging to 4 gives exactly 50%
		{3, 50, 0, 2, 1}, // tie between 1/3 and 2/3 goes up
		{10, 50, 1, 5, 5},
		{3, 100, 1, 3, 0},
		{3, 0, 1, 0, 3},
		{1, 50, 0, 1, 0}, // a single pod that cannot surge may go either way; ties go up
		{1, 10, 0, 0, 1},
		{0, 50, 1, 0, 0},
	}
	for _, tt := range tests {
		c, s := approximateCounts(tt.replicas, tt.weight, tt.surge)
		if c != tt.canary || s != tt.stable {
			t.Errorf("approximateCounts(%d, %d, surge %d) = %d/%d, want %d/%d", tt.replicas, tt.weight, tt.surge, c, s, tt.canary, tt.stable)
		}
	}
}

func TestSurgeAndUnavailable(t *testing.T) {
	tests := []struct {
		replicas       int32
		surge, unavail intstr.IntOrString
		wantS, wantU   int32
	}{
		{3, intstr.FromString("25%"), intstr.FromString("25%"), 1, 0},
		{10, intstr.FromString("25%"), intstr.FromString("25%"), 3, 2},
		{4, intstr.FromInt32(0), intstr.FromInt32(0), 0, 1}, // both zero: unavailable becomes 1
		{2, intstr.FromInt32(1), intstr.FromInt32(5), 1, 2}, // capped at replicas
	}
	for _, tt := range tests {
		s, u := surgeAndUnavailable(canaryRollout(tt.replicas, tt.surge, tt.unavail))
		if s != tt.wantS || u != tt.wantU {
			t.Errorf("replicas %d surge %s unavailable %s: got %d/%d, want %d/%d", tt.replicas, tt.surge.String(), tt.unavail.String(), s, u, tt.wantS, tt.wantU)
		}
	}
}

// The hash must be the controller's: these are the ReplicaSet hashes the real v1.9.1
// controller gave the reference case's two templates.
func TestPodTemplateHashMatchesController(t *testing.T) {
	for image, want := range map[string]string{"my-flask-app:v1": "79b5c695d5", "my-flask-app:v2": "795cd557d8"} {
		tpl := corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "my-flask-app"}},
			Spec: corev1.PodSpec{
				TerminationGracePeriodSeconds: ptr.To[int64](0),
				Containers:                    []corev1.Container{{Name: "my-flask-app", Image: image}},
			},
		}
		if got := PodTemplateHash(&tpl, nil); got != want {
			t.Errorf("%s: hash %s, want %s", image, got, want)
		}
		if got := PodTemplateHash(&tpl, ptr.To[int32](1)); got == want {
			t.Errorf("%s: a collision count must change the hash", image)
		}
	}
}

// Weights and replica counts the controller's validation refuses (setWeight 150,
// setWeight -10, replicas -3) must still give counts in range, never negative: the
// arithmetic runs even if validation is bypassed.
func TestReplicaArithmeticOutOfRange(t *testing.T) {
	for _, replicas := range []int32{-3, 0, 1, 4, 10} {
		for _, weight := range []int32{-10, 0, 50, 100, 150} {
			ro := canaryRollout(replicas, intstr.FromInt32(1), intstr.FromInt32(0))
			want := max(replicas, 0)
			c, s := approximateCounts(specReplicas(ro), weight, 1)
			if c < 0 || s < 0 || c+s > want+1 {
				t.Errorf("approximateCounts(replicas %d, weight %d) = %d, %d", replicas, weight, c, s)
			}
			if weight >= 100 && c != want || weight <= 0 && c != 0 {
				t.Errorf("approximateCounts(replicas %d, weight %d) canary = %d, want the clamped weight's count", replicas, weight, c)
			}
			n, st := basicCanaryCounts(ro, weight, rs("new", 0, 0), rs("stable", want, want), nil)
			if n < 0 || st < 0 {
				t.Errorf("basicCanaryCounts(replicas %d, weight %d) = %d, %d", replicas, weight, n, st)
			}
			if r := weightToReplicas(replicas, weight); r < 0 || r > want {
				t.Errorf("weightToReplicas(%d, %d) = %d", replicas, weight, r)
			}
		}
	}
}
