package tuning

import (
	"encoding/base64"
	"html/template"
	"io"

	"github.com/rollsim/rollsim/sim/tune"
)

var page = template.Must(template.New("tune").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>rollsim tune: {{.Rep.Scenario}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; white-space: nowrap; }
th { background: #f3f3f3; }
tr.pareto td { font-weight: 600; }
tr.over td { color: #999; }
tr.best td { background: #eef7ee; }
p.rec { font-size: 16px; padding: 8px; background: #eef7ee; border-left: 4px solid #3a3; }
.note { color: #666; font-size: 13px; }
</style>
</head>
<body>
<h1>rollsim tune: {{.Rep.Scenario}}</h1>
{{range .Header}}<p>{{.}}</p>
{{end}}
<p class="rec">{{.Rep.Recommendation}}</p>
<table>
<tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr class="{{.Class}}">{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
<p class="note">* on the Pareto front (bold): no other policy is as good on false aborts, misses and detection time and better on one.
Grey rows exceed the false-abort bound. Detect: time from the degradation's start to the abort; a run not aborted counts as never.
Rates are shares of {{.Rep.Runs}} runs with 95% Wilson intervals.</p>
{{if .Notes}}<h2>Why healthy canaries were aborted</h2>
<ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .PNG}}<h2>False aborts against detection time</h2>
<img alt="false aborts against detection time, one point per policy" src="{{.PNG}}">
<p class="note">Points are labelled with the policy's rank in the table. {{.Omitted}}</p>{{end}}
</body>
</html>
`))

type htmlRow struct {
	Class string
	Cells []string
}

// HTML writes a self-contained page: the header, the recommendation, the
// table and the plot as an embedded PNG.
func HTML(w io.Writer, rep *tune.Report) error {
	png, err := PNG(rep, DefaultSize[0], DefaultSize[1])
	if err != nil {
		return err
	}
	data := struct {
		Rep     *tune.Report
		Header  []string
		Columns []string
		Rows    []htmlRow
		PNG     template.URL
		Omitted string
		Notes   []string
	}{Notes: AbortNotes(rep), Rep: rep, Header: Header(rep), Columns: Columns(rep), PNG: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), Omitted: Omitted(rep)}
	for i := range rep.Rows {
		r := &rep.Rows[i]
		class := ""
		switch {
		case i == rep.Best:
			class = "best"
		case !r.Feasible:
			class = "over"
		}
		if r.Pareto {
			class += " pareto"
		}
		data.Rows = append(data.Rows, htmlRow{Class: class, Cells: Cells(rep, r)})
	}
	return page.Execute(w, data)
}
