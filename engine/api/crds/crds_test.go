package crds

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestGeneratedFilesAreFresh regenerates the CRDs and the deep-copy code of
// package v1alpha1 into temporary folders and compares them with the committed
// files. It needs the go command and the Go module proxy (controller-gen is
// built with `go run pkg@version`, about 30 s cold, 2 s warm).
func TestGeneratedFilesAreFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping controller-gen run")
	}
	crdDir, objDir := t.TempDir(), t.TempDir()
	cmd := exec.Command("go", "run", ControllerGen,
		Options, "output:crd:dir="+crdDir,
		"object:headerFile=../boilerplate.go.txt", "output:object:dir="+objDir,
		"paths=../v1alpha1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("controller-gen: %v\n%s", err, out)
	}
	names, committed, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := filepath.Glob(filepath.Join(crdDir, "*.yaml"))
	if len(fresh) != len(names) {
		t.Errorf("controller-gen wrote %d CRDs, %d are committed: run go generate ./engine/api/...", len(fresh), len(names))
	}
	for _, n := range names {
		got, err := os.ReadFile(filepath.Join(crdDir, n))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./engine/api/...)", n, err)
			continue
		}
		if !bytes.Equal(got, committed[n]) {
			t.Errorf("%s is out of date: run go generate ./engine/api/...", n)
		}
	}
	const deepcopy = "zz_generated.deepcopy.go"
	got, err := os.ReadFile(filepath.Join(objDir, deepcopy))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "v1alpha1", deepcopy))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("v1alpha1/%s is out of date: run go generate ./engine/api/...", deepcopy)
	}
}

// crd is the part of a CustomResourceDefinition the test below reads.
type crd struct {
	Spec struct {
		Names struct {
			Kind       string   `json:"kind"`
			ShortNames []string `json:"shortNames"`
		} `json:"names"`
		Scope    string `json:"scope"`
		Versions []struct {
			Name         string `json:"name"`
			Subresources struct {
				Status *struct{} `json:"status"`
				Scale  *struct {
					SpecReplicasPath   string `json:"specReplicasPath"`
					StatusReplicasPath string `json:"statusReplicasPath"`
					LabelSelectorPath  string `json:"labelSelectorPath"`
				} `json:"scale"`
			} `json:"subresources"`
			PrinterColumns []struct {
				Name string `json:"name"`
			} `json:"additionalPrinterColumns"`
		} `json:"versions"`
	} `json:"spec"`
}

// TestShapeMatchesUpstream pins what clients and kubectl rely on, as in the
// upstream v1.10 manifests: scope, short names, subresources, printer columns.
func TestShapeMatchesUpstream(t *testing.T) {
	want := map[string]struct {
		scope, short, columns string
		status, scale         bool
	}{
		"Rollout":                 {"Namespaced", "ro", "Desired Current Up-to-date Available Age", true, true},
		"AnalysisTemplate":        {"Namespaced", "at", "Age", false, false},
		"ClusterAnalysisTemplate": {"Cluster", "cat", "Age", false, false},
		"AnalysisRun":             {"Namespaced", "ar", "Status Age", false, false},
		"Experiment":              {"Namespaced", "exp", "Status Age", false, false},
	}
	names, files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, n := range names {
		var c crd
		if err := yaml.Unmarshal(files[n], &c); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		w, ok := want[c.Spec.Names.Kind]
		if !ok {
			t.Errorf("%s: unexpected kind %q", n, c.Spec.Names.Kind)
			continue
		}
		seen++
		if len(c.Spec.Versions) != 1 || c.Spec.Versions[0].Name != "v1alpha1" {
			t.Errorf("%s: want the single version v1alpha1", n)
			continue
		}
		v := c.Spec.Versions[0]
		var cols []string
		for _, pc := range v.PrinterColumns {
			cols = append(cols, pc.Name)
		}
		got := struct {
			scope, short, columns string
			status, scale         bool
		}{c.Spec.Scope, strings.Join(c.Spec.Names.ShortNames, ","), strings.Join(cols, " "), v.Subresources.Status != nil, v.Subresources.Scale != nil}
		if got != w {
			t.Errorf("%s: got %+v, want %+v", n, got, w)
		}
		if s := v.Subresources.Scale; s != nil && (s.SpecReplicasPath != ".spec.replicas" || s.StatusReplicasPath != ".status.HPAReplicas" || s.LabelSelectorPath != ".status.selector") {
			t.Errorf("%s: scale subresource %+v", n, *s)
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of %d CRDs", seen, len(want))
	}
}
