package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/sim"
)

// HTML writes one self-contained page (no scripts, fonts or images from
// elsewhere): the verdict, per metric a chart of its measured values over
// virtual time with the condition's threshold, the canary weight and the
// rollout's events on the same time axis and each measurement coloured by its
// phase, then the measurements explained, the runs, the timeline and the tree.
func HTML(w io.Writer, res *sim.Result) error {
	rep := Build(res)
	var tree bytes.Buffer
	if err := GetRollout(&tree, res); err != nil {
		return err
	}
	page := htmlPage{Report: rep, Tree: tree.String(), Ended: res.Ended.String(), Charts: charts(res, rep), Standalone: failedStandalone(res)}
	return pageTemplate.Execute(w, page)
}

type htmlPage struct {
	*Report
	Tree   string
	Ended  string
	Charts []template.HTML
	// Standalone is a failed standalone Experiment: the headline.
	Standalone *v1alpha1.Experiment
}

// Chart geometry (SVG user units).
const (
	chartW, chartH       = 960.0, 300.0
	plotL, plotR         = 64.0, 900.0
	plotT, plotB         = 24.0, 220.0
	bandNoValue          = 248.0 // where measurements without a number sit
	axisLabelY           = 274.0
	weightAxisX          = plotR + 8
	phaseColourSucceeded = "#1a7f37"
)

var phaseColour = map[string]string{
	"Successful":   phaseColourSucceeded,
	"Failed":       "#cf222e",
	"Inconclusive": "#bf8700",
	"Error":        "#8250df",
}

// Events worth a line across the charts.
var chartEvents = map[string]string{
	"RolloutStepCompleted": "#8c959f",
	"RolloutAborted":       "#cf222e",
	"RolloutCompleted":     phaseColourSucceeded,
	"RolloutPaused":        "#bf8700",
	"RolloutResumed":       "#8c959f",
	"TrafficChanged":       "#0969da",
	"AnalysisRunFailed":    "#cf222e",
}

// threshold is a number a condition compares the result with.
type threshold struct {
	value float64
	label string
	color string
}

var (
	condLeft  = regexp.MustCompile(`result(?:\[0\])?\s*(>=|<=|==|!=|>|<)\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)`)
	condRight = regexp.MustCompile(`(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)\s*(>=|<=|==|!=|>|<)\s*result`)
)

