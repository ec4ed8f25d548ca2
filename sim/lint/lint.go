// Package lint checks Argo Rollouts manifests without running them, as a
// superset of `kubectl argo rollouts lint`: the Rollout controller's own
// validation (engine/rollout/validation: the spec rules and the checks of the
// Services, Ingresses, VirtualServices and analysis templates a Rollout names,
// with the controller's paths and messages), the AnalysisRun controller's
// metric validation, template and arg resolution, and the classic
// AnalysisTemplate mistakes (conditions that do not compile for the
// provider's result, PromQL that does not parse, args that are missing or
// unused, limits that can never trip, queries that go empty or NaN) and the
// blind window of background analysis. Every finding has a file:line, a rule
// id, a severity and a fix hint.
//
// Severities: error when the controller or the API server would refuse the
// manifest or it can never work; warning when it works but likely not as
// meant; info for what is worth knowing. A rule is silenced for one object by
// the annotation
//
//	metadata:
//	  annotations:
//	    rollsim.dev/lint-disable: "blind-window: the canary serves 1% of traffic"
//
// (entries "RULE[,RULE...]: reason", separated by ";" or new lines), or for a
// whole run by Options.Disable.
//
// It reads manifests only; it never simulates. PromQL is parsed here, under
// sim/, because engine/ must not import Prometheus.
package lint

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/sim/scenario"
)

// DisableAnnotation silences rules for the object that carries it.
const DisableAnnotation = "rollsim.dev/lint-disable"

// Finding is one problem in a manifest.
type Finding struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Severity Severity `json:"severity"`
	Rule     string   `json:"rule"`
	Object   string   `json:"object"` // Kind/name
	Message  string   `json:"message"`
	Hint     string   `json:"hint"`

	suppressed string // the reason, when an annotation silences it
}

func (f Finding) String() string {
	obj := f.Object
	if obj == "" {
		obj = "-"
	}
	return fmt.Sprintf("%s:%d: %s: %s [%s] %s\n    hint: %s", f.File, f.Line, f.Severity, obj, f.Rule, f.Message, f.Hint)
}

// InvalidError is input lint cannot read at all (exit 2 in the CLI): a path
// that does not exist or cannot be read.
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return e.Err.Error() }
func (e *InvalidError) Unwrap() error { return e.Err }

// Options tune the checks.
type Options struct {
	// ScrapeInterval is Prometheus' scrape interval; 0 takes the first
	// Scenario's spec.traffic.scrapeInterval, else 15s.
	ScrapeInterval time.Duration
	// Version is the controller version whose rules apply when no Scenario
	// names one ("" is the default, v1.10).
	Version string
	// Disable lists rule ids not to report.
	Disable []string
}

// Result is what a lint finds.
type Result struct {
	Findings   []Finding // sorted by file, line, rule and message
	Suppressed int       // findings silenced by an annotation or Options.Disable
}

// Count returns the number of findings of severity s.
func (r *Result) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Fails reports whether the result should fail a build: any error, or any
// warning when strict.
func (r *Result) Fails(strict bool) bool {
	return r.Count(Error) > 0 || strict && r.Count(Warning) > 0
}

// linter holds every document of the inputs linted together: a Rollout and
// the objects it names may sit in different files.
type linter struct {
	opts        Options
	docs        []*document
	scenarios   []*document
	scenarioNS  map[string]string // file → the namespace of its Scenario
	scenarioSrc map[string][]byte // scenario files, for `rollsim run`'s own checks
	read1       map[string]bool   // files read (cleaned paths)
	pending     []pendingSource
	scrape      time.Duration
	versionName string
	version     engine.Version
	findings    []Finding
	// specReported: metric validation errors already reported on a template
	// (metric name + message), so a Rollout using it does not repeat them.
	specReported map[string]bool
}

// Lint checks the sources. Each file holding a Scenario is checked with the
// manifests it lists, as `rollsim run` takes it; all other sources are
// checked together, as one set of manifests (a Rollout, its Services and its
// templates may sit in different files).
func Lint(srcs []Source, opts Options) *Result {
	var plain []Source
	var groups [][]Source
	for _, s := range srcs {
		if holdsScenario(s.Data) {
			groups = append(groups, []Source{s})
		} else {
			plain = append(plain, s)
		}
	}
	if len(plain) > 0 {
		groups = append([][]Source{plain}, groups...)
	}
	all := &linter{opts: opts}
	for _, g := range groups {
		all.findings = append(all.findings, lintSet(g, opts).findings...)
	}
	return all.result()
}

var scenarioKind = regexp.MustCompile(`(?m)^\s*"?kind"?\s*:\s*"?` + scenario.ScenarioKind + `"?\s*,?\s*(#.*)?$`)

// holdsScenario: the source has a Scenario document (a cheap look before
// parsing, to group sources).
func holdsScenario(data []byte) bool {
	return bytes.Contains(data, []byte(scenario.ScenarioAPIVersion)) && scenarioKind.Match(data)
}

