package v1alpha1

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=rollouts,shortName=ro
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.HPAReplicas,selectorpath=.status.selector
// +kubebuilder:printcolumn:name="Desired",type="integer",JSONPath=".spec.replicas",description="Number of desired pods"
// +kubebuilder:printcolumn:name="Current",type="integer",JSONPath=".status.replicas",description="Total number of non-terminated pods targeted by this rollout"
// +kubebuilder:printcolumn:name="Up-to-date",type="integer",JSONPath=".status.updatedReplicas",description="Total number of non-terminated pods targeted by this rollout that have the desired template spec"
// +kubebuilder:printcolumn:name="Available",type="integer",JSONPath=".status.availableReplicas",description="Total number of available pods (ready for at least minReadySeconds) targeted by this rollout"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description="Time since resource was created"

// Rollout is a Deployment replacement that moves pods to a new revision
// through a canary or blue-green strategy.
type Rollout struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RolloutSpec   `json:"spec"`
	Status RolloutStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// RolloutList is a list of Rollouts.
type RolloutList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata"`

	Items []Rollout `json:"items"`
}

// RolloutSpec is the desired state of a Rollout.
//
// Upstream also has two json:"-" bookkeeping fields for workloadRef
// resolution and a custom MarshalJSON; they are not part of the wire format
// and are left out here.
type RolloutSpec struct {
	// Replicas is the desired pod count; nil means 1.
	Replicas *int32 `json:"replicas,omitempty"`
	// Selector is immutable once set (upstream CRD rule).
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message=".spec.selector is immutable"
	// +optional
	Selector *metav1.LabelSelector `json:"selector"`
	// Template may be empty when WorkloadRef is set.
	// +optional
	Template corev1.PodTemplateSpec `json:"template"`
	// WorkloadRef points at a Deployment whose pod template is used instead of Template.
	WorkloadRef     *ObjectRef `json:"workloadRef,omitempty"`
	MinReadySeconds int32      `json:"minReadySeconds,omitempty"`
	// RollbackWindow fast-tracks a rollback to one of the last N revisions.
	RollbackWindow *RollbackWindowSpec `json:"rollbackWindow,omitempty"`
	// +optional
	Strategy RolloutStrategy `json:"strategy"`
	// RevisionHistoryLimit is the number of old ReplicaSets kept; nil means 10.
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
	Paused               bool   `json:"paused,omitempty"`
	// ProgressDeadlineSeconds defaults to 600.
	ProgressDeadlineSeconds *int32       `json:"progressDeadlineSeconds,omitempty"`
	ProgressDeadlineAbort   bool         `json:"progressDeadlineAbort,omitempty"`
	RestartAt               *metav1.Time `json:"restartAt,omitempty"`
	// Analysis limits how many finished AnalysisRuns are kept.
	Analysis *AnalysisRunStrategy `json:"analysis,omitempty"`
}

// ObjectRef names a workload (used by spec.workloadRef).
type ObjectRef struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Name       string `json:"name,omitempty"`
	// ScaleDown is one of ScaleDownNever, ScaleDownOnSuccess, ScaleDownProgressively.
	ScaleDown string `json:"scaleDown,omitempty"`
}

// Values of ObjectRef.ScaleDown.
const (
	ScaleDownNever         string = "never"
	ScaleDownOnSuccess     string = "onsuccess"
	ScaleDownProgressively string = "progressively"
)

// Well-known label and annotation keys.
const (
	DefaultRolloutUniqueLabelKey                    string = "rollouts-pod-template-hash"
	DefaultReplicaSetScaleDownDeadlineAnnotationKey        = "scale-down-deadline"
	ManagedByRolloutsKey                                   = "argo-rollouts.argoproj.io/managed-by-rollouts"
	DefaultReplicaSetRestartAnnotationKey                  = "argo-rollouts.argoproj.io/restarted-after"
	LabelKeyControllerInstanceID                           = "argo-rollouts.argoproj.io/controller-instance-id"
)

