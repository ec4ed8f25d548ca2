package schema

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"os"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// compile compiles the committed schema with a real JSON Schema validator.
func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Scenario))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(URL, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(URL)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// scenarioDocument returns the kind: Scenario document of a YAML stream, as
// JSON-shaped data (the other documents are Argo manifests, not ours).
func scenarioDocument(t *testing.T, data []byte) (any, bool) {
	t.Helper()
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	for {
		var node yamlv3.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return nil, false
		}
		if err != nil {
			t.Fatal(err)
		}
		raw, err := yamlv3.Marshal(&node)
		if err != nil {
			t.Fatal(err)
		}
		var head struct{ Kind string }
		if err := yaml.Unmarshal(raw, &head); err != nil || head.Kind != "Scenario" {
			continue
		}
		js, err := yaml.YAMLToJSON(raw)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
		if err != nil {
			t.Fatal(err)
		}
		return v, true
	}
}

// TestScenariosMatchSchema validates the Scenario document of every file in
// scenarios/ against the schema, so the schema accepts what rollsim accepts.
func TestScenariosMatchSchema(t *testing.T) {
	s := compile(t)
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, ok := scenarioDocument(t, data)
		if !ok {
			continue // a manifest file referenced by a scenario
		}
		n++
		if err := s.Validate(doc); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if n < 10 {
		t.Fatalf("validated %d scenarios, want every one in scenarios/", n)
	}
}

// TestSchemaRejects: the schema catches what editors should flag.
func TestSchemaRejects(t *testing.T) {
	s := compile(t)
	for name, doc := range map[string]string{
		"unknown field": "apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec: {update: {image: a}, trafic: {}}\n",
		"bad mesh":      "apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec: {update: {image: a}, traffic: {mesh: linkerd}}\n",
		"bad duration":  "apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec: {update: {image: a}, until: 5 minutes}\n",
		"bad outcome":   "apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec: {update: {image: a}, expect: {outcome: Done}}\n",
		"bad version":   "apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec: {update: {image: a}, controllerVersion: v2.0}\n",
		// No update is valid: a scenario of standalone Experiments has none
		// (the loader requires one when there is a Rollout).
		"update not an object": "apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec: {update: v2}\n",
		"job result typo":      "apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec: {update: {image: a}, providers: {job: [{metric: m, results: [Succeded]}]}}\n",
		"range object typo":    "apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec: {update: {image: a}, expect: {abortedAt: {mn: 1m}}}\n",
		"noise not in the set": "apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec: {update: {image: a}, traffic: {noise: gaussian}}\n",
	} {
		v, ok := scenarioDocument(t, []byte(doc))
		if !ok {
			t.Fatalf("%s: no Scenario document", name)
		}
		if err := s.Validate(v); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// The custom types' other spellings are accepted.
	ok := "apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec:\n  update: {image: a}\n  until: 0\n" +
		"  providers: {job: [{metric: m, results: [Succeeded, 'Failed after 2m', {result: Failed, after: 30s}]}], values: [{metric: v, values: [0.5, 'n/a']}]}\n" +
		"  traffic: {stable: {codes: {200: 0.9, 503: 0.1}}}\n" +
		"  expect: {within: 5m, abortedAt: 1m..2m, promotedAt: {min: 1m}}\n"
	v, _ := scenarioDocument(t, []byte(ok))
	if err := s.Validate(v); err != nil {
		t.Errorf("other spellings: %v", err)
	}
	if !strings.Contains(string(Scenario), `"additionalProperties": false`) {
		t.Error("the schema allows unknown fields")
	}
}
