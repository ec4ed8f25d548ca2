package decode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// repoDir is the module root, found from this file's location.
func repoDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("runtime.Caller failed")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// referenceDir is /work/shared/reference/real-controller-v1.9.1, relative to the module root.
func referenceDir(t *testing.T) string {
	t.Helper()
	// The main checkout sits next to shared/; a worktree one level deeper.
	var err error
	for _, up := range []string{"..", filepath.Join("..", "..")} {
		dir := filepath.Join(repoDir(t), up, "shared", "reference", "real-controller-v1.9.1")
		if _, err = os.Stat(dir); err == nil {
			return dir
		}
	}
	t.Skipf("reference output not available: %v", err)
	return ""
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustObjects(t *testing.T, path string) []client.Object {
	t.Helper()
	objs, err := Objects(readFile(t, path))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return objs
}

func as[T any](t *testing.T, obj client.Object) T {
	t.Helper()
	v, ok := obj.(T)
	if !ok {
		var zero T
		t.Fatalf("got %T, want %T", obj, zero)
	}
	return v
}

func TestSeedBlocksDecode(t *testing.T) {
	dir := filepath.Join(repoDir(t), "testdata", "seed")
	for _, name := range []string{"background.yaml", "inline.yaml", "cluster-template.yaml", "experiment.yaml"} {
		t.Run(name, func(t *testing.T) {
			objs := mustObjects(t, filepath.Join(dir, name))
			if len(objs) != 2 {
				t.Fatalf("got %d objects, want 2", len(objs))
			}
			ro := as[*v1alpha1.Rollout](t, objs[0])
			if ro.Spec.Strategy.Canary == nil || len(ro.Spec.Strategy.Canary.Steps) == 0 {
				t.Fatalf("rollout has no canary steps: %+v", ro.Spec.Strategy)
			}
			if ro.Spec.Replicas == nil || *ro.Spec.Replicas != 3 {
				t.Errorf("replicas = %v, want 3", ro.Spec.Replicas)
			}
			if ro.GroupVersionKind() != v1alpha1.GroupVersion.WithKind("Rollout") {
				t.Errorf("GVK = %v", ro.GroupVersionKind())
			}
			canary := ro.Spec.Strategy.Canary
			switch name {
			case "background.yaml":
				bg := canary.Analysis
				if bg == nil || bg.StartingStep == nil || *bg.StartingStep != 2 {
					t.Fatalf("background analysis = %+v", bg)
				}
				if len(bg.Templates) != 1 || bg.Templates[0].TemplateName != "success-rate" || len(bg.Args) != 2 || bg.Args[1].Value != "backend-eg" {
					t.Errorf("background analysis = %+v", bg)
				}
				if len(canary.Steps) != 8 || canary.Steps[1].Pause.DurationSeconds() != 600 {
					t.Errorf("steps = %+v", canary.Steps)
				}
				checkSeedPodSpec(t, ro)
			case "inline.yaml":
				if len(canary.Steps) != 3 || canary.Steps[1].Pause.DurationSeconds() != 300 {
					t.Fatalf("steps = %+v", canary.Steps)
				}
				a := canary.Steps[2].Analysis
				if a == nil || a.Templates[0].TemplateName != "success-rate" || a.Args[0].Value != "joel-test" {
					t.Errorf("analysis step = %+v", a)
				}
				checkSeedPodSpec(t, ro)
			case "cluster-template.yaml":
				a := canary.Steps[2].Analysis
				if a == nil || !a.Templates[0].IsClusterScope() {
					t.Errorf("analysis step = %+v", a)
				}
				cat := as[*v1alpha1.ClusterAnalysisTemplate](t, objs[1])
				if len(cat.Spec.Args) != 2 || cat.Spec.Args[1].Value == nil || *cat.Spec.Args[1].Value != "9090" {
					t.Errorf("args = %+v", cat.Spec.Args)
				}
			case "experiment.yaml":
				e := canary.Steps[0].Experiment
				if e == nil || e.Duration != "1h" || len(e.Templates) != 2 || e.Templates[1].SpecRef != v1alpha1.CanarySpecRef {
					t.Fatalf("experiment step = %+v", e)
				}
				if len(e.Analyses) != 1 || e.Analyses[0].Name != "success-rate" || len(e.Analyses[0].Args) != 2 {
					t.Errorf("experiment analyses = %+v", e.Analyses)
				}
				checkSeedPodSpec(t, ro)
			}
			if name != "cluster-template.yaml" {
				at := as[*v1alpha1.AnalysisTemplate](t, objs[1])
				m := at.Spec.Metrics[0]
				if m.Provider.Prometheus == nil || !strings.Contains(m.Provider.Prometheus.Query, "{{args.backend-name}}") {
					t.Errorf("metric = %+v", m)
				}
				if len(at.Spec.Args) != 2 || at.Spec.Args[0].Value != nil {
					t.Errorf("args = %+v", at.Spec.Args)
				}
			}
		})
	}
}

func checkSeedPodSpec(t *testing.T, ro *v1alpha1.Rollout) {
	t.Helper()
	spec := ro.Spec.Template.Spec
	if spec.DeprecatedServiceAccount != "my-flask-app" || spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds != 30 {
		t.Errorf("pod spec = %+v", spec)
	}
	if len(spec.Containers) != 1 || spec.Containers[0].ImagePullPolicy != corev1.PullAlways {
		t.Errorf("containers = %+v", spec.Containers)
	}
}

// The seed (and the upstream docs) write an integer argument value; the CRD
// says string, so it must be rejected with the field named.
func TestSeedIntegerArgumentRejected(t *testing.T) {
	b := readFile(t, filepath.Join(repoDir(t), "testdata", "seed", "cluster-template.yaml"))
	b = []byte(strings.Replace(string(b), `value: "9090"`, `value: 9090`, 1))
	_, err := Objects(b)
	if err == nil || !strings.Contains(err.Error(), "spec.args.value") || !strings.Contains(err.Error(), "document 2") {
		t.Fatalf("err = %v, want a type error naming spec.args.value in document 2", err)
	}
}

func TestReferenceManifestsDecode(t *testing.T) {
	ref := referenceDir(t)
	cases, err := filepath.Glob(filepath.Join(ref, "*", "manifests.yaml"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no manifests under %s (%v)", ref, err)
	}
	for _, path := range cases {
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			objs := mustObjects(t, path)
			as[*v1alpha1.Rollout](t, objs[0])
			at := as[*v1alpha1.AnalysisTemplate](t, objs[len(objs)-1])
			for _, o := range objs[1 : len(objs)-1] {
				switch x := o.(type) {
				case *corev1.Service:
				case *unstructured.Unstructured:
					if x.GetKind() != "VirtualService" || x.GetAPIVersion() != "networking.istio.io/v1alpha3" {
						t.Errorf("unstructured %s", x.GetObjectKind().GroupVersionKind())
					}
					if w, _, _ := unstructured.NestedSlice(x.Object, "spec", "http"); len(w) != 1 {
						t.Errorf("spec.http = %v", w)
					}
				default:
					t.Errorf("unexpected %T", o)
				}
			}
			if at.Spec.Metrics[0].Provider.Prometheus.Address != "http://127.0.0.1:19090" {
				t.Errorf("address = %q", at.Spec.Metrics[0].Provider.Prometheus.Address)
			}
		})
	}
}