// RollbackWindowSpec configures spec.rollbackWindow.
type RollbackWindowSpec struct {
	Revisions int32 `json:"revisions,omitempty"`
}

// AnalysisRunStrategy configures spec.analysis (run history limits).
type AnalysisRunStrategy struct {
	SuccessfulRunHistoryLimit   *int32 `json:"successfulRunHistoryLimit,omitempty"`
	UnsuccessfulRunHistoryLimit *int32 `json:"unsuccessfulRunHistoryLimit,omitempty"`
}

// RolloutStrategy holds exactly one of the two strategies.
type RolloutStrategy struct {
	BlueGreen *BlueGreenStrategy `json:"blueGreen,omitempty"`
	Canary    *CanaryStrategy    `json:"canary,omitempty"`
}

// BlueGreenStrategy switches an active Service from the old to the new ReplicaSet.
type BlueGreenStrategy struct {
	ActiveService  string `json:"activeService"`
	PreviewService string `json:"previewService,omitempty"`
	// PreviewReplicaCount caps the new ReplicaSet until promotion.
	PreviewReplicaCount *int32 `json:"previewReplicaCount,omitempty"`
	// AutoPromotionEnabled defaults to true.
	AutoPromotionEnabled        *bool               `json:"autoPromotionEnabled,omitempty"`
	AutoPromotionSeconds        int32               `json:"autoPromotionSeconds,omitempty"`
	MaxUnavailable              *intstr.IntOrString `json:"maxUnavailable,omitempty"`
	ScaleDownDelaySeconds       *int32              `json:"scaleDownDelaySeconds,omitempty"`
	ScaleDownDelayRevisionLimit *int32              `json:"scaleDownDelayRevisionLimit,omitempty"`
	PrePromotionAnalysis        *RolloutAnalysis    `json:"prePromotionAnalysis,omitempty"`
	AntiAffinity                *AntiAffinity       `json:"antiAffinity,omitempty"`
	PostPromotionAnalysis       *RolloutAnalysis    `json:"postPromotionAnalysis,omitempty"`
	// PreviewMetadata/ActiveMetadata are added to pods while they play that role.
	PreviewMetadata            *PodTemplateMetadata `json:"previewMetadata,omitempty"`
	ActiveMetadata             *PodTemplateMetadata `json:"activeMetadata,omitempty"`
	AbortScaleDownDelaySeconds *int32               `json:"abortScaleDownDelaySeconds,omitempty"`
}

