package lint

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

func write(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func toJSON(t *testing.T, y string) string {
	t.Helper()
	j, err := sigsyaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return string(j)
}

func rules(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, filepath.Base(f.File)+":"+f.Rule)
	}
	return out
}

// A folder is walked for YAML and JSON (a JSON List included), and its files
// are linted together: the Rollout finds its templates in other files.
func TestFolder(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "rollout.yaml", rollout)
	write(t, dir, "sub/templates.yml", docs(background, strings.Replace(step, "len(result) > 0 && ", "", 1)))
	write(t, dir, "list.json", `{"apiVersion": "v1", "kind": "List", "items": [`+toJSON(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")+`]}`)
	write(t, dir, "notes.txt", "kind: [\n")
	write(t, dir, ".hidden/x.yaml", "kind: [\n")
	res, err := Files([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rules(res.Findings), " ")
	if got != "list.json:not-simulated templates.yml:unguarded-index" {
		t.Fatalf("findings %q:\n%s", got, list(res.Findings))
	}
	if l := res.Findings[1].Line; l != 24 {
		t.Errorf("unguarded-index on line %d, want 24 (second document)", l)
	}
}

// JSON documents: a single object and a top-level array, with lines.
func TestJSON(t *testing.T) {
	j := toJSON(t, strings.Replace(step, "len(result) > 0 && ", "", 1))
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(j), "", "  "); err != nil {
		t.Fatal(err)
	}
	fs := Data("t.json", pretty.Bytes(), Options{})
	if len(fs) != 1 || fs[0].Rule != "unguarded-index" || fs[0].Line < 2 {
		t.Fatalf("got:\n%s", list(fs))
	}
	arr := "[" + toJSON(t, rollout) + ",\n" + toJSON(t, background) + ",\n" + toJSON(t, step) + "]"
	if fs := Data("a.json", []byte(arr), Options{}); len(fs) != 0 {
		t.Fatalf("array: got:\n%s", list(fs))
	}
	// Tabs: JSON that YAML refuses is still read.
	tabbed := strings.ReplaceAll(pretty.String(), "  ", "\t")
	if fs := Data("tab.json", []byte(tabbed), Options{}); len(fs) != 1 || fs[0].Rule != "unguarded-index" {
		t.Fatalf("tabs: got:\n%s", list(fs))
	}
}

// Standard input is "-", named <stdin> in findings.
func TestStdin(t *testing.T) {
	srcs, err := ReadPaths([]string{"-"}, strings.NewReader(strings.Replace(step, "len(result) > 0 && ", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	fs := Lint(srcs, Options{}).Findings
	if len(fs) != 1 || fs[0].File != Stdin {
		t.Fatalf("got:\n%s", list(fs))
	}
	if _, err := ReadPaths([]string{"does-not-exist.yaml"}, nil); err == nil {
		t.Fatal("a missing path must be an InvalidError")
	} else if _, ok := err.(*InvalidError); !ok {
		t.Fatalf("got %T", err)
	}
}

// A document that does not parse or decode is reported, and the others are
// still checked: every problem of the file in one run.
func TestContinuesPastBadDocuments(t *testing.T) {
	data := docs("kind: [\n",
		strings.Replace(step, "count: 3", "count: [3]", 1),
		"- just\n- a list\n",
		"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n",
		"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h2}\n",
		strings.Replace(step, "len(result) > 0 && ", "", 1))
	got := strings.Join(rules(Data("m.yaml", []byte(data), Options{})), " ")
	want := "m.yaml:yaml m.yaml:decode m.yaml:decode m.yaml:not-simulated m.yaml:unguarded-index"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	fs := Data("m.yaml", []byte(data), Options{})
	if !strings.Contains(fs[3].Message, "(2 objects)") {
		t.Errorf("not-simulated is said once per kind: %s", fs[3])
	}
}

// A Scenario's spec.manifests are followed, relative to it; one that cannot
// be read is a finding on the Scenario.
func TestScenarioManifests(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "m/rollout.yaml", rollout)
	write(t, dir, "m/templates.yaml", docs(background, strings.Replace(step, "len(result) > 0 && ", "", 1)))
	sc := write(t, dir, "s.yaml", "apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: s}\nspec:\n  manifests: [m/rollout.yaml, m/templates.yaml, m/gone.yaml]\n  update: {image: app:v2}\n")
	res, err := Files([]string{sc}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rules(res.Findings), " ")
	if got != "templates.yaml:unguarded-index s.yaml:scenario" {
		t.Fatalf("got %q:\n%s", got, list(res.Findings))
	}
	if f := res.Findings[1]; f.Line != 5 || !strings.Contains(f.Message, "cannot read m/gone.yaml") {
		t.Errorf("got %s", f)
	}
}

// --disable and the annotation silence rules; both are counted.
func TestSuppression(t *testing.T) {
	data := docs(lastStep(""), background, strings.Replace(step, "len(result) > 0 && ", "", 1))
	res := Lint([]Source{{"m.yaml", []byte(data)}}, Options{Disable: []string{"unguarded-index"}})
	if got := strings.Join(rules(res.Findings), " "); got != "m.yaml:blind-window" || res.Suppressed != 1 {
		t.Fatalf("--disable: got %q, %d suppressed", got, res.Suppressed)
	}
	annotated := strings.Replace(data, "  name: app\n", "  name: app\n  annotations:\n    rollsim.dev/lint-disable: |\n      blind-window: the canary is small\n      not-found\n", 1)
	res = Lint([]Source{{"m.yaml", []byte(annotated)}}, Options{})
	got := strings.Join(rules(res.Findings), " ")
	if got != "m.yaml:lint-disable m.yaml:unguarded-index" || res.Suppressed != 1 {
		t.Fatalf("annotation: got %q, %d suppressed:\n%s", got, res.Suppressed, list(res.Findings))
	}
	if !strings.Contains(res.Findings[0].Message, `silences "not-found" without a reason`) {
		t.Errorf("got %s", res.Findings[0])
	}
	if res.Fails(false) || !res.Fails(true) {
		t.Errorf("warnings fail only when strict")
	}
}

func TestText(t *testing.T) {
	res := Lint([]Source{{"m.yaml", []byte(docs(step, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"))}}, Options{})
	var b bytes.Buffer
	if err := WriteText(&b, res); err != nil {
		t.Fatal(err)
	}
	want := "m.yaml:15: info: ConfigMap/c [not-simulated] ConfigMap (v1) is not simulated: rollsim accepts it and does not model it\n" +
		"    hint: " + Rules["not-simulated"].Help + "\n" +
		"1 findings: 0 errors, 0 warnings, 1 info\n"
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

// sample is a result with one finding of each severity.
func sample() *Result {
	data := docs(strings.Replace(step, "rate(a[1m])", "rate(a[10s])", 1), strings.Replace(strings.Replace(step, "name: step", "name: s2", 1), "len(result) > 0 && ", "", 1), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
	return Lint([]Source{{"dir/m, 1.yaml", []byte(data)}}, Options{})
}

// TestSARIF checks the properties GitHub code scanning requires of a SARIF
// 2.1.0 upload.
func TestSARIF(t *testing.T) {
	res := sample()
	var b bytes.Buffer
	if err := WriteSARIF(&b, res); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					URI   string `json:"informationUri"`
					Rules []struct {
						ID               string `json:"id"`
						Name             string `json:"name"`
						ShortDescription struct{ Text string }
						FullDescription  struct{ Text string }
						Help             struct{ Text string }
						Default          struct {
							Level string `json:"level"`
						} `json:"defaultConfiguration"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex *int   `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					Physical struct {
						Artifact struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	dec := json.NewDecoder(&b)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif-2.1.0") || len(log.Runs) != 1 {
		t.Fatalf("version %q, schema %q, %d runs", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name == "" || len(run.Tool.Driver.Rules) != len(Rules) {
		t.Fatalf("driver %q with %d rules", run.Tool.Driver.Name, len(run.Tool.Driver.Rules))
	}
	levels := map[string]bool{"error": true, "warning": true, "note": true}
	for _, r := range run.Tool.Driver.Rules {
		if r.ID == "" || r.ShortDescription.Text == "" || r.Help.Text == "" || !levels[r.Default.Level] {
			t.Errorf("rule %+v lacks a required property", r)
		}
	}
	if len(run.Results) != len(res.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(res.Findings))
	}
	seen := map[string]bool{}
	for i, r := range run.Results {
		if r.RuleIndex == nil || *r.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[*r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %d: ruleIndex does not point at rule %s", i, r.RuleID)
		}
		if !levels[r.Level] || r.Message.Text == "" || len(r.Locations) != 1 {
			t.Errorf("result %d: %+v", i, r)
			continue
		}
		loc := r.Locations[0].Physical
		if loc.Artifact.URI != "dir/m,%201.yaml" || loc.Region.StartLine != res.Findings[i].Line {
			t.Errorf("result %d: location %+v", i, loc)
		}
		seen[r.Level] = true
	}
	if len(seen) != 3 {
		t.Errorf("levels %v: want error, warning and note", seen)
	}
}

func TestGitHub(t *testing.T) {
	var b bytes.Buffer
	if err := WriteGitHub(&b, sample()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got:\n%s", b.String())
	}
	cmd := regexp.MustCompile(`^::(error|warning|notice) file=dir/m%2C 1\.yaml,line=[0-9]+,title=[a-z-]+::[^\n]+$`)
	for _, l := range lines {
		if !cmd.MatchString(l) || !strings.Contains(l, "%0Ahint: ") {
			t.Errorf("not a workflow command: %q", l)
		}
	}
	if !strings.HasPrefix(lines[0], "::error file=dir/m%2C 1.yaml,line=13,title=window-too-short::AnalysisTemplate/step: metric") {
		t.Errorf("got %q", lines[0])
	}
}

func TestJSONOutput(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, &Result{Findings: []Finding{}}); err != nil || b.String() != "[]\n" {
		t.Fatalf("clean: %q %v", b.String(), err)
	}
	b.Reset()
	res := sample()
	if err := WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	var got []Finding
	if err := json.Unmarshal(b.Bytes(), &got); err != nil || len(got) != len(res.Findings) || got[0] != res.Findings[0] {
		t.Fatalf("round trip: %v %v", got, err)
	}
}
