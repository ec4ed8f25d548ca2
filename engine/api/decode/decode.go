// Package decode turns YAML manifests into typed API objects, strictly:
// unknown and duplicate fields are errors that name the field path, as
// `kubectl apply --validate=strict` would report them.
//
// Typed kinds, decoded strictly, are the argoproj.io/v1alpha1 kinds of
// package v1alpha1 (Rollout, AnalysisTemplate, ClusterAnalysisTemplate,
// AnalysisRun, Experiment) and the built-in kinds rollsim models (v1 Secret,
// Service, ConfigMap, apps/v1 Deployment, networking.k8s.io/v1 Ingress).
// Every other document with an apiVersion and a kind — the traffic routers'
// objects (Istio VirtualService and DestinationRule, SMI TrafficSplit,
// Gateway API HTTPRoute, ...) and whatever else users keep next to their
// Rollouts (ServiceAccount, HPA, PDB, other tools' CRDs) — is kept as an
// *unstructured.Unstructured: the API server of a cluster would accept it
// (given its CRD), and rollsim must not reject a manifest folder for it.
// Other argoproj.io kinds than those of Argo CD, Workflows and Events
// (argoproj.io/v1beta1 Rollout, kind Rolout) are refused: they are typos.
package decode

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	goyaml "go.yaml.in/yaml/v2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// kinds maps every accepted apiVersion/kind to a constructor of its Go type.
var kinds = map[schema.GroupVersionKind]func() client.Object{
	v1alpha1.GroupVersion.WithKind(v1alpha1.RolloutKind):                 func() client.Object { return &v1alpha1.Rollout{} },
	v1alpha1.GroupVersion.WithKind(v1alpha1.AnalysisTemplateKind):        func() client.Object { return &v1alpha1.AnalysisTemplate{} },
	v1alpha1.GroupVersion.WithKind(v1alpha1.ClusterAnalysisTemplateKind): func() client.Object { return &v1alpha1.ClusterAnalysisTemplate{} },
	v1alpha1.GroupVersion.WithKind(v1alpha1.AnalysisRunKind):             func() client.Object { return &v1alpha1.AnalysisRun{} },
	v1alpha1.GroupVersion.WithKind(v1alpha1.ExperimentKind):              func() client.Object { return &v1alpha1.Experiment{} },
	corev1.SchemeGroupVersion.WithKind("Secret"):                         func() client.Object { return &corev1.Secret{} },
	corev1.SchemeGroupVersion.WithKind("Service"):                        func() client.Object { return &corev1.Service{} },
	corev1.SchemeGroupVersion.WithKind("ConfigMap"):                      func() client.Object { return &corev1.ConfigMap{} },
	appsv1.SchemeGroupVersion.WithKind("Deployment"):                     func() client.Object { return &appsv1.Deployment{} },
	networkingv1.SchemeGroupVersion.WithKind("Ingress"):                  func() client.Object { return &networkingv1.Ingress{} },
}

// Known reports whether Object decodes the given apiVersion/kind into a
// typed object (strictly); other kinds come back unstructured.
func Known(gvk schema.GroupVersionKind) bool {
	_, ok := kinds[gvk]
	return ok
}

// otherArgoKinds are the kinds of the other Argo projects (CD, Workflows,
// Events), which share the argoproj.io group: kept unstructured. Any other
// kind in the group is a typo of a Rollouts kind ("Rolout") and refused.
var otherArgoKinds = map[string]bool{
	"Application": true, "ApplicationSet": true, "AppProject": true,
	"Workflow": true, "WorkflowTemplate": true, "ClusterWorkflowTemplate": true, "CronWorkflow": true,
	"WorkflowEventBinding": true, "WorkflowTaskSet": true, "WorkflowTaskResult": true, "WorkflowArtifactGCTask": true,
	"EventSource": true, "Sensor": true, "EventBus": true,
}

// refused reports whether a kind without a Go type is an error rather than an
// object to keep: the argoproj.io kinds other than the other Argo projects'
// (a Rollouts kind under a version that does not exist, or a typo), and typed
// lists (only v1 List is read).
func refused(group, kind string) bool {
	if strings.HasSuffix(kind, "List") {
		return true
	}
	return group == v1alpha1.GroupVersion.Group && !otherArgoKinds[kind]
}