// AntiAffinity asks for anti-affinity between the old and new ReplicaSets' pods.
type AntiAffinity struct {
	PreferredDuringSchedulingIgnoredDuringExecution *PreferredDuringSchedulingIgnoredDuringExecution `json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty"`
	RequiredDuringSchedulingIgnoredDuringExecution  *RequiredDuringSchedulingIgnoredDuringExecution  `json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

// PreferredDuringSchedulingIgnoredDuringExecution carries the soft rule's weight (1-100).
type PreferredDuringSchedulingIgnoredDuringExecution struct {
	Weight int32 `json:"weight"`
}

// RequiredDuringSchedulingIgnoredDuringExecution selects the hard rule; it has no settings.
type RequiredDuringSchedulingIgnoredDuringExecution struct{}

// ProgressType is the unit of ReplicaProgressThreshold.Value.
type ProgressType string

// ProgressType values.
const (
	ProgressTypePercentage ProgressType = "Percent"
	ProgressTypePods       ProgressType = "Pods"
)

// ReplicaProgressThreshold lets a canary step proceed before all of its pods are available.
type ReplicaProgressThreshold struct {
	Type  ProgressType `json:"type"`
	Value int32        `json:"value"`
}

// CanaryStrategy shifts pods (and optionally traffic) step by step.
type CanaryStrategy struct {
	CanaryService  string                 `json:"canaryService,omitempty"`
	StableService  string                 `json:"stableService,omitempty"`
	Steps          []CanaryStep           `json:"steps,omitempty"`
	TrafficRouting *RolloutTrafficRouting `json:"trafficRouting,omitempty"`
	// MaxUnavailable defaults to 25%; MaxSurge defaults to 25%.
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
	MaxSurge       *intstr.IntOrString `json:"maxSurge,omitempty"`
	// Analysis is the background analysis running alongside the steps.
	Analysis       *RolloutAnalysisBackground `json:"analysis,omitempty"`
	AntiAffinity   *AntiAffinity              `json:"antiAffinity,omitempty"`
	CanaryMetadata *PodTemplateMetadata       `json:"canaryMetadata,omitempty"`
	StableMetadata *PodTemplateMetadata       `json:"stableMetadata,omitempty"`
	// The scale-down settings below only apply with traffic routing.
	ScaleDownDelaySeconds       *int32                    `json:"scaleDownDelaySeconds,omitempty"`
	ScaleDownDelayRevisionLimit *int32                    `json:"scaleDownDelayRevisionLimit,omitempty"`
	AbortScaleDownDelaySeconds  *int32                    `json:"abortScaleDownDelaySeconds,omitempty"`
	DynamicStableScale          bool                      `json:"dynamicStableScale,omitempty"`
	PingPong                    *PingPongSpec             `json:"pingPong,omitempty"`
	MinPodsPerReplicaSet        *int32                    `json:"minPodsPerReplicaSet,omitempty"`
	ReplicaProgressThreshold    *ReplicaProgressThreshold `json:"replicaProgressThreshold,omitempty"`
}

// PingPongSpec names the two Services swapped by the ping-pong feature.
type PingPongSpec struct {
	PingService string `json:"pingService"`
	PongService string `json:"pongService"`
}

// RolloutTrafficRouting configures the traffic providers of a canary.
type RolloutTrafficRouting struct {
	Istio         *IstioTrafficRouting      `json:"istio,omitempty"`
	Nginx         *NginxTrafficRouting      `json:"nginx,omitempty"`
	ALB           *ALBTrafficRouting        `json:"alb,omitempty"`
	SMI           *SMITrafficRouting        `json:"smi,omitempty"`
	Ambassador    *AmbassadorTrafficRouting `json:"ambassador,omitempty"`
	AppMesh       *AppMeshTrafficRouting    `json:"appMesh,omitempty"`
	Traefik       *TraefikTrafficRouting    `json:"traefik,omitempty"`
	ManagedRoutes []MangedRoutes            `json:"managedRoutes,omitempty"`
	Apisix        *ApisixTrafficRouting     `json:"apisix,omitempty"`
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	// Plugins maps a traffic router plugin name to its free-form configuration.
	Plugins          map[string]json.RawMessage `json:"plugins,omitempty"`
	MaxTrafficWeight *int32                     `json:"maxTrafficWeight,omitempty"`
}

// MangedRoutes names a route managed by setHeaderRoute/setMirrorRoute steps
// (the misspelling is upstream's).
type MangedRoutes struct {
	Name string `json:"name"`
}

// ALBTrafficRouting configures the AWS Load Balancer Controller.
type ALBTrafficRouting struct {
	Ingress          string            `json:"ingress,omitempty"`
	ServicePort      int32             `json:"servicePort"`
	RootService      string            `json:"rootService,omitempty"`
	AnnotationPrefix string            `json:"annotationPrefix,omitempty"`
	StickinessConfig *StickinessConfig `json:"stickinessConfig,omitempty"`
	Ingresses        []string          `json:"ingresses,omitempty"`
}

// StickinessConfig configures ALB target-group stickiness.
type StickinessConfig struct {
	Enabled         bool  `json:"enabled"`
	DurationSeconds int64 `json:"durationSeconds"`
}

// TraefikTrafficRouting configures Traefik.
type TraefikTrafficRouting struct {
	WeightedTraefikServiceName string `json:"weightedTraefikServiceName"`
}

// ApisixTrafficRouting configures Apache APISIX.
type ApisixTrafficRouting struct {
	Route *ApisixRoute `json:"route,omitempty"`
}

// ApisixRoute names an ApisixRoute and the rules in it.
type ApisixRoute struct {
	Name  string   `json:"name"`
	Rules []string `json:"rules,omitempty"`
}

// AmbassadorTrafficRouting configures Ambassador/Emissary.
type AmbassadorTrafficRouting struct {
	Mappings []string `json:"mappings"`
}

// SMITrafficRouting configures a Service Mesh Interface TrafficSplit.
type SMITrafficRouting struct {
	RootService      string `json:"rootService,omitempty"`
	TrafficSplitName string `json:"trafficSplitName,omitempty"`
}

// NginxTrafficRouting configures ingress-nginx.
type NginxTrafficRouting struct {
	AnnotationPrefix             string            `json:"annotationPrefix,omitempty"`
	StableIngress                string            `json:"stableIngress,omitempty"`
	AdditionalIngressAnnotations map[string]string `json:"additionalIngressAnnotations,omitempty"`
	StableIngresses              []string          `json:"stableIngresses,omitempty"`
	CanaryIngressAnnotations     map[string]string `json:"canaryIngressAnnotations,omitempty"`
}

// IstioTrafficRouting configures Istio.
type IstioTrafficRouting struct {
	VirtualService  *IstioVirtualService  `json:"virtualService,omitempty"`
	DestinationRule *IstioDestinationRule `json:"destinationRule,omitempty"`
	VirtualServices []IstioVirtualService `json:"virtualServices,omitempty"`
}

// IstioVirtualService names a VirtualService and the routes to edit in it.
type IstioVirtualService struct {
	Name      string     `json:"name"`
	Routes    []string   `json:"routes,omitempty"`
	TLSRoutes []TLSRoute `json:"tlsRoutes,omitempty"`
	TCPRoutes []TCPRoute `json:"tcpRoutes,omitempty"`
}

// TLSRoute selects an Istio TLS route by port and SNI hosts.
type TLSRoute struct {
	Port     int64    `json:"port,omitempty"`
	SNIHosts []string `json:"sniHosts,omitempty"`
}

// TCPRoute selects an Istio TCP route by port.
type TCPRoute struct {
	Port int64 `json:"port,omitempty"`
}

// IstioDestinationRule names the DestinationRule and its subsets.
type IstioDestinationRule struct {
	Name                  string   `json:"name"`
	CanarySubsetName      string   `json:"canarySubsetName"`
	StableSubsetName      string   `json:"stableSubsetName"`
	AdditionalSubsetNames []string `json:"additionalSubsetNames,omitempty"`
}

// AppMeshTrafficRouting configures AWS App Mesh.
type AppMeshTrafficRouting struct {
	VirtualService   *AppMeshVirtualService   `json:"virtualService,omitempty"`
	VirtualNodeGroup *AppMeshVirtualNodeGroup `json:"virtualNodeGroup,omitempty"`
}

// AppMeshVirtualService names an App Mesh virtual service and routes.
type AppMeshVirtualService struct {
	Name   string   `json:"name"`
	Routes []string `json:"routes,omitempty"`
}

// AppMeshVirtualNodeGroup names the canary and stable virtual nodes.
type AppMeshVirtualNodeGroup struct {
	CanaryVirtualNodeRef *AppMeshVirtualNodeReference `json:"canaryVirtualNodeRef"`
	StableVirtualNodeRef *AppMeshVirtualNodeReference `json:"stableVirtualNodeRef"`
}

// AppMeshVirtualNodeReference names an App Mesh virtual node.
type AppMeshVirtualNodeReference struct {
	Name string `json:"name"`
}

// PodTemplateMetadata is extra pod labels/annotations.
type PodTemplateMetadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// AnalysisRunMetadata is extra labels/annotations for created AnalysisRuns.
type AnalysisRunMetadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// CanaryStep is one step of spec.strategy.canary.steps; exactly one field is set.
type CanaryStep struct {
	SetWeight      *int32                 `json:"setWeight,omitempty"`
	Pause          *RolloutPause          `json:"pause,omitempty"`
	Experiment     *RolloutExperimentStep `json:"experiment,omitempty"`
	Analysis       *RolloutAnalysis       `json:"analysis,omitempty"`
	SetCanaryScale *SetCanaryScale        `json:"setCanaryScale,omitempty"`
	SetHeaderRoute *SetHeaderRoute        `json:"setHeaderRoute,omitempty"`
	SetMirrorRoute *SetMirrorRoute        `json:"setMirrorRoute,omitempty"`
	Plugin         *PluginStep            `json:"plugin,omitempty"`
}

// RolloutPause pauses the canary, for Duration or (if nil) until promoted.
// Duration is an integer number of seconds or a Go duration string; see
// DurationSeconds.
type RolloutPause struct {
	Duration *intstr.IntOrString `json:"duration,omitempty"`
}

// SetCanaryScale overrides the canary's replica count independently of traffic weight.
type SetCanaryScale struct {
	Weight             *int32 `json:"weight,omitempty"`
	Replicas           *int32 `json:"replicas,omitempty"`
	MatchTrafficWeight bool   `json:"matchTrafficWeight,omitempty"`
}

// SetHeaderRoute routes requests matching headers to the canary.
type SetHeaderRoute struct {
	Name  string               `json:"name,omitempty"`
	Match []HeaderRoutingMatch `json:"match,omitempty"`
}

// HeaderRoutingMatch matches one header.
type HeaderRoutingMatch struct {
	HeaderName  string       `json:"headerName"`
	HeaderValue *StringMatch `json:"headerValue"`
}

// SetMirrorRoute mirrors a percentage of matching requests to the canary.
type SetMirrorRoute struct {
	Name       string       `json:"name"`
	Match      []RouteMatch `json:"match,omitempty"`
	Percentage *int32       `json:"percentage,omitempty"`
}

// RouteMatch matches requests by method, path and headers.
type RouteMatch struct {
	Method  *StringMatch           `json:"method,omitempty"`
	Path    *StringMatch           `json:"path,omitempty"`
	Headers map[string]StringMatch `json:"headers,omitempty"`
}

// StringMatch is an exact, prefix or regex string match; one field is set.
type StringMatch struct {
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Regex  string `json:"regex,omitempty"`
}

// PluginStep runs a step plugin with free-form configuration.
type PluginStep struct {
	Name string `json:"name"`
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	Config json.RawMessage `json:"config,omitempty"`
}

// RolloutAnalysis references the templates (and arguments) of an analysis
// started by a Rollout: a step analysis, a blue-green pre/post promotion
// analysis, or (inside RolloutAnalysisBackground) the background analysis.
type RolloutAnalysis struct {
	Templates            []AnalysisTemplateRef  `json:"templates,omitempty" patchStrategy:"merge" patchMergeKey:"templateName"`
	Args                 []AnalysisRunArgument  `json:"args,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	DryRun               []DryRun               `json:"dryRun,omitempty" patchStrategy:"merge" patchMergeKey:"metricName"`
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty" patchStrategy:"merge" patchMergeKey:"metricName"`
	AnalysisRunMetadata  *AnalysisRunMetadata   `json:"analysisRunMetadata,omitempty"`
}

