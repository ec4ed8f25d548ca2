package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A valid scenario the bad-input cases start from.
const goodRollout = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: app
spec:
  replicas: 3
  selector:
    matchLabels: {app: app}
  strategy:
    canary:
      steps:
      - setWeight: 20
      - analysis:
          templates:
          - templateName: rate
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
      - name: app
        image: app:v1
`

const goodTemplate = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: rate
spec:
  metrics:
  - name: rate
    successCondition: len(result) > 0 && result[0] >= 0.95
    provider:
      prometheus:
        query: sum(rate(envoy_cluster_upstream_rq_xx[1m]))
`

const goodScenario = `apiVersion: rollsim.dev/v1alpha1
kind: Scenario
metadata:
  name: s
spec:
  update: {image: app:v2}
  traffic: {rps: 10}
`

func stream(docs ...string) string { return strings.Join(docs, "---\n") }

// Every entry of the bad-input catalogue: the error names the file, the document
// and the field, and is an *InputError (exit code 2 in the CLI).
func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string // substrings of the error, in order of appearance
	}{
		{"malformed YAML", "apiVersion: v1\nkind: [unclosed\n", []string{"document 1 (line 1", "malformed YAML"}},
		{"unknown field", stream(strings.Replace(goodRollout, "  replicas: 3", "  replicas: 3\n  replicaz: 4", 1), goodTemplate, goodScenario),
			[]string{"document 1", "Rollout app", `unknown field "spec.replicaz"`}},
		{"unknown field in scenario", stream(goodRollout, goodTemplate, goodScenario+"  speed: 3\n"),
			[]string{"document 3", "Scenario s", `unknown field "spec.speed"`}},
		{"unknown kind", stream(goodRollout, goodTemplate, "apiVersion: argoproj.io/v1alpha1\nkind: Rolout\nmetadata: {name: x}\n", goodScenario),
			[]string{"document 3", `unknown kind "Rolout"`}},
		{"missing kind", stream(goodRollout, "apiVersion: v1\nmetadata: {name: x}\n", goodTemplate, goodScenario),
			[]string{"document 2", `"kind"`}},
		{"no Rollout", stream(goodTemplate, goodScenario), []string{"document 2", "Scenario s", "spec.manifests", "no Rollout found"}},
		{"no Scenario", stream(goodRollout, goodTemplate), []string{"no document with apiVersion: rollsim.dev/v1alpha1 and kind: Scenario"}},
		{"two Scenarios", stream(goodRollout, goodTemplate, goodScenario, goodScenario), []string{"document 4", "second"}},
		{"unknown template", stream(goodRollout, goodScenario),
			[]string{"document 1", "Rollout app", "spec.strategy.canary.steps[1].analysis.templates", `InvalidSpec: The Rollout "app" is invalid`, "AnalysisTemplate 'rate' not found"}},
		{"unknown cluster template", stream(strings.Replace(goodRollout, "- templateName: rate", "- templateName: rate\n            clusterScope: true", 1), goodTemplate, goodScenario),
			[]string{"ClusterAnalysisTemplate 'rate' not found"}},
		{"step analysis that never ends", stream(goodRollout, strings.Replace(goodTemplate, "  - name: rate\n", "  - name: rate\n    interval: 1m\n", 1), goodScenario),
			[]string{"steps[1].analysis.templates", "AnalysisTemplate rate has metric rate which runs indefinitely. Invalid value for count: <nil>"}},
		{"duplicate metric across templates", stream(strings.Replace(goodRollout, "- templateName: rate", "- templateName: rate\n          - templateName: rate2", 1),
			goodTemplate, strings.Replace(goodTemplate, "name: rate\nspec", "name: rate2\nspec", 1), goodScenario),
			[]string{"templateNames: [rate rate2]", "two metrics have the same name 'rate'"}},
		{"step template with an unknown placeholder", stream(goodRollout, strings.Replace(goodTemplate, "query: sum(", "query: sum({{args.window}}", 1), goodScenario),
			[]string{"steps[1].analysis.templates", `Invalid value: "rate": AnalysisTemplate rate: failed to resolve {{args.window}}`}},
		{"no update image", stream(goodRollout, goodTemplate, strings.Replace(goodScenario, "update: {image: app:v2}", "update: {}", 1)),
			[]string{"Scenario s", "spec.update.image", "required"}},
		{"unknown container", stream(goodRollout, goodTemplate, strings.Replace(goodScenario, "update: {image: app:v2}", "update: {image: app:v2, container: web}", 1)),
			[]string{"spec.update.container", `no container "web"`}},
		{"bad duration", stream(goodRollout, goodTemplate, goodScenario+"  until: 3 hours\n"), []string{"Scenario s", `invalid duration "3 hours"`}},
		{"error rate above 1", stream(goodRollout, goodTemplate, strings.Replace(goodScenario, "traffic: {rps: 10}", "traffic: {rps: 10, canary: {errorRate: 1.5}}", 1)),
			[]string{"spec.traffic.canary.errorRate", "between 0 and 1"}},
		{"negative rps", stream(goodRollout, goodTemplate, strings.Replace(goodScenario, "rps: 10", "rps: -1", 1)), []string{"spec.traffic.rps"}},
		{"unknown outcome", stream(goodRollout, goodTemplate, goodScenario+"  expect: {outcome: Done}\n"), []string{"spec.expect.outcome", `"Done"`}},
		{"unknown controller version", stream(goodRollout, goodTemplate, goodScenario+"  controllerVersion: v2.0\n"), []string{"spec.controllerVersion", "v2.0"}},
		{"two Rollouts, none named", stream(goodRollout, strings.Replace(goodRollout, "name: app\nspec", "name: app2\nspec", 1), goodTemplate, goodScenario),
			[]string{"spec.rollout", "2 Rollouts"}},
		{"named Rollout missing", stream(goodRollout, goodTemplate, goodScenario+"  rollout: web\n"), []string{"spec.rollout", `no Rollout named "web"`}},
		{"blue-green without an active service", stream(strings.Replace(goodRollout, "    canary:\n      steps:\n      - setWeight: 20\n      - analysis:\n          templates:\n          - templateName: rate\n", "    blueGreen: {previewService: app-preview}\n", 1), goodTemplate, goodScenario),
			[]string{"Rollout app", "spec.strategy.blueGreen.activeService", "Required value"}},
		{"missing manifest file", stream(goodScenario + "  manifests: [nope.yaml]\n"), []string{"spec.manifests[0]", "nope.yaml"}},
		{"a list is not a document", "- 1\n- 2\n", []string{"document 1"}},
		// Line numbers: file:line of the offending field, counted in the whole stream.
		{"line of an unknown field", stream(strings.Replace(goodRollout, "  replicas: 3", "  replicas: 3\n  replicaz: 4", 1), goodTemplate, goodScenario),
			[]string{".yaml:7: document 1 (line 1, Rollout app)", `unknown field "spec.replicaz"`}},
		{"line of a template reference", stream(goodRollout, goodScenario), []string{".yaml:14: document 1", "AnalysisTemplate 'rate' not found"}},
		{"line of malformed YAML in a later document", stream(goodRollout, "apiVersion: v1\nkind: x\n  bad: [\n", goodScenario),
			[]string{".yaml:26: document 2 (line 24)", "malformed YAML"}},
		{"line and field of a bad duration", stream(goodRollout, goodTemplate, goodScenario+"  until: 3 hours\n"),
			[]string{".yaml:43: document 3", "spec.until", `invalid duration "3 hours"`}},
		{"line of a bad rps", stream(goodRollout, goodTemplate, strings.Replace(goodScenario, "rps: 10", "rps: -1", 1)), []string{".yaml:42: ", "spec.traffic.rps"}},
		{"line of an unknown kind", stream(goodRollout, goodTemplate, "apiVersion: argoproj.io/v1alpha1\nkind: Rolout\nmetadata: {name: x}\n", goodScenario),
			[]string{".yaml:37: document 3", `unknown kind "Rolout"`}},
		// The expect block.
		{"unknown run type in expect", stream(goodRollout, goodTemplate, goodScenario+"  expect: {analysisRuns: [{type: step}]}\n"),
			[]string{".yaml:43: ", "spec.expect.analysisRuns[0].type", `unknown value "step"`}},
		{"unknown run phase in expect", stream(goodRollout, goodTemplate, goodScenario+"  expect: {analysisRuns: [{phase: Aborted}]}\n"),
			[]string{"spec.expect.analysisRuns[0].phase", `"Aborted"`}},
		{"metric expectation without a name", stream(goodRollout, goodTemplate, goodScenario+"  expect: {analysisRuns: [{metrics: [{failed: 1}]}]}\n"),
			[]string{"spec.expect.analysisRuns[0].metrics[0].name", "required"}},
		{"negative metric count in expect", stream(goodRollout, goodTemplate, goodScenario+"  expect: {analysisRuns: [{metrics: [{name: rate, failed: -1}]}]}\n"),
			[]string{"spec.expect.analysisRuns[0].metrics[0].failed", "negative"}},
		{"inverted range", stream(goodRollout, goodTemplate, goodScenario+"  expect:\n    abortedAt: 5m..1m\n"),
			[]string{".yaml:44: ", "spec.expect.abortedAt", `range "5m..1m": min 5m0s is after max 1m0s`}},
		{"bad duration in a range", stream(goodRollout, goodTemplate, goodScenario+"  expect:\n    promotedAt: 5m..soon\n"),
			[]string{"spec.expect.promotedAt", `invalid duration "soon"`}},
		{"unknown range field", stream(goodRollout, goodTemplate, goodScenario+"  expect:\n    abortedAt: {mn: 1m}\n"),
			[]string{".yaml:44: ", `unknown field "mn"`}},
		{"empty range", stream(goodRollout, goodTemplate, goodScenario+"  expect:\n    abortedAt: {}\n"), []string{"empty range"}},
		{"unknown experiment phase", stream(goodRollout, goodTemplate, goodScenario+"  expect: {experiments: [{phase: Done}]}\n"),
			[]string{"spec.expect.experiments[0].phase", `"Done"`}},
		{"unknown expect field", stream(goodRollout, goodTemplate, goodScenario+"  expect: {outcomes: Aborted}\n"),
			[]string{".yaml:43: ", `unknown field "spec.expect.outcomes"`}},
		{"count is not a number", stream(goodRollout, goodTemplate, goodScenario+"  expect: {analysisRuns: [{metrics: [{name: rate, failed: many}]}]}\n"),
			[]string{"document 3", "Scenario s"}},
		{"empty file", "", []string{"no document with apiVersion"}},
		{"only comments", "# nothing here\n---\n# nor here\n", []string{"no document with apiVersion"}},
		{"scenario is a scalar", "apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: s}\nspec: 3\n", []string{"document 1", "Scenario s"}},
		{"binary garbage", "\x00\x01\x02kind: \xff\n", []string{"document 1"}},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml")
			if err := os.WriteFile(path, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("no error")
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("not an input error: %v", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path) {
				t.Errorf("error does not start with the file name: %s", msg)
			}
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q lacks %q", msg, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestLoadGood(t *testing.T) {
	in, err := LoadData("mem.yaml", []byte(stream(goodRollout, goodTemplate, goodScenario)))
	if err != nil {
		t.Fatal(err)
	}
	if in.Scenario.Spec.Namespace != "default" || in.Rollout().Namespace != "default" || in.Scenario.Spec.Traffic.Route != "httproute/default/app" {
		t.Fatalf("defaults not applied: %+v", in.Scenario.Spec)
	}
}

func TestSplitStreamLines(t *testing.T) {
	docs := splitStream([]byte("# header\n---\na: 1\n---\n\n\nb: 2\n---\n# only a comment\n"))
	if len(docs) != 2 || docs[0].line != 3 || docs[1].line != 7 {
		t.Fatalf("got %+v", docs)
	}
}

func FuzzLoadData(f *testing.F) {
	f.Add([]byte(stream(goodRollout, goodTemplate, goodScenario)))
	f.Add([]byte("apiVersion: v1\nkind: [unclosed\n"))
	f.Add([]byte(stream(goodScenario, "---\n---\n")))
	for _, name := range []string{"../scenarios/inline-analysis-abort.yaml", "../scenarios/reference-background-promotes.yaml"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := LoadData("fuzz.yaml", data)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error is not an InputError: %v", err)
			}
			return
		}
		if in.Rollout() == nil {
			t.Fatal("loaded without a Rollout")
		}
	})
}
