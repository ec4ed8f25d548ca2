// Package schema holds the JSON Schema of the `kind: Scenario` document,
// generated from the Go types in sim/scenario and their doc comments (see
// generate_test.go; regenerate with `go generate ./schema`). It only carries
// the committed file; it never reads or validates anything itself.
package schema

import _ "embed"

//go:generate go test -run TestSchemaIsCurrent -update

// Scenario is schema/scenario.schema.json: what `rollsim schema` prints and
// what editors load through the yaml-language-server modeline.
//
//go:embed scenario.schema.json
var Scenario []byte

// URL is where editors fetch the committed schema from.
const URL = "https://raw.githubusercontent.com/rollsim/rollsim/main/schema/scenario.schema.json"