// RolloutAnalysisBackground is the canary background analysis.
type RolloutAnalysisBackground struct {
	RolloutAnalysis `json:",inline"`
	// StartingStep is the step index from which the analysis runs.
	StartingStep *int32 `json:"startingStep,omitempty"`
}

// AnalysisTemplateRef names an AnalysisTemplate, or a ClusterAnalysisTemplate
// when ClusterScope is true.
type AnalysisTemplateRef struct {
	// +optional
	TemplateName string `json:"templateName"`
	ClusterScope *bool  `json:"clusterScope,omitempty"`
}

// AnalysisRunArgument is an argument a Rollout passes to its analysis: a
// literal Value or one taken from the pod template hash or a field.
type AnalysisRunArgument struct {
	Name      string             `json:"name"`
	Value     string             `json:"value,omitempty"`
	ValueFrom *ArgumentValueFrom `json:"valueFrom,omitempty"`
}

// ArgumentValueFrom is the source of an AnalysisRunArgument value.
type ArgumentValueFrom struct {
	PodTemplateHashValue *ValueFromPodTemplateHash `json:"podTemplateHashValue,omitempty"`
	FieldRef             *FieldRef                 `json:"fieldRef,omitempty"`
}

// FieldRef is a path into the owning object, e.g. "metadata.labels['app']".
type FieldRef struct {
	FieldPath string `json:"fieldPath"`
}

