package sim_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

func limitRollout(replicas int, steps string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: app
spec:
  replicas: %d
  selector:
    matchLabels: {app: app}
  strategy:
    canary:
%s
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
      - name: app
        image: app:v1
`, replicas, steps)
}

const limitScenario = `---
apiVersion: rollsim.dev/v1alpha1
kind: Scenario
metadata: {name: s}
spec:
  update: {image: app:v2}
  traffic: {rps: 10}
`

func runData(t *testing.T, data string) (*sim.Result, error) {
	t.Helper()
	in, err := scenario.LoadData("limits.yaml", []byte(data))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return sim.Run(context.Background(), in, sim.Options{})
}

// Thousands of replicas run (generated pod names collided from about 3000
// on and the run failed): every pod gets a name of its own.
func TestManyReplicasUniquePodNames(t *testing.T) {
	if testing.Short() {
		t.Skip("3000 pods")
	}
	res, err := runData(t, limitRollout(3000, "      steps: [{setWeight: 50}]")+limitScenario)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != scenario.Promoted {
		t.Fatalf("verdict %s", res.Verdict)
	}
	seen := map[string]bool{}
	for _, p := range finalPods(t, res) {
		if seen[p.Name] {
			t.Fatalf("pod name %s twice", p.Name)
		}
		seen[p.Name] = true
	}
	if len(finalPods(t, res)) != 3000 {
		t.Fatalf("%d pods, want 3000", len(finalPods(t, res)))
	}
}

// A run that goes past the sample limit (here: it waits at an indefinite
// pause, scraping every series its query reads, until until) stops with
// invalid input naming the field.
func TestRunSampleLimit(t *testing.T) {
	defer sim.SetRunLimits(5000, 100000)()
	tmpl := `---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: t}
spec:
  metrics:
  - name: m
    interval: 1h
    successCondition: "true"
    provider: {prometheus: {query: 'count({__name__=~"envoy_.+"})'}}
`
	steps := "      analysis: {templates: [{templateName: t}]}\n      steps: [{setWeight: 50}, {pause: {}}]"
	_, err := runData(t, limitRollout(1, steps)+tmpl+limitScenario+"  until: 24h\n")
	if !scenario.IsInputError(err) || !regexp.MustCompile(`spec.until: the series hold 50\d\d samples`).MatchString(err.Error()) || !strings.Contains(err.Error(), "more than 5000, the limit for one scenario") {
		t.Fatalf("got %v", err)
	}
}

// A count the loader cannot see (an argument) is bounded by the run.
func TestRunMeasurementLimit(t *testing.T) {
	defer sim.SetRunLimits(10_000_000, 50)()
	tmpl := `---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: t}
spec:
  args: [{name: count, value: "1000"}]
  metrics:
  - name: m
    count: "{{args.count}}"
    interval: 10s
    successCondition: "true"
    provider: {prometheus: {query: 'count({__name__=~"envoy_.+"})'}}
`
	steps := "      analysis: {templates: [{templateName: t}]}\n      steps: [{setWeight: 50}, {pause: {}}]"
	_, err := runData(t, limitRollout(1, steps)+tmpl+limitScenario)
	if !scenario.IsInputError(err) || !strings.Contains(err.Error(), "the analyses took more than 50 measurements by 8m") {
		t.Fatalf("got %v", err)
	}
}

// An analysis arg from a status field the Rollout does not have fails every
// sync of the real controller: invalid input naming the line (was exit 3).
func TestUnresolvableStatusFieldRef(t *testing.T) {
	tmpl := `---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: t}
spec:
  args: [{name: a}]
  metrics:
  - name: m
    successCondition: "true"
    provider: {prometheus: {query: vector(1)}}
`
	steps := `      steps:
      - setWeight: 50
      - analysis:
          templates: [{templateName: t}]
          args:
          - name: a
            valueFrom: {fieldRef: {fieldPath: status.nothingHere}}`
	_, err := runData(t, limitRollout(1, steps)+tmpl+limitScenario)
	want := `limits.yaml:17: document 1 (line 1, Rollout app): spec.strategy.canary.steps[1].analysis.args[0].valueFrom.fieldRef.fieldPath: the controller cannot resolve analysis argument a: fieldRef "status.nothingHere": invalid path`
	if !scenario.IsInputError(err) || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}