func thresholds(success, failure string) []threshold {
	var out []threshold
	for _, c := range []struct{ cond, which, color string }{{success, "success", phaseColourSucceeded}, {failure, "failure", "#cf222e"}} {
		for _, m := range condLeft.FindAllStringSubmatch(c.cond, -1) {
			if v, err := strconv.ParseFloat(m[2], 64); err == nil {
				out = append(out, threshold{v, c.which + ": result " + m[1] + " " + m[2], c.color})
			}
		}
		for _, m := range condRight.FindAllStringSubmatch(c.cond, -1) {
			if v, err := strconv.ParseFloat(m[1], 64); err == nil {
				out = append(out, threshold{v, c.which + ": " + m[1] + " " + m[2] + " result", c.color})
			}
		}
	}
	return out
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

func shortNum(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', 4, 64)
}

// charts draws one SVG per metric name, in order of first measurement.
func charts(res *sim.Result, rep *Report) []template.HTML {
	var order []string
	byMetric := map[string][]MeasurementExplained{}
	for _, m := range rep.Measurements {
		if _, ok := byMetric[m.Metric]; !ok {
			order = append(order, m.Metric)
		}
		byMetric[m.Metric] = append(byMetric[m.Metric], m)
	}
	var out []template.HTML
	for _, name := range order {
		out = append(out, template.HTML(chart(res, name, byMetric[name]))) // #nosec: every text below is escaped
	}
	return out
}

func chart(res *sim.Result, name string, ms []MeasurementExplained) string {
	esc := template.HTMLEscapeString
	end := res.Ended
	for _, m := range res.Record.Measurements {
		end = max(end, m.At)
	}
	if end <= 0 {
		end = time.Minute
	}
	x := func(d time.Duration) float64 {
		if d < 0 {
			d = 0
		}
		return plotL + (plotR-plotL)*float64(d)/float64(end)
	}
	// The value range: the finite values and the thresholds.
	lo, hi := math.Inf(1), math.Inf(-1)
	var ths []threshold
	seenTh := map[string]bool{}
	for _, m := range ms {
		if v, ok := firstValue(m.Value); ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		for _, t := range thresholds(m.SuccessCondition, m.FailureCondition) {
			if !seenTh[t.label] {
				seenTh[t.label] = true
				ths = append(ths, t)
				lo, hi = math.Min(lo, t.value), math.Max(hi, t.value)
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	if lo >= 0 && hi <= 1 {
		lo, hi = math.Min(lo, 0), 1
	}
	if hi == lo {
		hi = lo + 1
	}
	pad := (hi - lo) * 0.05
	lo, hi = lo-pad, hi+pad
	y := func(v float64) float64 {
		switch {
		case math.IsInf(v, 1):
			return plotT
		case math.IsInf(v, -1):
			return plotB
		}
		return plotB - (plotB-plotT)*(v-lo)/(hi-lo)
	}
	yWeight := func(w int32) float64 { return plotB - (plotB-plotT)*float64(w)/100 }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="metric %s over virtual time">`,
		num(chartW), num(chartH), num(chartW), num(chartH), esc(name))
	fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="#ffffff" stroke="#d0d7de"/>`, num(plotL), num(plotT), num(plotR-plotL), num(plotB-plotT))
	// Value axis: five ticks.
	for i := 0; i <= 4; i++ {
		v := lo + (hi-lo)*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#eaeef2"/>`, num(plotL), num(plotR), num(y(v)), num(y(v)))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" class="tick">%s</text>`, num(plotL-6), num(y(v)+4), esc(shortNum(v)))
	}
	// Weight axis (right): 0, 50, 100%.
	for _, wv := range []int32{0, 50, 100} {
		fmt.Fprintf(&b, `<text x="%s" y="%s" class="tick weight">%d%%</text>`, num(weightAxisX), num(yWeight(wv)+4), wv)
	}
	// Time axis: about eight ticks on round minutes.
	step := niceStep(end)
	for t := time.Duration(0); t <= end; t += step {
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#8c959f"/>`, num(x(t)), num(x(t)), num(plotB), num(plotB+4))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" class="tick">%s</text>`, num(x(t)), num(axisLabelY), esc(t.String()))
	}
	fmt.Fprintf(&b, `<text x="%s" y="%s" class="tick">no value / NaN</text>`, num(4), num(bandNoValue+4))
	// Events.
	for _, e := range res.Timeline {
		c, ok := chartEvents[e.Reason]
		if !ok || e.At < 0 || !strings.HasPrefix(e.Object, "Rollout/") && e.Reason != "TrafficChanged" {
			continue
		}
		fmt.Fprintf(&b, `<line class="event" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-dasharray="2 3"><title>%s %s: %s</title></line>`,
			num(x(e.At)), num(x(e.At)), num(plotT), num(plotB), c, esc(e.At.String()), esc(e.Reason), esc(e.Message))
	}
	// Canary weight as a step line.
	if ws := res.Record.Weights; len(ws) > 0 {
		var pts []string
		prev := int32(0)
		pts = append(pts, num(x(0))+","+num(yWeight(0)))
		for _, w := range ws {
			pts = append(pts, num(x(w.At))+","+num(yWeight(prev)), num(x(w.At))+","+num(yWeight(w.ActualWeight)))
			prev = w.ActualWeight
		}
		pts = append(pts, num(x(end))+","+num(yWeight(prev)))
		fmt.Fprintf(&b, `<polyline class="weight" points="%s" fill="none" stroke="#0969da" stroke-opacity="0.45" stroke-width="2"><title>canary weight (right axis)</title></polyline>`, strings.Join(pts, " "))
	}
	// Thresholds.
	for _, t := range ths {
		fmt.Fprintf(&b, `<line class="threshold" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="6 4"/>`,
			num(plotL), num(plotR), num(y(t.value)), num(y(t.value)), t.color)
		fmt.Fprintf(&b, `<text x="%s" y="%s" class="tick" fill="%s">%s</text>`, num(plotL+4), num(y(t.value)+13), t.color, esc(t.label))
	}
	// The values, joined per run, then the points.
	byRun := map[string][]string{}
	var runs []string
	for _, m := range ms {
		v, ok := firstValue(m.Value)
		if !ok || math.IsNaN(v) {
			continue
		}
		if _, seen := byRun[m.Run]; !seen {
			runs = append(runs, m.Run)
		}
		byRun[m.Run] = append(byRun[m.Run], num(x(parseOffset(m.At)))+","+num(y(v)))
	}
	for _, r := range runs {
		if len(byRun[r]) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#57606a" stroke-width="1"/>`, strings.Join(byRun[r], " "))
		}
	}
	for _, m := range ms {
		c := phaseColour[m.Phase]
		if c == "" {
			c = "#57606a"
		}
		cy := bandNoValue
		v, ok := firstValue(m.Value)
		if ok && !math.IsNaN(v) {
			cy = y(v)
		}
		fmt.Fprintf(&b, `<circle class="measurement %s" cx="%s" cy="%s" r="5" fill="%s" stroke="#ffffff"><title>%s %s: %s — %s</title></circle>`,
			esc(strings.ToLower(m.Phase)), num(x(parseOffset(m.At))), num(cy), c, esc(m.At), esc(m.Run), esc(explainLine(m)), esc(m.Standing))
	}
	b.WriteString(`</svg>`)
	seenQ := map[string]bool{}
	for _, m := range ms {
		if m.Query != "" && !seenQ[m.Query] {
			seenQ[m.Query] = true
			fmt.Fprintf(&b, `<p class="query">%s %s: <code>%s</code></p>`, esc(name), esc(queryLabel(m.Provider)), esc(oneLine(m.Query)))
		}
	}
	return `<h3>` + esc(name) + `</h3>` + b.String()
}

func parseOffset(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}

// niceStep is a round tick spacing giving at most about ten ticks.
func niceStep(end time.Duration) time.Duration {
	for _, s := range []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute,
		10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour} {
		if end/s <= 10 {
			return s
		}
	}
	return 24 * time.Hour
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"phaseClass": func(p string) string { return strings.ToLower(p) },
	"oneLine":    oneLine,
	"cond": func(m MeasurementExplained) string {
		c := conditionText(m)
		if m.Phase == "Error" {
			return m.Message
		}
		return c
	},
	"sortedEvents": func(es []EventInfo) []EventInfo {
		out := make([]EventInfo, 0, len(es))
		for _, e := range es {
			if !strings.HasPrefix(e.At, "-") {
				out = append(out, e)
			}
		}
		sort.SliceStable(out, func(i, j int) bool { return parseOffset(out[i].At) < parseOffset(out[j].At) })
		return out
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>rollsim: {{.Scenario}} — {{.Verdict}}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1f2328; background: #f6f8fa; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff; font-weight: 600; }
.verdict.promoted { background: #1a7f37; } .verdict.aborted { background: #cf222e; }
.verdict.paused, .verdict.incomplete { background: #bf8700; } .verdict.failed { background: #cf222e; }
.message { margin: 8px 0; padding: 8px 12px; background: #fff; border-left: 4px solid #8c959f; }
.meta { color: #57606a; }
table { border-collapse: collapse; background: #fff; margin: 6px 0; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eaeef2; }
td.successful { color: #1a7f37; font-weight: 600; } td.failed { color: #cf222e; font-weight: 600; }
td.inconclusive { color: #bf8700; font-weight: 600; } td.error { color: #8250df; font-weight: 600; }
code, pre { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
pre { background: #fff; border: 1px solid #d0d7de; padding: 10px; overflow-x: auto; }
.chart { background: #fff; border: 1px solid #d0d7de; margin: 4px 0 12px; max-width: 100%; height: auto; }
.chart .tick { font: 11px system-ui, sans-serif; fill: #57606a; }
.legend span { margin-right: 14px; } .dot { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 4px; }
.query { margin: 0 0 16px; color: #57606a; }
.pass { color: #1a7f37; font-weight: 600; } .fail { color: #cf222e; font-weight: 600; }
</style>
</head>
<body>
<h1>{{.Scenario}} {{with .Standalone}}<span class="verdict failed">Experiment {{.Name}} {{.Status.Phase}}</span> rollout {{end}}<span class="verdict {{phaseClass .Verdict}}">{{.Verdict}}</span>{{if .DecidedAt}} at {{.DecidedAt}} after the update{{end}}</h1>
{{if .Waiting}}<div class="meta">{{.Waiting}}</div>{{end}}
<div class="meta">{{.File}} · controller {{.ControllerVersion}} · seed {{.Seed}} · {{.Ended}} of virtual time · {{.Timing.Queries}} PromQL queries{{if .DecidedAtTime}} · decided {{.DecidedAtTime}}{{end}}</div>
{{if .Message}}<div class="message">{{.Message}}</div>{{end}}
{{with .Expectation}}<p>Expectation: {{if .Passed}}<span class="pass">PASS</span>{{else}}<span class="fail">FAIL</span></p><ul>{{range .Failures}}<li>{{.}}</li>{{end}}</ul>{{end}}{{end}}

{{if .Charts}}<h2>Metrics over virtual time</h2>
<div class="legend"><span><span class="dot" style="background:#1a7f37"></span>Successful</span><span><span class="dot" style="background:#cf222e"></span>Failed</span><span><span class="dot" style="background:#bf8700"></span>Inconclusive</span><span><span class="dot" style="background:#8250df"></span>Error</span><span style="color:#0969da">━ canary weight (right axis)</span><span>┅ condition threshold</span><span>┆ rollout events</span></div>
{{range $i, $c := .Charts}}{{$c}}
{{end}}{{end}}

{{if .Measurements}}<h2>Measurements</h2>
<table>
<tr><th>T</th><th>run</th><th>metric</th><th>value</th><th>condition</th><th>phase</th><th>canary</th><th>standing</th></tr>
{{range .Measurements}}<tr><td>{{.At}}</td><td>{{.Run}}<br><span class="meta">{{.RunType}}</span></td><td>{{.Metric}}</td><td><code>{{.Value}}</code></td><td>{{.Held}}<br><code>{{cond .}}</code></td><td class="{{phaseClass .Phase}}">{{.Phase}}{{if .DryRun}} (dry run){{end}}</td><td>{{with .Weight}}{{.ActualWeight}}% <span class="meta">(setWeight {{.SetWeight}}{{if .Step}}, step {{.Step}}{{end}})</span>{{end}}</td><td>{{.Standing}}<br><span class="meta">metric {{.MetricPhase}}, run {{.RunPhase}}</span></td></tr>
{{end}}</table>{{end}}

<h2>AnalysisRuns</h2>
{{if .AnalysisRuns}}{{range .AnalysisRuns}}<h3>{{.Name}} <span class="meta">{{.Type}}</span></h3>
<table><tr><th>phase</th><td class="{{phaseClass .Phase}}">{{.Phase}}</td></tr>{{if .Message}}<tr><th>message</th><td>{{.Message}}</td></tr>{{end}}
<tr><th>created</th><td>{{.CreatedAt}}</td></tr>{{if .CompletedAt}}<tr><th>completed</th><td>{{.CompletedAt}}</td></tr>{{end}}</table>
<table><tr><th>metric</th><th>phase</th><th>count</th><th>successful</th><th>failed</th><th>inconclusive</th><th>error</th><th>message</th></tr>
{{range .Metrics}}<tr><td>{{.Name}}{{if .DryRun}} (dry run){{end}}</td><td class="{{phaseClass .Phase}}">{{.Phase}}</td><td>{{.Count}}</td><td>{{.Successful}}</td><td>{{.Failed}}</td><td>{{.Inconclusive}}</td><td>{{.Error}}</td><td>{{.Message}}</td></tr>
{{end}}</table>
{{end}}{{else}}<p class="meta">none</p>{{end}}
{{if .Experiments}}<h2>Experiments</h2>
<table><tr><th>experiment</th><th>phase</th><th>message</th></tr>
{{range .Experiments}}<tr><td>{{.Name}}</td><td class="{{phaseClass .Phase}}">{{.Phase}}</td><td>{{.Message}}</td></tr>
{{end}}</table>{{end}}

<h2>Timeline</h2>
<table><tr><th>T</th><th>time</th><th>object</th><th>reason</th><th>message</th></tr>
{{range sortedEvents .Events}}<tr><td>{{.At}}</td><td>{{.Time}}</td><td>{{.Object}}</td><td>{{.Reason}}</td><td>{{.Message}}</td></tr>
{{end}}</table>

<h2>Final state</h2>
<pre>{{.Tree}}</pre>
</body>
</html>
`))
