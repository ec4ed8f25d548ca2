package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rollsim/rollsim/sim/scenario"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// NewClient is the API server a run talks to: a fresh in-memory one, or a
// session on a shared envtest server when opts.Envtest is set. On envtest the
// input's manifests are first checked by the server (see validateInput).
//
// Either way the informer cache sits on top: the simulation is the only writer,
// so controllers read their own writes from typed copies, as from listers.
// Resource versions, UIDs and generations come back from the server on every
// write and are cached with the object.
//
// Generation: the real server ignores the generation a client sends (it keeps
// the stored one and bumps it itself: Rollout on spec changes, since it has a
// status subresource; AnalysisRun and Experiment on any change but metadata,
// since they have none), so stampingClient's bumps cannot double up; the server's
// value is what the cache keeps.
func NewClient(in *scenario.Input, env *Envtest) (client.Client, error) {
	if env == nil {
		return newMemoryClient()
	}
	s := env.session()
	if err := s.validateInput(context.Background(), in); err != nil {
		return nil, err
	}
	c := newInformerCache(s, backendScheme, backendMapper)
	env.mu.Lock()
	env.sessions[in] = s
	env.mu.Unlock()
	return c, nil
}

// serverSession is one run's client of a shared envtest server. It moves the
// run's objects into namespaces of its own (and renames its cluster-scoped
// objects) on the way in and back on the way out, so the engine sees the
// scenario's names while runs on the same server never meet.
//
// Timestamps: the server sets metadata.creationTimestamp from the wall clock
// and nobody can change it. Reports must not depend on the backend, so the
// session remembers the virtual creation time stampingClient put on each new
// object and gives it back on every object the server returns; kubectl on the
// server sees wall-clock ages, everything inside rollsim sees virtual time.
// Every other timestamp (status times, pod start, job completion) is written
// by the simulation from the virtual clock and stored as written. managedFields
// (wall-clock bookkeeping of the server) are dropped from returned objects.
type serverSession struct {
	client.Client // the server, unmapped
	e             *Envtest
	serverNS      map[string]string // run namespace -> server namespace
	runNS         map[string]string // server namespace -> run namespace
	serverName    map[string]string // cluster-scoped kind/name -> server name
	runName       map[string]string // cluster-scoped kind/server name -> name
	created       map[types.UID]metav1.Time
}

func (e *Envtest) session() *serverSession {
	return &serverSession{
		Client:     e.raw,
		e:          e,
		serverNS:   map[string]string{},
		runNS:      map[string]string{},
		serverName: map[string]string{},
		runName:    map[string]string{},
		created:    map[types.UID]metav1.Time{},
	}
}

// clusterScopedKind reports the cluster-scoped kinds a scenario can carry.
func clusterScopedKind(obj runtime.Object) (string, bool) {
	switch o := obj.(type) {
	case *v1alpha1.ClusterAnalysisTemplate:
		return v1alpha1.ClusterAnalysisTemplateKind, true
	case *unstructured.Unstructured:
		gvk := o.GroupVersionKind()
		if gvk.Group == v1alpha1.GroupVersion.Group && gvk.Kind == v1alpha1.ClusterAnalysisTemplateKind {
			return gvk.Kind, true
		}
	}
	return "", false
}

// namespace is the server namespace of a run namespace, created on first use.
func (s *serverSession) namespace(ctx context.Context, ns string) (string, error) {
	if got, ok := s.serverNS[ns]; ok {
		return got, nil
	}
	got := s.e.claim("namespace", ns)
	if err := s.e.createNamespace(ctx, got); err != nil {
		return "", err
	}
	s.serverNS[ns], s.runNS[got] = got, ns
	return got, nil
}