// ValueFromPodTemplateHash selects the stable or the latest pod template hash.
type ValueFromPodTemplateHash string

// ValueFromPodTemplateHash values.
const (
	Stable ValueFromPodTemplateHash = "Stable"
	Latest ValueFromPodTemplateHash = "Latest"
)

// Labels put on the AnalysisRuns a Rollout creates.
const (
	RolloutTypeLabel              = "rollout-type"
	RolloutTypeStepLabel          = "Step"
	RolloutTypeBackgroundRunLabel = "Background"
	RolloutTypePrePromotionLabel  = "PrePromotion"
	RolloutTypePostPromotionLabel = "PostPromotion"
	RolloutCanaryStepIndexLabel   = "step-index"
)

// RolloutExperimentStep is a canary step that runs an Experiment.
type RolloutExperimentStep struct {
	Templates []RolloutExperimentTemplate `json:"templates" patchStrategy:"merge" patchMergeKey:"name"`
	// Duration is how long the experiment runs; empty means until its analyses finish.
	Duration              DurationString                             `json:"duration,omitempty"`
	Analyses              []RolloutExperimentStepAnalysisTemplateRef `json:"analyses,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	DryRun                []DryRun                                   `json:"dryRun,omitempty" patchStrategy:"merge" patchMergeKey:"metricName"`
	AnalysisRunMetadata   AnalysisRunMetadata                        `json:"analysisRunMetadata,omitempty"`
	ScaleDownDelaySeconds *int32                                     `json:"scaleDownDelaySeconds,omitempty"`
}

// RolloutExperimentStepAnalysisTemplateRef is an analysis of an experiment step.
type RolloutExperimentStepAnalysisTemplateRef struct {
	Name                  string                `json:"name"`
	TemplateName          string                `json:"templateName"`
	ClusterScope          *bool                 `json:"clusterScope,omitempty"`
	Args                  []AnalysisRunArgument `json:"args,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	RequiredForCompletion bool                  `json:"requiredForCompletion,omitempty"`
}

