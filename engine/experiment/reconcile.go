// Package experiment is the Experiment controller: it runs a ReplicaSet per
// template for the experiment's duration, starts the analyses once every template is
// available, and derives the experiment's phase from both (upstream
// experiments/experiment.go). The rollout controller creates experiments for
// experiment steps; a scenario may also hold a standalone Experiment.
package experiment

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/analysis"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/engine/rollout"
)

// Annotations the controller puts on template ReplicaSets.
const (
	NameAnnotation          = "experiment.argoproj.io/name"
	TemplateNameAnnotation  = "experiment.argoproj.io/template-name"
	defaultScaleDownDelay   = 30 * time.Second
	defaultProgressDeadline = 600
)

// Reconciler is the Experiment controller.
type Reconciler struct {
	Client   client.Client
	Clock    clock.PassiveClock
	Recorder engine.Recorder
}

type state struct {
	r    *Reconciler
	ex   *v1alpha1.Experiment
	rss  map[string]*appsv1.ReplicaSet // by template name
	runs map[string]*v1alpha1.AnalysisRun
	st   v1alpha1.ExperimentStatus
	next time.Duration
}

func (s *state) now() metav1.Time { return engine.Now(s.r.Clock) }

func (s *state) event(t, reason, msg string) {
	if s.r.Recorder != nil {
		s.r.Recorder.Event(s.ex, t, reason, msg)
	}
}

func (s *state) requeueAt(t time.Time) {
	d := t.Sub(s.r.Clock.Now())
	if d <= 0 {
		return
	}
	if s.next == 0 || d < s.next {
		s.next = d
	}
}

// Reconcile brings one Experiment up to date and returns when it next wants
// attention (zero: when something changes).
func (r *Reconciler) Reconcile(ctx context.Context, key types.NamespacedName) (time.Duration, error) {
	var ex v1alpha1.Experiment
	if err := r.Client.Get(ctx, key, &ex); err != nil {
		if apierrors.IsNotFound(err) {
			return 0, nil
		}
		return 0, err
	}
	s := &state{r: r, ex: &ex, rss: map[string]*appsv1.ReplicaSet{}, runs: map[string]*v1alpha1.AnalysisRun{}, st: *ex.Status.DeepCopy()}
	if err := s.load(ctx); err != nil {
		return 0, err
	}
	if err := s.reconcile(ctx); err != nil {
		return 0, err
	}
	if !equality.Semantic.DeepEqual(ex.Status, s.st) {
		prev := ex.Status.Phase
		ex.Status = s.st
		// The Experiment CRD has no status subresource (upstream v1.10 too): the
		// controller writes the whole object, as upstream's status patch does.
		if err := r.Client.Update(ctx, &ex); err != nil {
			return 0, fmt.Errorf("updating Experiment %s status: %w", ex.Name, err)
		}
		if prev != s.st.Phase {
			t := engine.EventNormal
			if s.st.Phase == v1alpha1.AnalysisPhaseFailed || s.st.Phase == v1alpha1.AnalysisPhaseError {
				t = engine.EventWarning
			}
			s.event(t, "Experiment"+string(s.st.Phase), fmt.Sprintf("Experiment transitioned from %s -> %s", prev, s.st.Phase))
		}
	}
	return s.next, nil
}

func (s *state) load(ctx context.Context) error {
	var rsList appsv1.ReplicaSetList
	if err := s.r.Client.List(ctx, &rsList, client.InNamespace(s.ex.Namespace)); err != nil {
		return err
	}
	for i := range rsList.Items {
		rs := &rsList.Items[i]
		if ref := metav1.GetControllerOf(rs); ref != nil && ref.UID == s.ex.UID {
			s.rss[rs.Annotations[TemplateNameAnnotation]] = rs
		}
	}
	for _, ar := range s.st.AnalysisRuns {
		if ar.AnalysisRun == "" {
			continue
		}
		var run v1alpha1.AnalysisRun
		if err := s.r.Client.Get(ctx, types.NamespacedName{Namespace: s.ex.Namespace, Name: ar.AnalysisRun}, &run); err == nil {
			s.runs[ar.Name] = &run
		}
	}
	return nil
}

