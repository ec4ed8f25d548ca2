// Package lint checks Argo Rollouts manifests without running them: the
// classic AnalysisTemplate mistakes (conditions that do not compile, PromQL
// that does not parse, args that are missing or unused, metrics that never
// finish or can never fail, queries that go empty or NaN) and the blind window
// of background analysis. Every finding has a file:line and a fix hint.
//
// It reads manifests only; it never simulates. PromQL is parsed here, under
// sim/, because engine/ must not import Prometheus.
package lint

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/api/decode"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Severity of a finding.
const (
	Error   = "error"   // the manifest cannot work as written
	Warning = "warning" // it works, but likely not as meant
)

// Finding is one problem in a manifest.
type Finding struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Severity string `json:"severity"`
	Rule     string `json:"rule"`
	Object   string `json:"object"` // Kind/name
	Message  string `json:"message"`
	Hint     string `json:"hint"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s: %s [%s] %s\n    hint: %s", f.File, f.Line, f.Severity, f.Object, f.Rule, f.Message, f.Hint)
}

// InvalidError is input lint cannot read at all (exit 2 in the CLI).
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return e.Err.Error() }
func (e *InvalidError) Unwrap() error { return e.Err }

// document is one manifest with the YAML it came from.
type document struct {
	file string
	node *yaml.Node
	obj  client.Object
}

// line is the line of path in the document (the document's own line when the
// path does not exist).
func (d *document) line(path string) int {
	if l := scenario.NodeLine(d.node, path); l > 0 {
		return l
	}
	return d.node.Line
}

// Options tune the checks that depend on the environment.
type Options struct {
	// ScrapeInterval is Prometheus' scrape interval; 0 takes the first
	// Scenario's spec.traffic.scrapeInterval, else 15s.
	ScrapeInterval time.Duration
}

// linter holds every document of the files linted together: a Rollout and
// the templates it names may sit in different files.
type linter struct {
	docs     []*document
	scrape   time.Duration
	findings []Finding
}

// Files lints the given files together and returns the findings sorted by
// file and line. An error means invalid input.
func Files(paths []string, opts Options) ([]Finding, error) {
	l := &linter{scrape: opts.ScrapeInterval}
	for _, p := range paths {
		data, err := scenario.ReadFile(p) // bounded; devices refused
		if err != nil {
			return nil, &InvalidError{fmt.Errorf("%s: %w", p, err)}
		}
		if err := l.read(p, data); err != nil {
			return nil, err
		}
	}
	if l.scrape <= 0 {
		l.scrape = 15 * time.Second
	}
	l.run()
	return l.findings, nil
}

// Data lints one file already in memory (for tests and fuzzing).
func Data(path string, data []byte, opts Options) ([]Finding, error) {
	l := &linter{scrape: opts.ScrapeInterval}
	if err := l.read(path, data); err != nil {
		return nil, err
	}
	if l.scrape <= 0 {
		l.scrape = 15 * time.Second
	}
	l.run()
	return l.findings, nil
}

var unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)

func (l *linter) read(path string, data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &InvalidError{fmt.Errorf("%s: cannot read this input (internal error: %v)", path, r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for n := 1; ; n++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &InvalidError{fmt.Errorf("%s: document %d: malformed YAML: %v", path, n, err)}
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			if len(doc.Content) == 0 || doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null" {
				continue
			}
			return &InvalidError{fmt.Errorf("%s:%d: document %d: not a Kubernetes object (want a mapping with apiVersion and kind)", path, doc.Line, n)}
		}
		root := doc.Content[0]
		kind := scalar(root, "kind")
		apiVersion := scalar(root, "apiVersion")
		if apiVersion == scenario.ScenarioAPIVersion && kind == scenario.ScenarioKind {
			if l.scrape <= 0 {
				if v := scalar(scenario.FieldNode(root, "spec.traffic"), "scrapeInterval"); v != "" {
					if d, err := time.ParseDuration(v); err == nil && d > 0 {
						l.scrape = d
					}
				}
			}
			continue
		}
		raw, err := yaml.Marshal(root)
		if err != nil {
			return &InvalidError{fmt.Errorf("%s:%d: document %d: %v", path, root.Line, n, err)}
		}
		obj, err := decode.Object(raw)
		if err != nil {
			// An unknown field is a finding (a typo in a provider's
			// settings is silently ignored by nothing: the API server
			// prunes it); anything else is unreadable input.
			if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
				d := &document{file: path, node: root}
				l.add(d, m[1], Error, "unknown-field", kind+"/"+scalar(scenario.FieldNode(root, "metadata"), "name"),
					fmt.Sprintf("unknown field %q", m[1]),
					"check the spelling against the Argo Rollouts reference; the API server drops fields it does not know, so the setting has no effect")
				continue
			}
			return &InvalidError{fmt.Errorf("%s:%d: document %d: %v", path, root.Line, n, err)}
		}
		l.docs = append(l.docs, &document{file: path, node: root, obj: obj})
	}
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

func (l *linter) add(d *document, path, severity, rule, object, message, hint string) {
	l.findings = append(l.findings, Finding{File: d.file, Line: d.line(path), Severity: severity, Rule: rule, Object: object, Message: message, Hint: hint})
}

func (l *linter) run() {
	for _, d := range l.docs {
		switch o := d.obj.(type) {
		case *v1alpha1.AnalysisTemplate:
			l.template(d, "AnalysisTemplate/"+o.Name, &o.Spec)
		case *v1alpha1.ClusterAnalysisTemplate:
			l.template(d, "ClusterAnalysisTemplate/"+o.Name, &o.Spec)
		case *v1alpha1.Rollout:
			l.rollout(d, o)
		}
	}
	sort.SliceStable(l.findings, func(i, j int) bool {
		a, b := l.findings[i], l.findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}

// findTemplate returns the template a reference names, among the documents.
func (l *linter) findTemplate(name string, cluster bool) (*document, *v1alpha1.AnalysisTemplateSpec) {
	for _, d := range l.docs {
		switch o := d.obj.(type) {
		case *v1alpha1.AnalysisTemplate:
			if !cluster && o.Name == name {
				return d, &o.Spec
			}
		case *v1alpha1.ClusterAnalysisTemplate:
			if cluster && o.Name == name {
				return d, &o.Spec
			}
		}
	}
	return nil, nil
}

func minutes(d time.Duration) string {
	m := d.Minutes()
	if m == float64(int64(m)) {
		return fmt.Sprintf("%d min", int64(m))
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", m), ".0") + " min"
}