// RolloutExperimentTemplate is one ReplicaSet of an experiment step, cloned
// from the stable or canary pod template.
type RolloutExperimentTemplate struct {
	Name     string                `json:"name"`
	SpecRef  ReplicaSetSpecRef     `json:"specRef"`
	Replicas *int32                `json:"replicas,omitempty"`
	Metadata PodTemplateMetadata   `json:"metadata,omitempty"`
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
	Weight   *int32                `json:"weight,omitempty"`
	Service  *TemplateService      `json:"service,omitempty"`
}

// ReplicaSetSpecRef selects which pod template an experiment template copies.
type ReplicaSetSpecRef string

// ReplicaSetSpecRef values.
const (
	CanarySpecRef ReplicaSetSpecRef = "canary"
	StableSpecRef ReplicaSetSpecRef = "stable"
)

// RolloutStatus is the observed state of a Rollout.
type RolloutStatus struct {
	Abort           bool             `json:"abort,omitempty"`
	PauseConditions []PauseCondition `json:"pauseConditions,omitempty"`
	// ControllerPause is set when the controller itself paused the rollout.
	ControllerPause   bool         `json:"controllerPause,omitempty"`
	AbortedAt         *metav1.Time `json:"abortedAt,omitempty"`
	CurrentPodHash    string       `json:"currentPodHash,omitempty"`
	CurrentStepHash   string       `json:"currentStepHash,omitempty"`
	Replicas          int32        `json:"replicas,omitempty"`
	UpdatedReplicas   int32        `json:"updatedReplicas,omitempty"`
	ReadyReplicas     int32        `json:"readyReplicas,omitempty"`
	AvailableReplicas int32        `json:"availableReplicas,omitempty"`
	CurrentStepIndex  *int32       `json:"currentStepIndex,omitempty"`
	CollisionCount    *int32       `json:"collisionCount,omitempty"`
	// ObservedGeneration is metadata.generation as a string (upstream quirk).
	ObservedGeneration string             `json:"observedGeneration,omitempty"`
	Conditions         []RolloutCondition `json:"conditions,omitempty"`
	Canary             CanaryStatus       `json:"canary,omitempty"`
	BlueGreen          BlueGreenStatus    `json:"blueGreen,omitempty"`
	// HPAReplicas is the scale subresource's status replicas (note the capitalised JSON name).
	HPAReplicas                int32        `json:"HPAReplicas,omitempty"`
	Selector                   string       `json:"selector,omitempty"`
	StableRS                   string       `json:"stableRS,omitempty"`
	RestartedAt                *metav1.Time `json:"restartedAt,omitempty"`
	PromoteFull                bool         `json:"promoteFull,omitempty"`
	Phase                      RolloutPhase `json:"phase,omitempty"`
	Message                    string       `json:"message,omitempty"`
	WorkloadObservedGeneration string       `json:"workloadObservedGeneration,omitempty"`
	ALB                        *ALBStatus   `json:"alb,omitempty"`
	ALBs                       []ALBStatus  `json:"albs,omitempty"`
}