// Object decodes one YAML (or JSON) document into its typed object. The
// document's apiVersion and kind select the type; every field must be known
// to that type and appear once. A stream with more than one non-empty
// document is rejected (use Objects). Object never panics.
func Object(doc []byte) (obj client.Object, err error) {
	defer func() {
		if r := recover(); r != nil {
			obj, err = nil, fmt.Errorf("malformed document: %v", r)
		}
	}()
	return object(doc)
}

// object is Object without the panic guard, so that fuzzing sees panics.
func object(doc []byte) (client.Object, error) {
	docs, err := split(doc)
	if err != nil {
		return nil, err
	}
	switch len(docs) {
	case 0:
		return nil, errors.New("empty document: missing field \"kind\"")
	case 1:
	default:
		return nil, fmt.Errorf("expected one YAML document, found %d", len(docs))
	}
	j, err := toJSON(docs[0])
	if err != nil {
		return nil, err
	}
	return fromJSON(j)
}

// Objects decodes a multi-document YAML stream. Empty documents are skipped
// and a v1 List is replaced by its items, each decoded as by Object (errors
// then name the item, e.g. `items[2]: unknown field "spec.foo"`). Errors
// name the failing document by its position among the non-empty documents
// of the stream, counting from 1.
func Objects(stream []byte) (objs []client.Object, err error) {
	defer func() {
		if r := recover(); r != nil {
			objs, err = nil, fmt.Errorf("malformed stream: %v", r)
		}
	}()
	docs, err := split(stream)
	if err != nil {
		return nil, err
	}
	for i, d := range docs {
		j, err := toJSON(d)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		got, err := fromJSONOrList(j)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		objs = append(objs, got...)
	}
	return objs, nil
}

// split cuts a YAML stream at "---" lines and drops documents holding only
// comments and blank lines.
func split(stream []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	var docs [][]byte
	for {
		d, err := r.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("malformed YAML: %w", err)
		}
		if !blank(d) {
			docs = append(docs, d)
		}
	}
}

func blank(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") && line != "---" && line != "..." {
			return false
		}
	}
	return true
}

// toJSON converts one YAML document to JSON, rejecting duplicate keys.
func toJSON(doc []byte) ([]byte, error) {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err == nil {
		return j, nil
	}
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	if strings.Contains(msg, "already set in map") {
		if path := duplicatePath(doc); path != "" {
			return nil, fmt.Errorf("duplicate field %q", path)
		}
	}
	// Multi-line "unmarshal errors:" lists are folded onto one line.
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "unmarshal errors:\n", "")), " ")
	return nil, fmt.Errorf("malformed YAML: %s", msg)
}

// duplicatePath returns the path of the first key that appears twice in
// the same mapping of doc, e.g. "spec.strategy.canary.steps[1].pause", or
// "" if there is none. Keys are resolved as the YAML-to-JSON conversion
// resolves them (same YAML library), so the path names JSON fields.
func duplicatePath(doc []byte) string {
	var root goyaml.MapSlice
	if goyaml.Unmarshal(doc, &root) != nil {
		return ""
	}
	return findDuplicate(root, "")
}

func findDuplicate(v any, path string) string {
	switch v := v.(type) {
	case goyaml.MapSlice:
		seen := make(map[string]bool, len(v))
		for _, item := range v {
			key := fmt.Sprint(item.Key)
			p := key
			if path != "" {
				p = path + "." + key
			}
			if seen[key] {
				return p
			}
			seen[key] = true
			if d := findDuplicate(item.Value, p); d != "" {
				return d
			}
		}
	case []any:
		for i, e := range v {
			if d := findDuplicate(e, fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	}
	return ""
}

// header is the part of a document read before its type is known.
type header struct {
	APIVersion json.RawMessage `json:"apiVersion"`
	Kind       json.RawMessage `json:"kind"`
}

// readHeader returns the document's apiVersion and kind.
func readHeader(j []byte) (apiVersion, kind string, err error) {
	trimmed := bytes.TrimSpace(j)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return "", "", errors.New("empty document: missing field \"kind\"")
	}
	if trimmed[0] != '{' {
		return "", "", errors.New("a manifest must be a YAML mapping with apiVersion and kind")
	}
	var h header
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, &h); err != nil {
		return "", "", fmt.Errorf("malformed document: %w", err)
	}
	if apiVersion, err = stringField("apiVersion", h.APIVersion); err != nil {
		return "", "", err
	}
	if kind, err = stringField("kind", h.Kind); err != nil {
		return "", "", err
	}
	if kind == "" {
		return "", "", errors.New("missing field \"kind\"")
	}
	if apiVersion == "" {
		return "", "", fmt.Errorf("missing field \"apiVersion\" (kind %q)", kind)
	}
	return apiVersion, kind, nil
}

