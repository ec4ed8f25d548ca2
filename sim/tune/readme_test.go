package tune

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"
)

// The README's Indexed Job is valid batch/v1, runs one shard per completion
// index, and its rollsim flags parse.
func TestREADMEIndexedJob(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "#### A big sweep on a cluster")
	if !ok {
		t.Fatal("README has no section \"A big sweep on a cluster\"")
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(rest)
	if m == nil {
		t.Fatal("no yaml block in the section")
	}
	var job batchv1.Job
	if err := yaml.UnmarshalStrict([]byte(m[1]), &job); err != nil {
		t.Fatalf("the README's Job: %v", err)
	}
	if job.Kind != "Job" || job.Spec.CompletionMode == nil || *job.Spec.CompletionMode != batchv1.IndexedCompletion || job.Spec.Completions == nil {
		t.Fatalf("not an Indexed Job: %+v", job.Spec)
	}
	c := job.Spec.Template.Spec.Containers[0]
	// The image (the repo's Dockerfile) is distroless: no shell, so the args are
	// rollsim's own and Kubernetes expands $(JOB_COMPLETION_INDEX) in them.
	if len(c.Command) > 0 {
		t.Errorf("command %q: the image's entrypoint is rollsim and it has no shell", c.Command)
	}
	args := strings.Join(c.Args, " ")
	if want := fmt.Sprintf(`--shard=$(JOB_COMPLETION_INDEX)/%d`, *job.Spec.Completions); !strings.Contains(args, want) {
		t.Errorf("args %q lack %s", args, want)
	}
	if !strings.HasPrefix(args, "tune ") {
		t.Errorf("args %q: want the tune subcommand first", args)
	}
	for _, f := range regexp.MustCompile(`--vary[= ](\S+)`).FindAllStringSubmatch(args, -1) {
		if _, err := ParseVary(f[1]); err != nil {
			t.Errorf("--vary %s: %v", f[1], err)
		}
	}
	for _, f := range regexp.MustCompile(`--degrade[= ](\S+)`).FindAllStringSubmatch(args, -1) {
		if _, err := ParseDegrade(f[1]); err != nil {
			t.Errorf("--degrade %s: %v", f[1], err)
		}
	}
}
