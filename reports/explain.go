package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/rollsim/rollsim/engine/analysis"

	"github.com/rollsim/rollsim/sim"
)

// MeasurementExplained is one measurement with everything needed to see why it
// counted the way it did: when, what was asked, what came back, which condition
// held, and where the metric stood against its limits afterwards.
type MeasurementExplained struct {
	At               string          `json:"at"`
	Time             string          `json:"time"`
	Run              string          `json:"run"`
	RunType          string          `json:"runType"`
	Metric           string          `json:"metric"`
	Provider         string          `json:"provider,omitempty"`
	Query            string          `json:"query,omitempty"`
	Value            string          `json:"value"`
	SuccessCondition string          `json:"successCondition,omitempty"`
	FailureCondition string          `json:"failureCondition,omitempty"`
	Held             string          `json:"held"`
	Phase            string          `json:"phase"`
	Message          string          `json:"message,omitempty"`
	DryRun           bool            `json:"dryRun,omitempty"`
	MetricPhase      string          `json:"metricPhase"`
	RunPhase         string          `json:"runPhase"`
	Counts           sim.Counts      `json:"counts"`
	Limits           analysis.Limits `json:"limits"`
	Standing         string          `json:"standing"`
	Weight           *WeightInfo     `json:"weight,omitempty"`
}

// WeightInfo is the canary's weight at a point of virtual time.
type WeightInfo struct {
	At           string `json:"at"`
	Step         string `json:"step,omitempty"`
	SetWeight    int32  `json:"setWeight"`
	ActualWeight int32  `json:"actualWeight"`
	Aborted      bool   `json:"aborted,omitempty"`
}

// explain builds the measurement explanations and the weight history.
func explain(res *sim.Result) ([]MeasurementExplained, []WeightInfo) {
	ms := []MeasurementExplained{}
	ws := []WeightInfo{}
	if res.Record == nil {
		return ms, ws
	}
	for _, w := range res.Record.Weights {
		ws = append(ws, WeightInfo{At: offset(w.At), Step: w.Step, SetWeight: w.SetWeight, ActualWeight: w.ActualWeight, Aborted: w.Aborted})
	}
	for _, m := range res.Record.Measurements {
		x := MeasurementExplained{
			At: offset(m.At), Time: stamp(res.Start.Add(m.At)), Run: m.Run, RunType: m.RunType, Metric: m.Metric,
			Provider: m.Provider, Query: m.Query, Value: shownValue(m.Value, m.Message), SuccessCondition: m.SuccessCondition,
			FailureCondition: m.FailureCondition, Held: m.Held, Phase: m.Phase, Message: m.Message, DryRun: m.DryRun,
			MetricPhase: m.MetricPhase, RunPhase: m.RunPhase, Counts: m.Counts, Limits: m.Limits,
			Standing: Standing(m.Counts, m.Limits),
		}
		if w := weightAt(res.Record.Weights, m); w != nil {
			x.Weight = &WeightInfo{At: offset(w.At), Step: w.Step, SetWeight: w.SetWeight, ActualWeight: w.ActualWeight, Aborted: w.Aborted}
		}
		ms = append(ms, x)
	}
	return ms, ws
}

// weightAt is the canary weight in force when m was taken: the last change
// before it, or at the same instant but recorded before it (a change the
// measurement itself brought about -- its step completing, a step change
// recorded after it; the abort it caused, which the rollout may record first
// -- is not shown). Pods becoming Ready at that instant count.
func weightAt(ws []sim.WeightRecord, m sim.MeasurementRecord) *sim.WeightRecord {
	var found *sim.WeightRecord
	for i := range ws {
		stepChange := i > 0 && ws[i].Step != ws[i-1].Step
		if ws[i].At < m.At || ws[i].At == m.At && !ws[i].Aborted && (i < m.WeightsBefore || !stepChange) {
			found = &ws[i]
		}
	}
	return found
}

