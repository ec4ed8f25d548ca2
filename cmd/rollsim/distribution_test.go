package main

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The distribution files (Dockerfile, hack/build.sh, .ci/run, the GitHub
// Actions example and action, the README) must agree: one build, the module
// path of go.mod, the CI commands of the README. No docker engine is needed:
// the Dockerfile is parsed, not built (.ci/run builds it where one exists).

func readRepoFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile("../../" + path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dockerStage is one FROM ... section of a Dockerfile.
type dockerStage struct {
	from, name string
	// instructions in order, continuation lines joined: "RUN ...", "COPY ...".
	instructions []string
}

func parseDockerfile(t *testing.T, text string) []dockerStage {
	t.Helper()
	var stages []dockerStage
	var logical []string
	var cur strings.Builder
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		logical = append(logical, cur.String())
		cur.Reset()
	}
	for _, l := range logical {
		fields := strings.Fields(l)
		op := strings.ToUpper(fields[0])
		if op == "FROM" {
			s := dockerStage{from: fields[1]}
			if len(fields) == 4 && strings.EqualFold(fields[2], "AS") {
				s.name = fields[3]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			if op == "ARG" {
				continue
			}
			t.Fatalf("Dockerfile: %s before FROM", op)
		}
		st := &stages[len(stages)-1]
		st.instructions = append(st.instructions, op+" "+strings.Join(fields[1:], " "))
	}
	return stages
}

func modulePath(t *testing.T) (path, goVersion string) {
	t.Helper()
	gomod := readRepoFile(t, "go.mod")
	m := regexp.MustCompile(`(?m)^module (\S+)$`).FindStringSubmatch(gomod)
	g := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(gomod)
	if m == nil || g == nil {
		t.Fatal("go.mod: no module or go line")
	}
	return m[1], g[1]
}

// TestDockerfileBuildsLikeCI: the image's binary is built by hack/build.sh,
// which CI runs too, and the final stage is small, static and non-root.
func TestDockerfileBuildsLikeCI(t *testing.T) {
	stages := parseDockerfile(t, readRepoFile(t, "Dockerfile"))
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage Dockerfile, got %d stages", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	_, goVersion := modulePath(t)
	minor := strings.Join(strings.SplitN(goVersion, ".", 3)[:2], ".")
	if !strings.HasPrefix(build.from, "golang:"+minor) {
		t.Errorf("build stage FROM %s: want golang:%s (go.mod says go %s)", build.from, minor, goVersion)
	}
	runsBuild := false
	for _, stage := range stages {
		for _, in := range stage.instructions {
			if strings.HasPrefix(in, "RUN ") && strings.Contains(in, "go build") {
				t.Errorf("Dockerfile runs its own go build (%q): run ./hack/build.sh, the build CI runs", in)
			}
			if stage.name == build.name && strings.HasPrefix(in, "RUN ") && strings.Contains(in, "./hack/build.sh") {
				runsBuild = true
			}
		}
	}
	if !runsBuild {
		t.Error("the build stage does not RUN ./hack/build.sh")
	}
	if !strings.HasPrefix(final.from, "gcr.io/distroless/static") && final.from != "scratch" {
		t.Errorf("final stage FROM %s: want distroless static or scratch", final.from)
	}
	var user, copied string
	for _, in := range final.instructions {
		switch {
		case strings.HasPrefix(in, "USER "):
			user = strings.TrimPrefix(in, "USER ")
		case strings.HasPrefix(in, "COPY --from="+build.name+" "):
			copied = in
		case strings.HasPrefix(in, "RUN "):
			t.Errorf("final stage runs %q: it has no shell", in)
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "0" || u == "root" {
		t.Errorf("final stage USER %q: want a non-root user", user)
	}
	if copied == "" {
		t.Errorf("final stage does not COPY --from=%s the binary", build.name)
	}

	// The single build: static, VCS-stamped, trimmed, versioned through main.version.
	script := readRepoFile(t, "hack/build.sh")
	re := regexp.MustCompile(`(?m)^CGO_ENABLED=0 go build -buildvcs=auto -trimpath -ldflags "[^"]*-X main\.version=\$\{ROLLSIM_VERSION:-\}[^"]*" -o "\$out" \./cmd/rollsim$`)
	if !re.MatchString(script) {
		t.Errorf("hack/build.sh does not run the static, versioned go build of ./cmd/rollsim:\n%s", script)
	}
	_ = version // the -X target exists in package main
	if ci := readRepoFile(t, ".ci/run"); !strings.Contains(ci, "./hack/build.sh") {
		t.Error(".ci/run does not run ./hack/build.sh")
	}
}

type workflowStep struct {
	Name string         `yaml:"name"`
	Uses string         `yaml:"uses"`
	Run  string         `yaml:"run"`
	With map[string]any `yaml:"with"`
}

// TestGitHubActionsExample: the example workflow and the composite action run
// lint and test as the README says, on pull requests, installing the module
// that go.mod names.
func TestGitHubActionsExample(t *testing.T) {
	mod, _ := modulePath(t)
	install := "go install " + mod + "/cmd/rollsim@"
	var wf struct {
		On   map[string]any `yaml:"on"`
		Jobs map[string]struct {
			Steps []workflowStep `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, ".github/workflows/rollsim.yml")), &wf); err != nil {
		t.Fatal(err)
	}
	if _, ok := wf.On["pull_request"]; !ok {
		t.Error("the workflow does not run on pull_request")
	}
	var runs []string
	for _, j := range wf.Jobs {
		for _, s := range j.Steps {
			runs = append(runs, s.Run)
		}
	}
	checkSteps(t, "workflow", runs, install)

	var action struct {
		Runs struct {
			Using string         `yaml:"using"`
			Steps []workflowStep `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "action.yml")), &action); err != nil {
		t.Fatal(err)
	}
	if action.Runs.Using != "composite" {
		t.Errorf("action.yml runs.using %q, want composite", action.Runs.Using)
	}
	runs = runs[:0]
	for _, s := range action.Runs.Steps {
		runs = append(runs, s.Run)
	}
	checkSteps(t, "action.yml", runs, `go install "`+mod+"/cmd/rollsim@")

	readme := readRepoFile(t, "README.md")
	for _, want := range []string{install + "latest", "docker build -t rollsim", "yaml-language-server: $schema=", "schema/scenario.schema.json", "completion bash"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not show %q", want)
		}
	}
}

func checkSteps(t *testing.T, what string, runs []string, install string) {
	t.Helper()
	all := strings.Join(runs, "\n")
	if !strings.Contains(all, install) {
		t.Errorf("%s does not install with %q", what, install)
	}
	if !regexp.MustCompile(`(?m)^rollsim lint `).MatchString(all) {
		t.Errorf("%s does not run rollsim lint", what)
	}
	if !regexp.MustCompile(`(?m)^rollsim test .*--junit .*--markdown "\$GITHUB_STEP_SUMMARY"`).MatchString(all) {
		t.Errorf("%s does not run rollsim test --junit ... --markdown \"$GITHUB_STEP_SUMMARY\"", what)
	}
}
