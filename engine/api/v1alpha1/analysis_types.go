package v1alpha1

import (
	"encoding/json"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=analysistemplates,shortName=at
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description="Time since resource was created"

// AnalysisTemplate is a namespaced, reusable set of metrics with arguments.
type AnalysisTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AnalysisTemplateSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// AnalysisTemplateList is a list of AnalysisTemplates.
type AnalysisTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata"`
	Items           []AnalysisTemplate `json:"items"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=clusteranalysistemplates,shortName=cat,scope=Cluster
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description="Time since resource was created"

// ClusterAnalysisTemplate is the cluster-scoped form of AnalysisTemplate.
type ClusterAnalysisTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AnalysisTemplateSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// ClusterAnalysisTemplateList is a list of ClusterAnalysisTemplates.
type ClusterAnalysisTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata"`
	Items           []ClusterAnalysisTemplate `json:"items"`
}

// AnalysisTemplateSpec is shared by both template kinds.
type AnalysisTemplateSpec struct {
	// Metrics are keyed by name in the CRD (listType=map): the Job spec of the
	// job provider carries immutability rules (oldSelf) that the API server only
	// accepts inside a list whose items it can match across updates.
	// +listType=map
	// +listMapKey=name
	Metrics []Metric `json:"metrics,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	// Args declares the arguments; a nil Value must be supplied by the caller.
	Args                 []Argument             `json:"args,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	DryRun               []DryRun               `json:"dryRun,omitempty" patchStrategy:"merge" patchMergeKey:"metricName"`
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty" patchStrategy:"merge" patchMergeKey:"metricName"`
	// Templates pulls in the metrics and args of other templates.
	Templates []AnalysisTemplateRef `json:"templates,omitempty" patchStrategy:"merge" patchMergeKey:"templateName"`
}

// DurationString is a Go duration such as "30s" or "5m"; see Duration.
type DurationString string

// Metric is one measurement to take, how often, and how to judge it.
type Metric struct {
	Name string `json:"name"`
	// Interval between measurements; empty means measure once (unless Count says otherwise).
	Interval     DurationString `json:"interval,omitempty"`
	InitialDelay DurationString `json:"initialDelay,omitempty"`
	// Count is the number of measurements; see EffectiveCount.
	Count            *intstr.IntOrString `json:"count,omitempty"`
	SuccessCondition string              `json:"successCondition,omitempty"`
	FailureCondition string              `json:"failureCondition,omitempty"`
	// Limits default to 0 failures, 0 inconclusive and 4 consecutive errors.
	FailureLimit            *intstr.IntOrString `json:"failureLimit,omitempty"`
	InconclusiveLimit       *intstr.IntOrString `json:"inconclusiveLimit,omitempty"`
	ConsecutiveErrorLimit   *intstr.IntOrString `json:"consecutiveErrorLimit,omitempty"`
	Provider                MetricProvider      `json:"provider"`
	ConsecutiveSuccessLimit *intstr.IntOrString `json:"consecutiveSuccessLimit,omitempty"`
}

// DryRun names a metric (or ".*" style pattern) whose result does not count.
type DryRun struct {
	MetricName string `json:"metricName"`
}

// MeasurementRetention keeps the last Limit measurements of a metric.
type MeasurementRetention struct {
	MetricName string `json:"metricName"`
	Limit      int32  `json:"limit"`
}

// TTLStrategy deletes a finished AnalysisRun after the given number of seconds.
type TTLStrategy struct {
	SecondsAfterCompletion *int32 `json:"secondsAfterCompletion,omitempty"`
	SecondsAfterFailure    *int32 `json:"secondsAfterFailure,omitempty"`
	SecondsAfterSuccess    *int32 `json:"secondsAfterSuccess,omitempty"`
}

// MetricProvider selects where a metric's value comes from; one field is set.
//
// Prometheus, Web and Job are modelled in full. The other providers are
// accepted and kept verbatim (OpaqueProvider) without validating their
// contents; Plugin is free-form per plugin name, as upstream.
type MetricProvider struct {
	Prometheus *PrometheusMetric `json:"prometheus,omitempty"`
	Kayenta    *OpaqueProvider   `json:"kayenta,omitempty"`
	Web        *WebMetric        `json:"web,omitempty"`
	Datadog    *OpaqueProvider   `json:"datadog,omitempty"`
	Wavefront  *OpaqueProvider   `json:"wavefront,omitempty"`
	NewRelic   *OpaqueProvider   `json:"newRelic,omitempty"`
	Job        *JobMetric        `json:"job,omitempty"`
	CloudWatch *OpaqueProvider   `json:"cloudWatch,omitempty"`
	Graphite   *OpaqueProvider   `json:"graphite,omitempty"`
	Influxdb   *OpaqueProvider   `json:"influxdb,omitempty"`
	SkyWalking *OpaqueProvider   `json:"skywalking,omitempty"`
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	Plugin map[string]json.RawMessage `json:"plugin,omitempty"`
}

