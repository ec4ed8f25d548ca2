package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/rollsim/rollsim/engine/api/decode"
	"github.com/rollsim/rollsim/sim/scenario"
)

// Stdin is the name standard input gets in findings.
const Stdin = "<stdin>"

// Source is one input: a file's name and content.
type Source struct {
	Name string
	Data []byte
}

// manifestExt are the file name endings a folder is walked for.
var manifestExt = []string{".yaml", ".yml", ".json"}

// ReadPaths reads the inputs named on a command line: files, folders (walked
// for *.yaml, *.yml and *.json, in lexical order) and "-" for stdin. A path
// that cannot be read is an InvalidError.
func ReadPaths(paths []string, stdin io.Reader) ([]Source, error) {
	var out []Source
	seen := map[string]bool{}
	add := func(p string) error {
		if seen[filepath.Clean(p)] {
			return nil
		}
		seen[filepath.Clean(p)] = true
		data, err := scenario.ReadFile(p) // bounded; devices refused
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
				err = fmt.Errorf("%s: %w", p, err)
			}
			return &InvalidError{err}
		}
		out = append(out, Source{Name: p, Data: data})
		return nil
	}
	for _, p := range paths {
		if p == "-" {
			if stdin == nil {
				return nil, &InvalidError{errors.New("-: no standard input")}
			}
			data, err := io.ReadAll(io.LimitReader(stdin, scenario.MaxFileBytes+1))
			if err == nil && len(data) > scenario.MaxFileBytes {
				err = fmt.Errorf("standard input is larger than %d MiB, the limit for one file", scenario.MaxFileBytes>>20)
			}
			if err != nil {
				return nil, &InvalidError{fmt.Errorf("-: %v", err)}
			}
			out = append(out, Source{Name: Stdin, Data: data})
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, &InvalidError{err}
		}
		if !st.IsDir() {
			if err := add(p); err != nil {
				return nil, err
			}
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && f != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && hasManifestExt(f) {
				files = append(files, f)
			}
			return nil
		})
		if err != nil {
			return nil, &InvalidError{err}
		}
		sort.Strings(files)
		for _, f := range files {
			if err := add(f); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func hasManifestExt(f string) bool {
	for _, e := range manifestExt {
		if strings.HasSuffix(strings.ToLower(f), e) {
			return true
		}
	}
	return false
}

// document is one object of the input, with the YAML it came from.
type document struct {
	file       string
	offset     int // lines before the YAML piece the node was parsed from
	node       *yaml.Node
	apiVersion string
	kind       string
	name       string
	namespace  string // as written; "" when none
	obj        any    // typed object, *networkingv1.Ingress, *unstructured.Unstructured, or nil
	disabled   map[string]string
}

func (d *document) what() string {
	if d.name == "" {
		return d.kind
	}
	return d.kind + "/" + d.name
}

// line is the line of path in the document's file (the document's own line
// when the path does not exist).
func (d *document) line(path string) int {
	if l := scenario.NodeLine(d.node, path); l > 0 {
		return l + d.offset
	}
	return d.node.Line + d.offset
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// read parses one source into documents; what does not parse or decode
// becomes a finding and reading goes on.
func (l *linter) read(src Source, namespace string) {
	for _, p := range scenario.SplitDocuments(src.Data) {
		var root yaml.Node
		err := yaml.Unmarshal(p.Data, &root)
		if err != nil {
			// JSON that YAML does not take (tabs): decode as JSON, without lines.
			if t := bytes.TrimSpace(p.Data); len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
				if y, cerr := sigsyaml.JSONToYAML(t); cerr == nil && yaml.Unmarshal(y, &root) == nil {
					clearLines(&root)
					err = nil
				}
			}
		}
		if err != nil {
			line := p.Line
			if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
				n, _ := strconv.Atoi(m[1])
				line = p.Line + n - 1
			}
			l.findings = append(l.findings, Finding{File: src.Name, Line: line, Severity: Error, Rule: "yaml", Object: "",
				Message: fmt.Sprintf("malformed YAML: %s", strings.TrimPrefix(err.Error(), "yaml: ")), Hint: Rules["yaml"].Help})
			continue
		}
		if len(root.Content) == 0 {
			continue
		}
		n := root.Content[0]
		switch {
		case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
			continue
		case n.Kind == yaml.SequenceNode && allMappings(n.Content):
			// A JSON array of objects.
			for _, item := range n.Content {
				l.object(src.Name, p.Line-1, item, namespace)
			}
			continue
		}
		l.object(src.Name, p.Line-1, n, namespace)
	}
}

