package validation

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/rollsim/rollsim/engine/api/decode"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// manifests is one fixture file, decoded: its Rollouts and the objects they may refer to.
type manifests struct {
	rollouts []*v1alpha1.Rollout
	objs     Objects
}

var docSep = regexp.MustCompile(`(?m)^---\s*$`)

// load decodes a fixture: Rollouts and Services with the repo's strict decoder,
// Ingresses and VirtualServices (kinds the decoder does not carry) directly.
func load(t *testing.T, path string) (manifests, error) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m manifests
	var docs [][]byte
	if strings.HasSuffix(path, ".json") {
		docs = [][]byte{raw}
	} else {
		for _, d := range docSep.Split(string(raw), -1) {
			docs = append(docs, []byte(d))
		}
	}
	for _, d := range docs {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(d, &head); err != nil {
			return m, err
		}
		switch {
		case head.Kind == "":
			continue
		case head.Kind == "Ingress":
			var ing networkingv1.Ingress
			if err := yaml.UnmarshalStrict(d, &ing); err != nil {
				return m, err
			}
			m.objs.Ingresses = append(m.objs.Ingresses, &ing)
		case head.Kind == "VirtualService":
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(d, &u.Object); err != nil {
				return m, err
			}
			m.objs.VirtualServices = append(m.objs.VirtualServices, u)
		case head.Kind == "Rollout" || head.Kind == "Service" || head.Kind == "AnalysisTemplate" || head.Kind == "ClusterAnalysisTemplate":
			o, err := decode.Object(bytes.TrimSpace(d))
			if err != nil {
				return m, err
			}
			switch x := o.(type) {
			case *v1alpha1.Rollout:
				m.rollouts = append(m.rollouts, x)
			case *corev1.Service:
				m.objs.Services = append(m.objs.Services, x)
			case *v1alpha1.AnalysisTemplate:
				m.objs.AnalysisTemplates = append(m.objs.AnalysisTemplates, x)
			case *v1alpha1.ClusterAnalysisTemplate:
				m.objs.ClusterAnalysisTemplates = append(m.objs.ClusterAnalysisTemplates, x)
			}
		}
	}
	return m, nil
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"*.yaml", "*.yml", "*.json"} {
		m, err := filepath.Glob(filepath.Join("testdata", dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatalf("no fixtures in testdata/%s", dir)
	}
	return out
}

// TestUpstreamExamplesAndDocs: every Rollout in upstream's examples/ and docs/ at
// v1.9.1 decodes strictly and passes the spec rules, except the doc snippets listed
// with the reason they fail (they are fragments, not manifests).
func TestUpstreamExamplesAndDocs(t *testing.T) {
	for _, dir := range []string{"upstream-examples", "upstream-docs"} {
		for _, f := range files(t, dir) {
			name := filepath.Base(f)
			t.Run(dir+"/"+name, func(t *testing.T) {
				m, err := load(t, f)
				want, known := docFragments[name]
				if err != nil {
					if !known || !strings.Contains(err.Error(), want) {
						t.Fatalf("decode: %v", err)
					}
					return
				}
				if len(m.rollouts) != 1 {
					t.Fatalf("%d rollouts", len(m.rollouts))
				}
				errs := ValidateRollout(m.rollouts[0], Options{})
				switch {
				case known && len(errs) == 0:
					t.Fatalf("expected %q, got no error", want)
				case known && !strings.Contains(errs[0].Error(), want):
					t.Fatalf("expected %q, got %v", want, errs)
				case !known && len(errs) > 0:
					t.Fatalf("unexpected errors: %v", errs)
				}
			})
		}
	}
}
