// Package scenario owns the scenario file: the `kind: Scenario` schema and
// its defaults, loading a YAML stream with the manifests it brings (Load),
// checking the scenario's own fields and what the real controller would refuse
// up front, and errors that name the file, line, document and field
// (InputError). Variants (Clone, SetCanaryErrorRate) serve `rollsim tune`.
// spec.recorded is loaded here, once, into a store that every run and
// variant shares (Recorded), after checking that it covers what the
// analyses will read.
//
// It knows nothing of running a scenario: lint depends on it, not on the run
// loop.
package scenario