func (s *state) terminating() bool {
	if s.ex.Spec.Terminate || s.st.Phase.Completed() {
		return true
	}
	for _, ts := range s.st.TemplateStatuses {
		if ts.Status == v1alpha1.TemplateStatusFailed || ts.Status == v1alpha1.TemplateStatusError {
			return true
		}
	}
	allRequired, anyRequired := true, false
	for _, a := range s.st.AnalysisRuns {
		switch a.Phase {
		case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseInconclusive:
			return true
		}
		if s.required(a.Name) {
			anyRequired = true
			allRequired = allRequired && a.Phase == v1alpha1.AnalysisPhaseSuccessful
		}
	}
	return anyRequired && allRequired
}

func (s *state) required(name string) bool {
	for _, a := range s.ex.Spec.Analyses {
		if a.Name == name {
			return a.RequiredForCompletion
		}
	}
	return false
}

func (s *state) duration() (time.Duration, bool) {
	if s.ex.Spec.Duration == "" {
		return 0, false
	}
	d, err := s.ex.Spec.Duration.Duration()
	return d, err == nil
}

// passed: the experiment's duration has elapsed since its templates were available.
func (s *state) passed() bool {
	d, ok := s.duration()
	if !ok || s.st.AvailableAt == nil {
		return false
	}
	end := s.st.AvailableAt.Add(d)
	if s.r.Clock.Now().Before(end) {
		s.requeueAt(end)
		return false
	}
	return true
}

func (s *state) reconcile(ctx context.Context) error {
	stopping := s.terminating()
	if s.st.Phase == "" {
		s.st.Phase = v1alpha1.AnalysisPhasePending
	}
	if err := s.reconcileTemplates(ctx, stopping); err != nil {
		return err
	}
	allRunning := len(s.st.TemplateStatuses) == len(s.ex.Spec.Templates)
	for _, ts := range s.st.TemplateStatuses {
		allRunning = allRunning && (ts.Status == v1alpha1.TemplateStatusRunning || ts.Status == v1alpha1.TemplateStatusSuccessful)
	}
	if s.st.AvailableAt == nil && allRunning {
		now := s.now()
		s.st.AvailableAt = &now
		// Runs are created in the reconcile after availableAt is set.
		s.requeueAt(s.r.Clock.Now().Add(time.Nanosecond))
	} else if s.st.AvailableAt != nil {
		if err := s.reconcileAnalyses(ctx, stopping); err != nil {
			return err
		}
	}
	if !s.st.Phase.Completed() {
		s.st.Phase, s.st.Message = s.phase()
	}
	return nil
}

// templateReplicas is how many pods a template's ReplicaSet should have now; a
// negative count is read as 0, so a ReplicaSet is never scaled below zero.
func templateReplicas(t v1alpha1.TemplateSpec) int32 {
	if t.Replicas == nil {
		return 1
	}
	return max(0, *t.Replicas)
}

func (s *state) templateStatus(name string) *v1alpha1.TemplateStatus {
	for i := range s.st.TemplateStatuses {
		if s.st.TemplateStatuses[i].Name == name {
			return &s.st.TemplateStatuses[i]
		}
	}
	s.st.TemplateStatuses = append(s.st.TemplateStatuses, v1alpha1.TemplateStatus{Name: name})
	return &s.st.TemplateStatuses[len(s.st.TemplateStatuses)-1]
}

func (s *state) transition(ts *v1alpha1.TemplateStatus, to v1alpha1.TemplateStatusCode, msg string) {
	if ts.Status == to {
		return
	}
	from := ts.Status
	now := s.now()
	ts.Status, ts.Message, ts.LastTransitionTime = to, msg, &now
	t := engine.EventNormal
	if to == v1alpha1.TemplateStatusFailed || to == v1alpha1.TemplateStatusError {
		t = engine.EventWarning
	}
	s.event(t, "Template"+string(to), fmt.Sprintf("Template '%s' transitioned from %s -> %s", ts.Name, from, to))
}

