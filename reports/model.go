// Package reports renders a simulation result: the JSON report (a contract CI
// scripts rely on, see design.md), and the text report with a timeline, the
// `kubectl argo rollouts get rollout` tree and `kubectl describe analysisrun` views.
// It only reads sim.Result; it never runs anything.
package reports

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/rollout"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

// Report is the JSON report. Field names are part of rollsim's contract.
type Report struct {
	Scenario          string `json:"scenario"`
	File              string `json:"file"`
	ControllerVersion string `json:"controllerVersion"`
	Seed              int64  `json:"seed"`
	Verdict           string `json:"verdict"`
	// Headline is the report's first line: the verdict, or a standalone
	// Experiment's failure; for Incomplete, what the rollout was waiting for.
	Headline string `json:"headline"`
	// Waiting is what an Incomplete rollout was waiting for at until.
	Waiting       string `json:"waiting,omitempty"`
	DecidedAt     string `json:"decidedAt,omitempty"`
	DecidedAtTime string `json:"decidedAtTime,omitempty"`
	Message       string `json:"message"`
	// Rollout is omitted for a scenario of standalone Experiments
	// (ExperimentsOnly): the verdict and message are the Experiments'.
	Rollout         *RolloutInfo     `json:"rollout,omitempty"`
	ExperimentsOnly bool             `json:"experimentsOnly,omitempty"`
	AnalysisRuns    []RunInfo        `json:"analysisRuns"`
	Experiments     []ExperimentInfo `json:"experiments"`
	Events          []EventInfo      `json:"events"`
	// Measurements explains every measurement of the run in order, with the
	// counters and limits right after it; Weights is the canary's weight over time.
	Measurements []MeasurementExplained `json:"measurements"`
	Weights      []WeightInfo           `json:"weights"`
	// StatusHistory is every change of the rollout's phase or message;
	// ReplicaSets are the final ReplicaSets, oldest first.
	StatusHistory []StatusInfo     `json:"statusHistory"`
	ReplicaSets   []ReplicaSetInfo `json:"replicaSets"`
	// Services are the final selectors of the scenario's Services (the
	// controller writes the pod-template hash into the ones it manages).
	Services    []ServiceInfo `json:"services"`
	Expectation *Expectations `json:"expectation,omitempty"`
	Timing      Timing        `json:"timing"`
}

// StatusInfo is the rollout's phase and message from At on.
type StatusInfo struct {
	At      string `json:"at"`
	Time    string `json:"time"`
	Phase   string `json:"phase"`
	Message string `json:"message,omitempty"`
}

// ReplicaSetInfo is one ReplicaSet as the end of the run left it.
type ReplicaSetInfo struct {
	Name            string   `json:"name"`
	Revision        int      `json:"revision"`
	PodTemplateHash string   `json:"podTemplateHash"`
	Tags            []string `json:"tags,omitempty"` // stable, canary, active, preview
	Images          []string `json:"images"`
	Replicas        int32    `json:"replicas"`
	Ready           int32    `json:"ready"`
	Available       int32    `json:"available"`
	// ScaleDownDeadline is when a ReplicaSet kept after a promotion or an
	// abort is scaled down (the scale-down-deadline annotation).
	ScaleDownDeadline string `json:"scaleDownDeadline,omitempty"`
}

// ServiceInfo is one Service's final selector.
type ServiceInfo struct {
	Name     string            `json:"name"`
	Selector map[string]string `json:"selector"`
}

// RolloutInfo is what `kubectl argo rollouts get rollout` shows in its header.
type RolloutInfo struct {
	Name         string       `json:"name"`
	Namespace    string       `json:"namespace"`
	Revision     string       `json:"revision"`
	Status       string       `json:"status"`
	Message      string       `json:"message,omitempty"`
	Strategy     string       `json:"strategy"`
	Step         string       `json:"step"`
	SetWeight    string       `json:"setWeight"`
	ActualWeight string       `json:"actualWeight"`
	Images       []ImageInfo  `json:"images"`
	Replicas     ReplicaCount `json:"replicas"`
}

// ImageInfo is one image and the roles of the pods running it.
type ImageInfo struct {
	Image string   `json:"image"`
	Tags  []string `json:"tags,omitempty"`
}

// ReplicaCount mirrors the Replicas block of `get rollout`.
type ReplicaCount struct {
	Desired   int32 `json:"desired"`
	Current   int32 `json:"current"`
	Updated   int32 `json:"updated"`
	Ready     int32 `json:"ready"`
	Available int32 `json:"available"`
}

