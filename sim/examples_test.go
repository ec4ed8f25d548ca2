package sim_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/rollsim/rollsim/engine/api/decode"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

const examplesDir = "testdata/upstream-examples"

// exampleSets are the manifest sets of upstream's examples/ that hold a
// Rollout: a file of the top folder alone, or a file of a sub-folder with the
// folder's other manifests; plus the top folder's AnalysisTemplates and
// ClusterAnalysisTemplates when the Rollout names templates the set lacks.
func exampleSets(t *testing.T) map[string][]string {
	t.Helper()
	sets := map[string][]string{}
	err := filepath.WalkDir(examplesDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !strings.Contains(string(src), "kind: Rollout\n") {
			return nil
		}
		set := []string{path}
		if dir := filepath.Dir(path); dir != examplesDir {
			others, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
			for _, o := range others {
				b, err := os.ReadFile(o)
				if err != nil {
					return err
				}
				// The folder's other Rollouts are examples of their own.
				if o != path && !strings.Contains(string(b), "kind: Rollout\n") {
					set = append(set, o)
				}
			}
		}
		sets[strings.TrimPrefix(path, examplesDir+"/")] = set
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

// templatesOf returns the template names a set defines and the ones its
// Rollout uses.
func templatesOf(t *testing.T, files []string) (defined, used map[string]bool, image string, jobs []string) {
	t.Helper()
	defined, used = map[string]bool{}, map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decode.Objects(src)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, o := range objs {
			switch x := o.(type) {
			case *v1alpha1.AnalysisTemplate:
				defined[x.Name] = true
				jobs = append(jobs, jobMetrics(x.Spec.Metrics)...)
			case *v1alpha1.ClusterAnalysisTemplate:
				defined[x.Name] = true
				jobs = append(jobs, jobMetrics(x.Spec.Metrics)...)
			case *v1alpha1.Rollout:
				if x.Spec.WorkloadRef != nil {
					image = workloadImage(t, files, x.Spec.WorkloadRef.Name)
				} else if cs := x.Spec.Template.Spec.Containers; len(cs) > 0 {
					image = cs[0].Image
				}
				collect := func(refs []v1alpha1.AnalysisTemplateRef) {
					for _, r := range refs {
						used[r.TemplateName] = true
					}
				}
				if c := x.Spec.Strategy.Canary; c != nil {
					if c.Analysis != nil {
						collect(c.Analysis.Templates)
					}
					for _, s := range c.Steps {
						if s.Analysis != nil {
							collect(s.Analysis.Templates)
						}
						if s.Experiment != nil {
							for _, a := range s.Experiment.Analyses {
								used[a.TemplateName] = true
							}
						}
					}
				}
				if bg := x.Spec.Strategy.BlueGreen; bg != nil {
					for _, a := range []*v1alpha1.RolloutAnalysis{bg.PrePromotionAnalysis, bg.PostPromotionAnalysis} {
						if a != nil {
							collect(a.Templates)
						}
					}
				}
			}
		}
	}
	return defined, used, image, jobs
}

func jobMetrics(ms []v1alpha1.Metric) []string {
	var out []string
	for _, m := range ms {
		if m.Provider.Job != nil {
			out = append(out, m.Name)
		}
	}
	return out
}

func workloadImage(t *testing.T, files []string, name string) string {
	for _, f := range files {
		src, _ := os.ReadFile(f)
		objs, _ := decode.Objects(src)
		for _, o := range objs {
			if d, ok := o.(*appsv1.Deployment); ok && d.Name == name {
				return d.Spec.Template.Spec.Containers[0].Image
			}
		}
	}
	t.Fatalf("no Deployment %s", name)
	return ""
}

// brokenExamples are upstream examples that no API server accepts either.
var brokenExamples = map[string]string{
	// An unquoted {{args.linkerd-enabled}} is a YAML flow mapping as a key.
	"traffic-management/rollout-linkerd.yaml": "malformed YAML",
}

// Every Rollout of upstream's examples/ loads and runs unchanged, next to the
// manifests it comes with (Services, Ingresses, VirtualServices, Mappings,
// ConfigMaps, Kustomizations, ...), with an image update as the change.
func TestUpstreamExamples(t *testing.T) {
	sets := exampleSets(t)
	names := make([]string, 0, len(sets))
	for n := range sets {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) < 20 {
		t.Fatalf("only %d example sets under %s", len(names), examplesDir)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			files := sets[name]
			if want, ok := brokenExamples[name]; ok {
				_, err := os.ReadFile(files[0])
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range files {
					src, _ := os.ReadFile(f)
					if _, err = decode.Objects(src); err != nil {
						break
					}
				}
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("got %v, want an error with %q", err, want)
				}
				return
			}
			defined, used, image, jobs := templatesOf(t, files)
			if !allDefined(defined, used) {
				files = append(files, filepath.Join(examplesDir, "analysis-templates.yaml"), filepath.Join(examplesDir, "cluster-analysis-templates.yaml"))
			}
			var manifests []string
			for _, f := range files {
				abs, err := filepath.Abs(f)
				if err != nil {
					t.Fatal(err)
				}
				manifests = append(manifests, fmt.Sprintf("%q", abs))
			}
			if len(used) > 0 && !allDefined(defined, used) {
				_, _, _, more := templatesOf(t, files[len(files)-2:])
				jobs = append(jobs, more...)
			}
			var scripts []string
			for _, j := range jobs {
				scripts = append(scripts, fmt.Sprintf("{metric: %s, results: [Succeeded]}", j))
			}
			doc := fmt.Sprintf(`apiVersion: rollsim.dev/v1alpha1
kind: Scenario
metadata:
  name: upstream-example
spec:
  manifests: [%s]
  update: {image: %q}
  traffic: {rps: 20}
  providers: {job: [%s]}
  until: 2h
`, strings.Join(manifests, ", "), image+"-next", strings.Join(scripts, ", "))
			file := filepath.Join(t.TempDir(), "scenario.yaml")
			if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			in, err := scenario.Load(file)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			res, err := sim.Run(context.Background(), in, sim.Options{})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if res.Verdict == "" {
				t.Errorf("no verdict")
			}
			t.Logf("%s: %s %s", name, res.Verdict, res.Message)
		})
	}
}

func allDefined(defined, used map[string]bool) bool {
	for u := range used {
		if !defined[u] {
			return false
		}
	}
	return true
}