func (s *state) reconcileTemplates(ctx context.Context, stopping bool) error {
	passed := s.passed()
	for _, t := range s.ex.Spec.Templates {
		ts := s.templateStatus(t.Name)
		rs := s.rss[t.Name]
		if rs == nil {
			created, err := s.createReplicaSet(ctx, t)
			if err != nil {
				return err
			}
			rs = created
			s.rss[t.Name] = rs
			s.transition(ts, v1alpha1.TemplateStatusProgressing, "")
			continue
		}
		completed := ts.Status == v1alpha1.TemplateStatusSuccessful || ts.Status == v1alpha1.TemplateStatusFailed || ts.Status == v1alpha1.TemplateStatusError
		want := templateReplicas(t)
		if completed || stopping || passed {
			want = 0
		}
		if want == 0 && rsReplicas(rs) > 0 {
			// Scaled down scaleDownDelaySeconds after the end.
			if err := s.scaleDownLater(ctx, rs); err != nil {
				return err
			}
		} else if want > 0 && rsReplicas(rs) != want {
			if err := s.scale(ctx, rs, want); err != nil {
				return err
			}
		}
		ts.Replicas, ts.UpdatedReplicas = rs.Status.Replicas, rs.Status.Replicas
		ts.ReadyReplicas, ts.AvailableReplicas = rs.Status.ReadyReplicas, rs.Status.AvailableReplicas
		ts.PodTemplateHash = rs.Labels[rollout.PodTemplateHashLabel]
		if completed {
			continue
		}
		switch {
		case stopping || passed:
			s.transition(ts, v1alpha1.TemplateStatusSuccessful, "")
		case rs.Status.AvailableReplicas >= templateReplicas(t):
			s.transition(ts, v1alpha1.TemplateStatusRunning, "")
		default:
			deadline := int32(defaultProgressDeadline)
			if s.ex.Spec.ProgressDeadlineSeconds != nil {
				deadline = *s.ex.Spec.ProgressDeadlineSeconds
			}
			if ts.LastTransitionTime != nil {
				at := ts.LastTransitionTime.Add(time.Duration(deadline) * time.Second)
				if s.r.Clock.Now().After(at) {
					s.transition(ts, v1alpha1.TemplateStatusFailed, fmt.Sprintf("Template '%s' exceeded its progressDeadlineSeconds (%d)", t.Name, deadline))
				} else {
					s.requeueAt(at.Add(time.Second))
				}
			}
		}
	}
	return nil
}

func rsReplicas(rs *appsv1.ReplicaSet) int32 {
	if rs.Spec.Replicas == nil {
		return 0
	}
	return *rs.Spec.Replicas
}

func (s *state) scale(ctx context.Context, rs *appsv1.ReplicaSet, n int32) error {
	old := rsReplicas(rs)
	rs.Spec.Replicas = ptr.To(n)
	if err := s.r.Client.Update(ctx, rs); err != nil {
		return err
	}
	dir := "up"
	if n < old {
		dir = "down"
	}
	s.event(engine.EventNormal, "ScalingReplicaSet", fmt.Sprintf("Scaled %s ReplicaSet %s from %d to %d", dir, rs.Name, old, n))
	return nil
}

func (s *state) scaleDownLater(ctx context.Context, rs *appsv1.ReplicaSet) error {
	delay := defaultScaleDownDelay
	if s.ex.Spec.ScaleDownDelaySeconds != nil {
		delay = time.Duration(*s.ex.Spec.ScaleDownDelaySeconds) * time.Second
	}
	if _, ok := rs.Annotations[rollout.ScaleDownDeadlineAnnotation]; !ok && delay <= 0 {
		return s.scale(ctx, rs, 0)
	}
	deadline, passed, stamped := rollout.ScaleDownDeadline(rs, s.r.Clock.Now(), delay)
	if passed {
		return s.scale(ctx, rs, 0)
	}
	s.requeueAt(deadline)
	if stamped {
		return s.r.Client.Update(ctx, rs)
	}
	return nil
}