// RunInfo is one AnalysisRun.
type RunInfo struct {
	Name          string               `json:"name"`
	Type          string               `json:"type"`
	Phase         string               `json:"phase"`
	Message       string               `json:"message"`
	CreatedAt     string               `json:"createdAt"`
	StartedAt     string               `json:"startedAt,omitempty"`
	CompletedAt   string               `json:"completedAt,omitempty"`
	RunSummary    v1alpha1.RunSummary  `json:"runSummary"`
	DryRunSummary *v1alpha1.RunSummary `json:"dryRunSummary,omitempty"`
	Metrics       []MetricInfo         `json:"metrics"`
}

// MetricInfo is one metric result of a run.
type MetricInfo struct {
	Name             string            `json:"name"`
	Phase            string            `json:"phase"`
	Message          string            `json:"message,omitempty"`
	DryRun           bool              `json:"dryRun,omitempty"`
	Count            int32             `json:"count"`
	Successful       int32             `json:"successful"`
	Failed           int32             `json:"failed"`
	Inconclusive     int32             `json:"inconclusive"`
	Error            int32             `json:"error"`
	ConsecutiveError int32             `json:"consecutiveError"`
	Metadata         map[string]string `json:"metadata,omitempty"`
	Measurements     []MeasurementInfo `json:"measurements"`
}

// MeasurementInfo is one measurement, with its offset from the update.
type MeasurementInfo struct {
	At         string `json:"at"`
	StartedAt  string `json:"startedAt,omitempty"`
	FinishedAt string `json:"finishedAt,omitempty"`
	Phase      string `json:"phase"`
	Value      string `json:"value"`
	Message    string `json:"message,omitempty"`
}

// EventInfo is one timeline entry.
type EventInfo struct {
	At      string `json:"at"`
	Time    string `json:"time"`
	Object  string `json:"object"`
	Type    string `json:"type"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// Timing says what the run cost in virtual time and queries. WallMs, the wall
// time, is set only on request (`run --timing`) by the caller that measured it:
// it would break byte-identical reports.
type Timing struct {
	WallMs         *float64 `json:"wallMs,omitempty"`
	VirtualSeconds float64  `json:"virtualSeconds"`
	Queries        int      `json:"queries"`
}

// Expectations is the outcome of checking the scenario's expect block.
type Expectations struct {
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures,omitempty"`
}

// Build turns a result into the report model.
func Build(res *sim.Result) *Report {
	r := &Report{
		Scenario:          res.Scenario,
		File:              res.File,
		ControllerVersion: res.ControllerVersion,
		Seed:              res.Seed,
		Verdict:           res.Verdict,
		Headline:          Headline(res),
		Message:           res.Message,
		Rollout:           rolloutInfo(res),
		ExperimentsOnly:   res.ExperimentsOnly,
		Experiments:       []ExperimentInfo{},
		Timing:            Timing{VirtualSeconds: (res.Ended + 0).Seconds(), Queries: res.Queries},
	}
	if res.Verdict == scenario.Incomplete {
		r.Waiting = Waiting(res)
	}
	if res.DecidedAt != nil {
		r.DecidedAt = offset(*res.DecidedAt)
		r.DecidedAtTime = stamp(res.Start.Add(*res.DecidedAt))
	}
	r.AnalysisRuns = []RunInfo{}
	for i := range res.AnalysisRuns {
		r.AnalysisRuns = append(r.AnalysisRuns, runInfo(res, &res.AnalysisRuns[i]))
	}
	r.Events = []EventInfo{}
	for _, e := range res.Timeline {
		r.Events = append(r.Events, EventInfo{
			At: offset(e.At), Time: stamp(res.Start.Add(e.At)), Object: e.Object,
			Type: e.Type, Reason: e.Reason, Message: e.Message,
		})
	}
	r.Measurements, r.Weights = explain(res)
	r.StatusHistory, r.ReplicaSets = statusHistory(res), replicaSets(res)
	r.Services = []ServiceInfo{}
	for _, svc := range res.Services {
		sel := svc.Spec.Selector
		if sel == nil {
			sel = map[string]string{}
		}
		r.Services = append(r.Services, ServiceInfo{Name: svc.Name, Selector: sel})
	}
	if exps := res.ExperimentList(); len(exps) > 0 {
		for i := range exps {
			r.Experiments = append(r.Experiments, experimentInfo(res, &exps[i]))
		}
	}
	if res.Expect != nil {
		fails := sim.Check(res)
		r.Expectation = &Expectations{Passed: len(fails) == 0, Failures: fails}
	}
	return r
}