// PauseReason says why a rollout is paused.
type PauseReason string

// PauseReason values.
const (
	PauseReasonInconclusiveAnalysis   PauseReason = "InconclusiveAnalysisRun"
	PauseReasonInconclusiveExperiment PauseReason = "InconclusiveExperiment"
	PauseReasonCanaryPauseStep        PauseReason = "CanaryPauseStep"
	PauseReasonBlueGreenPause         PauseReason = "BlueGreenPause"
)

// PauseCondition records one reason the rollout is paused, and since when.
type PauseCondition struct {
	Reason    PauseReason `json:"reason"`
	StartTime metav1.Time `json:"startTime"`
}

// RolloutPhase is the summary phase shown in status.phase.
type RolloutPhase string

// RolloutPhase values.
const (
	RolloutPhaseHealthy     RolloutPhase = "Healthy"
	RolloutPhaseDegraded    RolloutPhase = "Degraded"
	RolloutPhaseProgressing RolloutPhase = "Progressing"
	RolloutPhasePaused      RolloutPhase = "Paused"
)

// BlueGreenStatus is the blue-green part of the status.
type BlueGreenStatus struct {
	PreviewSelector                string                    `json:"previewSelector,omitempty"`
	ActiveSelector                 string                    `json:"activeSelector,omitempty"`
	ScaleUpPreviewCheckPoint       bool                      `json:"scaleUpPreviewCheckPoint,omitempty"`
	PrePromotionAnalysisRunStatus  *RolloutAnalysisRunStatus `json:"prePromotionAnalysisRunStatus,omitempty"`
	PostPromotionAnalysisRunStatus *RolloutAnalysisRunStatus `json:"postPromotionAnalysisRunStatus,omitempty"`
}

// CanaryStatus is the canary part of the status.
type CanaryStatus struct {
	CurrentStepAnalysisRunStatus       *RolloutAnalysisRunStatus `json:"currentStepAnalysisRunStatus,omitempty"`
	CurrentBackgroundAnalysisRunStatus *RolloutAnalysisRunStatus `json:"currentBackgroundAnalysisRunStatus,omitempty"`
	CurrentExperiment                  string                    `json:"currentExperiment,omitempty"`
	Weights                            *TrafficWeights           `json:"weights,omitempty"`
	StablePingPong                     PingPongType              `json:"stablePingPong,omitempty"`
	StepPluginStatuses                 []StepPluginStatus        `json:"stepPluginStatuses,omitempty"`
}

// PingPongType says which ping-pong Service is currently stable.
type PingPongType string

// PingPongType values.
const (
	PPPing PingPongType = "ping"
	PPPong PingPongType = "pong"
)

