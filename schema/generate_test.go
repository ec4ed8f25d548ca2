package schema

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"testing"

	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollsim/rollsim/sim/scenario"
)

var update = flag.Bool("update", false, "rewrite scenario.schema.json from the Go types")

// durationPattern is what time.ParseDuration accepts.
const durationPattern = `^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`

func duration(desc string) *jsonschema.Schema {
	return &jsonschema.Schema{
		Description: desc,
		AnyOf: []*jsonschema.Schema{
			{Type: "string", Pattern: durationPattern, Examples: []any{"90s", "5m", "1h30m"}},
			{Type: "integer", Const: 0},
		},
	}
}

// custom maps the types whose JSON form is not their Go shape.
func custom(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[scenario.Duration]():
		return duration("A Go duration: \"90s\", \"5m\", \"1h30m\".")
	case reflect.TypeFor[scenario.TimeRange]():
		return &jsonschema.Schema{
			Description: "An inclusive range of offsets from the update: \"5m..10m\" (either side may be empty), a single duration \"5m\" (exactly), or {min, max}.",
			OneOf: []*jsonschema.Schema{
				{Type: "string", Pattern: `^\s*([^.]*)\s*(\.\.\s*([^.]*)\s*)?$`, Examples: []any{"5m..10m", "..10m", "7m"}},
				{Type: "object", AdditionalProperties: jsonschema.FalseSchema, MinProperties: ptr(uint64(1)), Properties: props(
					"min", duration("The earliest offset (inclusive)."),
					"max", duration("The latest offset (inclusive)."),
				)},
			},
		}
	case reflect.TypeFor[scenario.JobResult]():
		result := &jsonschema.Schema{Type: "string", Enum: []any{"Succeeded", "Failed", scenario.JobImagePullBackOff}, Description: "How the Job ends (ImagePullBackOff: its pod never starts)."}
		return &jsonschema.Schema{
			Description: "How one Job ends: \"Succeeded\", \"Failed\", \"ImagePullBackOff\" (its pod never starts), \"Succeeded after 2m\", or {result, after}.",
			OneOf: []*jsonschema.Schema{
				{Type: "string", Pattern: `^(Succeeded|Failed|ImagePullBackOff)( after [^ ]+)?$`},
				{Type: "object", AdditionalProperties: jsonschema.FalseSchema, Required: []string{"result"}, Properties: props(
					"result", result,
					"after", duration("How long the Job runs (default 30s)."),
				)},
			},
		}
	case reflect.TypeFor[scenario.Value]():
		return &jsonschema.Schema{
			Description: "A number or a string, as the provider would return it.",
			OneOf:       []*jsonschema.Schema{{Type: "number"}, {Type: "string"}},
		}
	case reflect.TypeFor[metav1.Time]():
		return &jsonschema.Schema{Type: "string", Format: "date-time"}
	case reflect.TypeFor[metav1.ObjectMeta]():
		return &jsonschema.Schema{
			Type:                 "object",
			Description:          "The scenario's name (reports and `rollsim test` show it), labels and annotations.",
			AdditionalProperties: jsonschema.FalseSchema,
			Properties: props(
				"name", &jsonschema.Schema{Type: "string", Description: "The scenario's name."},
				"labels", &jsonschema.Schema{Type: "object", AdditionalProperties: &jsonschema.Schema{Type: "string"}},
				"annotations", &jsonschema.Schema{Type: "object", AdditionalProperties: &jsonschema.Schema{Type: "string"}},
			),
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

func props(kv ...any) *orderedmap.OrderedMap[string, *jsonschema.Schema] {
	p := jsonschema.NewProperties()
	for i := 0; i < len(kv); i += 2 {
		p.Set(kv[i].(string), kv[i+1].(*jsonschema.Schema))
	}
	return p
}

// enums are the fields that take one of a few words, by definition and field.
var enums = map[[2]string][]any{
	{"ScenarioSpec", "controllerVersion"}: {"v1.10", "v1.9", "v1.8"},
	{"Traffic", "mesh"}:                   {"envoy", "istio"},
	{"Traffic", "noise"}:                  {"poisson", "none"},
	{"TrafficEvent", "restart"}:           {"stable", "canary", "gateway"},
	{"Expect", "outcome"}:                 {scenario.Promoted, scenario.Aborted, scenario.Paused, scenario.Incomplete},
	{"RunExpectation", "type"}:            {"Background", "Step", "PrePromotion", "PostPromotion", "Experiment"},
	{"RunExpectation", "phase"}:           {"Pending", "Running", "Successful", "Failed", "Error", "Inconclusive"},
	{"MetricExpectation", "phase"}:        {"Pending", "Running", "Successful", "Failed", "Error", "Inconclusive"},
	{"ExperimentExpectation", "phase"}:    {"Pending", "Running", "Successful", "Failed", "Error", "Inconclusive"},
	{"Scenario", "apiVersion"}:            {scenario.ScenarioAPIVersion},
	{"Scenario", "kind"}:                  {scenario.ScenarioKind},
	{"WebScript", "method"}:               {"GET", "POST", "PUT"},
	{"PodFailure", "reason"}:              nil, // free text
}

// generate reflects the Scenario type into a JSON Schema.
func generate(t *testing.T) []byte {
	t.Helper()
	r := &jsonschema.Reflector{Mapper: custom}
	// The comments are read from the source, relative to this folder.
	if err := r.AddGoComments("github.com/rollsim/rollsim/schema", "../sim/scenario"); err != nil {
		t.Fatal(err)
	}
	s := r.Reflect(&scenario.Scenario{})
	s.ID = URL
	s.Title = "rollsim Scenario"
	for key, values := range enums {
		def, ok := s.Definitions[key[0]]
		if !ok {
			t.Fatalf("enum for %s.%s: no definition %s", key[0], key[1], key[0])
		}
		p, ok := def.Properties.Get(key[1])
		if !ok {
			t.Fatalf("enum for %s.%s: no such field", key[0], key[1])
		}
		if values != nil {
			p.Enum = values
		}
	}
	for name, def := range s.Definitions {
		if def.Properties == nil {
			continue
		}
		for pair := def.Properties.Oldest(); pair != nil; pair = pair.Next() {
			if pair.Value.Description == "" {
				t.Errorf("%s.%s has no description: give the Go field a doc comment in sim/scenario", name, pair.Key)
			}
		}
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// TestSchemaIsCurrent: the committed schema is what the Go types give
// (`go generate ./schema` rewrites it).
func TestSchemaIsCurrent(t *testing.T) {
	got := generate(t)
	if *update {
		if err := os.WriteFile("scenario.schema.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, Scenario) {
		t.Fatal("schema/scenario.schema.json is stale: run `go generate ./schema` and commit it")
	}
}
