package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Annotations the experiment controller puts on the ReplicaSets it creates.
const (
	ExperimentNameAnnotationKey         = "experiment.argoproj.io/name"
	ExperimentTemplateNameAnnotationKey = "experiment.argoproj.io/template-name"
)

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=experiments,shortName=exp
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.phase",description="Experiment status"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description="Time since resource was created"

// Experiment runs one or more short-lived ReplicaSets, optionally with analyses.
type Experiment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ExperimentSpec   `json:"spec"`
	Status ExperimentStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ExperimentList is a list of Experiments.
type ExperimentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata"`

	Items []Experiment `json:"items"`
}

// ExperimentSpec is the desired state of an Experiment.
type ExperimentSpec struct {
	Templates []TemplateSpec `json:"templates" patchStrategy:"merge" patchMergeKey:"name"`
	// Duration is how long the experiment runs; empty means until its analyses finish.
	Duration DurationString `json:"duration,omitempty"`
	// ProgressDeadlineSeconds defaults to 600.
	ProgressDeadlineSeconds *int32                          `json:"progressDeadlineSeconds,omitempty"`
	Terminate               bool                            `json:"terminate,omitempty"`
	Analyses                []ExperimentAnalysisTemplateRef `json:"analyses,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	ScaleDownDelaySeconds   *int32                          `json:"scaleDownDelaySeconds,omitempty"`
	DryRun                  []DryRun                        `json:"dryRun,omitempty" patchStrategy:"merge" patchMergeKey:"metricName"`
	MeasurementRetention    []MeasurementRetention          `json:"measurementRetention,omitempty" patchStrategy:"merge" patchMergeKey:"metricName"`
	AnalysisRunMetadata     AnalysisRunMetadata             `json:"analysisRunMetadata,omitempty"`
}

// TemplateSpec is one ReplicaSet of an experiment.
type TemplateSpec struct {
	Name            string                 `json:"name"`
	Replicas        *int32                 `json:"replicas,omitempty"`
	MinReadySeconds int32                  `json:"minReadySeconds,omitempty"`
	Selector        *metav1.LabelSelector  `json:"selector"`
	Template        corev1.PodTemplateSpec `json:"template"`
	// Service, when set, makes the controller create a Service for the template.
	Service *TemplateService `json:"service,omitempty"`
}

// TemplateService names the Service created for an experiment template.
type TemplateService struct {
	Name string `json:"name,omitempty"`
}

// TemplateStatusCode is the state of one experiment template.
type TemplateStatusCode string

// TemplateStatusCode values.
const (
	TemplateStatusProgressing TemplateStatusCode = "Progressing"
	TemplateStatusRunning     TemplateStatusCode = "Running"
	TemplateStatusSuccessful  TemplateStatusCode = "Successful"
	TemplateStatusFailed      TemplateStatusCode = "Failed"
	TemplateStatusError       TemplateStatusCode = "Error"
)

// TemplateStatus is the observed state of one experiment template.
type TemplateStatus struct {
	Name               string             `json:"name"`
	Replicas           int32              `json:"replicas"`
	UpdatedReplicas    int32              `json:"updatedReplicas"`
	ReadyReplicas      int32              `json:"readyReplicas"`
	AvailableReplicas  int32              `json:"availableReplicas"`
	CollisionCount     *int32             `json:"collisionCount,omitempty"`
	Status             TemplateStatusCode `json:"status,omitempty"`
	Message            string             `json:"message,omitempty"`
	LastTransitionTime *metav1.Time       `json:"lastTransitionTime,omitempty"`
	ServiceName        string             `json:"serviceName,omitempty"`
	PodTemplateHash    string             `json:"podTemplateHash,omitempty"`
}

// ExperimentStatus is the observed state of an Experiment.
type ExperimentStatus struct {
	Phase            AnalysisPhase    `json:"phase,omitempty"`
	Message          string           `json:"message,omitempty"`
	TemplateStatuses []TemplateStatus `json:"templateStatuses,omitempty"`
	// AvailableAt is when all templates first became available (start of Duration).
	AvailableAt  *metav1.Time                  `json:"availableAt,omitempty"`
	Conditions   []ExperimentCondition         `json:"conditions,omitempty"`
	AnalysisRuns []ExperimentAnalysisRunStatus `json:"analysisRuns,omitempty"`
}

// ExperimentConditionType is the type of an ExperimentCondition.
type ExperimentConditionType string

// ExperimentConditionType values.
const (
	InvalidExperimentSpec    ExperimentConditionType = "InvalidSpec"
	ExperimentCompleted      ExperimentConditionType = "Completed"
	ExperimentProgressing    ExperimentConditionType = "Progressing"
	ExperimentRunning        ExperimentConditionType = "Running"
	ExperimentReplicaFailure ExperimentConditionType = "ReplicaFailure"
)

// ExperimentCondition is one entry of status.conditions.
type ExperimentCondition struct {
	Type               ExperimentConditionType `json:"type"`
	Status             corev1.ConditionStatus  `json:"status"`
	LastUpdateTime     metav1.Time             `json:"lastUpdateTime"`
	LastTransitionTime metav1.Time             `json:"lastTransitionTime"`
	Reason             string                  `json:"reason"`
	Message            string                  `json:"message"`
}

// ExperimentAnalysisTemplateRef is an analysis run alongside the experiment.
type ExperimentAnalysisTemplateRef struct {
	Name         string     `json:"name"`
	TemplateName string     `json:"templateName"`
	ClusterScope *bool      `json:"clusterScope,omitempty"`
	Args         []Argument `json:"args,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	// RequiredForCompletion makes the experiment wait for this analysis.
	RequiredForCompletion bool `json:"requiredForCompletion,omitempty"`
}

// ExperimentAnalysisRunStatus mirrors one AnalysisRun of the experiment.
type ExperimentAnalysisRunStatus struct {
	Name        string        `json:"name"`
	AnalysisRun string        `json:"analysisRun"`
	Phase       AnalysisPhase `json:"phase"`
	Message     string        `json:"message,omitempty"`
}