// TrafficWeights is the traffic split last set on the traffic router.
type TrafficWeights struct {
	Canary     WeightDestination   `json:"canary"`
	Stable     WeightDestination   `json:"stable"`
	Additional []WeightDestination `json:"additional,omitempty"`
	Verified   *bool               `json:"verified,omitempty"`
}

// WeightDestination is one target of the traffic split.
type WeightDestination struct {
	Weight          int32  `json:"weight"`
	ServiceName     string `json:"serviceName,omitempty"`
	PodTemplateHash string `json:"podTemplateHash,omitempty"`
}

// RolloutAnalysisRunStatus mirrors the state of an AnalysisRun the Rollout owns.
type RolloutAnalysisRunStatus struct {
	Name    string        `json:"name"`
	Status  AnalysisPhase `json:"status"`
	Message string        `json:"message,omitempty"`
}

// StepPluginStatus is the state of a plugin step operation.
type StepPluginStatus struct {
	Index      int32               `json:"index"`
	Name       string              `json:"name"`
	Operation  StepPluginOperation `json:"operation"`
	Phase      StepPluginPhase     `json:"phase,omitempty"`
	Message    string              `json:"message,omitempty"`
	StartedAt  *metav1.Time        `json:"startedAt,omitempty"`
	UpdatedAt  *metav1.Time        `json:"updatedAt,omitempty"`
	FinishedAt *metav1.Time        `json:"finishedAt,omitempty"`
	Backoff    DurationString      `json:"backoff,omitempty"`
	Executions int32               `json:"executions,omitempty"`
	Disabled   bool                `json:"disabled,omitempty"`
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	// Status is the plugin's own opaque state.
	Status json.RawMessage `json:"status,omitempty"`
}

// StepPluginPhase is the phase of a plugin step operation.
type StepPluginPhase string

// StepPluginPhase values.
const (
	StepPluginPhaseRunning    StepPluginPhase = "Running"
	StepPluginPhaseSuccessful StepPluginPhase = "Successful"
	StepPluginPhaseFailed     StepPluginPhase = "Failed"
	StepPluginPhaseError      StepPluginPhase = "Error"
)

// StepPluginOperation is the call made to a step plugin.
type StepPluginOperation string

// StepPluginOperation values.
const (
	StepPluginOperationRun       StepPluginOperation = "Run"
	StepPluginOperationTerminate StepPluginOperation = "Terminate"
	StepPluginOperationAbort     StepPluginOperation = "Abort"
)

// ALBStatus records the AWS resources an ALB-routed rollout uses.
type ALBStatus struct {
	LoadBalancer      AwsResourceRef `json:"loadBalancer,omitempty"`
	CanaryTargetGroup AwsResourceRef `json:"canaryTargetGroup,omitempty"`
	StableTargetGroup AwsResourceRef `json:"stableTargetGroup,omitempty"`
	Ingress           string         `json:"ingress,omitempty"`
}

// AwsResourceRef identifies an AWS resource.
type AwsResourceRef struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
	// +optional
	FullName string `json:"fullName"`
}

// RolloutConditionType is the type of a RolloutCondition.
type RolloutConditionType string

// RolloutConditionType values.
const (
	InvalidSpec           RolloutConditionType = "InvalidSpec"
	RolloutAvailable      RolloutConditionType = "Available"
	RolloutProgressing    RolloutConditionType = "Progressing"
	RolloutReplicaFailure RolloutConditionType = "ReplicaFailure"
	RolloutPaused         RolloutConditionType = "Paused"
	RolloutCompleted      RolloutConditionType = "Completed"
	RolloutHealthy        RolloutConditionType = "Healthy"
)

// RolloutCondition is one entry of status.conditions. All fields are
// always serialised, as upstream does.
type RolloutCondition struct {
	Type               RolloutConditionType   `json:"type"`
	Status             corev1.ConditionStatus `json:"status"`
	LastUpdateTime     metav1.Time            `json:"lastUpdateTime"`
	LastTransitionTime metav1.Time            `json:"lastTransitionTime"`
	Reason             string                 `json:"reason"`
	Message            string                 `json:"message"`
}