func TestReferenceObjectsDecode(t *testing.T) {
	ref := referenceDir(t)

	t.Run("inline-abort", func(t *testing.T) {
		ro := as[*v1alpha1.Rollout](t, mustObject(t, filepath.Join(ref, "inline-abort", "rollout.yaml")))
		st := ro.Status
		if !st.Abort || st.AbortedAt == nil || st.Phase != v1alpha1.RolloutPhaseDegraded || st.HPAReplicas != 3 ||
			st.CurrentStepIndex == nil || *st.CurrentStepIndex != 0 || st.ObservedGeneration != "3" || st.StableRS != "79b5c695d5" {
			t.Errorf("status = %+v", st)
		}
		ar := st.Canary.CurrentStepAnalysisRunStatus
		if ar == nil || ar.Name != "my-flask-app-795cd557d8-2-2" || ar.Status != v1alpha1.AnalysisPhaseFailed {
			t.Errorf("currentStepAnalysisRunStatus = %+v", ar)
		}
		if len(st.Conditions) != 5 || st.Conditions[4].Type != v1alpha1.RolloutProgressing || st.Conditions[4].Reason != "RolloutAborted" {
			t.Errorf("conditions = %+v", st.Conditions)
		}

		runs := mustObjects(t, filepath.Join(ref, "inline-abort", "analysisruns.yaml"))
		run := as[*v1alpha1.AnalysisRun](t, runs[0])
		if run.Labels[v1alpha1.RolloutCanaryStepIndexLabel] != "2" || run.Status.Phase != v1alpha1.AnalysisPhaseFailed ||
			run.Status.RunSummary.Failed != 1 || run.Status.DryRunSummary == nil || run.Status.CompletedAt == nil {
			t.Errorf("run = %+v", run.Status)
		}
		mr := run.Status.MetricResults[0]
		if mr.Count != 1 || mr.Failed != 1 || mr.Measurements[0].Value != "[0.8514851485148515]" || !strings.Contains(mr.Metadata["ResolvedPrometheusQuery"], "joel-test") {
			t.Errorf("metric result = %+v", mr)
		}
	})

	t.Run("background-promotes", func(t *testing.T) {
		ro := as[*v1alpha1.Rollout](t, mustObject(t, filepath.Join(ref, "background-promotes", "rollout.yaml")))
		if ro.Status.Phase != v1alpha1.RolloutPhaseHealthy || *ro.Status.CurrentStepIndex != 8 {
			t.Errorf("status = %+v", ro.Status)
		}
		run := as[*v1alpha1.AnalysisRun](t, mustObjects(t, filepath.Join(ref, "background-promotes", "analysisruns.yaml"))[0])
		if !run.Spec.Terminate || run.Status.Message != "Run Terminated" || run.Status.MetricResults[0].ConsecutiveSuccess != 7 ||
			len(run.Status.MetricResults[0].Measurements) != 7 {
			t.Errorf("run = %+v", run)
		}
		if c := run.Spec.Metrics[0].EffectiveCount(); c != nil {
			t.Errorf("background metric with interval: EffectiveCount = %v, want nil", c)
		}
	})

	t.Run("experiment-fails", func(t *testing.T) {
		ro := as[*v1alpha1.Rollout](t, mustObject(t, filepath.Join(ref, "experiment-fails", "rollout.yaml")))
		step := ro.Spec.Strategy.Canary.Steps[0].Experiment
		if step == nil || step.Duration != "2m" || len(step.Templates) != 2 {
			t.Errorf("experiment step = %+v", step)
		}
		exps := mustObjects(t, filepath.Join(ref, "experiment-fails", "experiments.yaml"))
		exp := as[*v1alpha1.Experiment](t, exps[0])
		if exp.Status.Phase != v1alpha1.AnalysisPhaseFailed || len(exp.Status.TemplateStatuses) != 2 ||
			exp.Status.TemplateStatuses[1].Status != v1alpha1.TemplateStatusSuccessful || exp.Status.AvailableAt == nil ||
			exp.Status.AnalysisRuns[0].AnalysisRun != "my-flask-app-795cd557d8-2-0-success-rate" ||
			exp.Status.Conditions[0].Type != v1alpha1.ExperimentProgressing {
			t.Errorf("experiment status = %+v", exp.Status)
		}
		if tpl := exp.Spec.Templates[0]; tpl.Selector.MatchLabels[v1alpha1.DefaultRolloutUniqueLabelKey] != "79b5c695d5" ||
			tpl.Template.Spec.DNSPolicy != corev1.DNSClusterFirst {
			t.Errorf("template = %+v", tpl)
		}
		run := as[*v1alpha1.AnalysisRun](t, mustObjects(t, filepath.Join(ref, "experiment-fails", "analysisruns.yaml"))[0])
		if run.OwnerReferences[0].Kind != "Experiment" || run.Status.MetricResults[0].Failed != 4 {
			t.Errorf("run = %+v", run)
		}
	})
}

