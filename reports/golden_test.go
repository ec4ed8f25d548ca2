package reports_test

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
)

var update = flag.Bool("update", false, "rewrite the golden reports under testdata/golden")

// Each scenario's text and JSON reports are pinned in testdata/golden, and the
// Markdown, HTML and YAML reports of a handful (richGoldens); review changes in
// the diff and regenerate with `go test ./reports -update`.
func TestGoldenReports(t *testing.T) {
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			in, err := scenario.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			res, err := sim.Run(context.Background(), in, sim.Options{})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("..", "testdata", "golden", name)
			for _, f := range formats {
				if !isPinned(f.everyScenario, f.ext, name) {
					continue
				}
				got := render(t, f.render, res)
				compare(t, golden+f.ext, got)
				// Byte-identical across runs: a second run of the same
				// scenario renders the same bytes.
				if f.ext == ".json" {
					again, err := sim.Run(context.Background(), in, sim.Options{})
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, render(t, f.render, again)) {
						t.Errorf("%s: a second run renders a different report", name)
					}
				}
			}
		})
	}
}

// formats are the report formats pinned: text and JSON for every scenario,
// the others for richGoldens only, and YAML (the final objects) also for
// routerGoldens.
var formats = []struct {
	ext           string
	render        func(io.Writer, *sim.Result) error
	everyScenario bool
}{
	{".txt", reports.Text, true},
	{".json", func(w io.Writer, res *sim.Result) error { return reports.JSON(w, reports.Build(res)) }, true},
	{".md", reports.Markdown, false},
	{".html", reports.HTML, false},
	{".yaml", reports.YAML, false},
}

// richGoldens are the scenarios whose Markdown, HTML and YAML reports are
// pinned too: a canary abort, a background promotion, blue-green, an
// Experiment step and a standalone Experiment.
var richGoldens = map[string]bool{
	"inline-analysis-abort":         true,
	"reference-background-promotes": true,
	"bluegreen-prepromotion-fails":  true,
	"seed-experiment-fails":         true,
	"standalone-experiment":         true,
}

// routerGoldens pin the final objects (-o yaml) of the traffic-router
// scenarios: Services, Ingresses, VirtualServices, TrafficSplits, HTTPRoutes
// as the controller left them, and a workloadRef's Deployment.
var routerGoldens = map[string]bool{
	"reference-istio-host-split-promotes": true,
	"istio-subset-split":                  true,
	"nginx-canary":                        true,
	"alb-canary":                          true,
	"smi-canary":                          true,
	"gatewayapi-httproute":                true,
	"bluegreen-services":                  true,
	"workload-ref-progressive":            true,
}

// isPinned reports whether the golden test compares format ext of scenario name.
func isPinned(everyScenario bool, ext, name string) bool {
	return everyScenario || richGoldens[name] || ext == ".yaml" && routerGoldens[name]
}

// TestNoStaleGoldens: every file in testdata/golden is one the golden test
// compares (a renamed scenario or a dropped format leaves none behind).
func TestNoStaleGoldens(t *testing.T) {
	files, err := filepath.Glob("../testdata/golden/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		ext := filepath.Ext(f)
		name := strings.TrimSuffix(filepath.Base(f), ext)
		if _, err := os.Stat(filepath.Join("..", "scenarios", name+".yaml")); err != nil {
			t.Errorf("%s: no scenario %s.yaml", f, name)
			continue
		}
		pinned := false
		for _, fm := range formats {
			pinned = pinned || fm.ext == ext && isPinned(fm.everyScenario, ext, name)
		}
		if !pinned {
			t.Errorf("%s is not compared by TestGoldenReports: delete it", f)
		}
	}
}

func render(t *testing.T, f func(io.Writer, *sim.Result) error, res *sim.Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b, res); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func compare(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./reports -update` to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; first difference:\n%s", path, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + itoa(i+1) + "\n- " + a + "\n+ " + b
		}
	}
	return ""
}

func itoa(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
		if i == 0 {
			return string(b)
		}
	}
}