// toServer renames obj as the server knows it.
func (s *serverSession) toServer(ctx context.Context, obj client.Object) error {
	if ns := obj.GetNamespace(); ns != "" {
		got, err := s.namespace(ctx, ns)
		if err != nil {
			return err
		}
		obj.SetNamespace(got)
		return nil
	}
	if kind, ok := clusterScopedKind(obj); ok && obj.GetName() != "" {
		k := kind + "/" + obj.GetName()
		got, ok := s.serverName[k]
		if !ok {
			got = s.e.claim(kind, obj.GetName())
			s.serverName[k], s.runName[kind+"/"+got] = got, obj.GetName()
		}
		obj.SetName(got)
	}
	return nil
}

// fromServer renames obj back and restores what the run owns: the virtual
// creation time.
func (s *serverSession) fromServer(obj client.Object) {
	if ns, ok := s.runNS[obj.GetNamespace()]; ok {
		obj.SetNamespace(ns)
	} else if kind, ok := clusterScopedKind(obj); ok {
		if name, ok := s.runName[kind+"/"+obj.GetName()]; ok {
			obj.SetName(name)
		}
	}
	if t, ok := s.created[obj.GetUID()]; ok {
		obj.SetCreationTimestamp(t)
	}
	obj.SetManagedFields(nil)
}

func dryRun(opts []client.CreateOption) bool {
	return len((&client.CreateOptions{}).ApplyOptions(opts).DryRun) > 0
}

// withoutTemplate sends a Rollout whose pod template comes from its
// workloadRef without spec.template, as it is stored (the typed object would
// send an empty template, which the CRD schema refuses), and reads the
// server's answer back into obj.
func withoutTemplate(obj client.Object, send func(client.Object) error) error {
	ro, ok := obj.(*v1alpha1.Rollout)
	if !ok || ro.Spec.WorkloadRef == nil || len(ro.Spec.Template.Spec.Containers) > 0 {
		return send(obj)
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ro)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(v1alpha1.RolloutKind))
	unstructured.RemoveNestedField(u.Object, "spec", "template")
	if err := send(u); err != nil {
		return err
	}
	var back v1alpha1.Rollout
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &back); err != nil {
		return err
	}
	*ro = back
	return nil
}

func (s *serverSession) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	virtual := obj.GetCreationTimestamp()
	if err := s.toServer(ctx, obj); err != nil {
		return err
	}
	err := withoutTemplate(obj, func(o client.Object) error { return s.Client.Create(ctx, o, opts...) })
	if err == nil && !virtual.IsZero() && !dryRun(opts) {
		s.created[obj.GetUID()] = virtual
	}
	s.fromServer(obj)
	return err
}

func (s *serverSession) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	if err := s.toServer(ctx, obj); err != nil {
		return err
	}
	err := withoutTemplate(obj, func(o client.Object) error { return s.Client.Update(ctx, o, opts...) })
	s.fromServer(obj)
	return err
}

func (s *serverSession) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if err := s.toServer(ctx, obj); err != nil {
		return err
	}
	err := s.Client.Patch(ctx, obj, patch, opts...)
	s.fromServer(obj)
	return err
}

func (s *serverSession) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	if err := s.toServer(ctx, obj); err != nil {
		return err
	}
	err := s.Client.Delete(ctx, obj, opts...)
	s.fromServer(obj)
	return err
}

func (s *serverSession) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	obj.SetNamespace(key.Namespace)
	obj.SetName(key.Name)
	if err := s.toServer(ctx, obj); err != nil {
		return err
	}
	err := s.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj, opts...)
	s.fromServer(obj)
	return err
}

func (s *serverSession) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	lo := (&client.ListOptions{}).ApplyOptions(opts)
	if lo.Namespace != "" {
		got, err := s.namespace(ctx, lo.Namespace)
		if err != nil {
			return err
		}
		lo.Namespace = got
	}
	if err := s.Client.List(ctx, list, lo); err != nil {
		return err
	}
	return meta.EachListItem(list, func(o runtime.Object) error {
		if obj, ok := o.(client.Object); ok {
			s.fromServer(obj)
		}
		return nil
	})
}