func stringField(name string, raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("field %q must be a string, got %s", name, raw)
	}
	return s, nil
}

// fromJSON decodes one object whose apiVersion/kind must be accepted.
func fromJSON(j []byte) (client.Object, error) {
	apiVersion, kind, err := readHeader(j)
	if err != nil {
		return nil, err
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, fmt.Errorf("unknown kind %q (apiVersion %q): %w", kind, apiVersion, err)
	}
	gvk := gv.WithKind(kind)
	newObj, ok := kinds[gvk]
	if !ok {
		if kind == "List" && gv.Group == "" && gv.Version == "v1" {
			return nil, errors.New(`kind "List" holds several objects: decode it with Objects`)
		}
		if refused(gv.Group, kind) {
			return nil, fmt.Errorf("unknown kind %q (apiVersion %q)", kind, apiVersion)
		}
		return unstructuredObject(j, gvk)
	}
	obj := newObj()
	if err := strict(j, obj); err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, nameOf(j), err)
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return obj, nil
}

// fromJSONOrList is fromJSON, except that a v1 List yields its items.
func fromJSONOrList(j []byte) ([]client.Object, error) {
	apiVersion, kind, err := readHeader(j)
	if err != nil {
		return nil, err
	}
	if kind != "List" || apiVersion != "v1" {
		obj, err := fromJSON(j)
		if err != nil {
			return nil, err
		}
		return []client.Object{obj}, nil
	}
	var list struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   json.RawMessage   `json:"metadata,omitempty"`
		Items      []json.RawMessage `json:"items"`
	}
	if err := strict(j, &list); err != nil {
		return nil, fmt.Errorf("List: %w", err)
	}
	out := make([]client.Object, 0, len(list.Items))
	for i, item := range list.Items {
		obj, err := fromJSON(item)
		if err != nil {
			return nil, fmt.Errorf("items[%d]: %w", i, err)
		}
		out = append(out, obj)
	}
	return out, nil
}

// strict unmarshals j into v, failing on unknown or duplicate fields. Each
// such field is reported with its full path, e.g.
// `unknown field "spec.strategy.canary.stepz"`.
func strict(j []byte, v any) error {
	strictErrs, err := sigsjson.UnmarshalStrict(j, v)
	if err != nil {
		return err
	}
	switch len(strictErrs) {
	case 0:
		return nil
	case 1:
		return strictErrs[0]
	}
	return fieldErrors(strictErrs)
}

// fieldErrors reports several field errors on one line.
type fieldErrors []error

func (e fieldErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e fieldErrors) Unwrap() []error { return e }

// nameOf returns `"name"` for error messages, or "(unnamed)".
func nameOf(j []byte) string {
	var m struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if json.Unmarshal(j, &m) != nil || m.Metadata.Name == "" {
		return "(unnamed)"
	}
	return fmt.Sprintf("%q", m.Metadata.Name)
}

// unstructuredObject keeps a document of a kind rollsim has no Go type for.
// Its content is not checked beyond being a mapping with a metadata mapping
// (a cluster checks it against the kind's CRD schema, which rollsim does not
// have); the envtest backend's minimal CRDs accept any content too.
func unstructuredObject(j []byte, gvk schema.GroupVersionKind) (client.Object, error) {
	u := &unstructured.Unstructured{}
	// UnmarshalJSON keeps integers as int64, as the API machinery does.
	if err := u.UnmarshalJSON(j); err != nil {
		return nil, fmt.Errorf("%s %s: %w", gvk.Kind, nameOf(j), err)
	}
	if md, ok := u.Object["metadata"]; ok && md != nil {
		if _, ok := md.(map[string]any); !ok {
			return nil, fmt.Errorf("%s %s: field \"metadata\" must be a mapping", gvk.Kind, nameOf(j))
		}
	}
	u.SetGroupVersionKind(gvk)
	return u, nil
}
