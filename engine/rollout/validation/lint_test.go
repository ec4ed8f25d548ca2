package validation

import (
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// lintErrors is what `kubectl argo rollouts lint` checks for a file: the spec rules
// and the references to objects present in the file (absent ones are not reported).
// Lint associates an Ingress with a Rollout only when the Ingress routes to the
// Rollout's stable (or ALB/SMI root) service (upstream setIngressManagedAnnotation), so
// an Ingress that does not is never checked by lint, while the controller reports it.
func lintErrors(m manifests) field.ErrorList {
	var errs field.ErrorList
	for _, ro := range m.rollouts {
		objs := m.objs
		objs.Ingresses = nil
		if c := ro.Spec.Strategy.Canary; c != nil && c.TrafficRouting != nil {
			svc := ""
			switch tr := c.TrafficRouting; {
			case tr.Nginx != nil:
				svc = c.StableService
			case tr.ALB != nil:
				svc = c.StableService
				if tr.ALB.RootService != "" {
					svc = tr.ALB.RootService
				}
			case tr.SMI != nil:
				svc = tr.SMI.RootService
			}
			for _, ing := range m.objs.Ingresses {
				if hasRuleWithService(ing, svc) {
					objs.Ingresses = append(objs.Ingresses, ing)
				}
			}
		}
		errs = append(errs, ValidateRollout(ro, Options{})...)
		errs = append(errs, ValidateRolloutReferences(ro, objs, Options{}).Invalid...)
	}
	return errs
}

func contains(errs field.ErrorList, want string) bool {
	for _, e := range errs {
		if e.Error() == want {
			return true
		}
	}
	return false
}

// TestUpstreamLintFixtures runs upstream's lint testdata (v1.9.1
// pkg/kubectl-argo-rollouts/cmd/lint) and expects lint_test.go's first errors.
func TestUpstreamLintFixtures(t *testing.T) {
	invalid := map[string]string{
		"invalid.yml":                    "spec.strategy.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can not be zero",
		"invalid-empty-rollout-vsvc.yml": "spec.selector: Required value: Rollout has missing field '.spec.selector'",
		"invalid.json":                   "spec.strategy.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can not be zero",
		"invalid-multiple-docs.yml":      "spec.strategy.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can not be zero",
		"invalid-service-labels.yml":     `spec.strategy.canary.canaryService: Invalid value: "istio-host-split-canary": Service "istio-host-split-canary" has unmatch label "app" in rollout`,
		"invalid-ping-pong.yml":          `spec.strategy.canary.pingPong.pingService: Invalid value: "ping-service": Service "ping-service" has unmatch label "app" in rollout`,
		"invalid-ingress-smi-multi.yml":  `spec.strategy.canary.canaryService: Invalid value: "rollout-smi-experiment-canary": Service "rollout-smi-experiment-canary" has unmatch label "app" in rollout`,
		"invalid-nginx-canary.yml":       "spec.strategy.steps[1].experiment.templates[0].weight: Invalid value: 20: Experiment template weight is only available for TrafficRouting with SMI, ALB, Istio and Plugins at this time",
	}
	// Upstream: `json: unknown field "unknown-strategy"`; the repo's strict decoder
	// names the same field in its own words.
	const unknownField = "invalid-unknown-field.yml"
	seen := map[string]bool{}
	for _, f := range files(t, "lint") {
		name := filepath.Base(f)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			m, err := load(t, f)
			if name == unknownField {
				if err == nil || !strings.Contains(err.Error(), "unknown-strategy") {
					t.Fatalf("want an unknown-field error naming unknown-strategy, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(m.rollouts) == 0 {
				t.Fatal("no Rollout in fixture")
			}
			errs := lintErrors(m)
			want, isInvalid := invalid[name]
			switch {
			case !isInvalid && !strings.HasPrefix(name, "valid"):
				t.Fatalf("fixture %s is neither listed as invalid nor named valid*", name)
			case !isInvalid && len(errs) > 0:
				t.Fatalf("valid fixture: %v", errs)
			case isInvalid && len(errs) == 0:
				t.Fatalf("want %q, got no error", want)
			case isInvalid && strings.Contains(want, "has unmatch label"):
				// Lint checks Services in file order, the controller stable first
				// (canary, then ping/pong): both report the error, not always first.
				if !contains(errs, want) {
					t.Fatalf("want %q among %v", want, errs)
				}
			case isInvalid && errs[0].Error() != want:
				t.Fatalf("first error\n got %q\nwant %q", errs[0].Error(), want)
			}
		})
	}
	for name := range invalid {
		if !seen[name] {
			t.Errorf("fixture %s missing from testdata/lint", name)
		}
	}
	if !seen[unknownField] {
		t.Errorf("fixture %s missing", unknownField)
	}
}
