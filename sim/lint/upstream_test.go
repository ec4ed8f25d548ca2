package lint

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const validationTestdata = "../../engine/rollout/validation/testdata"

// pluginInvalid are the messages `kubectl argo rollouts lint` (v1.9.1,
// pkg/kubectl-argo-rollouts/cmd/lint/lint_test.go) prints for its invalid
// fixtures, without the "Error: " prefix.
var pluginInvalid = map[string]string{
	"invalid.yml":                    "spec.strategy.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can not be zero",
	"invalid-empty-rollout-vsvc.yml": "spec.selector: Required value: Rollout has missing field '.spec.selector'",
	"invalid.json":                   "spec.strategy.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can not be zero",
	"invalid-multiple-docs.yml":      "spec.strategy.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can not be zero",
	// Upstream: `error unmarshaling JSON: while decoding JSON: json: unknown
	// field "unknown-strategy"`; rollsim's strict decoder gives the field's path.
	"invalid-unknown-field.yml":     `unknown field "spec.strategy.unknown-strategy"`,
	"invalid-service-labels.yml":    `spec.strategy.canary.canaryService: Invalid value: "istio-host-split-canary": Service "istio-host-split-canary" has unmatch label "app" in rollout`,
	"invalid-ping-pong.yml":         `spec.strategy.canary.pingPong.pingService: Invalid value: "ping-service": Service "ping-service" has unmatch label "app" in rollout`,
	"invalid-ingress-smi-multi.yml": `spec.strategy.canary.canaryService: Invalid value: "rollout-smi-experiment-canary": Service "rollout-smi-experiment-canary" has unmatch label "app" in rollout`,
	"invalid-nginx-canary.yml":      "spec.strategy.steps[1].experiment.templates[0].weight: Invalid value: 20: Experiment template weight is only available for TrafficRouting with SMI, ALB, Istio and Plugins at this time",
}

func glob(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"*.yaml", "*.yml", "*.json"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	return out
}

func lintPaths(t *testing.T, paths ...string) []Finding {
	t.Helper()
	res, err := Files(paths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Findings
}

func errorsOf(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Severity == Error {
			out = append(out, f)
		}
	}
	return out
}

// TestPluginLintFixtures: the plugin's own lint testdata. What it rejects,
// rollsim rejects with its message; what it accepts has no error-level finding.
func TestPluginLintFixtures(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range glob(t, filepath.Join(validationTestdata, "lint")) {
		name := filepath.Base(f)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			errs := errorsOf(lintPaths(t, f))
			want, invalid := pluginInvalid[name]
			switch {
			case !invalid && !strings.HasPrefix(name, "valid"):
				t.Fatalf("fixture %s is neither listed as invalid nor named valid*", name)
			case !invalid && len(errs) > 0:
				t.Fatalf("valid fixture has errors:\n%s", list(errs))
			case invalid:
				for _, e := range errs {
					if e.Message == want {
						return
					}
				}
				t.Fatalf("want an error %q, got:\n%s", want, list(errs))
			}
		})
	}
	for name := range pluginInvalid {
		if !seen[name] {
			t.Errorf("fixture %s missing", name)
		}
	}
}

// upstreamExampleErrors are the upstream examples (v1.9.1 examples/) with an
// error-level finding, and why the cluster would refuse them too.
var upstreamExampleErrors = map[string]string{
	// `linkerd.io/inject: {{args.linkerd-enabled}}` unquoted: YAML reads a
	// mapping as a map key; kubectl cannot parse the file.
	"traffic-management": "invalid map key",
}

// TestUpstreamExamples: every upstream example lints without an error-level
// finding, each folder linted as one set (as `kubectl apply -f DIR` takes it)
// and each top-level file together with the templates it uses.
func TestUpstreamExamples(t *testing.T) {
	root := "testdata/upstream/examples"
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	templates := []string{filepath.Join(root, "analysis-templates.yaml"), filepath.Join(root, "cluster-analysis-templates.yaml")}
	n := 0
	for _, e := range entries {
		paths := []string{filepath.Join(root, e.Name())}
		if !e.IsDir() {
			if contains(templates, paths[0]) {
				continue
			}
			paths = append(paths, templates...)
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			errs := errorsOf(lintPaths(t, paths...))
			want, known := upstreamExampleErrors[e.Name()]
			switch {
			case !known && len(errs) > 0:
				t.Fatalf("errors:\n%s", list(errs))
			case known && (len(errs) != 1 || !strings.Contains(errs[0].Message, want)):
				t.Fatalf("want one error with %q, got:\n%s", want, list(errs))
			}
		})
	}
	if n < 19 {
		t.Fatalf("only %d example sets", n)
	}
}

