package sim_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

// istioMany has so many Istio proxies that the model writes fewer scrapes
// ahead than a batch spans: the batch must stop where they stop.
const istioMany = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: reviews
spec:
  replicas: 2000
  selector:
    matchLabels: {app: reviews}
  strategy:
    canary:
      analysis:
        templates:
        - templateName: errors
      steps:
      - setWeight: 20
      - pause: {duration: 20m}
  template:
    metadata:
      labels: {app: reviews}
    spec:
      containers:
      - name: reviews
        image: reviews:1.4
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: errors
spec:
  metrics:
  - name: errors
    interval: 1m
    successCondition: "true"
    provider:
      prometheus:
        address: http://prometheus:9090
        query: sum(istio_requests_total{reporter="destination"})
---
apiVersion: rollsim.dev/v1alpha1
kind: Scenario
metadata:
  name: istio-many
spec:
  namespace: bookinfo
  update: {image: reviews:1.5}
  until: 11m
  warmup: 1m
  traffic:
    mesh: istio
    route: reviews.bookinfo.svc.cluster.local
    rps: 80
`

// A batch longer than the scrapes written ahead answers nothing it has not
// seen: the reports are the same with and without batches.
func TestBatchesStopWhereScrapesStop(t *testing.T) {
	in, err := scenario.LoadData("istio-many.yaml", []byte(istioMany))
	if err != nil {
		t.Fatal(err)
	}
	report := func(on bool) []byte {
		defer sim.SetBatches(on)()
		res, err := sim.Run(context.Background(), in, sim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := reports.JSON(&b, reports.Build(res)); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	if with, without := report(true), report(false); !bytes.Equal(with, without) {
		t.Error("reports differ with batches")
	}
	if _, served, err := sim.BatchedRun(in); err != nil || served == 0 {
		t.Errorf("no measurement answered from a batch (%v)", err)
	}
}
