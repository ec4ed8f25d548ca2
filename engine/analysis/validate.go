package analysis

import (
	"fmt"
	"regexp"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// validateMetrics reproduces the checks the AnalysisRun controller makes on every
// reconcile (upstream utils/analysis/factory.go ValidateMetrics); a failure puts the
// run in Error with "Analysis spec invalid: <err>".
func validateMetrics(metrics []v1alpha1.Metric) error {
	if len(metrics) == 0 {
		return fmt.Errorf("no metrics specified")
	}
	seen := map[string]bool{}
	for i, m := range metrics {
		if seen[m.Name] {
			return fmt.Errorf("metrics[%d]: duplicate name '%s'", i, m.Name)
		}
		seen[m.Name] = true
		if err := validateMetric(m); err != nil {
			return fmt.Errorf("metrics[%d]: %v", i, err)
		}
	}
	return nil
}

func validateMetric(m v1alpha1.Metric) error {
	count := intOr(m.Count, 0)
	failureLimit := intOr(m.FailureLimit, 0)
	successLimit := intOr(m.ConsecutiveSuccessLimit, 0)
	inconclusiveLimit := intOr(m.InconclusiveLimit, 0)
	switch {
	case successLimit < 0:
		return fmt.Errorf("consecutiveSuccessLimit must be >= 0")
	case failureLimit < -1:
		return fmt.Errorf("failureLimit must be >= 0, or -1 to be disabled")
	case successLimit == 0 && failureLimit == -1:
		return fmt.Errorf("failureLimit and consecutiveSuccessLimit cannot both be disabled")
	case inconclusiveLimit < 0:
		return fmt.Errorf("inconclusiveLimit must be >= 0")
	case m.ConsecutiveErrorLimit != nil && m.ConsecutiveErrorLimit.IntValue() < 0:
		return fmt.Errorf("consecutiveErrorLimit must be >= 0")
	}
	if count > 0 {
		if failureLimit >= 0 && count < failureLimit+successLimit {
			return fmt.Errorf("count (%d) must be >= failureLimit + consecutiveSuccessLimit (%d + %d) if both >= 0", count, failureLimit, successLimit)
		}
		if failureLimit < 0 && count < successLimit {
			return fmt.Errorf("count must be >= consecutiveSuccessLimit")
		}
		if count < inconclusiveLimit {
			return fmt.Errorf("count must be >= inconclusiveLimit")
		}
	}
	if count > 1 && m.Interval == "" {
		return fmt.Errorf("interval must be specified when count > 1")
	}
	if m.Interval != "" {
		if _, err := m.Interval.Duration(); err != nil {
			return fmt.Errorf("invalid interval string: %v", err)
		}
	}
	if m.InitialDelay != "" {
		if _, err := m.InitialDelay.Duration(); err != nil {
			return fmt.Errorf("invalid startDelay string: %v", err)
		}
	}
	switch n := m.Provider.Count(); {
	case n == 0:
		return fmt.Errorf("no provider specified")
	case n > 1:
		return fmt.Errorf("multiple providers specified")
	}
	return nil
}

// dryRunMetrics matches the run's dryRun rules against metric names. Rules are
// unanchored Go regexps; an invalid one (such as a bare "*") matches nothing.
func dryRunMetrics(rules []v1alpha1.DryRun, metrics []v1alpha1.Metric) (map[string]bool, error) {
	out := map[string]bool{}
	for i, r := range rules {
		matched := 0
		for _, m := range metrics {
			if ok, _ := regexp.MatchString(r.MetricName, m.Name); ok {
				out[m.Name] = true
				matched++
			}
		}
		if matched == 0 {
			return out, fmt.Errorf("dryRun[%d]: Rule didn't match any metric name(s)", i)
		}
	}
	return out, nil
}

// retentionLimits maps metric names to their measurementRetention limit.
func retentionLimits(rules []v1alpha1.MeasurementRetention, metrics []v1alpha1.Metric) (map[string]int32, error) {
	out := map[string]int32{}
	for i, r := range rules {
		matched := 0
		for _, m := range metrics {
			if ok, _ := regexp.MatchString(r.MetricName, m.Name); ok {
				out[m.Name] = r.Limit
				matched++
			}
		}
		if matched == 0 {
			return out, fmt.Errorf("measurementRetention[%d]: Rule didn't match any metric name(s)", i)
		}
	}
	return out, nil
}