// createReplicaSet creates `<experiment>-<template>` with zero replicas; its
// pod-template hash is computed from the template itself.
func (s *state) createReplicaSet(ctx context.Context, t v1alpha1.TemplateSpec) (*appsv1.ReplicaSet, error) {
	tpl := *t.Template.DeepCopy()
	hash := rollout.PodTemplateHash(&tpl, nil)
	labels := map[string]string{}
	for k, v := range tpl.Labels {
		labels[k] = v
	}
	labels[rollout.PodTemplateHashLabel] = hash
	tpl.Labels = labels
	sel := t.Selector.DeepCopy()
	if sel == nil {
		sel = &metav1.LabelSelector{}
	}
	sel.MatchLabels = map[string]string{}
	for k, v := range t.Selector.MatchLabels {
		sel.MatchLabels[k] = v
	}
	sel.MatchLabels[rollout.PodTemplateHashLabel] = hash
	annotations := map[string]string{NameAnnotation: s.ex.Name, TemplateNameAnnotation: t.Name}
	if rev := s.ex.Annotations[rollout.RevisionAnnotation]; rev != "" {
		annotations[rollout.RevisionAnnotation] = rev
	}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:            s.ex.Name + "-" + t.Name,
			Namespace:       s.ex.Namespace,
			Labels:          labels,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(s.ex, v1alpha1.GroupVersion.WithKind("Experiment"))},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](0), MinReadySeconds: t.MinReadySeconds, Selector: sel, Template: tpl},
	}
	if err := s.r.Client.Create(ctx, rs); err != nil {
		return nil, err
	}
	return rs, nil
}

// reconcileAnalyses creates the runs once the templates are available, mirrors
// their phases and terminates them when the experiment stops.
func (s *state) reconcileAnalyses(ctx context.Context, stopping bool) error {
	for _, a := range s.ex.Spec.Analyses {
		st := s.analysisStatus(a.Name)
		run := s.runs[a.Name]
		if run == nil && st.AnalysisRun == "" {
			if stopping {
				continue
			}
			created, err := s.createRun(ctx, a)
			if err != nil {
				st.Phase = v1alpha1.AnalysisPhaseError
				st.Message = fmt.Sprintf("Failed to create AnalysisRun for analysis '%s': %v", a.Name, err)
				continue
			}
			st.AnalysisRun = created.Name
			st.Phase = v1alpha1.AnalysisPhasePending
			s.event(engine.EventNormal, "AnalysisRunPending", fmt.Sprintf("AnalysisRun '%s' transitioned from  -> Pending", a.Name))
			continue
		}
		if run == nil {
			continue
		}
		if stopping && !run.Spec.Terminate && !run.Status.Phase.Completed() {
			run.Spec.Terminate = true
			if err := s.r.Client.Update(ctx, run); err != nil {
				return err
			}
		}
		if run.Status.Phase != "" && (run.Status.Phase != st.Phase || run.Status.Message != st.Message) {
			from := st.Phase
			st.Phase, st.Message = run.Status.Phase, run.Status.Message
			msg := fmt.Sprintf("AnalysisRun '%s' transitioned from %s -> %s", a.Name, from, st.Phase)
			t := engine.EventNormal
			if st.Phase == v1alpha1.AnalysisPhaseFailed || st.Phase == v1alpha1.AnalysisPhaseError {
				t = engine.EventWarning
				if st.Message != "" {
					msg += ": " + st.Message
				}
			}
			s.event(t, "AnalysisRun"+string(st.Phase), msg)
		}
	}
	return nil
}

