package rollout

import (
	"bytes"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// statusEqual is equality.Semantic.DeepEqual for Rollout statuses without
// reflection (persist ran it on every reconcile): nil and empty slices are
// equal, timestamps compare by instant. TestStatusEqualCoversEveryField fails
// when a field is added to one of these types and not here.
func statusEqual(a, b *v1alpha1.RolloutStatus) bool {
	return a.Abort == b.Abort && a.ControllerPause == b.ControllerPause && a.PromoteFull == b.PromoteFull &&
		a.CurrentPodHash == b.CurrentPodHash && a.CurrentStepHash == b.CurrentStepHash &&
		a.Replicas == b.Replicas && a.UpdatedReplicas == b.UpdatedReplicas && a.ReadyReplicas == b.ReadyReplicas &&
		a.AvailableReplicas == b.AvailableReplicas && a.HPAReplicas == b.HPAReplicas &&
		a.ObservedGeneration == b.ObservedGeneration && a.Selector == b.Selector && a.StableRS == b.StableRS &&
		a.Phase == b.Phase && a.Message == b.Message && a.WorkloadObservedGeneration == b.WorkloadObservedGeneration &&
		ptrEqual(a.CurrentStepIndex, b.CurrentStepIndex) && ptrEqual(a.CollisionCount, b.CollisionCount) &&
		timeEqual(a.AbortedAt, b.AbortedAt) && timeEqual(a.RestartedAt, b.RestartedAt) &&
		slices.EqualFunc(a.PauseConditions, b.PauseConditions, func(x, y v1alpha1.PauseCondition) bool {
			return x.Reason == y.Reason && x.StartTime.UTC() == y.StartTime.UTC()
		}) &&
		slices.EqualFunc(a.Conditions, b.Conditions, func(x, y v1alpha1.RolloutCondition) bool {
			return x.Type == y.Type && x.Status == y.Status && x.Reason == y.Reason && x.Message == y.Message &&
				x.LastUpdateTime.UTC() == y.LastUpdateTime.UTC() && x.LastTransitionTime.UTC() == y.LastTransitionTime.UTC()
		}) &&
		canaryStatusEqual(&a.Canary, &b.Canary) &&
		a.BlueGreen.PreviewSelector == b.BlueGreen.PreviewSelector && a.BlueGreen.ActiveSelector == b.BlueGreen.ActiveSelector &&
		a.BlueGreen.ScaleUpPreviewCheckPoint == b.BlueGreen.ScaleUpPreviewCheckPoint &&
		ptrEqual(a.BlueGreen.PrePromotionAnalysisRunStatus, b.BlueGreen.PrePromotionAnalysisRunStatus) &&
		ptrEqual(a.BlueGreen.PostPromotionAnalysisRunStatus, b.BlueGreen.PostPromotionAnalysisRunStatus) &&
		ptrEqual(a.ALB, b.ALB) && slices.Equal(a.ALBs, b.ALBs)
}

func canaryStatusEqual(a, b *v1alpha1.CanaryStatus) bool {
	if a.CurrentExperiment != b.CurrentExperiment || a.StablePingPong != b.StablePingPong ||
		!ptrEqual(a.CurrentStepAnalysisRunStatus, b.CurrentStepAnalysisRunStatus) ||
		!ptrEqual(a.CurrentBackgroundAnalysisRunStatus, b.CurrentBackgroundAnalysisRunStatus) {
		return false
	}
	if (a.Weights == nil) != (b.Weights == nil) {
		return false
	}
	if w, v := a.Weights, b.Weights; w != nil && (w.Canary != v.Canary || w.Stable != v.Stable ||
		!slices.Equal(w.Additional, v.Additional) || !ptrEqual(w.Verified, v.Verified)) {
		return false
	}
	return slices.EqualFunc(a.StepPluginStatuses, b.StepPluginStatuses, func(x, y v1alpha1.StepPluginStatus) bool {
		return x.Index == y.Index && x.Name == y.Name && x.Operation == y.Operation && x.Phase == y.Phase &&
			x.Message == y.Message && x.Backoff == y.Backoff && x.Executions == y.Executions && x.Disabled == y.Disabled &&
			timeEqual(x.StartedAt, y.StartedAt) && timeEqual(x.UpdatedAt, y.UpdatedAt) && timeEqual(x.FinishedAt, y.FinishedAt) &&
			bytes.Equal(x.Status, y.Status)
	})
}

// ptrEqual: both nil, or both set to equal values.
func ptrEqual[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// timeEqual compares as equality.Semantic does: by instant (UTC).
func timeEqual(a, b *metav1.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.UTC() == b.UTC()
}
