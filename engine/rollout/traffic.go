package rollout

import (
	"context"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// ScaleDownDeadlineAnnotation marks a ReplicaSet that is to be scaled to zero at the
// given time (traffic-routed canaries keep old pods briefly after a switch).
const ScaleDownDeadlineAnnotation = "scale-down-deadline"

const defaultScaleDownDelay = 30 * time.Second

// reconcileTrafficRouting records the weights a traffic router would be given
// (upstream reconcileTrafficRouting, without the router calls): nothing to the
// canary until its pods are available, the previous step's weight until the
// ReplicaSets reach the current one, all of it after the last step.
func (s *state) reconcileTrafficRouting() {
	c := s.ro.Spec.Strategy.Canary
	if c.TrafficRouting == nil {
		s.newStatus.Canary.Weights = nil
		return
	}
	weight := int32(0)
	_, idx := s.currentStep()
	steps := s.steps()
	switch {
	case s.fullyPromoted():
	case s.pause.aborted(s.ro):
		weight = s.weightOnAbort()
	case s.newRS == nil || s.newRS.Status.AvailableReplicas == 0:
	case s.ro.Status.PromoteFull:
		if w := s.ro.Status.Canary.Weights; w != nil {
			weight = w.Canary.Weight
		}
	case !s.atDesiredCounts():
		for i := int(idx) - 1; i >= 0; i-- {
			if w := steps[i].SetWeight; w != nil {
				weight = clampWeight(*w)
				break
			}
		}
	case int(idx) != len(steps):
		weight = s.currentWeight()
	default:
		weight = maxWeight
	}
	var stableHash, canaryHash string
	if s.stableRS != nil {
		stableHash = s.stableRS.Labels[PodTemplateHashLabel]
	}
	if s.newRS != nil {
		canaryHash = s.newRS.Labels[PodTemplateHashLabel]
	}
	s.newStatus.Canary.Weights = &v1alpha1.TrafficWeights{
		Canary: v1alpha1.WeightDestination{Weight: weight, ServiceName: c.CanaryService, PodTemplateHash: canaryHash},
		Stable: v1alpha1.WeightDestination{Weight: maxWeight - weight, ServiceName: c.StableService, PodTemplateHash: stableHash},
	}
}

// canaryReplicasOrWeight is upstream's GetCanaryReplicasOrWeight: an explicit
// replica count from setCanaryScale, or the weight the canary should have.
func (s *state) canaryReplicasOrWeight() (*int32, int32) {
	if s.ro.Status.PromoteFull || s.ro.Status.StableRS == "" || s.newStatus.CurrentPodHash == s.ro.Status.StableRS {
		return nil, maxWeight
	}
	if scs := s.setCanaryScale(); scs != nil {
		if scs.Replicas != nil {
			n := max(0, *scs.Replicas)
			return &n, 0
		}
		if scs.Weight != nil {
			return nil, clampWeight(*scs.Weight)
		}
	}
	return nil, s.desiredCanaryWeight()
}

// desiredCanaryWeight is upstream's GetDesiredCanaryWeight: after an abort with
// dynamicStableScale the canary steps back through the setWeight steps in reverse,
// to the first one that needs fewer pods than the canary still has (or than the
// stable still lacks); otherwise the current step's weight.
func (s *state) desiredCanaryWeight() int32 {
	c := s.ro.Spec.Strategy.Canary
	if !(s.ro.Status.Abort && c.DynamicStableScale && s.newRS != nil && s.stableRS != nil) {
		return s.currentWeight()
	}
	replicas := specReplicas(s.ro)
	canary := max(replicas-s.stableRS.Status.AvailableReplicas, s.newRS.Status.AvailableReplicas)
	steps := s.steps()
	for i := len(steps) - 1; i >= 0; i-- {
		if w := steps[i].SetWeight; w != nil && weightToReplicas(replicas, *w) < canary {
			return *w
		}
	}
	return 0
}

// weightOnAbort is the canary weight after an abort (upstream
// calculateDesiredWeightOnAbortOrStableRollback): 0, unless dynamicStableScale
// keeps it until the stable pods that take the traffic back are available.
func (s *state) weightOnAbort() int32 {
	c := s.ro.Spec.Strategy.Canary
	replicas := specReplicas(s.ro)
	if !c.DynamicStableScale || s.stableRS == nil || s.newRS == nil || replicas == 0 {
		return 0
	}
	desired := s.desiredCanaryWeight()
	stableWeight := maxWeight * s.stableRS.Status.AvailableReplicas / replicas
	expected := max(0, maxWeight-stableWeight)
	w := s.ro.Status.Canary.Weights
	if w == nil {
		return max(expected, desired)
	}
	current := w.Canary.Weight
	if desired <= 0 {
		// Never back up again while stable availability flaps.
		return min(expected, current)
	}
	if stableWeight < maxWeight-desired {
		// The stable is still scaling up: keep the canary's share.
		return current
	}
	return min(desired, current)
}

// setCanaryScale is the setCanaryScale in effect (traffic-routed canaries only; an
// abort ignores it unless the canary is meant to stay up, matchTrafficWeight ends it).
func (s *state) setCanaryScale() *v1alpha1.SetCanaryScale {
	c := s.ro.Spec.Strategy.Canary
	if c.TrafficRouting == nil {
		return nil
	}
	if s.pause.aborted(s.ro) && !(c.AbortScaleDownDelaySeconds != nil && *c.AbortScaleDownDelaySeconds == 0) {
		return nil
	}
	step, idx := s.currentStep()
	if step == nil {
		return nil
	}
	steps := s.steps()
	for i := idx; i >= 0; i-- {
		scs := steps[i].SetCanaryScale
		if scs == nil {
			continue
		}
		if scs.MatchTrafficWeight {
			return nil
		}
		return scs
	}
	return nil
}

func weightToReplicas(replicas, weight int32) int32 {
	weight, replicas = clampWeight(weight), max(replicas, 0)
	return (weight*replicas + maxWeight - 1) / maxWeight
}

func (s *state) minPods(n int32) int32 {
	c := s.ro.Spec.Strategy.Canary
	if n == 0 || c.MinPodsPerReplicaSet == nil || c.TrafficRouting == nil {
		return n
	}
	return max(n, min(*c.MinPodsPerReplicaSet, specReplicas(s.ro)))
}

// trafficRoutedCounts: with a traffic router the canary gets enough pods for its
// weight (or its setCanaryScale) and the stable stays at full size, unless
// dynamicStableScale shrinks it with its traffic (upstream
// CalculateReplicaCountsForTrafficRoutedCanary).
func (s *state) trafficRoutedCounts() (int32, int32) {
	replicas := specReplicas(s.ro)
	explicit, weight := s.canaryReplicasOrWeight()
	canary := s.minPods(weightToReplicas(replicas, weight))
	if explicit != nil {
		canary = *explicit
	}
	if !s.ro.Spec.Strategy.Canary.DynamicStableScale {
		return canary, replicas
	}
	stable := weightToReplicas(replicas, maxWeight-weight)
	if w := s.ro.Status.Canary.Weights; w != nil {
		stable = max(stable, weightToReplicas(replicas, w.Stable.Weight))
		if s.ro.Status.Abort {
			canary = max(canary, weightToReplicas(replicas, w.Canary.Weight))
		}
	}
	return s.minPods(canary), s.minPods(stable)
}

func delaySeconds(v *int32) (time.Duration, bool) {
	if v == nil {
		return defaultScaleDownDelay, true
	}
	if *v == 0 {
		return 0, false
	}
	return time.Duration(*v) * time.Second, true
}

// ScaleDownDeadline decides on a ReplicaSet whose pods are to go after a delay. If
// it carries a scale-down-deadline, it returns it and whether it has passed (an
// unreadable one counts as passed); otherwise it stamps now+delay on rs, which the
// caller then writes, and reports stamped.
func ScaleDownDeadline(rs *appsv1.ReplicaSet, now time.Time, delay time.Duration) (deadline time.Time, passed, stamped bool) {
	if v, ok := rs.Annotations[ScaleDownDeadlineAnnotation]; ok {
		d, err := time.Parse(time.RFC3339, v)
		if err == nil && now.Before(d) {
			return d, false, false
		}
		return time.Time{}, true, false
	}
	ownAnnotations(&rs.ObjectMeta) // rs may share the cache's map (engine.ListReadOnly)
	deadline = now.Add(delay).Truncate(time.Second)
	rs.Annotations[ScaleDownDeadlineAnnotation] = deadline.UTC().Format(time.RFC3339)
	return deadline, false, true
}

// scaleDownDeadlineOf reads a ReplicaSet's scale-down deadline without stamping
// one: passed is true when it has none, it cannot be read, or it is over.
func scaleDownDeadlineOf(rs *appsv1.ReplicaSet, now time.Time) (time.Time, bool, error) {
	v, ok := rs.Annotations[ScaleDownDeadlineAnnotation]
	if !ok {
		return time.Time{}, true, nil
	}
	d, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, true, err
	}
	return d, !now.Before(d), nil
}

// delayedScaleDown scales a ReplicaSet to zero once its scale-down deadline has
// passed, stamping the deadline first. It reports whether it wrote anything.
func (s *state) delayedScaleDown(ctx context.Context, rs *appsv1.ReplicaSet, delay time.Duration) (bool, error) {
	if rs == nil || rsReplicas(rs) == 0 {
		return false, nil
	}
	deadline, passed, stamped := ScaleDownDeadline(rs, s.r.Clock.Now(), delay)
	switch {
	case passed:
		return s.scale(ctx, rs, 0)
	case stamped:
		if err := s.r.Client.Update(ctx, rs); err != nil {
			return false, err
		}
		s.requeueAt(deadline)
		return true, nil
	}
	s.requeueAt(deadline)
	return false, nil
}