// +kubebuilder:validation:Type=object
// +kubebuilder:pruning:PreserveUnknownFields

// OpaqueProvider holds the configuration of a metric provider that rollsim
// does not model, exactly as written (compact JSON). Any JSON value is
// accepted; nothing inside it is validated.
type OpaqueProvider struct {
	Raw json.RawMessage `json:"-"`
}

// MarshalJSON writes the stored configuration back unchanged.
func (o OpaqueProvider) MarshalJSON() ([]byte, error) {
	if o.Raw == nil {
		return []byte("null"), nil
	}
	return o.Raw, nil
}

// UnmarshalJSON stores a copy of the configuration.
func (o *OpaqueProvider) UnmarshalJSON(b []byte) error {
	o.Raw = append(o.Raw[:0:0], b...)
	return nil
}

// AnalysisPhase is the phase of an AnalysisRun, a metric result or a measurement.
type AnalysisPhase string

// AnalysisPhase values.
const (
	AnalysisPhasePending      AnalysisPhase = "Pending"
	AnalysisPhaseRunning      AnalysisPhase = "Running"
	AnalysisPhaseSuccessful   AnalysisPhase = "Successful"
	AnalysisPhaseFailed       AnalysisPhase = "Failed"
	AnalysisPhaseError        AnalysisPhase = "Error"
	AnalysisPhaseInconclusive AnalysisPhase = "Inconclusive"
)

// PrometheusMetric queries a Prometheus server.
type PrometheusMetric struct {
	Address        string         `json:"address,omitempty"`
	Query          string         `json:"query,omitempty"`
	Authentication Authentication `json:"authentication,omitempty"`
	// Timeout is the query timeout in seconds.
	Timeout    *int64                    `json:"timeout,omitempty"`
	Insecure   bool                      `json:"insecure,omitempty"`
	Headers    []WebMetricHeader         `json:"headers,omitempty" patchStrategy:"merge" patchMergeKey:"key"`
	RangeQuery *PrometheusRangeQueryArgs `json:"rangeQuery,omitempty"`
}

// PrometheusRangeQueryArgs turns the query into a range query. Start and End
// are expressions such as "now() - duration('5m')".
type PrometheusRangeQueryArgs struct {
	Start string         `json:"start,omitempty"`
	End   string         `json:"end,omitempty"`
	Step  DurationString `json:"step,omitempty"`
}

// Authentication for the Prometheus and Web providers. Both members are
// structs, so an empty authentication serialises as {oauth2: {}, sigv4: {}},
// which is what the real controller writes back.
type Authentication struct {
	Sigv4  Sigv4Config  `json:"sigv4,omitempty"`
	OAuth2 OAuth2Config `json:"oauth2,omitempty"`
}

// OAuth2Config is client-credentials OAuth2.
type OAuth2Config struct {
	TokenURL     string   `json:"tokenUrl,omitempty"`
	ClientID     string   `json:"clientId,omitempty"`
	ClientSecret string   `json:"clientSecret,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
}

// Sigv4Config is AWS SigV4 signing.
type Sigv4Config struct {
	Region  string `json:"region,omitempty"`
	Profile string `json:"profile,omitempty"`
	RoleARN string `json:"roleArn,omitempty"`
}

// WebMetric calls an HTTP endpoint and reads a JSON value from the response.
type WebMetric struct {
	Method  WebMetricMethod   `json:"method,omitempty"`
	URL     string            `json:"url"`
	Headers []WebMetricHeader `json:"headers,omitempty" patchStrategy:"merge" patchMergeKey:"key"`
	// Body and JSONBody are alternatives: a raw string or a JSON document.
	Body           string `json:"body,omitempty"`
	TimeoutSeconds int64  `json:"timeoutSeconds,omitempty"`
	JSONPath       string `json:"jsonPath,omitempty"`
	Insecure       bool   `json:"insecure,omitempty"`
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	JSONBody       json.RawMessage `json:"jsonBody,omitempty"`
	Authentication Authentication  `json:"authentication,omitempty"`
}

// WebMetricMethod is the HTTP method of a WebMetric.
type WebMetricMethod string

// WebMetricMethod values.
const (
	WebMetricMethodGet  WebMetricMethod = "GET"
	WebMetricMethodPost WebMetricMethod = "POST"
	WebMetricMethodPut  WebMetricMethod = "PUT"
)

// WebMetricHeader is one HTTP header.
type WebMetricHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// JobMetric runs a Kubernetes Job; success of the Job is success of the measurement.
type JobMetric struct {
	Metadata metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec     batchv1.JobSpec   `json:"spec"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=analysisruns,shortName=ar
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.phase",description="AnalysisRun status"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description="Time since resource was created"

// AnalysisRun is one execution of a set of metrics.
type AnalysisRun struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              AnalysisRunSpec   `json:"spec"`
	Status            AnalysisRunStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// AnalysisRunList is a list of AnalysisRuns.
type AnalysisRunList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata"`
	Items           []AnalysisRun `json:"items"`
}