func (s *state) analysisStatus(name string) *v1alpha1.ExperimentAnalysisRunStatus {
	for i := range s.st.AnalysisRuns {
		if s.st.AnalysisRuns[i].Name == name {
			return &s.st.AnalysisRuns[i]
		}
	}
	s.st.AnalysisRuns = append(s.st.AnalysisRuns, v1alpha1.ExperimentAnalysisRunStatus{Name: name})
	return &s.st.AnalysisRuns[len(s.st.AnalysisRuns)-1]
}

// createRun builds `<experiment>-<analysis>` from its template; arg values may use
// {{templates.<t>.podTemplateHash}}, {{templates.<t>.replicaset.name}},
// {{experiment.availableAt}} and {{experiment.finishedAt}}.
func (s *state) createRun(ctx context.Context, a v1alpha1.ExperimentAnalysisTemplateRef) (*v1alpha1.AnalysisRun, error) {
	args := make([]v1alpha1.Argument, len(a.Args))
	for i, arg := range a.Args {
		args[i] = *arg.DeepCopy()
		if arg.Value != nil {
			v, err := s.expand(*arg.Value)
			if err != nil {
				return nil, err
			}
			args[i].Value = &v
		}
	}
	ref := v1alpha1.AnalysisTemplateRef{TemplateName: a.TemplateName, ClusterScope: a.ClusterScope}
	templates, err := analysis.FetchTemplates(ctx, s.r.Client, s.ex.Namespace, []v1alpha1.AnalysisTemplateRef{ref})
	if err != nil {
		return nil, err
	}
	spec, err := templates.RunSpec(args, s.ex.Spec.DryRun, s.ex.Spec.MeasurementRetention)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	for k, v := range s.ex.Spec.AnalysisRunMetadata.Labels {
		labels[k] = v
	}
	annotations := map[string]string{}
	for k, v := range s.ex.Spec.AnalysisRunMetadata.Annotations {
		annotations[k] = v
	}
	if rev := s.ex.Annotations[rollout.RevisionAnnotation]; rev != "" {
		annotations[rollout.RevisionAnnotation] = rev
	}
	run := &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{
			Name:            s.ex.Name + "-" + a.Name,
			Namespace:       s.ex.Namespace,
			Labels:          labels,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(s.ex, v1alpha1.GroupVersion.WithKind("Experiment"))},
		},
		Spec: spec,
	}
	return analysis.CreateRun(ctx, s.r.Client, run)
}

func (s *state) expand(v string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(v, "{{")
		if i < 0 {
			b.WriteString(v)
			return b.String(), nil
		}
		b.WriteString(v[:i])
		j := strings.Index(v[i:], "}}")
		if j < 0 {
			return "", fmt.Errorf("Cannot find end tag=\"}}\" in the template=%q starting from %q", v, v[i:])
		}
		tag := v[i+2 : i+j]
		val, ok := s.placeholder(strings.TrimSpace(tag))
		if !ok {
			return "", fmt.Errorf("failed to resolve {{%s}}", tag)
		}
		b.WriteString(val)
		v = v[i+j+2:]
	}
}

func (s *state) placeholder(tag string) (string, bool) {
	switch tag {
	case "experiment.availableAt":
		return s.st.AvailableAt.UTC().Format(time.RFC3339), s.st.AvailableAt != nil
	case "experiment.finishedAt":
		d, ok := s.duration()
		if !ok || s.st.AvailableAt == nil {
			return "", false
		}
		return s.st.AvailableAt.Add(d).UTC().Format(time.RFC3339), true
	}
	parts := strings.Split(tag, ".")
	if len(parts) >= 3 && parts[0] == "templates" {
		rs := s.rss[parts[1]]
		if rs == nil {
			return "", false
		}
		switch strings.Join(parts[2:], ".") {
		case "podTemplateHash":
			return rs.Labels[rollout.PodTemplateHashLabel], true
		case "replicaset.name":
			return rs.Name, true
		}
	}
	return "", false
}

