package main

import (
	"bytes"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/engine/analysis"
)

// cli runs the CLI in-process and returns its stdout and stderr.
func cli(t *testing.T, args ...string) (string, string) {
	t.Helper()
	root := newRootCommand()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatalf("rollsim %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), errOut.String()
}

// TestSecretsRedacted: secret values holding quotes, backslashes, tabs,
// newlines and unicode, which reach messages raw, Go-quoted (a URL in an
// error), URL-escaped (a path segment) and JSON-escaped (a value echoed by the
// endpoint), appear in no form in any report format nor in tune's output; the
// redaction mark does.
func TestSecretsRedacted(t *testing.T) {
	file := filepath.Join("testdata", "redact", "secrets.yaml")
	raw, err := os.ReadFile(filepath.Join("testdata", "redact", "secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	if err := json.Unmarshal(raw, &secrets); err != nil {
		t.Fatal(err)
	}
	outputs := map[string][]string{}
	for _, format := range []string{"text", "json", "yaml", "markdown", "html"} {
		out, _ := cli(t, "run", "-o", format, file)
		outputs["run -o "+format] = []string{out}
	}
	for _, format := range []string{"text", "json", "html"} {
		out, errOut := cli(t, "tune", file, "--metric", "echo", "--vary", "failureLimit=0,1", "--runs", "3", "--progress", "never", "-o", format)
		outputs["tune -o "+format] = []string{out, errOut}
	}
	for name, texts := range outputs {
		text := strings.Join(texts, "\n")
		if !strings.Contains(text, "*****") {
			t.Errorf("%s: no redaction mark: the secrets never reached this report, the test proves nothing", name)
		}
		for i, s := range secrets {
			for _, form := range analysis.SecretForms(s) {
				// As the form itself, or as a report format escapes it.
				j, _ := json.Marshal(form)
				for _, shown := range []string{form, html.EscapeString(form), string(j[1 : len(j)-1])} {
					if len(shown) >= 3 && strings.Contains(text, shown) {
						t.Errorf("%s: secret s%d appears as %q", name, i+1, shown)
					}
				}
			}
		}
	}
}
