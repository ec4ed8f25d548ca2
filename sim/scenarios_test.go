package sim_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
)

func scenarioFiles(t testing.TB) []string {
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	return files
}

// finalPods is res.Pods, which cannot fail in a test.
func finalPods(t testing.TB, res *sim.Result) []corev1.Pod {
	t.Helper()
	pods, err := res.Pods()
	if err != nil {
		t.Fatal(err)
	}
	return pods
}

func runFile(t testing.TB, file string) *sim.Result {
	in, err := scenario.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(context.Background(), in, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Every scenario in scenarios/ runs and meets its expect block.
func TestScenarios(t *testing.T) {
	for _, f := range scenarioFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			res := runFile(t, f)
			if res.Expect == nil {
				t.Fatalf("scenario has no expect block; every shipped scenario should pin its outcome")
			}
			for _, fail := range sim.Check(res) {
				t.Error(fail)
			}
		})
	}
}

// The same scenario and seed give byte-identical reports.
func TestDeterminism(t *testing.T) {
	for _, f := range scenarioFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var a, b bytes.Buffer
			if err := reports.JSON(&a, reports.Build(runFile(t, f))); err != nil {
				t.Fatal(err)
			}
			if err := reports.JSON(&b, reports.Build(runFile(t, f))); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two runs of the same scenario gave different reports")
			}
			var ta, tb bytes.Buffer
			_ = reports.Text(&ta, runFile(t, f))
			_ = reports.Text(&tb, runFile(t, f))
			if !bytes.Equal(ta.Bytes(), tb.Bytes()) {
				t.Fatal("two runs of the same scenario gave different text reports")
			}
		})
	}
}

// Another seed changes the noise (so the seed is really used) but not the verdict
// of the seed's inline case.
func TestSeedChangesNoiseOnly(t *testing.T) {
	in, err := scenario.Load("../scenarios/inline-analysis-abort.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seed := int64(7)
	a, err := sim.Run(context.Background(), in, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := sim.Run(context.Background(), in, sim.Options{Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	va := a.AnalysisRuns[0].Status.MetricResults[0].Measurements[0].Value
	vb := b.AnalysisRuns[0].Status.MetricResults[0].Measurements[0].Value
	if va == vb {
		t.Errorf("seed 7 measured the same value %s as seed 42", va)
	}
	if a.Verdict != b.Verdict || a.Message != b.Message {
		t.Errorf("verdict changed with the seed: %s vs %s", a.Verdict, b.Verdict)
	}
}

// The default controller version (v1.10) words the abort with the step prefix.
func TestControllerVersionWording(t *testing.T) {
	in, err := scenario.Load("../scenarios/inline-analysis-abort.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for v, want := range map[string]string{
		"v1.8":  `RolloutAborted: Rollout aborted update to revision 2: Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)`,
		"v1.9":  `RolloutAborted: Rollout aborted update to revision 2: Step-based analysis phase error/failed: Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)`,
		"v1.10": `RolloutAborted: Rollout aborted update to revision 2: Step-based analysis phase error/failed: Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)`,
	} {
		res, err := sim.Run(context.Background(), in, sim.Options{ControllerVersion: v})
		if err != nil {
			t.Fatal(err)
		}
		if res.Message != want {
			t.Errorf("%s: %q", v, res.Message)
		}
	}
}

// BenchmarkSeedInlineAbort is a whole simulated rollout of the seed's inline case:
// 15 minutes of warmup, the update, a 5 minute pause, one analysis, the abort.
func BenchmarkSeedInlineAbort(b *testing.B) {
	in, err := scenario.Load("../scenarios/inline-analysis-abort.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := sim.Run(context.Background(), in, sim.Options{})
		if err != nil || res.Verdict != scenario.Aborted {
			b.Fatal(err, res.Verdict)
		}
	}
}

// BenchmarkReferenceBackground is the time-scaled background-analysis case
// (7 measurements, 8 steps).
func BenchmarkReferenceBackground(b *testing.B) {
	in, err := scenario.Load("../scenarios/reference-background-promotes.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sim.Run(context.Background(), in, sim.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// Secret values given to args through secretKeyRef never reach a report.
func TestSecretsNeverReported(t *testing.T) {
	res := runFile(t, "../scenarios/web-and-secret.yaml")
	var js, text bytes.Buffer
	if err := reports.JSON(&js, reports.Build(res)); err != nil {
		t.Fatal(err)
	}
	if err := reports.Text(&text, res); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"json": js.Bytes(), "text": text.Bytes()} {
		if bytes.Contains(b, []byte("s3cr3t-t0ken")) {
			t.Errorf("the %s report contains the secret", name)
		}
	}
	if res.Verdict != scenario.Promoted {
		t.Fatalf("the secret-backed header should let the smoke test pass: %s", res.Verdict)
	}
}