func (s *serverSession) Status() client.SubResourceWriter {
	return &sessionStatus{SubResourceWriter: s.Client.Status(), s: s}
}

type sessionStatus struct {
	client.SubResourceWriter
	s *serverSession
}

func (w *sessionStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if err := w.s.toServer(ctx, obj); err != nil {
		return err
	}
	err := withoutTemplate(obj, func(o client.Object) error { return w.SubResourceWriter.Update(ctx, o, opts...) })
	w.s.fromServer(obj)
	return err
}

func (w *sessionStatus) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if err := w.s.toServer(ctx, obj); err != nil {
		return err
	}
	err := w.SubResourceWriter.Patch(ctx, obj, patch, opts...)
	w.s.fromServer(obj)
	return err
}

// validateInput sends every manifest of the input to the server as the user
// wrote it (the YAML document, not the decoded object, so that missing fields
// and nulls are seen as written) with dryRun=All and strict field validation,
// as `kubectl apply --dry-run=server` would. The first rejection is invalid
// input that names the file, the document and the field.
func (s *serverSession) validateInput(ctx context.Context, in *scenario.Input) error {
	for _, obj := range in.Objects {
		if !Serves(obj) {
			continue
		}
		o := in.Origin(obj)
		u, err := documentObject(in, obj)
		if err != nil {
			return err
		}
		// As loaded: the scenario's default namespace applies.
		u.SetNamespace(obj.GetNamespace())
		u.SetResourceVersion("")
		err = s.Create(ctx, u, client.DryRunAll, client.FieldValidation(metav1.FieldValidationStrict))
		if err != nil {
			return serverRejection(o, obj, err)
		}
	}
	return nil
}

// documentObject is the document obj was decoded from. When the input was
// built in memory (a tune variant), the decoded object stands in for it.
func documentObject(in *scenario.Input, obj client.Object) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	if data, ok := in.Document(obj); ok {
		if j, err := yaml.YAMLToJSON(data); err == nil && u.UnmarshalJSON(j) == nil &&
			u.GetName() == obj.GetName() && u.GetKind() == obj.GetObjectKind().GroupVersionKind().Kind {
			return u, nil
		}
	}
	j, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	u = &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		return nil, err
	}
	return u, nil
}

// serverRejection turns the server's refusal of a manifest into invalid input.
func serverRejection(o scenario.Origin, obj client.Object, err error) error {
	what := strings.TrimSpace(obj.GetObjectKind().GroupVersionKind().Kind + " " + obj.GetName())
	var st apierrors.APIStatus
	if !errors.As(err, &st) || !(apierrors.IsInvalid(err) || apierrors.IsBadRequest(err)) {
		return fmt.Errorf("%s: document %d (%s): checking it on the API server: %w", o.File, o.Doc, what, err)
	}
	status := st.Status()
	var causes []metav1.StatusCause
	if d := status.Details; d != nil {
		for _, c := range d.Causes {
			// The server adds this when CEL rules were skipped because of the
			// other errors; it says nothing about the input.
			if strings.Contains(c.Message, "some validation rules were not checked") {
				continue
			}
			if c.Field == "<nil>" {
				c.Field = ""
			}
			causes = append(causes, c)
		}
	}
	switch {
	case len(causes) == 1 && causes[0].Field != "":
		return o.Errorf(what, causes[0].Field, "%s (rejected by the API server)", causes[0].Message)
	case len(causes) > 0:
		var parts []string
		for _, c := range causes {
			if c.Field != "" {
				parts = append(parts, c.Field+": "+c.Message)
			} else {
				parts = append(parts, c.Message)
			}
		}
		return o.Errorf(what, "", "rejected by the API server: %s", strings.Join(parts, "; "))
	}
	return o.Errorf(what, "", "rejected by the API server: %s", status.Message)
}
