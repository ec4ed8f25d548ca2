package lint

import (
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
      - pause: {}
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

const web = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: web
spec:
  metrics:
  - name: smoke
    successCondition: result == 'It worked!'
    provider:
      web:
        url: https://smoke.example/ok
`

const services = `apiVersion: v1
kind: Service
metadata:
  name: app-stable
spec:
  selector: {app: app}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: app-canary
spec:
  selector: {app: app}
  ports: [{port: 80}]
`

const scenarioDoc = `apiVersion: rollsim.dev/v1alpha1
kind: Scenario
metadata:
  name: s
spec:
  update: {image: app:v2}
`

func docs(d ...string) string { return strings.Join(d, "---\n") }

// lastStep is the base rollout whose last step is timed, not indefinite.
func lastStep(s string) string {
	return strings.Replace(rollout, "      - pause: {}\n", s, 1)
}

func withServices(r string) string {
	return strings.Replace(r, "    canary:\n", "    canary:\n      stableService: app-stable\n      canaryService: app-canary\n", 1)
}

// TestRules has one row per rule (TestEveryRuleHasARow checks), and rows
// for what must not be reported.
func TestRules(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		rule     string   // "" when clean
		severity Severity // of the finding
		line     int
		words    []string
		others   []string // other rules allowed in the result
	}{
		{"clean", docs(rollout, background, step), "", "", 0, nil, nil},
		// Reading.
		{"yaml", docs(step, "kind: [\n"), "yaml", Error, 15, []string{"malformed YAML"}, nil},
		{"decode", docs(strings.Replace(step, "count: 3", "count: [3]", 1)), "decode", Error, 1, []string{"cannot unmarshal"}, nil},
		{"unknown-field", docs(strings.Replace(step, "        query:", "        querry: x\n        query:", 1)), "unknown-field", Error, 13, []string{`"spec.metrics[0].provider.prometheus.querry"`}, nil},
		{"two unknown fields", docs(strings.Replace(step, "        query:", "        querry: x\n        step: 1m\n        query:", 1)), "unknown-field", Error, 14, []string{`"spec.metrics[0].provider.prometheus.step"`}, []string{"unknown-field"}},
		{"not-simulated", docs(step, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"), "not-simulated", Info, 15, []string{"ConfigMap (v1) is not simulated"}, nil},
		{"lint-disable", docs(strings.Replace(step, "  name: step\n", "  name: step\n  annotations:\n    rollsim.dev/lint-disable: \"no-such-rule: because\"\n", 1)), "lint-disable", Warning, 5, []string{`names no rule "no-such-rule"`}, nil},
		{"scenario", docs(scenarioDoc, rollout, background, strings.Replace(step, "    successCondition: len(result) > 0 && result[0] >= 0.95\n    provider:\n      prometheus:\n        query: sum(rate(a[1m]))\n", "    provider:\n      job:\n        spec: {template: {spec: {restartPolicy: Never, containers: [{name: t, image: t}]}}}\n", 1)),
			"scenario", Error, 5, []string{"spec.providers.job", `metric "rate"`, "script its outcome"}, nil},
		// The controller's validation.
		{"invalid-spec", docs(strings.Replace(rollout, "setWeight: 50", "setWeight: 120", 1), background, step), "invalid-spec", Error, 18,
			[]string{"spec.strategy.steps[2].setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100"}, nil},
		{"bad pause duration", docs(strings.Replace(rollout, "pause: {duration: 10m}", "pause: {duration: -1}", 1), background, step), "invalid-spec", Error, 17,
			[]string{"spec.strategy.steps[1].pause.duration: Invalid value: -1: Duration needs to be greater than 0"}, nil},
		{"selector mismatch", docs(strings.Replace(rollout, "labels: {app: app}", "labels: {app: other}", 1), background, step), "invalid-spec", Error, 0,
			[]string{"`selector` does not match template `labels`"}, nil},
		{"maxSurge and maxUnavailable zero", docs(strings.Replace(rollout, "    canary:\n", "    canary:\n      maxSurge: 0\n      maxUnavailable: 0\n", 1), background, step), "invalid-spec", Error, 11,
			[]string{"spec.strategy.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can not be zero"}, nil},
		{"setCanaryScale without trafficRouting", docs(strings.Replace(rollout, "- setWeight: 50", "- setCanaryScale: {weight: 50}", 1), background, step), "invalid-spec", Error, 10,
			[]string{"spec.strategy.trafficRouting: Required value: SetCanaryScale requires TrafficRouting to be set"}, nil},
		{"selector missing", docs(strings.Replace(rollout, "  selector:\n    matchLabels: {app: app}\n", "", 1), background, step), "invalid-spec", Error, 5,
			[]string{"spec.selector: Required value: Rollout has missing field '.spec.selector'"}, []string{"invalid-spec"}},
		{"trafficRouting without services", docs(strings.Replace(rollout, "    canary:\n", "    canary:\n      trafficRouting:\n        nginx: {stableIngress: ing}\n", 1), background, step), "invalid-spec", Error, 10,
			[]string{`spec.strategy.canaryService: Invalid value: "": Canary service and Stable service must to be set to use Traffic Routing`}, []string{"invalid-spec", "invalid-reference", "not-found"}},
		{"experiment weight without trafficRouting", docs(strings.Replace(rollout, "      - setWeight: 50\n", "      - experiment:\n          templates:\n          - {name: x, specRef: canary, weight: 10}\n", 1), background, step), "invalid-spec", Error, 0,
			[]string{"Experiment template weight cannot be set unless TrafficRouting is enabled"}, nil},
		{"blueGreen without activeService", `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: bg}
