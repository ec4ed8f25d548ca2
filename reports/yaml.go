package reports

import (
	"encoding/json"
	"io"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/rollsim/rollsim/sim"
)

// YAML writes the final objects as the API server returns them to
// `kubectl get rollout,analysisrun,experiment,replicaset,service,ingress,... -o yaml`:
// a v1 List of the Rollout, its AnalysisRuns, Experiments and ReplicaSets, then
// the namespace's Deployments (workloadRef targets), Services and Ingresses and the traffic routers' objects
// (VirtualServices, DestinationRules, TrafficSplits, HTTPRoutes, ...), each
// with its apiVersion and kind.
func YAML(w io.Writer, res *sim.Result) error {
	var items []any
	add := func(apiVersion, kind string, obj any) error {
		raw, err := json.Marshal(obj)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		m["apiVersion"], m["kind"] = apiVersion, kind
		items = append(items, m)
		return nil
	}
	if res.Rollout != nil {
		if err := add("argoproj.io/v1alpha1", "Rollout", res.Rollout); err != nil {
			return err
		}
	}
	for i := range res.AnalysisRuns {
		if err := add("argoproj.io/v1alpha1", "AnalysisRun", &res.AnalysisRuns[i]); err != nil {
			return err
		}
	}
	exps := res.ExperimentList()
	for i := range exps {
		if err := add("argoproj.io/v1alpha1", "Experiment", &exps[i]); err != nil {
			return err
		}
	}
	for i := range res.ReplicaSets {
		if err := add("apps/v1", "ReplicaSet", &res.ReplicaSets[i]); err != nil {
			return err
		}
	}
	for i := range res.Deployments {
		if err := add("apps/v1", "Deployment", &res.Deployments[i]); err != nil {
			return err
		}
	}
	for i := range res.Services {
		if err := add("v1", "Service", &res.Services[i]); err != nil {
			return err
		}
	}
	for i := range res.Ingresses {
		if err := add("networking.k8s.io/v1", "Ingress", &res.Ingresses[i]); err != nil {
			return err
		}
	}
	for i := range res.RouterObjects {
		u := &res.RouterObjects[i]
		if err := add(u.GetAPIVersion(), u.GetKind(), u.Object); err != nil {
			return err
		}
	}
	list := struct {
		APIVersion string          `json:"apiVersion"`
		Kind       string          `json:"kind"`
		Items      []any           `json:"items"`
		Metadata   metav1.ListMeta `json:"metadata"`
	}{APIVersion: "v1", Kind: "List", Items: items, Metadata: metav1.ListMeta{ResourceVersion: ""}}
	out, err := yaml.Marshal(list)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}