func mustObject(t *testing.T, path string) client.Object {
	t.Helper()
	obj, err := Object(readFile(t, path))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return obj
}

// TestReferenceRoundTrip proves that no field of what the real API server
// returned is dropped: decode, re-encode, and compare with the input as
// generic JSON.
func TestReferenceRoundTrip(t *testing.T) {
	ref := referenceDir(t)
	files, _ := filepath.Glob(filepath.Join(ref, "*", "rollout.yaml"))
	more, _ := filepath.Glob(filepath.Join(ref, "*", "analysisruns.yaml"))
	files = append(files, more...)
	more, _ = filepath.Glob(filepath.Join(ref, "*", "experiments.yaml"))
	files = append(files, more...)
	if len(files) < 7 {
		t.Fatalf("found only %d reference files", len(files))
	}
	for _, path := range files {
		rel, _ := filepath.Rel(ref, path)
		t.Run(rel, func(t *testing.T) {
			var input map[string]any
			if err := yaml.Unmarshal(readFile(t, path), &input); err != nil {
				t.Fatal(err)
			}
			var want []any
			if input["kind"] == "List" {
				want = input["items"].([]any)
			} else {
				want = []any{input}
			}
			objs := mustObjects(t, path)
			if len(objs) != len(want) {
				t.Fatalf("decoded %d objects, want %d", len(objs), len(want))
			}
			for i, obj := range objs {
				out, err := json.Marshal(obj)
				if err != nil {
					t.Fatal(err)
				}
				var got any
				if err := json.Unmarshal(out, &got); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want[i]) {
					t.Errorf("item %d does not round-trip:\n%s", i, diff("", want[i], got))
				}
			}
		})
	}
}