spec:
  selector: {matchLabels: {app: a}}
  strategy:
    blueGreen: {}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: a, image: a}]}
`, "invalid-spec", Error, 7, []string{`spec.strategy.activeService: Invalid value: "": This rollout uses the same service for the active and preview services`}, nil},
		{"invalid-reference", docs(withServices(rollout), background, step, strings.Replace(services, "selector: {app: app}", "selector: {app: other}", 1)), "invalid-reference", Error, 11,
			[]string{`Service "app-stable" has unmatch label "app" in rollout`}, []string{"invalid-reference"}},
		{"ingress-service", docs(strings.Replace(withServices(rollout), "    canary:\n", "    canary:\n      trafficRouting:\n        nginx: {stableIngress: ing}\n", 1), background, step, services, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ing}
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: other, port: {number: 80}}}
`), "ingress-service", Warning, 12, []string{"ingress `ing` has no rules using service app-stable backend"}, []string{"not-simulated"}},
		{"legacy Ingress routes to the stable service", docs(strings.Replace(withServices(rollout), "    canary:\n", "    canary:\n      trafficRouting:\n        nginx: {stableIngress: ing}\n", 1), background, step, services, `apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: ing}
spec:
  rules:
  - http:
      paths:
      - path: /
        backend: {serviceName: app-stable, servicePort: 80}
`), "", "", 0, nil, []string{"not-simulated"}},
		{"missing-template", docs(rollout, step), "missing-template", Error, 12, []string{"AnalysisTemplate 'bg' not found"}, nil},
		{"missing template, no templates linted", docs(rollout), "missing-template", Warning, 12, []string{"AnalysisTemplate 'bg' not found"}, []string{"missing-template"}},
		{"missing template in a scenario", docs(scenarioDoc, rollout), "missing-template", Error, 19, []string{"AnalysisTemplate 'bg' not found"}, []string{"missing-template"}},
		{"not-found", docs(withServices(rollout), background, step), "not-found", Info, 11, []string{`service "app-stable" not found`}, []string{"not-found"}},
		{"not-found, other Services linted", docs(withServices(rollout), background, step, "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {selector: {app: app}}\n"), "not-found", Warning, 11, []string{`service "app-stable" not found`}, []string{"not-found"}},
		{"missing-secret", docs(rollout, background, strings.Replace(step, "spec:\n", "spec:\n  args:\n  - name: token\n    valueFrom: {secretKeyRef: {name: creds, key: token}}\n", 1)), "missing-secret", Info, 20,
			[]string{`arg "token" reads key "token" of Secret "creds"`}, []string{"unused-arg"}},
		{"secret without the key", docs(rollout, background, strings.Replace(step, "spec:\n", "spec:\n  args:\n  - name: token\n    valueFrom: {secretKeyRef: {name: creds, key: token}}\n", 1), "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData: {other: x}\n"), "missing-secret", Error, 20,
			[]string{`key 'token' does not exist in secret 'creds'`}, []string{"unused-arg"}},
		// Analysis.
		{"analysis-spec-invalid", docs(strings.Replace(step, "    count: 3\n", "    count: 3\n    failureLimit: 5\n", 1)), "analysis-spec-invalid", Error, 8,
			[]string{`"Analysis spec invalid: metrics[0]: count (3) must be >= failureLimit + consecutiveSuccessLimit (5 + 0) if both >= 0"`}, nil},
		{"count without interval", docs(strings.Replace(step, "    interval: 1m\n", "", 1)), "analysis-spec-invalid", Error, 8, []string{"interval must be specified when count > 1"}, nil},
		{"limit from the rollout's args", docs(strings.Replace(rollout, "          - templateName: step\n", "          - templateName: step\n          args: [{name: limit, value: \"5\"}]\n", 1), background,
			strings.Replace(strings.Replace(step, "    count: 3\n", "    count: 3\n    failureLimit: \"{{args.limit}}\"\n", 1), "spec:\n", "spec:\n  args: [{name: limit}]\n", 1)), "analysis-spec-invalid", Error, 20,
			[]string{"every AnalysisRun from AnalysisTemplate step ends in Error", "count (3) must be >= failureLimit + consecutiveSuccessLimit (5 + 0)"}, nil},
		{"undeclared-arg", docs(strings.Replace(step, "rate(a[1m])", `rate(a{ns="{{args.ns}}"}[1m])`, 1)), "undeclared-arg", Error, 7, []string{"{{args.ns}}"}, nil},
		{"unused-arg", docs(strings.Replace(step, "spec:\n", "spec:\n  args:\n  - name: ns\n", 1)), "unused-arg", Warning, 7, []string{`arg "ns"`}, nil},
		{"arg in the window parses", docs(strings.Replace(strings.Replace(step, "rate(a[1m])", "rate(a[{{args.w}}])", 1), "spec:\n", "spec:\n  args:\n  - name: w\n", 1)), "", "", 0, nil, nil},
		{"arg not supplied by the rollout", docs(rollout, background, strings.Replace(strings.Replace(step, "rate(a[1m])", `rate(a{ns="{{args.ns}}"}[1m])`, 1), "spec:\n", "spec:\n  args:\n  - name: ns\n", 1)),
			"invalid-reference", Error, 21, []string{"args.ns was not resolved"}, nil},
		{"condition", docs(strings.Replace(step, "result[0] >= 0.95", "result[0] >== 0.95", 1)), "condition", Error, 10, []string{"successCondition does not compile"}, nil},
		{"vector compared to a number", docs(strings.Replace(step, "len(result) > 0 && result[0] >= 0.95", "result >= 0.95", 1)), "condition", Error, 10, []string{"vector result", "mismatched types []float64 and float64"}, nil},
		{"scalar query compared to a number", docs(strings.Replace(strings.Replace(step, "len(result) > 0 && result[0] >= 0.95", "result >= 0.95", 1), "sum(rate(a[1m]))", "scalar(sum(rate(a[1m])))", 1)), "", "", 0, nil, nil},
		{"query from an arg: result type unknown", docs(strings.Replace(strings.Replace(strings.Replace(step, "len(result) > 0 && result[0] >= 0.95", "result >= 0.95", 1), "sum(rate(a[1m]))", "'{{args.query}}'", 1), "spec:\n", "spec:\n  args: [{name: query}]\n", 1)), "", "", 0, nil, nil},
		{"web string result", docs(web), "", "", 0, nil, nil},
		{"web bool result", docs(strings.Replace(web, "result == 'It worked!'", "result == true", 1)), "", "", 0, nil, nil},
		{"web object result", docs(strings.Replace(web, "result == 'It worked!'", "result.pValue > 0.05", 1)), "", "", 0, nil, nil},
		{"web condition that never compiles", docs(strings.Replace(web, "result == 'It worked!'", "results == true", 1)), "condition", Error, 8, []string{"unknown name results"}, nil},
		{"job-condition", docs(strings.Replace(step, "      prometheus:\n        query: sum(rate(a[1m]))\n", "      job:\n        spec: {template: {spec: {restartPolicy: Never, containers: [{name: t, image: t}]}}}\n", 1)), "job-condition", Warning, 10, []string{"never evaluated"}, nil},
		{"promql-empty", docs(strings.Replace(step, "query: sum(rate(a[1m]))", "query: ''", 1)), "promql-empty", Error, 13, []string{"empty query"}, nil},
		{"promql-parse", docs(strings.Replace(step, "sum(rate(a[1m]))", "sum(rate(a[1m])", 1)), "promql-parse", Error, 13, []string{"does not parse"}, nil},
		{"window-too-short", docs(strings.Replace(step, "rate(a[1m])", "irate(a[20s])", 1)), "window-too-short", Warning, 13, []string{"irate(...[20s]) spans fewer than two scrapes (15s apart)"}, nil},
		{"window shorter than a scrape", docs(strings.Replace(step, "rate(a[1m])", "rate(a[10s])", 1)), "window-too-short", Error, 13, []string{"shorter than one scrape"}, nil},
		{"scrape interval from the scenario", docs(step, "apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: s}\nspec:\n  traffic: {scrapeInterval: 1m}\n"),
			"window-too-short", Warning, 13, []string{"(1m0s apart)"}, []string{"scenario"}},
		{"unguarded-index", docs(strings.Replace(step, "len(result) > 0 && ", "", 1)), "unguarded-index", Warning, 10, []string{"len(result) > 0"}, nil},
		{"nan-ratio", docs(strings.Replace(step, "sum(rate(a[1m]))", "sum(rate(a[1m])) / sum(rate(b[1m]))", 1)), "nan-ratio", Warning, 10, []string{"NaN"}, nil},
		{"cannot-fail", docs(strings.Replace(step, "    count: 3\n", "    count: 3\n    failureLimit: 3\n", 1)), "cannot-fail", Warning, 9, []string{"failureLimit 3 with count 3"}, nil},
		// Rollout shape.
		{"starting-step", docs(strings.Replace(rollout, "startingStep: 1", "startingStep: 6", 1), background, step), "starting-step", Error, 14, []string{"startingStep 6 is beyond the 6 steps"}, nil},
		{"blind-window", docs(lastStep(""), background, step), "blind-window", Warning, 11,
			[]string{`"rate" (interval 1m0s, failureLimit 3) needs 4 failed measurements (about 4 min)`, "last 4 min of the 22 min of the steps from startingStep 1 (after about 18 min)"}, nil},
		{"background run outlives the steps", docs(strings.Replace(lastStep(""), "startingStep: 1", "startingStep: 3", 1), strings.Replace(background, "interval: 1m", "interval: 5m", 1), step),
			"blind-window", Warning, 11, []string{"about 20 min"}, nil},
		{"indefinite pause, then timed steps", docs(lastStep("      - pause: {}\n      - setWeight: 80\n      - pause: {duration: 2m}\n"), background, step),
			"blind-window", Warning, 11, []string{"the steps after the indefinite pause (step 5) take only about 2 min"}, nil},
		{"indefinite pause last: no blind window", docs(rollout, background, step), "", "", 0, nil, nil},
		{"silenced by the annotation", docs(strings.Replace(lastStep(""), "  name: app\n", "  name: app\n  annotations:\n    rollsim.dev/lint-disable: \"blind-window: the canary is small\"\n", 1), background, step), "", "", 0, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := Data("m.yaml", []byte(tt.data), Options{})
			var got *Finding
			for i := range fs {
				f := &fs[i]
				switch {
				case got == nil && f.Rule == tt.rule && (tt.line == 0 || f.Line == tt.line) && containsAll(f.Message, tt.words):
					got = f
				case contains(tt.others, f.Rule):
				default:
					t.Errorf("unexpected finding: %s", f)
				}
			}
			if tt.rule == "" {
				return
			}
			if got == nil {
				t.Fatalf("no %s finding at line %d with %q in:\n%s", tt.rule, tt.line, tt.words, list(fs))
			}
			if got.Severity != tt.severity {
				t.Errorf("severity %s, want %s: %s", got.Severity, tt.severity, got)
			}
			if got.Hint == "" {
				t.Errorf("no hint: %s", got)
			}
		})
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.rule] = true
	}
	for _, id := range RuleIDs() {
		if !covered[id] {
			t.Errorf("rule %s has no row", id)
		}
	}
}

func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func list(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

func FuzzLint(f *testing.F) {
	f.Add([]byte(docs(rollout, background, step)))
	f.Add([]byte("kind: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, f := range Data("fuzz.yaml", data, Options{}) {
			if f.Line <= 0 || f.Hint == "" || f.Rule == "" || Rules[f.Rule].ID == "" {
				t.Fatalf("finding without line, hint or known rule: %s", f)
			}
		}
	})
}
