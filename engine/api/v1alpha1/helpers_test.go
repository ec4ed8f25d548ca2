package v1alpha1

import (
	"encoding/json"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestRolloutPauseDurationSeconds(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    *intstr.IntOrString
		want int32
	}{
		{"unset means indefinite", nil, 0},
		{"int", DurationFromInt(45), 45},
		{"int zero", DurationFromInt(0), 0},
		{"digit string", DurationFromString("30"), 30},
		{"negative digit string", DurationFromString("-5"), -5},
		{"seconds", DurationFromString("10s"), 10},
		{"minutes", DurationFromString("10m"), 600},
		{"hours", DurationFromString("1h"), 3600},
		{"compound", DurationFromString("1m30s"), 90},
		{"sub-second truncates", DurationFromString("1500ms"), 1},
		{"unparsable", DurationFromString("ten minutes"), -1},
		{"missing unit", DurationFromString("1.5"), -1},
		{"empty string", DurationFromString(""), -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (RolloutPause{Duration: tc.d}).DurationSeconds(); got != tc.want {
				t.Errorf("DurationSeconds() = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestRolloutPauseDecodesIntOrString(t *testing.T) {
	var steps []CanaryStep
	if err := json.Unmarshal([]byte(`[{"pause":{"duration":20}},{"pause":{"duration":"5m"}},{"pause":{}}]`), &steps); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int32{20, 300, 0} {
		if got := steps[i].Pause.DurationSeconds(); got != want {
			t.Errorf("step %d: DurationSeconds() = %d, want %d", i, got, want)
		}
	}
}

func TestDurationStringDuration(t *testing.T) {
	for _, tc := range []struct {
		in      DurationString
		want    time.Duration
		wantErr bool
	}{
		{"30s", 30 * time.Second, false},
		{"1m", time.Minute, false},
		{"2h45m", 2*time.Hour + 45*time.Minute, false},
		{"250ms", 250 * time.Millisecond, false},
		{"", 0, true},
		{"5", 0, true},
		{"soon", 0, true},
	} {
		got, err := tc.in.Duration()
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("DurationString(%q).Duration() = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestMetricEffectiveCount(t *testing.T) {
	count := func(v intstr.IntOrString) *intstr.IntOrString { return &v }
	for _, tc := range []struct {
		name     string
		metric   Metric
		want     *intstr.IntOrString
		wantSame bool // the Count pointer itself is returned
	}{
		{"no count, no interval: once", Metric{}, count(intstr.FromInt32(1)), false},
		{"zero count, no interval: once", Metric{Count: count(intstr.FromInt32(0))}, count(intstr.FromInt32(1)), false},
		{"no count, interval: unbounded", Metric{Interval: "1m"}, nil, false},
		{"zero count, interval: unbounded", Metric{Interval: "1m", Count: count(intstr.FromInt32(0))}, nil, false},
		{"unresolved string count counts as zero", Metric{Interval: "1m", Count: count(intstr.FromString("{{args.n}}"))}, nil, false},
		{"count without interval", Metric{Count: count(intstr.FromInt32(3))}, count(intstr.FromInt32(3)), true},
		{"count with interval", Metric{Interval: "5s", Count: count(intstr.FromInt32(5))}, count(intstr.FromInt32(5)), true},
		{"numeric string count", Metric{Interval: "5s", Count: count(intstr.FromString("4"))}, count(intstr.FromString("4")), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.metric.EffectiveCount()
			switch {
			case tc.want == nil:
				if got != nil {
					t.Fatalf("EffectiveCount() = %v, want nil (unbounded)", got)
				}
			case got == nil:
				t.Fatalf("EffectiveCount() = nil, want %v", tc.want)
			case *got != *tc.want:
				t.Fatalf("EffectiveCount() = %v, want %v", got, tc.want)
			case tc.wantSame && got != tc.metric.Count:
				t.Errorf("EffectiveCount() returned a copy, want the Count pointer")
			}
		})
	}
}

func TestAnalysisPhaseCompleted(t *testing.T) {
	for p, want := range map[AnalysisPhase]bool{
		"":                        false,
		AnalysisPhasePending:      false,
		AnalysisPhaseRunning:      false,
		AnalysisPhaseSuccessful:   true,
		AnalysisPhaseFailed:       true,
		AnalysisPhaseError:        true,
		AnalysisPhaseInconclusive: true,
	} {
		if got := p.Completed(); got != want {
			t.Errorf("AnalysisPhase(%q).Completed() = %v, want %v", p, got, want)
		}
	}
	for s, want := range map[TemplateStatusCode]bool{
		TemplateStatusProgressing: false,
		TemplateStatusRunning:     false,
		TemplateStatusSuccessful:  true,
		TemplateStatusFailed:      true,
		TemplateStatusError:       true,
	} {
		if got := s.Completed(); got != want {
			t.Errorf("TemplateStatusCode(%q).Completed() = %v, want %v", s, got, want)
		}
	}
}

func TestIsClusterScope(t *testing.T) {
	yes, no := true, false
	if (AnalysisTemplateRef{}).IsClusterScope() || (AnalysisTemplateRef{ClusterScope: &no}).IsClusterScope() ||
		!(AnalysisTemplateRef{ClusterScope: &yes}).IsClusterScope() {
		t.Error("AnalysisTemplateRef.IsClusterScope")
	}
	if !(ExperimentAnalysisTemplateRef{ClusterScope: &yes}).IsClusterScope() ||
		!(RolloutExperimentStepAnalysisTemplateRef{ClusterScope: &yes}).IsClusterScope() {
		t.Error("IsClusterScope on experiment refs")
	}
}

func TestNewScheme(t *testing.T) {
	s, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{RolloutKind, AnalysisTemplateKind, ClusterAnalysisTemplateKind, AnalysisRunKind, ExperimentKind, "RolloutList"} {
		if !s.Recognizes(GroupVersion.WithKind(kind)) {
			t.Errorf("scheme does not recognize %s", kind)
		}
	}
	if !s.Recognizes(appsv1.SchemeGroupVersion.WithKind("Deployment")) || !s.Recognizes(appsv1.SchemeGroupVersion.WithKind("ReplicaSet")) {
		t.Error("scheme lacks client-go kinds")
	}
	gvks, _, err := s.ObjectKinds(&AnalysisRun{})
	if err != nil || len(gvks) != 1 || gvks[0] != GroupVersion.WithKind(AnalysisRunKind) {
		t.Errorf("ObjectKinds(AnalysisRun) = %v, %v", gvks, err)
	}
}

func TestDeepCopyIsDeep(t *testing.T) {
	orig := &AnalysisRun{Spec: AnalysisRunSpec{Metrics: []Metric{{
		Name:     "m",
		Count:    DurationFromInt(2),
		Provider: MetricProvider{Datadog: &OpaqueProvider{Raw: []byte(`{"query":"q"}`)}, Plugin: map[string]json.RawMessage{"p": []byte(`{}`)}},
	}}}}
	cp := orig.DeepCopyObject().(*AnalysisRun)
	cp.Spec.Metrics[0].Name = "changed"
	cp.Spec.Metrics[0].Count.IntVal = 9
	cp.Spec.Metrics[0].Provider.Datadog.Raw[2] = 'X'
	cp.Spec.Metrics[0].Provider.Plugin["p"][0] = '['
	m := orig.Spec.Metrics[0]
	if m.Name != "m" || m.Count.IntVal != 2 || string(m.Provider.Datadog.Raw) != `{"query":"q"}` || string(m.Provider.Plugin["p"]) != `{}` {
		t.Errorf("deep copy shares memory with the original: %+v", m)
	}
}

func TestOpaqueProviderJSON(t *testing.T) {
	var p MetricProvider
	in := `{"newRelic":"anything goes","cloudWatch":{"interval":"1m","metricDataQueries":[{"id":"a"}]}}`
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	if p.CloudWatch == nil || p.NewRelic == nil || p.Prometheus != nil {
		t.Fatalf("decoded %+v", p)
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("re-encoded %s, want %s", out, in)
	}
	if b, _ := json.Marshal(OpaqueProvider{}); string(b) != "null" {
		t.Errorf("empty OpaqueProvider encodes as %s", b)
	}
}
