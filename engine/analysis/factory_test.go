package analysis

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

func tpl(name string, spec v1alpha1.AnalysisTemplateSpec) *v1alpha1.AnalysisTemplate {
	return &v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: spec}
}

func metric(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Query: "up"}}}
}

func ref(name string, cluster bool) v1alpha1.AnalysisTemplateRef {
	r := v1alpha1.AnalysisTemplateRef{TemplateName: name}
	if cluster {
		r.ClusterScope = ptr.To(true)
	}
	return r
}

func TestTemplatesMerge(t *testing.T) {
	scheme, err := v1alpha1.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	v := func(s string) *string { return &s }
	objs := []client.Object{
		tpl("a", v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{metric("a1")}, Args: []v1alpha1.Argument{{Name: "svc"}, {Name: "port", Value: v("80")}},
			Templates: []v1alpha1.AnalysisTemplateRef{ref("nested", false), ref("shared", true)}}),
		tpl("nested", v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{metric("n1")}, Args: []v1alpha1.Argument{{Name: "svc", Value: v("default-svc")}}}),
		tpl("b", v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{metric("a1")}}),
		tpl("c", v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{metric("c1")}, Args: []v1alpha1.Argument{{Name: "port", Value: v("81")}}}),
		tpl("d", v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{metric("d1")}, DryRun: []v1alpha1.DryRun{{MetricName: "a1"}}}),
		&v1alpha1.ClusterAnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "shared"}, Spec: v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{metric("s1")}}},
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	ctx := context.Background()
	tests := []struct {
		name    string
		refs    []v1alpha1.AnalysisTemplateRef
		args    []v1alpha1.Argument
		dryRun  []v1alpha1.DryRun
		metrics string // names in order
		argsOut string
		err     string
	}{
		{"nested and cluster templates: namespaced metrics first", []v1alpha1.AnalysisTemplateRef{ref("a", false)}, nil, nil,
			"a1,n1,s1", "svc=default-svc,port=80", ""},
		{"caller args override defaults", []v1alpha1.AnalysisTemplateRef{ref("a", false)}, []v1alpha1.Argument{{Name: "svc", Value: v("checkout")}, {Name: "extra", Value: v("x")}}, nil,
			"a1,n1,s1", "svc=checkout,port=80", ""},
		{"the same template twice counts once", []v1alpha1.AnalysisTemplateRef{ref("nested", false), ref("nested", false)}, nil, nil, "n1", "svc=default-svc", ""},
		{"duplicate metric names", []v1alpha1.AnalysisTemplateRef{ref("a", false), ref("b", false)}, nil, nil, "", "", "two metrics have the same name 'a1'"},
		{"conflicting arg values", []v1alpha1.AnalysisTemplateRef{ref("a", false), ref("c", false)}, nil, nil, "", "", "Argument `port` specified multiple times with different values: '80', '81'"},
		{"duplicate dry-run rules", []v1alpha1.AnalysisTemplateRef{ref("d", false)}, nil, []v1alpha1.DryRun{{MetricName: "a1"}}, "", "", "two Dry-Run metric rules have the same name 'a1'"},
		{"conflicting args in the other order", []v1alpha1.AnalysisTemplateRef{ref("c", false), ref("a", false)}, nil, nil, "", "", "Argument `port`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, err := FetchTemplates(ctx, c, "ns", tt.refs)
			if err != nil {
				t.Fatal(err)
			}
			spec, err := ts.RunSpec(tt.args, tt.dryRun, nil)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names, args []string
			for _, m := range spec.Metrics {
				names = append(names, m.Name)
			}
			for _, a := range spec.Args {
				args = append(args, a.Name+"="+*a.Value)
			}
			if strings.Join(names, ",") != tt.metrics || strings.Join(args, ",") != tt.argsOut {
				t.Fatalf("metrics %v args %v", names, args)
			}
		})
	}
	if _, err := FetchTemplates(ctx, c, "ns", []v1alpha1.AnalysisTemplateRef{ref("missing", false)}); err == nil {
		t.Fatal("a missing template must be an error")
	}
	ts, _ := FetchTemplates(ctx, c, "ns", []v1alpha1.AnalysisTemplateRef{ref("nested", false)})
	if _, err := ts.RunSpec(nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	noDefault, _ := FetchTemplates(ctx, c, "ns", []v1alpha1.AnalysisTemplateRef{ref("a", false)})
	noDefault.Namespaced[1].Spec.Args[0].Value = nil
	if _, err := noDefault.RunSpec(nil, nil, nil); err == nil || err.Error() != "args.svc was not resolved" {
		t.Fatalf("want args.svc was not resolved, got %v", err)
	}
}