// AnalysisRunSpec is the resolved set of metrics and arguments of a run.
type AnalysisRunSpec struct {
	// Metrics are keyed by name in the CRD (listType=map): the Job spec of the
	// job provider carries immutability rules (oldSelf) that the API server only
	// accepts inside a list whose items it can match across updates.
	// +listType=map
	// +listMapKey=name
	Metrics []Metric   `json:"metrics" patchStrategy:"merge" patchMergeKey:"name"`
	Args    []Argument `json:"args,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	// Terminate asks the run to stop after in-flight measurements.
	Terminate            bool                   `json:"terminate,omitempty"`
	DryRun               []DryRun               `json:"dryRun,omitempty" patchStrategy:"merge" patchMergeKey:"metricName"`
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty" patchStrategy:"merge" patchMergeKey:"metricName"`
	TTLStrategy          *TTLStrategy           `json:"ttlStrategy,omitempty"`
}

// Argument is a template/run argument: a literal Value or one read from a
// Secret or a field of the owning object.
type Argument struct {
	Name      string     `json:"name"`
	Value     *string    `json:"value,omitempty"`
	ValueFrom *ValueFrom `json:"valueFrom,omitempty"`
}

// ValueFrom is the source of an Argument value.
type ValueFrom struct {
	SecretKeyRef *SecretKeyRef `json:"secretKeyRef,omitempty"`
	FieldRef     *FieldRef     `json:"fieldRef,omitempty"`
}

// SecretKeyRef is a key in a Secret of the run's namespace.
type SecretKeyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// AnalysisRunStatus is the observed state of an AnalysisRun.
type AnalysisRunStatus struct {
	Phase         AnalysisPhase  `json:"phase"`
	Message       string         `json:"message,omitempty"`
	MetricResults []MetricResult `json:"metricResults,omitempty"`
	StartedAt     *metav1.Time   `json:"startedAt,omitempty"`
	RunSummary    RunSummary     `json:"runSummary,omitempty"`
	DryRunSummary *RunSummary    `json:"dryRunSummary,omitempty"`
	CompletedAt   *metav1.Time   `json:"completedAt,omitempty"`
}

// RunSummary counts metrics by final phase.
type RunSummary struct {
	Count        int32 `json:"count,omitempty"`
	Successful   int32 `json:"successful,omitempty"`
	Failed       int32 `json:"failed,omitempty"`
	Inconclusive int32 `json:"inconclusive,omitempty"`
	Error        int32 `json:"error,omitempty"`
}

// MetricResult is the progress of one metric within a run.
type MetricResult struct {
	Name         string        `json:"name"`
	Phase        AnalysisPhase `json:"phase"`
	Measurements []Measurement `json:"measurements,omitempty"`
	Message      string        `json:"message,omitempty"`
	// Count is the number of measurements taken (errors included).
	Count            int32 `json:"count,omitempty"`
	Successful       int32 `json:"successful,omitempty"`
	Failed           int32 `json:"failed,omitempty"`
	Inconclusive     int32 `json:"inconclusive,omitempty"`
	Error            int32 `json:"error,omitempty"`
	ConsecutiveError int32 `json:"consecutiveError,omitempty"`
	DryRun           bool  `json:"dryRun,omitempty"`
	// Metadata is provider output, e.g. "ResolvedPrometheusQuery".
	Metadata           map[string]string `json:"metadata,omitempty"`
	ConsecutiveSuccess int32             `json:"consecutiveSuccess,omitempty"`
}

// Measurement is a single measurement of a metric.
type Measurement struct {
	Phase      AnalysisPhase `json:"phase"`
	Message    string        `json:"message,omitempty"`
	StartedAt  *metav1.Time  `json:"startedAt,omitempty"`
	FinishedAt *metav1.Time  `json:"finishedAt,omitempty"`
	// Value is the provider's result as text, e.g. "[0.95]".
	Value    string            `json:"value,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
	// ResumeAt is when an asynchronous provider should be polled again.
	ResumeAt *metav1.Time `json:"resumeAt,omitempty"`
}
