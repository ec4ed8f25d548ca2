package decode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzObject checks that decoding never panics, that it returns exactly one
// of an object or an error, and that a decoded object re-encodes to JSON
// that decodes again.
func FuzzObject(f *testing.F) {
	for _, s := range []string{
		"",
		"null",
		"- a\n- b\n",
		"apiVersion: x/v1\nkind: Foo\n",
		"apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: ConfigMap}]\n",
		"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: aGk=}\n",
		"apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec: {strategy: {canary: {steps: [{pause: {duration: 1h}}]}}}\n",
		"apiVersion: argoproj.io/v1alpha1\nkind: AnalysisRun\nspec: {metrics: [{name: m, count: '{{args.n}}', provider: {web: {url: u, jsonBody: {a: [1]}}}}]}\n",
		"apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nspec: {metrics: [{name: m, provider: {kayenta: &a [*a]}}]}\n",
		"apiVersion: argoproj.io/v1alpha1\nkind: Experiment\nspec: {templates: [{name: a, selector: {}, template: {}}]}\nstatus: {phase: Running}\n",
		"{\"apiVersion\": \"argoproj.io/v1alpha1\", \"kind\": \"Rollout\", \"spec\": {\"replicas\": 1e3}}",
		"a: &a [*a, *a]\nb: &b [*a, *a]\nc: [*b, *b]\n",
		"apiVersion: v1\nkind: ConfigMap\n? [a, b]\n: c\n",
	} {
		f.Add([]byte(s))
	}
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "..", "testdata", "seed", "*.yaml"))
	for _, path := range seeds {
		if b, err := os.ReadFile(path); err == nil {
			if docs, err := split(b); err == nil {
				for _, d := range docs {
					f.Add(d)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		obj, err := object(doc)
		if (obj == nil) == (err == nil) {
			t.Fatalf("object = %v, err = %v: want exactly one", obj, err)
		}
		if _, err := Objects(doc); err != nil && obj != nil {
			t.Fatalf("Object accepted what Objects rejects: %v", err)
		}
		if obj == nil {
			return
		}
		out, err := json.Marshal(obj)
		if err != nil {
			t.Fatalf("re-encoding %T: %v", obj, err)
		}
		if _, err := object(out); err != nil {
			t.Fatalf("re-encoded object does not decode: %v\n%s", err, out)
		}
	})
}
