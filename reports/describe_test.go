package reports

import "testing"

func TestSmartLabel(t *testing.T) {
	tests := map[string]string{
		"apiVersion":                 "API Version",
		"creationTimestamp":          "Creation Timestamp",
		"ResolvedPrometheusQuery":    "Resolved Prometheus Query",
		"rollouts-pod-template-hash": "Rollouts - Pod - Template - Hash",
		"uid":                        "UID",
		"oauth2":                     "oauth2",
		"dryRunSummary":              "Dry Run Summary",
		"HTTPServer":                 "HTTP Server",
	}
	for in, want := range tests {
		if got := smartLabel(in); got != want {
			t.Errorf("smartLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
