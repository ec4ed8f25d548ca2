package lint

import (
	"errors"
	"strings"
	"testing"
)

const rollout = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: app
spec:
  replicas: 3
  selector:
    matchLabels: {app: app}
  strategy:
    canary:
      analysis:
        templates:
        - templateName: bg
        startingStep: 1
      steps:
      - setWeight: 20
      - pause: {duration: 10m}
      - setWeight: 50
      - pause: {duration: 10m}
      - analysis:
          templates:
          - templateName: step
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
      - name: app
        image: app:v1
`

const background = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: bg
spec:
  metrics:
  - name: rate
    interval: 1m
    failureLimit: 3
    successCondition: len(result) > 0 && (isNaN(result[0]) || result[0] >= 0.95)
    provider:
      prometheus:
        query: sum(rate(a[1m])) / sum(rate(b[1m]))
`

const step = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: step
spec:
  metrics:
  - name: rate
    count: 3
    interval: 1m
    successCondition: len(result) > 0 && result[0] >= 0.95
    provider:
      prometheus:
        query: sum(rate(a[1m]))
`

func docs(d ...string) string { return strings.Join(d, "---\n") }

func TestRules(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		rule  string // "" when clean
		line  int
		words []string
	}{
		{"clean apart from the blind window", docs(rollout, background, step), "blind-window", 11,
			[]string{`"rate" (interval 1m0s, failureLimit 3) needs 4 failed measurements (about 4 min)`, "last 4 min of the 22 min of steps (after about 18 min)"}},
		{"condition does not evaluate", docs(strings.Replace(step, "result[0] >= 0.95", "result[0] >== 0.95", 1)), "condition", 10, []string{"successCondition does not evaluate"}},
		{"scalar compared to a vector", docs(strings.Replace(step, "len(result) > 0 && result[0] >= 0.95", "result >= 0.95", 1)), "condition", 10, []string{"vector result"}},
		{"PromQL does not parse", docs(strings.Replace(step, "sum(rate(a[1m]))", "sum(rate(a[1m])", 1)), "promql-parse", 13, []string{"does not parse"}},
		{"arg not declared", docs(strings.Replace(step, "rate(a[1m])", `rate(a{ns="{{args.ns}}"}[1m])`, 1)), "undeclared-arg", 7, []string{"{{args.ns}}"}},
		{"arg never used", docs(strings.Replace(step, "spec:\n", "spec:\n  args:\n  - name: ns\n", 1)), "unused-arg", 7, []string{`arg "ns"`}},
		{"arg in the window parses", docs(strings.Replace(strings.Replace(step, "rate(a[1m])", "rate(a[{{args.w}}])", 1), "spec:\n", "spec:\n  args:\n  - name: w\n", 1)), "", 0, nil},
		{"inline metric never finishes", docs(rollout, background, strings.Replace(step, "    count: 3\n", "", 1)), "never-finishes", 52, []string{"no count"}},
		{"count without interval", docs(strings.Replace(step, "    interval: 1m\n", "", 1)), "count-without-interval", 8, []string{"count 3 but no interval"}},
		{"ratio without NaN guard", docs(strings.Replace(step, "sum(rate(a[1m]))", "sum(rate(a[1m])) / sum(rate(b[1m]))", 1)), "nan-ratio", 10, []string{"NaN"}},
		{"result[0] without len", docs(strings.Replace(step, "len(result) > 0 && ", "", 1)), "unguarded-index", 10, []string{"len(result) > 0"}},
		{"irate over one scrape", docs(strings.Replace(step, "rate(a[1m])", "irate(a[20s])", 1)), "window-too-short", 13, []string{"irate(...[20s]) spans fewer than two scrapes (15s apart)"}},
		{"scrape interval from the scenario", docs(step, "apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: s}\nspec:\n  traffic: {scrapeInterval: 1m}\n"),
			"window-too-short", 13, []string{"(1m0s apart)"}},
		{"failureLimit cannot be reached", docs(strings.Replace(step, "    count: 3\n", "    count: 3\n    failureLimit: 3\n", 1)), "cannot-fail", 9, []string{"failureLimit 3 with count 3"}},
		{"startingStep beyond the steps", docs(strings.Replace(rollout, "startingStep: 1", "startingStep: 5", 1), background, step), "starting-step", 14, []string{"startingStep 5 is beyond the 5 steps"}},
		{"unknown provider field", docs(strings.Replace(step, "        query:", "        querry: x\n        query:", 1)), "unknown-field", 13, []string{`"spec.metrics[0].provider.prometheus.querry"`}},
		{"background run outlives the steps", docs(strings.Replace(rollout, "startingStep: 1", "startingStep: 3", 1), strings.Replace(background, "interval: 1m", "interval: 5m", 1), step),
			"blind-window", 11, []string{"about 20 min"}},
		{"indefinite pause: window before the last step", docs(strings.Replace(rollout, "- pause: {duration: 10m}\n      - analysis", "- pause: {}\n      - analysis", 1), background, step),
			"blind-window", 11, []string{"less than 4 min before the last step completes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := Data("m.yaml", []byte(tt.data), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got *Finding
			for i := range fs {
				if fs[i].Rule == tt.rule {
					got = &fs[i]
				} else if fs[i].Rule != "blind-window" {
					t.Errorf("unexpected finding: %s", fs[i])
				}
			}
			if tt.rule == "" {
				return
			}
			if got == nil {
				t.Fatalf("no %s finding in %v", tt.rule, fs)
			}
			if got.Line != tt.line {
				t.Errorf("line %d, want %d: %s", got.Line, tt.line, got)
			}
			if got.Hint == "" {
				t.Errorf("no hint: %s", got)
			}
			for _, w := range tt.words {
				if !strings.Contains(got.Message, w) {
					t.Errorf("message %q lacks %q", got.Message, w)
				}
			}
		})
	}
}

func TestInvalidInput(t *testing.T) {
	for _, data := range []string{"kind: [\n", "- 1\n- 2\n", "apiVersion: argoproj.io/v1alpha1\nkind: Rolout\nmetadata: {name: x}\n"} {
		_, err := Data("bad.yaml", []byte(data), Options{})
		var ie *InvalidError
		if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "bad.yaml") {
			t.Errorf("%q: got %v, want an InvalidError naming the file", data, err)
		}
	}
}

func FuzzLint(f *testing.F) {
	f.Add([]byte(docs(rollout, background, step)))
	f.Add([]byte("kind: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := Data("fuzz.yaml", data, Options{})
		if err != nil {
			var ie *InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("not an InvalidError: %v", err)
			}
			return
		}
		for _, f := range fs {
			if f.Line <= 0 || f.Hint == "" {
				t.Fatalf("finding without line or hint: %s", f)
			}
		}
	})
}
