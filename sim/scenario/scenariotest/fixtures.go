// Package scenariotest holds scenario fragments that tests of several
// packages start from.
package scenariotest

// GoodRollout is a valid canary Rollout "app" whose second step runs the
// analysis GoodTemplate defines.
const GoodRollout = `apiVersion: argoproj.io/v1alpha1
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

// GoodTemplate is the AnalysisTemplate "rate" GoodRollout names.
const GoodTemplate = `apiVersion: argoproj.io/v1alpha1
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
