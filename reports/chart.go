package reports

import (
	"fmt"
	"html/template"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

// The HTML report's charts: one SVG per metric, its values over virtual time
// with the condition's thresholds, the canary weight and labelled rollout
// events on the same axis. The time axis spans the window where things
// happened (up to the decision, the last measurement or event, with a margin),
// not a long `until` the run idled through.

// Chart geometry (SVG user units).
const (
	chartW, chartH       = 960.0, 320.0
	plotL, plotR         = 64.0, 900.0
	plotT, plotB         = 44.0, 240.0
	eventLabelY          = 14.0  // first row of event labels
	bandNoValue          = 268.0 // where measurements without a number sit
	axisLabelY           = 296.0
	weightAxisX          = plotR + 8
	phaseColourSucceeded = "#1a7f37"
)

var phaseColour = map[string]string{
	"Successful":   phaseColourSucceeded,
	"Failed":       "#cf222e",
	"Inconclusive": "#bf8700",
	"Error":        "#8250df",
}

// Events worth a line across the charts, with their colour and short label.
var chartEvents = map[string]struct{ colour, label string }{
	"RolloutStepCompleted": {"#8c959f", "step"},
	"RolloutAborted":       {"#cf222e", "aborted"},
	"RolloutCompleted":     {phaseColourSucceeded, "completed"},
	"RolloutPaused":        {"#bf8700", "paused"},
	"RolloutResumed":       {"#8c959f", "resumed"},
	"TrafficChanged":       {"#0969da", "traffic"},
	"AnalysisRunFailed":    {"#cf222e", "run failed"},
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
	end := chartWindow(res)
	var out []template.HTML
	for _, name := range order {
		c := newChart(res, name, byMetric[name], end)
		out = append(out, template.HTML(c.svg())) // #nosec: every text in it is escaped
	}
	return out
}

// chartWindow is the end of the time axis: the last thing worth seeing (the
// decision, a measurement, a charted event, a weight change) with a margin,
// so the last points and labels are not on the edge.
func chartWindow(res *sim.Result) time.Duration {
	var last time.Duration
	if res.DecidedAt != nil {
		last = *res.DecidedAt
	}
	if res.Record != nil {
		for _, m := range res.Record.Measurements {
			last = max(last, m.At)
		}
		for _, w := range res.Record.Weights {
			last = max(last, w.At)
		}
	}
	for _, e := range res.Timeline {
		if _, ok := chartEvents[e.Reason]; ok {
			last = max(last, e.At)
		}
	}
	end := last + last/12 + 10*time.Second
	if last == 0 && res.Ended > 0 {
		end = res.Ended
	}
	if end <= 0 {
		end = time.Minute
	}
	return end
}

// chart is one metric's plot: its scales and the measurements to draw.
type chart struct {
	res    *sim.Result
	name   string
	ms     []MeasurementExplained
	end    time.Duration
	lo, hi float64
	ths    []threshold
	b      strings.Builder
}

func newChart(res *sim.Result, name string, ms []MeasurementExplained, end time.Duration) *chart {
	c := &chart{res: res, name: name, ms: ms, end: end}
	c.valueRange()
	return c
}

// valueRange fits the value axis to the finite values and the thresholds.
func (c *chart) valueRange() {
	lo, hi := math.Inf(1), math.Inf(-1)
	seen := map[string]bool{}
	for _, m := range c.ms {
		if v, ok := firstValue(m.Value); ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		for _, t := range thresholds(m.SuccessCondition, m.FailureCondition) {
			if !seen[t.label] {
				seen[t.label] = true
				c.ths = append(c.ths, t)
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
	c.lo, c.hi = lo-pad, hi+pad
}

func (c *chart) x(d time.Duration) float64 {
	d = min(max(d, 0), c.end)
	return plotL + (plotR-plotL)*float64(d)/float64(c.end)
}

func (c *chart) y(v float64) float64 {
	switch {
	case math.IsInf(v, 1):
		return plotT
	case math.IsInf(v, -1):
		return plotB
	}
	return plotB - (plotB-plotT)*(v-c.lo)/(c.hi-c.lo)
}

func yWeight(w int32) float64 { return plotB - (plotB-plotT)*float64(w)/100 }

var esc = template.HTMLEscapeString

// svg draws the chart, back to front, and the metric's queries under it.
func (c *chart) svg() string {
	fmt.Fprintf(&c.b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="metric %s over virtual time">`,
		num(chartW), num(chartH), num(chartW), num(chartH), esc(c.name))
	fmt.Fprintf(&c.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="#ffffff" stroke="#d0d7de"/>`, num(plotL), num(plotT), num(plotR-plotL), num(plotB-plotT))
	c.axes()
	c.events()
	c.weight()
	c.thresholdLines()
	c.measurements()
	c.b.WriteString(`</svg>`)
	seen := map[string]bool{}
	for _, m := range c.ms {
		if m.Query != "" && !seen[m.Query] {
			seen[m.Query] = true
			fmt.Fprintf(&c.b, `<p class="query">%s %s: <code>%s</code></p>`, esc(c.name), esc(queryLabel(m.Provider)), esc(oneLine(m.Query)))
		}
	}
	return `<h3>` + esc(c.name) + `</h3>` + c.b.String()
}

// axes: five value ticks (left), the weight's 0/50/100% (right), round time
// ticks (bottom) and a note when the run went on past the window.
func (c *chart) axes() {
	for i := 0; i <= 4; i++ {
		v := c.lo + (c.hi-c.lo)*float64(i)/4
		fmt.Fprintf(&c.b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#eaeef2"/>`, num(plotL), num(plotR), num(c.y(v)), num(c.y(v)))
		fmt.Fprintf(&c.b, `<text x="%s" y="%s" text-anchor="end" class="tick">%s</text>`, num(plotL-6), num(c.y(v)+4), esc(shortNum(v)))
	}
	for _, wv := range []int32{0, 50, 100} {
		fmt.Fprintf(&c.b, `<text x="%s" y="%s" class="tick weight">%d%%</text>`, num(weightAxisX), num(yWeight(wv)+4), wv)
	}
	step := niceStep(c.end)
	for t := time.Duration(0); t <= c.end; t += step {
		fmt.Fprintf(&c.b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#eaeef2"/>`, num(c.x(t)), num(c.x(t)), num(plotT), num(plotB))
		fmt.Fprintf(&c.b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#8c959f"/>`, num(c.x(t)), num(c.x(t)), num(plotB), num(plotB+4))
		fmt.Fprintf(&c.b, `<text x="%s" y="%s" text-anchor="middle" class="tick">%s</text>`, num(c.x(t)), num(axisLabelY), esc(tickLabel(t)))
	}
	if c.res.Ended > c.end {
		fmt.Fprintf(&c.b, `<text x="%s" y="%s" text-anchor="end" class="tick">run ended at %s →</text>`, num(plotR), num(axisLabelY+16), esc(tickLabel(c.res.Ended)))
	}
	fmt.Fprintf(&c.b, `<text x="%s" y="%s" class="tick">no value / NaN</text>`, num(4), num(bandNoValue+4))
}

// events: a dashed line per rollout event, and above the plot one label per
// instant ("step, aborted 5m10s"); a label that would overlap the previous
// one goes to the next of three rows, one near the right edge ends at its line.
func (c *chart) events() {
	type mark struct {
		at     time.Duration
		labels []string
		colour string
		title  []string
	}
	var marks []*mark
	for _, e := range c.res.Timeline {
		ev, ok := chartEvents[e.Reason]
		if !ok || e.At < 0 || e.At > c.end || !strings.HasPrefix(e.Object, "Rollout/") && e.Reason != "TrafficChanged" {
			continue
		}
		x := c.x(e.At)
		fmt.Fprintf(&c.b, `<line class="event" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-dasharray="2 3"><title>%s %s: %s</title></line>`,
			num(x), num(x), num(plotT), num(plotB), ev.colour, esc(e.At.String()), esc(e.Reason), esc(e.Message))
		if n := len(marks); n == 0 || marks[n-1].at != e.At {
			marks = append(marks, &mark{at: e.At, colour: ev.colour})
		}
		m := marks[len(marks)-1]
		if !slices.Contains(m.labels, ev.label) {
			m.labels = append(m.labels, ev.label)
		}
		if e.Reason == "RolloutAborted" || e.Reason == "AnalysisRunFailed" {
			m.colour = ev.colour // the worst news colours the label
		}
		m.title = append(m.title, e.Reason+": "+e.Message)
	}
	var lastEnd [3]float64
	for i := range lastEnd {
		lastEnd[i] = math.Inf(-1)
	}
	for _, m := range marks {
		x := c.x(m.at)
		label := strings.Join(m.labels, ", ") + " " + tickLabel(m.at)
		width := float64(len(label)) * 5.6
		start, anchor := x+2, "start"
		if start+width > chartW-4 {
			start, anchor = x-2, "end"
		}
		left := start
		if anchor == "end" {
			left = start - width
		}
		row := 0
		for row < len(lastEnd)-1 && left < lastEnd[row]+6 {
			row++
		}
		lastEnd[row] = left + width
		fmt.Fprintf(&c.b, `<text class="event-label tick" x="%s" y="%s" text-anchor="%s" style="fill:%s">%s<title>%s</title></text>`,
			num(start), num(eventLabelY+float64(row)*10), anchor, m.colour, esc(label), esc(strings.Join(m.title, "\n")))
	}
}

// weight: the canary weight as a step line on the right axis.
func (c *chart) weight() {
	if c.res.Record == nil || len(c.res.Record.Weights) == 0 {
		return
	}
	var pts []string
	prev := int32(0)
	pts = append(pts, num(c.x(0))+","+num(yWeight(0)))
	for _, w := range c.res.Record.Weights {
		pts = append(pts, num(c.x(w.At))+","+num(yWeight(prev)), num(c.x(w.At))+","+num(yWeight(w.ActualWeight)))
		prev = w.ActualWeight
	}
	pts = append(pts, num(c.x(c.end))+","+num(yWeight(prev)))
	fmt.Fprintf(&c.b, `<polyline class="weight" points="%s" fill="none" stroke="#0969da" stroke-opacity="0.45" stroke-width="2"><title>canary weight (right axis)</title></polyline>`, strings.Join(pts, " "))
}

// thresholdLines: the numbers the conditions compare with, labelled.
func (c *chart) thresholdLines() {
	for _, t := range c.ths {
		fmt.Fprintf(&c.b, `<line class="threshold" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="6 4"/>`,
			num(plotL), num(plotR), num(c.y(t.value)), num(c.y(t.value)), t.color)
		fmt.Fprintf(&c.b, `<text x="%s" y="%s" class="tick" style="fill:%s">%s</text>`, num(plotL+4), num(c.y(t.value)+13), t.color, esc(t.label))
	}
}

// measurements: the values joined per run, then a point per measurement
// coloured by its phase (no number: in the band below the plot).
func (c *chart) measurements() {
	byRun := map[string][]string{}
	var runs []string
	for _, m := range c.ms {
		v, ok := firstValue(m.Value)
		if !ok || math.IsNaN(v) {
			continue
		}
		if _, seen := byRun[m.Run]; !seen {
			runs = append(runs, m.Run)
		}
		byRun[m.Run] = append(byRun[m.Run], num(c.x(parseOffset(m.At)))+","+num(c.y(v)))
	}
	for _, r := range runs {
		if len(byRun[r]) > 1 {
			fmt.Fprintf(&c.b, `<polyline points="%s" fill="none" stroke="#57606a" stroke-width="1"/>`, strings.Join(byRun[r], " "))
		}
	}
	for _, m := range c.ms {
		col := phaseColour[m.Phase]
		if col == "" {
			col = "#57606a"
		}
		cy := bandNoValue
		if v, ok := firstValue(m.Value); ok && !math.IsNaN(v) {
			cy = c.y(v)
		}
		fmt.Fprintf(&c.b, `<circle class="measurement %s" cx="%s" cy="%s" r="5" fill="%s" stroke="#ffffff"><title>%s %s: %s — %s</title></circle>`,
			esc(strings.ToLower(m.Phase)), num(c.x(parseOffset(m.At))), num(cy), col, esc(m.At), esc(m.Run), esc(explainLine(m)), esc(m.Standing))
	}
}

func parseOffset(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}

// tickLabel writes a time tick the short way: 0, 30s, 5m, 1h30m, 2h.
func tickLabel(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	return scenario.ShortDuration(d)
}

// niceStep is a round tick spacing giving at most about ten ticks.
func niceStep(end time.Duration) time.Duration {
	for _, s := range []time.Duration{5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute,
		10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour} {
		if end/s <= 10 {
			return s
		}
	}
	return 24 * time.Hour
}