var order = map[v1alpha1.AnalysisPhase]int{
	v1alpha1.AnalysisPhaseSuccessful: 0, v1alpha1.AnalysisPhaseRunning: 1, v1alpha1.AnalysisPhasePending: 2,
	v1alpha1.AnalysisPhaseInconclusive: 3, v1alpha1.AnalysisPhaseError: 4, v1alpha1.AnalysisPhaseFailed: 5,
}

// phase derives the experiment's phase and message from its templates and analyses
// (spec: "Aggregation").
func (s *state) phase() (v1alpha1.AnalysisPhase, string) {
	tplWorst := v1alpha1.TemplateStatusSuccessful
	tplRank := map[v1alpha1.TemplateStatusCode]int{v1alpha1.TemplateStatusSuccessful: 0, v1alpha1.TemplateStatusRunning: 1,
		v1alpha1.TemplateStatusProgressing: 2, v1alpha1.TemplateStatusError: 3, v1alpha1.TemplateStatusFailed: 4}
	tplMsg := ""
	for _, t := range s.ex.Spec.Templates {
		code := v1alpha1.TemplateStatusProgressing
		for _, ts := range s.st.TemplateStatuses {
			if ts.Name == t.Name && ts.Status != "" {
				code = ts.Status
				if tplRank[code] > tplRank[tplWorst] {
					tplMsg = ts.Message
				}
			}
		}
		if tplRank[code] > tplRank[tplWorst] {
			tplWorst = code
		}
	}
	tplPhase := map[v1alpha1.TemplateStatusCode]v1alpha1.AnalysisPhase{
		v1alpha1.TemplateStatusProgressing: v1alpha1.AnalysisPhasePending, v1alpha1.TemplateStatusRunning: v1alpha1.AnalysisPhaseRunning,
		v1alpha1.TemplateStatusSuccessful: v1alpha1.AnalysisPhaseSuccessful, v1alpha1.TemplateStatusFailed: v1alpha1.AnalysisPhaseFailed,
		v1alpha1.TemplateStatusError: v1alpha1.AnalysisPhaseError,
	}[tplWorst]
	tplDone := tplWorst == v1alpha1.TemplateStatusSuccessful || tplWorst == v1alpha1.TemplateStatusFailed || tplWorst == v1alpha1.TemplateStatusError

	anWorst := v1alpha1.AnalysisPhaseSuccessful
	anMsg := ""
	allDone, anyRequired, requiredOK := true, false, true
	for _, a := range s.ex.Spec.Analyses {
		var st v1alpha1.ExperimentAnalysisRunStatus
		for _, x := range s.st.AnalysisRuns {
			if x.Name == a.Name {
				st = x
			}
		}
		p := st.Phase
		if p == "" {
			allDone = false
			if a.RequiredForCompletion {
				anyRequired, requiredOK = true, false
			}
			continue
		}
		if !p.Completed() {
			allDone = false
		}
		if order[p] > order[anWorst] {
			anWorst, anMsg = p, st.Message
		}
		if a.RequiredForCompletion {
			anyRequired = true
			requiredOK = requiredOK && p == v1alpha1.AnalysisPhaseSuccessful
		}
	}
	anPhase := anWorst
	if anyRequired && requiredOK && anWorst == v1alpha1.AnalysisPhaseSuccessful {
		anMsg = "Required AnalysisRuns completed"
	} else if anWorst == v1alpha1.AnalysisPhasePending {
		anPhase = v1alpha1.AnalysisPhaseRunning
	} else if anWorst == v1alpha1.AnalysisPhaseSuccessful && !allDone {
		anPhase = v1alpha1.AnalysisPhaseRunning
	}

	switch {
	case tplDone && tplWorst == v1alpha1.TemplateStatusSuccessful && (allDone || anyRequired):
		return anPhase, anMsg
	case tplDone:
		return tplPhase, tplMsg
	case anPhase.Completed() && anPhase != v1alpha1.AnalysisPhaseSuccessful:
		return anPhase, anMsg
	case anyRequired && requiredOK:
		return anPhase, anMsg
	}
	return tplPhase, tplMsg
}
