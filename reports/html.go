package reports

import (
	"bytes"
	"html/template"
	"io"
	"sort"
	"strings"

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
	if err := objectTree(&tree, res); err != nil {
		return err
	}
	page := htmlPage{Report: rep, Tree: tree.String(), Ended: res.Ended.String(), Charts: charts(res, rep), Standalone: failedStandalone(res),
		After: strings.TrimPrefix(tZero(res), "when ")}
	if res.ExperimentsOnly {
		page.Subject = experimentsState(res)
	}
	return pageTemplate.Execute(w, page)
}

type htmlPage struct {
	*Report
	Tree   string
	Ended  string
	Charts []template.HTML
	// Standalone is a failed standalone Experiment: the headline.
	Standalone *v1alpha1.Experiment
	// After is what t=0 is ("the update"); Subject, for a scenario of
	// Experiments only, the deciding Experiment and its phase.
	After, Subject string
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
<h1>{{.Scenario}} {{with .Standalone}}<span class="verdict failed">Experiment {{.Name}} {{.Status.Phase}}</span> rollout {{end}}<span class="verdict {{phaseClass .Verdict}}">{{.Verdict}}</span>{{if .DecidedAt}} at {{.DecidedAt}} after {{.After}}{{end}}{{with .Subject}}: {{.}}{{end}}</h1>
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