// docFragments reads engine/rollout/validation's list of upstream docs Rollout
// snippets the controller refuses (with the start of the first error).
func docFragments(t *testing.T) map[string]string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(validationTestdata, "..", "docfragments_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	entry := regexp.MustCompile(`(?m)^\s*"([^"]+\.yaml)":\s*("(?:[^"\\]|\\.)*"),`)
	out := map[string]string{}
	for _, m := range entry.FindAllStringSubmatch(string(src), -1) {
		v, err := strconv.Unquote(m[2])
		if err != nil {
			t.Fatal(err)
		}
		out[m[1]] = v
	}
	if len(out) < 10 {
		t.Fatalf("read only %d doc fragments", len(out))
	}
	return out
}

// docErrors are the upstream docs analysis snippets (testdata/upstream/docs,
// from v1.9.1 docs/) with an error-level finding: each would never work.
var docErrors = map[string]string{
	"analysis__graphite-1.yaml":  "condition: unknown name results",         // the doc writes results[0] for result[0]
	"features__analysis-4.yaml":  "decode: cannot unmarshal number",         // `value: 9090`: args[].value is a string (the API server refuses it)
	"features__analysis-7.yaml":  "decode: cannot unmarshal number",         // the same
	"features__analysis-5.yaml":  "promql-parse: unexpected character: '.'", // `query: ...`: the query is elided
	"features__analysis-35.yaml": "promql-parse: unexpected character: '.'",
	"features__analysis-36.yaml": "promql-parse: unexpected character: '.'",
	"features__analysis-37.yaml": "promql-parse: unexpected character: '.'",
	"plugins-2.yaml":             "yaml: could not find expected ':'", // the metric's fields are elided with `...`
}

// TestUpstreamDocs: every upstream docs snippet lints without an error-level
// finding unless the controller would refuse it: the Rollout snippets of
// engine/rollout/validation/testdata/upstream-docs (fragments refused as
// docFragments says) and the analysis snippets of testdata/upstream/docs.
func TestUpstreamDocs(t *testing.T) {
	fragments := docFragments(t)
	for _, f := range glob(t, filepath.Join(validationTestdata, "upstream-docs")) {
		name := filepath.Base(f)
		t.Run("rollouts/"+name, func(t *testing.T) {
			errs := errorsOf(lintPaths(t, f))
			want, fragment := fragments[name]
			if !fragment {
				if len(errs) > 0 {
					t.Fatalf("errors:\n%s", list(errs))
				}
				return
			}
			found := false
			for _, e := range errs {
				if e.Rule != "invalid-spec" && e.Rule != "invalid-reference" && e.Rule != "decode" {
					t.Errorf("error other than the controller's: %s", e)
				}
				found = found || strings.Contains(e.Message, want)
			}
			if !found {
				t.Errorf("want an error with %q, got:\n%s", want, list(errs))
			}
		})
	}
	for _, f := range glob(t, filepath.Join(validationTestdata, "upstream-examples")) {
		t.Run("rollouts/"+filepath.Base(f), func(t *testing.T) {
			if errs := errorsOf(lintPaths(t, f)); len(errs) > 0 {
				t.Fatalf("errors:\n%s", list(errs))
			}
		})
	}
	for _, f := range glob(t, "testdata/upstream/docs") {
		name := filepath.Base(f)
		t.Run("analysis/"+name, func(t *testing.T) {
			errs := errorsOf(lintPaths(t, f))
			want, known := docErrors[name]
			if !known {
				if len(errs) > 0 {
					t.Fatalf("errors:\n%s", list(errs))
				}
				return
			}
			rule, words, _ := strings.Cut(want, ": ")
			if len(errs) != 1 || errs[0].Rule != rule || !strings.Contains(errs[0].Message, words) {
				t.Fatalf("want one %s error with %q, got:\n%s", rule, words, list(errs))
			}
		})
	}
}

// TestRepoScenarios: every scenario of the repository lints without an
// error-level finding (each Scenario with its own manifests).
func TestRepoScenarios(t *testing.T) {
	res, err := Files([]string{"../../scenarios"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if errs := errorsOf(res.Findings); len(errs) > 0 {
		t.Fatalf("errors:\n%s", list(errs))
	}
}