func statusHistory(res *sim.Result) []StatusInfo {
	out := []StatusInfo{}
	if res.Record == nil {
		return out
	}
	for _, st := range res.Record.Statuses {
		out = append(out, StatusInfo{At: offset(st.At), Time: stamp(res.Start.Add(st.At)), Phase: st.Phase, Message: st.Message})
	}
	return out
}

func replicaSets(res *sim.Result) []ReplicaSetInfo {
	rss := append([]appsv1.ReplicaSet(nil), res.ReplicaSets...)
	sort.SliceStable(rss, func(i, j int) bool { return rss[i].CreationTimestamp.Before(&rss[j].CreationTimestamp) })
	out := []ReplicaSetInfo{}
	for i := range rss {
		rs := &rss[i]
		rev, _ := strconv.Atoi(rs.Annotations[rollout.RevisionAnnotation])
		info := ReplicaSetInfo{
			Name: rs.Name, Revision: rev, PodTemplateHash: rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey],
			Tags: rsTags(res.Rollout, rs), Images: []string{}, Replicas: rs.Status.Replicas,
			Ready: rs.Status.ReadyReplicas, Available: rs.Status.AvailableReplicas,
			ScaleDownDeadline: rs.Annotations[v1alpha1.DefaultReplicaSetScaleDownDeadlineAnnotationKey],
		}
		for _, c := range rs.Spec.Template.Spec.Containers {
			info.Images = append(info.Images, c.Image)
		}
		out = append(out, info)
	}
	return out
}

// offset prints a virtual offset from the update, e.g. "5m10s" or "-15m0s".
func offset(d time.Duration) string { return d.String() }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func runInfo(res *sim.Result, run *v1alpha1.AnalysisRun) RunInfo {
	ri := RunInfo{
		Name:          run.Name,
		Type:          run.RunType(),
		Phase:         string(run.Status.Phase),
		Message:       run.Status.Message,
		CreatedAt:     stamp(run.CreationTimestamp.Time),
		RunSummary:    run.Status.RunSummary,
		DryRunSummary: run.Status.DryRunSummary,
		Metrics:       []MetricInfo{},
	}
	if t := run.Status.StartedAt; t != nil {
		ri.StartedAt = stamp(t.Time)
	}
	if t := run.Status.CompletedAt; t != nil {
		ri.CompletedAt = stamp(t.Time)
	}
	for _, mr := range run.Status.MetricResults {
		mi := MetricInfo{
			Name: mr.Name, Phase: string(mr.Phase), Message: mr.Message, DryRun: mr.DryRun,
			Count: mr.Count, Successful: mr.Successful, Failed: mr.Failed, Inconclusive: mr.Inconclusive,
			Error: mr.Error, ConsecutiveError: mr.ConsecutiveError, Metadata: mr.Metadata,
			Measurements: []MeasurementInfo{},
		}
		for _, m := range mr.Measurements {
			x := MeasurementInfo{Phase: string(m.Phase), Value: m.Value, Message: m.Message}
			if m.StartedAt != nil {
				x.StartedAt = stamp(m.StartedAt.Time)
				x.At = offset(m.StartedAt.Time.Sub(res.Start))
			}
			if m.FinishedAt != nil {
				x.FinishedAt = stamp(m.FinishedAt.Time)
			}
			mi.Measurements = append(mi.Measurements, x)
		}
		ri.Metrics = append(ri.Metrics, mi)
	}
	return ri
}

func rolloutInfo(res *sim.Result) *RolloutInfo {
	ro := res.Rollout
	if ro == nil {
		return nil
	}
	st := ro.Status
	info := &RolloutInfo{
		Name:      ro.Name,
		Namespace: ro.Namespace,
		Revision:  ro.Annotations["rollout.argoproj.io/revision"],
		Status:    string(st.Phase),
		Message:   st.Message,
		Strategy:  "Canary",
		Replicas: ReplicaCount{
			Desired: desired(ro), Current: st.Replicas, Updated: st.UpdatedReplicas,
			Ready: st.ReadyReplicas, Available: st.AvailableReplicas,
		},
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		if n := len(c.Steps); n > 0 {
			idx := int32(0)
			if st.CurrentStepIndex != nil {
				idx = *st.CurrentStepIndex
			}
			info.Step = fmt.Sprintf("%d/%d", idx, n)
		}
		info.SetWeight = strconv.Itoa(int(rollout.SetWeight(ro)))
		info.ActualWeight = actualWeight(res)
	} else {
		info.Strategy = "BlueGreen"
	}
	info.Images = images(res)
	return info
}

func desired(ro *v1alpha1.Rollout) int32 {
	if ro.Spec.Replicas == nil {
		return 1
	}
	return *ro.Spec.Replicas
}