// diff lists the paths where two generic JSON values differ.
func diff(path string, want, got any) string {
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if wok && gok {
		var out strings.Builder
		for k, wv := range wm {
			gv, ok := gm[k]
			if !ok {
				out.WriteString("  dropped " + path + "." + k + "\n")
				continue
			}
			out.WriteString(diff(path+"."+k, wv, gv))
		}
		for k, gv := range gm {
			if _, ok := wm[k]; !ok {
				b, _ := json.Marshal(gv)
				out.WriteString("  added " + path + "." + k + " = " + string(b) + "\n")
			}
		}
		return out.String()
	}
	wl, wok := want.([]any)
	gl, gok := got.([]any)
	if wok && gok && len(wl) == len(gl) {
		var out strings.Builder
		for i := range wl {
			out.WriteString(diff(path+"["+itoa(i)+"]", wl[i], gl[i]))
		}
		return out.String()
	}
	if reflect.DeepEqual(want, got) {
		return ""
	}
	w, _ := json.Marshal(want)
	g, _ := json.Marshal(got)
	return "  changed " + path + ": " + string(w) + " -> " + string(g) + "\n"
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestOpaqueProviderKeptVerbatim(t *testing.T) {
	doc := `
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: dd}
spec:
  metrics:
  - name: errors
    provider:
      datadog:
        query: avg:errors{*}
        anything: [1, {nested: true}]
  - name: plug
    provider:
      plugin:
        argoproj-labs/sample: {address: "http://x", count: 3}
`
	obj, err := Object([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	at := obj.(*v1alpha1.AnalysisTemplate)
	if got := string(at.Spec.Metrics[0].Provider.Datadog.Raw); got != `{"anything":[1,{"nested":true}],"query":"avg:errors{*}"}` {
		t.Errorf("datadog raw = %s", got)
	}
	out, err := json.Marshal(at.Spec.Metrics)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"name":"errors","provider":{"datadog":{"anything":[1,{"nested":true}],"query":"avg:errors{*}"}}},` +
		`{"name":"plug","provider":{"plugin":{"argoproj-labs/sample":{"address":"http://x","count":3}}}}]`
	if string(out) != want {
		t.Errorf("re-encoded = %s\nwant        %s", out, want)
	}
}

func TestBuiltinKinds(t *testing.T) {
	docs := map[string]string{
		"Secret":     "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {token: abc}\n",
		"Service":    "apiVersion: v1\nkind: Service\nmetadata: {name: svc}\nspec:\n  selector: {app: a}\n  ports: [{port: 80, targetPort: 8080}]\n",
		"ConfigMap":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n",
		"Deployment": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec: {containers: [{name: c, image: i}]}\n",
	}
	for kind, doc := range docs {
		t.Run(kind, func(t *testing.T) {
			obj, err := Object([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if obj.GetObjectKind().GroupVersionKind().Kind != kind {
				t.Errorf("kind = %v", obj.GetObjectKind().GroupVersionKind())
			}
			_, err = Object([]byte(doc + "bogus: 1\n"))
			if err == nil || !strings.Contains(err.Error(), `unknown field "bogus"`) {
				t.Errorf("err = %v, want unknown field \"bogus\"", err)
			}
		})
	}
	obj, _ := Object([]byte(docs["Deployment"]))
	if _, ok := obj.(*appsv1.Deployment); !ok {
		t.Errorf("got %T", obj)
	}
}

const rolloutDoc = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: r
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: c, image: i}]}
  strategy:
    canary:
      steps:
      - setWeight: 20
`

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		want []string // substrings of the error
	}{
		{"unknown canary field", rolloutDoc + "      stepz: []\n", []string{`unknown field "spec.strategy.canary.stepz"`, `Rollout "r"`}},
		{"unknown field in list item", strings.Replace(rolloutDoc, "- setWeight: 20", "- setWeight: 20\n        pauze: {}", 1), []string{`unknown field "spec.strategy.canary.steps[0].pauze"`}},
		{"unknown status field", rolloutDoc + "status:\n  hpaReplicas: 3\n", []string{`unknown field "status.hpaReplicas"`}},
		{"unknown metadata field", strings.Replace(rolloutDoc, "  name: r", "  name: r\n  labelz: {}", 1), []string{`unknown field "metadata.labelz"`}},
		{"unknown pod field", strings.Replace(rolloutDoc, "image: i", "image: i, imagePullPolicyy: Always", 1), []string{`unknown field "spec.template.spec.containers[0].imagePullPolicyy"`}},
		{"two unknown fields", rolloutDoc + "  foo: 1\nbar: 2\n", []string{`unknown field "bar"`, `unknown field "spec.foo"`}},
		{"wrong type", strings.Replace(rolloutDoc, "setWeight: 20", "setWeight: twenty", 1), []string{"spec.strategy.canary.steps.setWeight"}},
		{"duplicate field", rolloutDoc + "  paused: true\n  paused: false\n", []string{`duplicate field "spec.paused"`}},
		{"duplicate in list item", strings.Replace(rolloutDoc, "- setWeight: 20", "- setWeight: 20\n        setWeight: 30", 1), []string{`duplicate field "spec.strategy.canary.steps[0].setWeight"`}},
		{"known kind, wrong version", "apiVersion: argoproj.io/v1beta1\nkind: Rollout\n", []string{`unknown kind "Rollout" (apiVersion "argoproj.io/v1beta1")`}},
		{"bad apiVersion", "apiVersion: a/b/c\nkind: Rollout\n", []string{`unknown kind "Rollout" (apiVersion "a/b/c")`}},
		{"missing kind", "apiVersion: argoproj.io/v1alpha1\nmetadata: {name: r}\n", []string{`missing field "kind"`}},
		{"missing apiVersion", "kind: Rollout\n", []string{`missing field "apiVersion"`}},
		{"kind not a string", "apiVersion: v1\nkind: [a]\n", []string{`"kind" must be a string`}},
		{"empty", "", []string{`"kind"`}},
		{"only comments", "# nothing\n---\n", []string{`"kind"`}},
		{"null", "null\n", []string{`"kind"`}},
		{"not a mapping", "- a\n- b\n", []string{"mapping"}},
		{"scalar", "hello\n", []string{"mapping"}},
		{"malformed YAML", "apiVersion: v1\nkind: Secret\n  data: [\n", []string{"malformed YAML"}},
		{"tab indentation", "apiVersion: v1\nkind: Secret\nmetadata:\n\tname: x\n", []string{"malformed YAML"}},
		{"two documents", rolloutDoc + "---\n" + rolloutDoc, []string{"expected one YAML document, found 2"}},
		{"list", "apiVersion: v1\nkind: List\nitems: []\n", []string{"Objects"}},
		{"typed list", "apiVersion: argoproj.io/v1alpha1\nkind: RolloutList\nitems: []\n", []string{`unknown kind "RolloutList"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj, err := Object([]byte(tc.doc))
			if err == nil {
				t.Fatalf("no error; decoded %#v", obj)
			}
			if obj != nil {
				t.Errorf("object returned with error: %#v", obj)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestObjectsStream(t *testing.T) {
	stream := "# leading comment\n---\n" + rolloutDoc + "---\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n"
	objs, err := Objects([]byte(stream))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 3 || objs[0].GetName() != "r" || objs[2].GetName() != "b" {
		t.Fatalf("got %d objects: %v", len(objs), objs)
	}
	bad := strings.Replace(stream, "metadata: {name: b}", "metadata: {name: b}\n  dataz: {}", 1)
	_, err = Objects([]byte(bad))
	if err == nil || !strings.Contains(err.Error(), `document 2: items[1]: ConfigMap "b": unknown field "dataz"`) {
		t.Errorf("err = %v", err)
	}
	objs, err = Objects(nil)
	if err != nil || len(objs) != 0 {
		t.Errorf("empty stream: %v, %v", objs, err)
	}
}

// Objects rollsim does not type are kept, unstructured, whatever they hold;
// the typed ones stay strict.
func TestOtherKindsKept(t *testing.T) {
	stream := `apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: dr}
spec:
  host: svc
  subsets: [{name: stable, labels: {app: x}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route}
spec: {rules: [{backendRefs: [{name: stable, port: 80, weight: 100}]}]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa}
---
apiVersion: x/v1
kind: Foo
whatever: [1, 2]
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: argocd-app}
spec: {anything: true}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ing}
spec:
  rules: [{host: a.example}]
`
	objs, err := Objects([]byte(stream))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 6 {
		t.Fatalf("got %d objects", len(objs))
	}
	for i, want := range []string{"DestinationRule", "HTTPRoute", "ServiceAccount", "Foo", "Application"} {
		u, ok := objs[i].(*unstructured.Unstructured)
		if !ok || u.GetKind() != want {
			t.Errorf("object %d = %T %v, want unstructured %s", i, objs[i], objs[i].GetObjectKind().GroupVersionKind(), want)
		}
	}
	rules, _, _ := unstructured.NestedSlice(objs[1].(*unstructured.Unstructured).Object, "spec", "rules")
	ref := rules[0].(map[string]any)["backendRefs"].([]any)[0].(map[string]any)
	if ref["weight"] != int64(100) {
		t.Errorf("weight = %#v, want int64 100", ref["weight"])
	}
	as[*networkingv1.Ingress](t, objs[5])
	if _, err := Objects([]byte("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\nspec: {rulez: []}\n")); err == nil || !strings.Contains(err.Error(), `unknown field "spec.rulez"`) {
		t.Errorf("typed Ingress not strict: %v", err)
	}
	if _, err := Objects([]byte("apiVersion: x/v1\nkind: Foo\nmetadata: 3\n")); err == nil {
		t.Error("a non-mapping metadata was accepted")
	}
}