func allMappings(nodes []*yaml.Node) bool {
	for _, n := range nodes {
		if n.Kind != yaml.MappingNode {
			return false
		}
	}
	return len(nodes) > 0
}

// clearLines puts every node of a tree on the first line of its document
// (for input whose lines are lost).
func clearLines(n *yaml.Node) {
	n.Line = 1
	for _, c := range n.Content {
		clearLines(c)
	}
}

// object takes one parsed object (a List's items each in turn).
func (l *linter) object(file string, offset int, n *yaml.Node, namespace string) {
	d := &document{file: file, offset: offset, node: n}
	if n.Kind != yaml.MappingNode {
		l.addf(d, "", Error, "decode", "not a Kubernetes object: want a mapping with apiVersion and kind")
		return
	}
	d.apiVersion, d.kind = scalar(n, "apiVersion"), scalar(n, "kind")
	meta := scenario.FieldNode(n, "metadata")
	d.name, d.namespace = scalar(meta, "name"), scalar(meta, "namespace")
	d.disabled = l.annotation(d, meta)
	if d.kind == "" {
		l.addf(d, "", Error, "decode", `missing field "kind"`)
		return
	}
	if d.apiVersion == "" {
		l.addf(d, "", Error, "decode", "missing field \"apiVersion\" (kind %q)", d.kind)
		return
	}
	if items := scenario.FieldNode(n, "items"); items != nil && strings.HasSuffix(d.kind, "List") && items.Kind == yaml.SequenceNode {
		for _, item := range items.Content {
			l.object(file, offset, item, namespace)
		}
		return
	}
	if d.apiVersion == scenario.ScenarioAPIVersion && d.kind == scenario.ScenarioKind {
		l.scenarioDoc(d)
		return
	}
	if d.namespace == "" && namespace != "" {
		d.namespace = namespace
	}
	raw, err := yaml.Marshal(n)
	if err != nil {
		l.addf(d, "", Error, "decode", "%v", err)
		return
	}
	gv, _ := schema.ParseGroupVersion(d.apiVersion)
	gvk := gv.WithKind(d.kind)
	switch {
	case decode.Known(gvk):
		obj, err := decode.Object(raw)
		if err != nil {
			l.decodeError(d, err)
			return
		}
		d.obj = obj
	case d.kind == "Ingress" && (d.apiVersion == "networking.k8s.io/v1"):
		ing := &networkingv1.Ingress{}
		if err := strictYAML(raw, ing); err != nil {
			l.decodeError(d, err)
			return
		}
		d.obj = ing
	case d.kind == "Ingress" && (d.apiVersion == "extensions/v1beta1" || d.apiVersion == "networking.k8s.io/v1beta1"):
		legacy := &extensionsv1beta1.Ingress{}
		if err := strictYAML(raw, legacy); err != nil {
			l.decodeError(d, err)
			return
		}
		d.obj = ingressV1(legacy)
	case gv.Group == "networking.istio.io" && d.kind == "VirtualService",
		gv.Group == "getambassador.io" && d.kind == "Mapping",
		gv.Group == "appmesh.k8s.aws" && (d.kind == "VirtualService" || d.kind == "VirtualRouter"):
		u := &unstructured.Unstructured{}
		j, err := sigsyaml.YAMLToJSON(raw)
		if err == nil {
			err = u.UnmarshalJSON(j)
		}
		if err != nil {
			l.decodeError(d, err)
			return
		}
		d.obj = u
	}
	l.docs = append(l.docs, d)
}

var unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)

