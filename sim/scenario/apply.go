package scenario

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/api/decode"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// ApplyObject decodes an apply action's manifest, in the scenario's default
// namespace unless it names one.
func (in *Input) ApplyObject(a ApplyAction) (client.Object, error) {
	var doc []byte
	if a.File != "" {
		p := a.File
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(in.File), p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		doc = b
	} else {
		b, err := json.Marshal(a.Manifest)
		if err != nil {
			return nil, err
		}
		doc = b
	}
	obj, err := decode.Object(doc)
	if err != nil {
		return nil, err
	}
	if _, cluster := obj.(*v1alpha1.ClusterAnalysisTemplate); !cluster && obj.GetNamespace() == "" {
		obj.SetNamespace(in.Scenario.Spec.Namespace)
	}
	if obj.GetName() == "" {
		return nil, fmt.Errorf("metadata.name: required")
	}
	return obj, nil
}
