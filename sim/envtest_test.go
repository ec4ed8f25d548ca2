package sim_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/rollsim/rollsim/sim/kube"
	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
)

// startEnvtest starts the shared API server for one test (and its subtests).
// The envtest backend is tested whenever the assets exist, and a missing asset
// fails the test: the only way to skip is ROLLSIM_ENVTEST=0, and never in CI.
func startEnvtest(t *testing.T) *kube.Envtest {
	t.Helper()
	if os.Getenv("ROLLSIM_ENVTEST") == "0" {
		if os.Getenv("CI") != "" {
			t.Fatal("ROLLSIM_ENVTEST=0 in CI: the envtest backend must be tested there")
		}
		t.Skip("ROLLSIM_ENVTEST=0: envtest backend not tested")
	}
	env, err := kube.StartEnvtest(kube.EnvtestOptions{})
	if err != nil {
		t.Fatalf("%v\n(run ./hack/test.sh, which builds the assets, or set ROLLSIM_ENVTEST=0 to skip the envtest tests locally)", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	t.Logf("envtest API server with CRDs up in %v", env.StartTime.Round(time.Millisecond))
	return env
}

// knownDivergent lists scenarios whose envtest run is known to differ, with
// the reason; each is reported as skipped, never silently dropped.
var knownDivergent = map[string]string{
	// A Deployment's pod template is defaulted by a real API server
	// (imagePullPolicy, terminationMessagePath, dnsPolicy, ...), so the Rollout
	// resolving it from the workloadRef hashes another template there than in
	// memory: ReplicaSet and AnalysisRun names differ (the server's are what a
	// cluster would show).
	"workload-ref-progressive.yaml": "server-defaulted Deployment template: other pod-template hash",
}

// resourceVersion lines of `kubectl describe`: the server's counter, like UIDs.
var resourceVersion = regexp.MustCompile(`(Resource Version:\s+)\d+`)

// experimentHash is the pod-template hash of an Experiment's ReplicaSet in
// the JSON report. The experiment controller hashes the Experiment's template,
// which the rollout copied from its ReplicaSet; a real server stores that
// ReplicaSet with the pod defaults filled in (as a cluster does), the memory
// backend as written, so the two hashes differ. Names do not depend on it.
var experimentHash = regexp.MustCompile(`("name": "[^"]+-\d+-\d+-[a-z0-9-]+",\s+"revision": \d+,\s+"podTemplateHash": )"[a-z0-9]+"`)

// compareReports checks that two results of one scenario give the same JSON
// and text reports, apart from the timing block and the server's bookkeeping
// (UIDs, matched by object, and resource versions).
func compareReports(t *testing.T, want, got *sim.Result) {
	t.Helper()
	uids := uidMap(t, got, want)
	render := func(res *sim.Result, uids map[string]string) (string, string) {
		rep := reports.Build(res)
		rep.Timing = reports.Timing{}
		var j, x bytes.Buffer
		if err := reports.JSON(&j, rep); err != nil {
			t.Fatal(err)
		}
		if err := reports.Text(&x, res); err != nil {
			t.Fatal(err)
		}
		js, text := experimentHash.ReplaceAllString(j.String(), `${1}"H"`), resourceVersion.ReplaceAllString(x.String(), "${1}N")
		for from, to := range uids {
			js, text = strings.ReplaceAll(js, from, to), strings.ReplaceAll(text, from, to)
		}
		return js, text
	}
	wj, wt := render(want, nil)
	gj, gt := render(got, uids)
	if wj != gj {
		t.Errorf("JSON reports differ between backends:\n%s", firstDifference(wj, gj))
	}
	if wt != gt {
		t.Errorf("text reports differ between backends:\n%s", firstDifference(wt, gt))
	}
	if wr, gr := routerView(t, want), routerView(t, got); wr != gr {
		t.Errorf("Services, Ingresses or router objects differ between backends:\n%s", firstDifference(wr, gr))
	}
}

// routerView is what the controller wrote into Services, Ingresses and router
// objects: selectors, annotations, owners, specs and generations (the server
// adds its own Service and Ingress fields, such as a cluster IP).
func routerView(t *testing.T, res *sim.Result) string {
	t.Helper()
	var items []any
	for _, s := range res.Services {
		items = append(items, map[string]any{"service": s.Name, "selector": s.Spec.Selector, "annotations": s.Annotations})
	}
	for _, i := range res.Ingresses {
		var owners []string
		for _, o := range i.OwnerReferences {
			owners = append(owners, o.Kind+"/"+o.Name)
		}
		items = append(items, map[string]any{"ingress": i.Name, "annotations": i.Annotations, "rules": i.Spec.Rules, "owners": owners, "generation": i.Generation})
	}
	for _, u := range res.RouterObjects {
		var owners []string
		for _, o := range u.GetOwnerReferences() {
			owners = append(owners, o.Kind+"/"+o.Name)
		}
		items = append(items, map[string]any{"object": u.GetAPIVersion() + " " + u.GetKind() + " " + u.GetName(), "spec": u.Object["spec"],
			"annotations": u.GetAnnotations(), "owners": owners, "generation": u.GetGeneration()})
	}
	b, err := yaml.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// uidMap pairs the UIDs of the same objects in two results of one scenario.
// UIDs are the one thing a real server does not let the simulation choose
// (names derived from them, such as the job provider's Job names, follow).
func uidMap(t *testing.T, from, to *sim.Result) map[string]string {
	ids := func(r *sim.Result) map[string]string {
		m := map[string]string{}
		if r.Rollout != nil {
			m["Rollout/"+r.Rollout.Name] = string(r.Rollout.UID)
		}
		for _, rs := range r.ReplicaSets {
			m["ReplicaSet/"+rs.Name] = string(rs.UID)
		}
		for _, p := range finalPods(t, r) {
			m["Pod/"+p.Name] = string(p.UID)
		}
		for _, run := range r.AnalysisRuns {
			m["AnalysisRun/"+run.Name] = string(run.UID)
		}
		for _, ex := range r.Experiments {
			m["Experiment/"+ex.Name] = string(ex.UID)
		}
		for _, j := range r.Jobs {
			m["Job/"+j.Name] = string(j.UID)
		}
		return m
	}
	a, b := ids(from), ids(to)
	out := map[string]string{}
	for k, v := range a {
		if w, ok := b[k]; ok && v != "" && w != "" {
			out[v] = w
		}
	}
	return out
}

func run(t *testing.T, file string, opts sim.Options) (*sim.Result, time.Duration) {
	t.Helper()
	in, err := scenario.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	res, err := sim.Run(context.Background(), in, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res, time.Since(began)
}

// TestEnvtest runs against one real API server: every scenario on both backends
// with identical reports (timing aside), and the server's schema checks.
func TestEnvtest(t *testing.T) {
	env := startEnvtest(t)

	t.Run("backends agree", func(t *testing.T) {
		var memTotal, envTotal time.Duration
		for _, f := range scenarioFiles(t) {
			t.Run(filepath.Base(f), func(t *testing.T) {
				if why, ok := knownDivergent[filepath.Base(f)]; ok {
					t.Skipf("known divergence, to be fixed: %s", why)
				}
				mem, memWall := run(t, f, sim.Options{})
				srv, envWall := run(t, f, sim.Options{Envtest: env})
				memTotal += memWall
				envTotal += envWall
				t.Logf("memory %v, envtest %v (%d writes)", memWall.Round(time.Microsecond), envWall.Round(time.Microsecond), srv.Writes)
				compareReports(t, mem, srv)
			})
		}
		t.Logf("all scenarios: memory %v, envtest %v", memTotal.Round(time.Microsecond), envTotal.Round(time.Millisecond))
	})

	t.Run("same scenario twice on one server", func(t *testing.T) {
		// The second run gets namespaces of its own and the same report.
		f := scenarioFiles(t)[0]
		a, _ := run(t, f, sim.Options{Envtest: env})
		b, _ := run(t, f, sim.Options{Envtest: env})
		compareReports(t, a, b)
	})

	t.Run("schema violation", func(t *testing.T) {
		// An env var without a name: Go decoding and the controller's checks
		// let it through; the CRD schema (as on a cluster) does not.
		src, err := os.ReadFile("../scenarios/inline-analysis-promote.yaml")
		if err != nil {
			t.Fatal(err)
		}
		bad := strings.Replace(string(src), "        imagePullPolicy: Always\n", "        imagePullPolicy: Always\n        env:\n        - value: \"1\"\n", 1)
		if bad == string(src) {
			t.Fatal("fixture: imagePullPolicy not found in scenario")
		}
		file := filepath.Join(t.TempDir(), "env-without-name.yaml")
		if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		in, err := scenario.Load(file)
		if err != nil {
			t.Fatalf("the memory backend's checks should accept this input: %v", err)
		}
		_, err = sim.Run(context.Background(), in, sim.Options{Envtest: env})
		var ie *scenario.InputError
		if !errors.As(err, &ie) {
			t.Fatalf("got %v, want *scenario.InputError", err)
		}
		if ie.File != file || ie.Doc != 1 || ie.Field != "spec.template.spec.containers[0].env[0].name" {
			t.Errorf("got file %s, document %d, field %q; want %s, 1, spec.template.spec.containers[0].env[0].name", ie.File, ie.Doc, ie.Field, file)
		}
		if want := "Rollout my-flask-app): spec.template.spec.containers[0].env[0].name: Required value (rejected by the API server)"; !strings.Contains(err.Error(), want) {
			t.Errorf("got  %s\nwant it to contain %s", err, want)
		}
	})
}

// firstDifference shows the first differing line of two texts, with context.
func firstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n  memory:  " + x + "\n  envtest: " + y
		}
	}
	return "(lengths differ)"
}