// actualWeight: the traffic router's canary weight, or for a basic canary the
// share of available pods that run the canary.
func actualWeight(res *sim.Result) string {
	ro := res.Rollout
	st := ro.Status
	steps := ro.Spec.Strategy.Canary.Steps
	if st.CurrentStepIndex != nil && int(*st.CurrentStepIndex) >= len(steps) && !st.Abort {
		return "100"
	}
	if ro.Spec.Strategy.Canary.TrafficRouting != nil {
		if w := st.Canary.Weights; w != nil {
			return strconv.Itoa(int(w.Canary.Weight))
		}
		return "0"
	}
	var canary, total int32
	for _, rs := range res.ReplicaSets {
		total += rs.Status.AvailableReplicas
		if rs.Labels["rollouts-pod-template-hash"] == st.CurrentPodHash && st.CurrentPodHash != st.StableRS {
			canary += rs.Status.AvailableReplicas
		}
	}
	if total == 0 {
		return "0"
	}
	return strconv.Itoa(int(canary * 100 / total))
}

// rsTags are the roles the CLI shows next to a ReplicaSet (upstream
// info.getReplicaSetInfo and get's replicaset columns): stable, then canary
// for a canary; stable, then active or preview for a blue-green rollout.
func rsTags(ro *v1alpha1.Rollout, rs *appsv1.ReplicaSet) []string {
	if ro == nil {
		return nil
	}
	hash := rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
	st := ro.Status
	var tags []string
	if hash == st.StableRS {
		tags = append(tags, "stable")
	}
	switch {
	case ro.Spec.Strategy.Canary != nil && hash != st.StableRS && hash == st.CurrentPodHash:
		tags = append(tags, "canary")
	case ro.Spec.Strategy.BlueGreen != nil && hash == st.BlueGreen.ActiveSelector:
		tags = append(tags, "active")
	case ro.Spec.Strategy.BlueGreen != nil && hash == st.BlueGreen.PreviewSelector:
		tags = append(tags, "preview")
	}
	return tags
}

// scaleDownDelay is the CLI's delay column of a ReplicaSet waiting to be
// scaled down (upstream info.ScaleDownDelay): the time left at now, or
// "passed"; "" without a scale-down-deadline annotation.
func scaleDownDelay(rs *appsv1.ReplicaSet, now time.Time) string {
	deadline, err := time.Parse(time.RFC3339, rs.Annotations[v1alpha1.DefaultReplicaSetScaleDownDeadlineAnnotationKey])
	if err != nil {
		return ""
	}
	if deadline.Before(now) {
		return "passed"
	}
	return duration.HumanDuration(deadline.Sub(now))
}

// images lists images of ReplicaSets that still run pods, with their roles.
func images(res *sim.Result) []ImageInfo {
	byImage := map[string][]string{}
	var order []string
	for i := range res.ReplicaSets {
		rs := &res.ReplicaSets[i]
		if rs.Status.Replicas == 0 && (rs.Spec.Replicas == nil || *rs.Spec.Replicas == 0) {
			continue
		}
		for _, c := range rs.Spec.Template.Spec.Containers {
			if _, ok := byImage[c.Image]; !ok {
				order = append(order, c.Image)
				byImage[c.Image] = nil
			}
			byImage[c.Image] = append(byImage[c.Image], rsTags(res.Rollout, rs)...)
		}
	}
	sort.Strings(order)
	out := []ImageInfo{}
	for _, img := range order {
		out = append(out, ImageInfo{Image: img, Tags: uniq(byImage[img])})
	}
	return out
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func imageLine(img ImageInfo) string {
	if len(img.Tags) == 0 {
		return img.Image
	}
	return fmt.Sprintf("%s (%s)", img.Image, strings.Join(img.Tags, ", "))
}

// ExperimentInfo is one Experiment.
type ExperimentInfo struct {
	Name      string `json:"name"`
	Phase     string `json:"phase"`
	Message   string `json:"message,omitempty"`
	CreatedAt string `json:"createdAt"`
	// AnalysisRuns names the runs the experiment owns.
	AnalysisRuns []string `json:"analysisRuns,omitempty"`
}

func experimentInfo(res *sim.Result, x *v1alpha1.Experiment) ExperimentInfo {
	info := ExperimentInfo{Name: x.Name, Phase: string(x.Status.Phase), Message: x.Status.Message, CreatedAt: stamp(x.CreationTimestamp.Time)}
	for _, a := range x.Status.AnalysisRuns {
		info.AnalysisRuns = append(info.AnalysisRuns, a.AnalysisRun)
	}
	return info
}
