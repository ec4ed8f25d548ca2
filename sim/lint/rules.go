package lint

import "sort"

// Severity of a finding.
type Severity string

// Severities, from the most to the least serious.
const (
	// Error: the controller or the API server would refuse the manifest, or it
	// can never work as written. `rollsim lint` exits 1.
	Error Severity = "error"
	// Warning: it works, but likely not as meant. Exit 1 only with --strict.
	Warning Severity = "warning"
	// Info: worth knowing (an object rollsim does not simulate, a reference to
	// something not among the files). Never fails a build.
	Info Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// Rule describes one check.
type Rule struct {
	ID       string
	Severity Severity // the usual severity; some rules lower or raise it (Summary says when)
	Summary  string   // one line, for the rule table and SARIF shortDescription
	Help     string   // what to do, for SARIF help
}

// Rules are every check lint makes, by id.
var Rules = map[string]Rule{
	// Reading the input.
	"yaml":          {"yaml", Error, "a document is not valid YAML or JSON", "fix the syntax; the API server refuses the whole file"},
	"decode":        {"decode", Error, "a document does not decode into its kind (a field of the wrong type, a missing kind, ...)", "fix the field named in the message; the API server refuses the object"},
	"unknown-field": {"unknown-field", Error, "a field the kind does not have (as `kubectl apply --validate=strict` and `kubectl argo rollouts lint` report it)", "check the spelling against the Argo Rollouts reference; an API server without strict validation drops the field, so the setting has no effect"},
	"not-simulated": {"not-simulated", Info, "an object rollsim accepts but does not simulate (ConfigMap, HPA, router objects, standalone Experiments, workloadRef); said once per kind", "nothing to fix; `rollsim run` models the Rollout, its analyses and the traffic, not these objects"},
	"lint-disable":  {"lint-disable", Warning, "a rollsim.dev/lint-disable annotation entry without a reason, or naming no known rule", `write entries as "RULE[,RULE...]: reason", separated by ";" or new lines`},
	"scenario":      {"scenario", Error, "the Scenario document is refused by `rollsim run` (its first error)", "fix the field named in the message"},
	// The controller's validation (engine/rollout/validation).
	"invalid-spec":      {"invalid-spec", Error, "the Rollout controller refuses the spec (InvalidSpec condition), with the controller's path and message", "fix the field; the controller never reconciles a Rollout with an InvalidSpec condition"},
	"invalid-reference": {"invalid-reference", Error, "an object the Rollout refers to is wrong (a Service selector that does not match the pods, an analysis that never ends, an arg that is never given, an Ingress without the stable service, ...)", "fix the referenced object or the reference; the controller sets InvalidSpec"},
	"ingress-service":   {"ingress-service", Warning, "the Ingress an nginx or ALB canary names has no rule for the stable (or root) service: the controller refuses it, `kubectl argo rollouts lint` does not check it", "route a rule of the Ingress to the stable service (the ALB root service when set)"},
	"missing-template":  {"missing-template", Error, "an AnalysisTemplate or ClusterAnalysisTemplate the Rollout (or an Experiment) names is not among the files: an error when the files hold a Scenario or templates of that kind (the set is meant to be complete), else a warning (it may be installed separately)", "add the template to the files linted, or fix the name; the controller refuses a Rollout whose template it cannot find"},
	"not-found":         {"not-found", Warning, "a Service, Ingress or router object the Rollout names is not among the files: a warning when the files hold objects of that kind, else info", "lint the Rollout together with its Services and router objects to have them checked"},
	"missing-secret":    {"missing-secret", Error, "an arg reads a Secret that is not among the files (an error in a Scenario, where `rollsim run` needs it; else info, as Secrets are rarely kept in Git), or a key the Secret does not have (always an error)", "add the Secret or the key; the AnalysisRun errors with `Unable to resolve metric arguments` otherwise"},
	// Analysis: templates, metrics, conditions.
	"analysis-spec-invalid": {"analysis-spec-invalid", Error, "the AnalysisRun controller rejects the metric on the run's first reconcile (`Analysis spec invalid: ...`): every run ends in Error and the rollout aborts", "fix the metric as the message says (count, limits, interval, provider)"},
	"undeclared-arg":        {"undeclared-arg", Error, "a metric uses {{args.x}} but the template declares no arg x", "declare the arg in spec.args; the run fails with `failed to resolve {{args.x}}`"},
	"unused-arg":            {"unused-arg", Warning, "an arg is declared but no metric uses it", "use it or remove it"},
	"condition":             {"condition", Error, "a successCondition or failureCondition does not compile for the provider's result (a Prometheus vector or scalar; any JSON value for web and the other providers)", "fix the expression (expr-lang); every measurement is an Error otherwise"},
	"job-condition":         {"job-condition", Warning, "a job metric has a successCondition or failureCondition: the Job's outcome decides, the condition is never evaluated", "remove the condition, or make the Job fail when the check fails"},
	"promql-empty":          {"promql-empty", Error, "a Prometheus metric has no query", "write the query"},
	"promql-parse":          {"promql-parse", Error, "the PromQL query does not parse", "fix the query (try it with `rollsim query`)"},
	"window-too-short":      {"window-too-short", Warning, "a rate/irate/increase window spans fewer than two scrapes (an error when it is shorter than one scrape: it never holds two samples)", "use a window of at least 4x the scrape interval"},
	"unguarded-index":       {"unguarded-index", Warning, "a condition reads result[0] without checking len(result) > 0", "write `len(result) > 0 && result[0] ...`"},
	"nan-ratio":             {"nan-ratio", Warning, "a ratio of rates whose conditions do not handle NaN (0/0 when there is no traffic)", "add `isNaN(result[0]) ||` or guard the denominator"},
	"cannot-fail":           {"cannot-fail", Warning, "failureLimit equals count: more than failureLimit failures cannot happen, so the metric never fails", "lower failureLimit below count, or raise count"},
	// Rollout shape.
	"starting-step": {"starting-step", Error, "background analysis startingStep is beyond the steps: it never judges the canary", "use a startingStep within the steps"},
	"blind-window":  {"blind-window", Warning, "a background metric needs (failureLimit+1) x interval to abort, longer than the end of the steps leaves it (indefinite pauses wait for a human and close the window)", "end the steps with a pause long enough, or lower failureLimit / interval"},
}

// RuleIDs are the rule ids in a stable order (severity, then id).
func RuleIDs() []string {
	ids := make([]string, 0, len(Rules))
	for id := range Rules {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := Rules[ids[i]], Rules[ids[j]]
		if a.Severity != b.Severity {
			return a.Severity.rank() < b.Severity.rank()
		}
		return ids[i] < ids[j]
	})
	return ids
}