func (l *linter) decodeError(d *document, err error) {
	msg := err.Error()
	if ms := unknownField.FindAllStringSubmatch(msg, -1); ms != nil {
		for _, m := range ms {
			l.add(d, m[1], Error, "unknown-field", fmt.Sprintf("unknown field %q", m[1]), "")
		}
		return
	}
	if strings.HasPrefix(msg, "malformed YAML") {
		hint := Rules["yaml"].Help
		if strings.Contains(msg, "invalid map key") {
			hint = `quote values that start with {{ (e.g. "{{args.x}}"): unquoted, YAML reads {{...}} as a mapping`
		}
		l.add(d, "", Error, "yaml", msg, hint)
		return
	}
	l.addf(d, "", Error, "decode", "%s", msg)
}

// strictYAML decodes a document into v, refusing unknown fields.
func strictYAML(raw []byte, v any) error {
	j, err := sigsyaml.YAMLToJSONStrict(raw)
	if err != nil {
		return err
	}
	strictErrs, err := sigsjson.UnmarshalStrict(j, v)
	if err != nil {
		return err
	}
	if len(strictErrs) > 0 {
		return strictErrs[0]
	}
	return nil
}

// ingressV1 converts a legacy Ingress to networking.k8s.io/v1 for the
// controller's checks (which read rules and backends only).
func ingressV1(in *extensionsv1beta1.Ingress) *networkingv1.Ingress {
	out := &networkingv1.Ingress{ObjectMeta: in.ObjectMeta}
	backend := func(b extensionsv1beta1.IngressBackend) networkingv1.IngressBackend {
		if b.ServiceName == "" {
			return networkingv1.IngressBackend{}
		}
		port := networkingv1.ServiceBackendPort{}
		if b.ServicePort.Type == intstr.String {
			port.Name = b.ServicePort.StrVal
		} else {
			port.Number = b.ServicePort.IntVal
		}
		return networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: b.ServiceName, Port: port}}
	}
	for _, r := range in.Spec.Rules {
		rule := networkingv1.IngressRule{Host: r.Host}
		if r.HTTP != nil {
			rule.HTTP = &networkingv1.HTTPIngressRuleValue{}
			for _, p := range r.HTTP.Paths {
				rule.HTTP.Paths = append(rule.HTTP.Paths, networkingv1.HTTPIngressPath{Path: p.Path, Backend: backend(p.Backend)})
			}
		}
		out.Spec.Rules = append(out.Spec.Rules, rule)
	}
	return out
}

func scalar(n *yaml.Node, key string) string {
	if n == nil || n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// scenarioDoc takes a Scenario: its scrape interval, controller version and
// namespace, and the manifests it lists (read as if named on the command line).
func (l *linter) scenarioDoc(d *document) {
	l.scenarios = append(l.scenarios, d)
	spec := scenario.FieldNode(d.node, "spec")
	if l.scrape <= 0 {
		if v := scalar(scenario.FieldNode(spec, "traffic"), "scrapeInterval"); v != "" {
			if dur, err := time.ParseDuration(v); err == nil && dur > 0 {
				l.scrape = dur
			}
		}
	}
	if v := scalar(spec, "controllerVersion"); v != "" && l.versionName == "" {
		l.versionName = v
	}
	ns := scalar(spec, "namespace")
	if ns == "" {
		ns = "default"
	}
	l.scenarioNS[d.file] = ns
	manifests := scenario.FieldNode(spec, "manifests")
	if manifests == nil || manifests.Kind != yaml.SequenceNode {
		return
	}
	dir := "."
	if d.file != Stdin {
		dir = filepath.Dir(d.file)
	}
	for i, m := range manifests.Content {
		p := m.Value
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if l.read1[filepath.Clean(p)] {
			continue
		}
		l.read1[filepath.Clean(p)] = true
		data, err := scenario.ReadFile(p) // bounded; devices refused
		if err != nil {
			l.add(d, fmt.Sprintf("spec.manifests[%d]", i), Error, "scenario", fmt.Sprintf("cannot read %s: %v", m.Value, errors.Unwrap(err)), "fix the path: it is relative to the scenario file")
			continue
		}
		l.pending = append(l.pending, pendingSource{Source{Name: p, Data: data}, ns})
	}
}

type pendingSource struct {
	src Source
	ns  string
}
