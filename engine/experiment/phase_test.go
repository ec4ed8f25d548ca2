package experiment

import (
	"testing"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

func TestPhase(t *testing.T) {
	const (
		prog = v1alpha1.TemplateStatusProgressing
		runn = v1alpha1.TemplateStatusRunning
		succ = v1alpha1.TemplateStatusSuccessful
		fail = v1alpha1.TemplateStatusFailed
	)
	type an struct {
		phase    v1alpha1.AnalysisPhase
		required bool
	}
	tests := []struct {
		name      string
		templates []v1alpha1.TemplateStatusCode
		analyses  []an
		want      v1alpha1.AnalysisPhase
		message   string
	}{
		{"templates coming up: Pending", []v1alpha1.TemplateStatusCode{prog, runn}, nil, v1alpha1.AnalysisPhasePending, ""},
		{"running with a running analysis", []v1alpha1.TemplateStatusCode{runn, runn}, []an{{v1alpha1.AnalysisPhaseRunning, false}}, v1alpha1.AnalysisPhaseRunning, ""},
		{"an analysis fails before the duration ends", []v1alpha1.TemplateStatusCode{runn, runn}, []an{{v1alpha1.AnalysisPhaseFailed, false}}, v1alpha1.AnalysisPhaseFailed, "m"},
		{"duration over, optional analysis still running: Successful", []v1alpha1.TemplateStatusCode{succ, succ}, []an{{v1alpha1.AnalysisPhaseRunning, false}}, v1alpha1.AnalysisPhaseSuccessful, ""},
		{"duration over, analysis failed: Failed", []v1alpha1.TemplateStatusCode{succ, succ}, []an{{v1alpha1.AnalysisPhaseFailed, false}}, v1alpha1.AnalysisPhaseFailed, "m"},
		{"required analyses done: Successful before the duration", []v1alpha1.TemplateStatusCode{runn, runn}, []an{{v1alpha1.AnalysisPhaseSuccessful, true}},
			v1alpha1.AnalysisPhaseSuccessful, "Required AnalysisRuns completed"},
		{"required analysis pending keeps it running", []v1alpha1.TemplateStatusCode{succ}, []an{{v1alpha1.AnalysisPhasePending, true}}, v1alpha1.AnalysisPhaseRunning, ""},
		{"inconclusive analysis", []v1alpha1.TemplateStatusCode{runn}, []an{{v1alpha1.AnalysisPhaseInconclusive, false}}, v1alpha1.AnalysisPhaseInconclusive, "m"},
		{"a template that never comes up fails the experiment", []v1alpha1.TemplateStatusCode{fail, runn}, []an{{v1alpha1.AnalysisPhaseRunning, false}},
			v1alpha1.AnalysisPhaseFailed, "Template 't0' exceeded its progressDeadlineSeconds (600)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := &v1alpha1.Experiment{}
			s := &state{ex: ex}
			for i, code := range tt.templates {
				name := string(rune('0' + i))
				ex.Spec.Templates = append(ex.Spec.Templates, v1alpha1.TemplateSpec{Name: "t" + name})
				msg := ""
				if code == fail {
					msg = "Template 't" + name + "' exceeded its progressDeadlineSeconds (600)"
				}
				s.st.TemplateStatuses = append(s.st.TemplateStatuses, v1alpha1.TemplateStatus{Name: "t" + name, Status: code, Message: msg})
			}
			for i, a := range tt.analyses {
				name := "a" + string(rune('0'+i))
				ex.Spec.Analyses = append(ex.Spec.Analyses, v1alpha1.ExperimentAnalysisTemplateRef{Name: name, RequiredForCompletion: a.required})
				msg := ""
				if a.phase == v1alpha1.AnalysisPhaseFailed || a.phase == v1alpha1.AnalysisPhaseInconclusive {
					msg = "m"
				}
				s.st.AnalysisRuns = append(s.st.AnalysisRuns, v1alpha1.ExperimentAnalysisRunStatus{Name: name, Phase: a.phase, Message: msg})
			}
			got, msg := s.phase()
			if got != tt.want || msg != tt.message {
				t.Fatalf("got %s %q, want %s %q", got, msg, tt.want, tt.message)
			}
		})
	}
}
