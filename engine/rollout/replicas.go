package rollout

import (
	"math"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Replica arithmetic of a basic canary (no traffic router): the weight is approximated
// with pod counts, within maxSurge/maxUnavailable (upstream utils/replicaset/canary.go).

const maxWeight = 100

// specReplicas is spec.replicas (default 1). A negative count, which validation
// refuses (InvalidSpec), is read as 0 so that the arithmetic below never goes
// negative when validation is bypassed.
func specReplicas(ro *v1alpha1.Rollout) int32 {
	if ro.Spec.Replicas == nil {
		return 1
	}
	return max(0, *ro.Spec.Replicas)
}

// clampWeight keeps a weight within 0..100. Validation refuses weights outside
// (SetWeight needs to be between 0 and 100); the clamp keeps the replica
// arithmetic sane when it is bypassed.
func clampWeight(w int32) int32 {
	return min(max(w, 0), maxWeight)
}

func rsReplicas(rs *appsv1.ReplicaSet) int32 {
	if rs == nil || rs.Spec.Replicas == nil {
		return 0
	}
	return *rs.Spec.Replicas
}

func rsAvailable(rs *appsv1.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	return rs.Status.AvailableReplicas
}

// scaledValue resolves a maxSurge/maxUnavailable value against the replica count.
func scaledValue(v *intstr.IntOrString, def string, replicas int32, roundUp bool) int32 {
	val := intstr.FromString(def)
	if v != nil {
		val = *v
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(&val, int(replicas), roundUp)
	if err != nil {
		return 0
	}
	return int32(n)
}

// surgeAndUnavailable mirrors the deployment rule: maxSurge rounds up,
// maxUnavailable down, and both cannot be zero (then maxUnavailable is 1).
func surgeAndUnavailable(ro *v1alpha1.Rollout) (int32, int32) {
	c := ro.Spec.Strategy.Canary
	var surge, unavail *intstr.IntOrString
	if c != nil {
		surge, unavail = c.MaxSurge, c.MaxUnavailable
	}
	replicas := specReplicas(ro)
	s := scaledValue(surge, "25%", replicas, true)
	u := scaledValue(unavail, "25%", replicas, false)
	if s == 0 && u == 0 {
		u = 1
	}
	if u > replicas {
		u = replicas
	}
	return s, u
}

// approximateCounts picks the canary/stable pod counts whose ratio comes closest to
// weight. Counts may sum to replicas+1 when surging is allowed; for weights 1–99
// neither side is zero unless a single pod cannot surge.
func approximateCounts(replicas, weight, surge int32) (canary, stable int32) {
	if replicas <= 0 {
		return 0, 0
	}
	weight = clampWeight(weight)
	exact := float64(replicas*weight) / maxWeight
	ceil, floor := int32(math.Ceil(exact)), int32(math.Floor(exact))
	tiedAt := func(total int32) bool {
		_, frac := math.Modf(float64(total) * float64(weight) / maxWeight)
		return frac == 0.5
	}
	zeroOK := weight == maxWeight || weight == 0 || (replicas == 1 && surge == 0)
	type option struct{ canary, total int32 }
	var options []option
	if ceil < replicas || zeroOK {
		options = append(options, option{ceil, replicas})
	}
	if !tiedAt(replicas) && (floor != 0 || zeroOK) {
		options = append(options, option{floor, replicas})
	}
	if surge > 0 {
		options = append(options, option{ceil, replicas + 1})
		if !tiedAt(replicas+1) && (floor != 0 || zeroOK) {
			options = append(options, option{floor, replicas + 1})
		}
	}
	if len(options) == 0 {
		return 0, replicas
	}
	distance := func(o option) float64 {
		return math.Abs(float64(o.canary*maxWeight)/float64(o.total) - float64(weight))
	}
	best := options[0]
	for _, o := range options[1:] {
		// Strictly closer only: earlier options (the larger canary) win ties.
		if distance(o) < distance(best) {
			best = o
		}
	}
	return best.canary, best.total - best.canary
}

// basicCanaryCounts returns the replica counts the new and stable ReplicaSets should
// have now, moving towards the weight without breaking maxSurge or maxUnavailable.
func basicCanaryCounts(ro *v1alpha1.Rollout, weight int32, newRS, stableRS *appsv1.ReplicaSet, others []*appsv1.ReplicaSet) (int32, int32) {
	replicas := specReplicas(ro)
	surge, unavail := surgeAndUnavailable(ro)
	wantNew, wantStable := approximateCounts(replicas, weight, surge)

	newCount := rsReplicas(newRS)
	stableCount := int32(0)
	hasStable := stableRS != nil && (newRS == nil || newRS.Name != stableRS.Name)
	if hasStable {
		stableCount = rsReplicas(stableRS)
	} else {
		// No distinct stable: everything goes to the new ReplicaSet.
		wantNew, wantStable = replicas, 0
	}

	maxTotal := replicas + surge
	total := newCount + sumReplicas(others)
	if hasStable {
		total += stableCount
	}
	room := maxTotal - total

	// Scale up within the surge, stable first.
	if hasStable && stableCount < wantStable && room > 0 {
		up := min(wantStable-stableCount, room)
		stableCount += up
		room -= up
	}
	if newRS != nil && newCount < wantNew && room > 0 {
		newCount += min(wantNew-newCount, room)
	}
	// Older ReplicaSets drain first; until they are gone nothing else scales down.
	if sumReplicas(others) > 0 {
		return newCount, stableCount
	}

	minAvailable := replicas - unavail
	growing := newRS == nil || wantNew >= rsReplicas(newRS)
	// While growing the canary, stable pods may go only as far as available canary pods
	// allow; while shrinking it (an abort), canary pods may go as far as stable allows.
	available := countForScaleDown(newRS, !growing) + countForScaleDown(stableRS, growing)
	if available <= minAvailable {
		return newCount, stableCount
	}
	excess := available - minAvailable
	if !growing {
		newCount = drain(newRS, wantNew, excess, newCount)
		newCount, stableCount = keepWithinLimits(newRS, stableRS, newCount, stableCount, maxTotal, minAvailable)
	} else if hasStable {
		stableCount = drain(stableRS, wantStable, excess, stableCount)
		stableCount, newCount = keepWithinLimits(stableRS, newRS, stableCount, newCount, maxTotal, minAvailable)
	}
	return newCount, stableCount
}

// countForScaleDown is what a ReplicaSet contributes towards the availability budget:
// its available pods, or all its pods when its availability is to be ignored.
func countForScaleDown(rs *appsv1.ReplicaSet, ignoreAvailability bool) int32 {
	if rs == nil {
		return 0
	}
	if ignoreAvailability {
		return rsReplicas(rs)
	}
	return min(rsReplicas(rs), rs.Status.AvailableReplicas)
}

// drain lowers a ReplicaSet towards its wanted count by at most `excess` pods.
func drain(rs *appsv1.ReplicaSet, want, excess, current int32) int32 {
	if rs != nil && rsReplicas(rs) > want {
		return max(want, rsReplicas(rs)-excess, 0)
	}
	return current
}

// keepWithinLimits trims the pair so that together they respect maxSurge, giving back
// pods to `adjust` when trimming it would break minAvailable.
func keepWithinLimits(drainRS, adjustRS *appsv1.ReplicaSet, drainCount, adjustCount, maxTotal, minAvailable int32) (int32, int32) {
	over := max(0, adjustCount+drainCount-maxTotal)
	available := int32(0)
	if drainRS != nil {
		available += min(drainRS.Status.AvailableReplicas, drainCount)
	}
	if adjustRS != nil {
		adjustCount -= over
		available += min(adjustRS.Status.AvailableReplicas, adjustCount)
		lost := max(0, adjustRS.Status.AvailableReplicas-adjustCount)
		short := max(0, minAvailable-available)
		adjustCount += min(lost, short)
		over = max(0, adjustCount+drainCount-maxTotal)
		drainCount -= over
	}
	return max(drainCount, 0), max(adjustCount, 0)
}

func sumReplicas(rss []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		n += rsReplicas(rs)
	}
	return n
}

func sumAvailable(rss []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		n += rsAvailable(rs)
	}
	return n
}