// shownValue is the value as the condition saw it. The controller records no
// value for an Error measurement; when the error says the result was empty
// (v1.10's "nil or empty", expr's index out of range on result[0] before),
// the condition saw [], and that is what is shown. Other errors (the provider
// failed) show "(no value)".
func shownValue(v, message string) string {
	if v != "" {
		return v
	}
	if strings.Contains(message, "metric result is nil or empty") || strings.Contains(message, "index out of range") {
		return "[]"
	}
	return "(no value)"
}

// Standing says where a metric stands against its limits after a measurement:
// "measurement 2 of 5; failed 1 of failureLimit 3; ...". Each limit is
// breached when the count goes above it, as the controller decides.
func Standing(c sim.Counts, l analysis.Limits) string {
	var parts []string
	if l.Count >= 0 {
		parts = append(parts, fmt.Sprintf("count %d of %d", c.Count, l.Count))
	} else {
		parts = append(parts, fmt.Sprintf("count %d (until the run ends)", c.Count))
	}
	mark := func(n, limit int32) string {
		if n > limit {
			return " (exceeded)"
		}
		return ""
	}
	if l.FailureLimit < 0 {
		parts = append(parts, fmt.Sprintf("failed %d (failureLimit disabled)", c.Failed))
	} else {
		parts = append(parts, fmt.Sprintf("failed %d of failureLimit %d%s", c.Failed, l.FailureLimit, mark(c.Failed, l.FailureLimit)))
	}
	if c.Inconclusive > 0 || l.InconclusiveLimit > 0 {
		parts = append(parts, fmt.Sprintf("inconclusive %d of inconclusiveLimit %d%s", c.Inconclusive, l.InconclusiveLimit, mark(c.Inconclusive, l.InconclusiveLimit)))
	}
	if c.ConsecutiveError > 0 || c.Error > 0 {
		parts = append(parts, fmt.Sprintf("consecutive errors %d of consecutiveErrorLimit %d%s", c.ConsecutiveError, l.ConsecutiveErrorLimit, mark(c.ConsecutiveError, l.ConsecutiveErrorLimit)))
	}
	if l.ConsecutiveSuccessLimit > 0 {
		parts = append(parts, fmt.Sprintf("consecutive successes %d of consecutiveSuccessLimit %d", c.ConsecutiveSuccess, l.ConsecutiveSuccessLimit))
	}
	return strings.Join(parts, "; ")
}

// conditionText is the condition that decided, for one-line explanations.
func conditionText(m MeasurementExplained) string {
	switch {
	case strings.HasPrefix(m.Held, "failureCondition"):
		return m.FailureCondition
	case strings.HasPrefix(m.Held, "successCondition"):
		return m.SuccessCondition
	}
	var parts []string
	if m.SuccessCondition != "" {
		parts = append(parts, "success: "+m.SuccessCondition)
	}
	if m.FailureCondition != "" {
		parts = append(parts, "failure: "+m.FailureCondition)
	}
	return strings.Join(parts, "; ")
}

// explainLine is the one-line story of a measurement: value, condition, phase.
func explainLine(m MeasurementExplained) string {
	s := fmt.Sprintf("%s = %s", m.Metric, m.Value)
	if c := conditionText(m); c != "" && m.Phase != "Error" {
		s += fmt.Sprintf(": %s (%s)", m.Held, c)
	}
	s += " → " + m.Phase
	if m.DryRun {
		s += " (dry run)"
	}
	if m.Phase == "Error" && m.Message != "" {
		s += ": " + m.Message
	}
	return s
}

// firstValue reads the first number of a measurement value ("[0.93]", "0.93",
// "[NaN]", "[+Inf]"); ok is false for "[]" and values that are not numbers.
func firstValue(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(v, "[")
	v = strings.TrimSuffix(v, "]")
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		switch strings.ToLower(v) {
		case "nan":
			return math.NaN(), true
		case "+inf", "inf":
			return math.Inf(1), true
		case "-inf":
			return math.Inf(-1), true
		}
		return 0, false
	}
	return f, true
}

// weightText describes the canary's weight at a measurement.
func weightText(w *WeightInfo) string {
	if w == nil {
		return ""
	}
	s := fmt.Sprintf("canary weight %d%% (setWeight %d", w.ActualWeight, w.SetWeight)
	if w.Step != "" {
		s += ", step " + w.Step
	}
	return s + ")"
}