// lintSet checks sources together.
func lintSet(srcs []Source, opts Options) *linter {
	l := &linter{opts: opts, scrape: opts.ScrapeInterval, scenarioNS: map[string]string{}, scenarioSrc: map[string][]byte{}, read1: map[string]bool{}}
	for _, s := range srcs {
		if s.Name != Stdin {
			l.read1[filepath.Clean(s.Name)] = true
		}
	}
	for _, s := range srcs {
		l.readSafe(s, "")
		for len(l.pending) > 0 {
			p := l.pending[0]
			l.pending = l.pending[1:]
			l.readSafe(p.src, p.ns)
		}
	}
	for _, d := range l.scenarios {
		l.scenarioSrc[d.file] = sourceOf(srcs, d.file)
	}
	if l.scrape <= 0 {
		l.scrape = 15 * time.Second
	}
	if l.versionName == "" {
		l.versionName = opts.Version
	}
	v, err := engine.ParseVersion(l.versionName)
	if err != nil {
		v, _ = engine.ParseVersion("")
	}
	l.version = v
	for _, d := range l.docs {
		if d.namespace == "" {
			d.namespace = "default"
			if ns, ok := l.scenarioNS[d.file]; ok {
				d.namespace = ns
			}
		}
		if o, ok := d.obj.(interface{ SetNamespace(string) }); ok {
			if _, cluster := d.obj.(*v1alpha1.ClusterAnalysisTemplate); !cluster {
				o.SetNamespace(d.namespace)
			}
		}
	}
	l.runSafe(srcs)
	return l
}

// runSafe is run that turns a panic (a rollsim bug) into a finding.
func (l *linter) runSafe(srcs []Source) {
	defer func() {
		if r := recover(); r != nil {
			name := Stdin
			if len(srcs) > 0 {
				name = srcs[0].Name
			}
			l.findings = append(l.findings, Finding{File: name, Line: 1, Severity: Error, Rule: "decode",
				Message: fmt.Sprintf("rollsim could not check this input (internal error: %v)", r), Hint: "report this as a rollsim bug"})
		}
	}()
	l.run()
}

func sourceOf(srcs []Source, name string) []byte {
	for _, s := range srcs {
		if s.Name == name {
			return s.Data
		}
	}
	return nil
}

// readSafe is read that turns a panic (a rollsim bug) into a finding on the
// input that caused it.
func (l *linter) readSafe(s Source, ns string) {
	defer func() {
		if r := recover(); r != nil {
			l.findings = append(l.findings, Finding{File: s.Name, Line: 1, Severity: Error, Rule: "decode",
				Message: fmt.Sprintf("rollsim could not read this input (internal error: %v)", r), Hint: "report this as a rollsim bug"})
		}
	}()
	l.read(s, ns)
}

// Files lints files and folders together (see ReadPaths).
func Files(paths []string, opts Options) (*Result, error) {
	srcs, err := ReadPaths(paths, nil)
	if err != nil {
		return nil, err
	}
	return Lint(srcs, opts), nil
}

// Data lints one file already in memory (for tests and fuzzing).
func Data(path string, data []byte, opts Options) []Finding {
	return Lint([]Source{{Name: path, Data: data}}, opts).Findings
}

// add records a finding at path in d; an empty hint takes the rule's help.
func (l *linter) add(d *document, path string, severity Severity, rule, message, hint string) {
	if hint == "" {
		hint = Rules[rule].Help
	}
	f := Finding{File: d.file, Line: d.line(path), Severity: severity, Rule: rule, Object: d.what(), Message: message, Hint: hint}
	if reason, ok := d.disabled[rule]; ok {
		f.suppressed = reason
	}
	l.findings = append(l.findings, f)
}

func (l *linter) addf(d *document, path string, severity Severity, rule, format string, args ...any) {
	l.add(d, path, severity, rule, fmt.Sprintf(format, args...), "")
}

// annotation reads the lint-disable annotation of an object: rule → reason.
func (l *linter) annotation(d *document, meta *yaml.Node) map[string]string {
	v := scalar(scenario.FieldNode(meta, "annotations"), DisableAnnotation)
	if v == "" {
		return nil
	}
	out := map[string]string{}
	path := "metadata.annotations"
	for _, entry := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '\n' }) {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		rules, reason, _ := strings.Cut(entry, ":")
		reason = strings.TrimSpace(reason)
		for _, r := range strings.Split(rules, ",") {
			r = strings.TrimSpace(r)
			if _, ok := Rules[r]; !ok || r == "lint-disable" {
				l.findings = append(l.findings, Finding{File: d.file, Line: d.line(path), Severity: Warning, Rule: "lint-disable", Object: d.what(),
					Message: fmt.Sprintf("%s names no rule %q", DisableAnnotation, r), Hint: "use a rule id from `rollsim lint --help`; " + Rules["lint-disable"].Help})
				continue
			}
			if reason == "" {
				l.findings = append(l.findings, Finding{File: d.file, Line: d.line(path), Severity: Warning, Rule: "lint-disable", Object: d.what(),
					Message: fmt.Sprintf("%s silences %q without a reason", DisableAnnotation, r), Hint: Rules["lint-disable"].Help})
				reason = "(no reason given)"
			}
			out[r] = reason
		}
	}
	return out
}

// result applies the disabled rules and sorts.
func (l *linter) result() *Result {
	off := map[string]bool{}
	for _, r := range l.opts.Disable {
		off[r] = true
	}
	res := &Result{Findings: []Finding{}}
	seen := map[Finding]bool{}
	for _, f := range l.findings {
		if seen[f] {
			continue
		}
		seen[f] = true
		if off[f.Rule] || f.suppressed != "" {
			res.Suppressed++
			continue
		}
		res.Findings = append(res.Findings, f)
	}
	sort.SliceStable(res.Findings, func(i, j int) bool {
		a, b := res.Findings[i], res.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
	return res
}

func minutes(d time.Duration) string {
	m := d.Minutes()
	if m == float64(int64(m)) {
		return fmt.Sprintf("%d min", int64(m))
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", m), ".0") + " min"
}
