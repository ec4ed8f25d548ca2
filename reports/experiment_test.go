package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

// A scenario of Experiments only is reported about its Experiments in every
// format: `get experiment` trees, no rollout, the deciding Experiment named.
func TestExperimentsOnlyReports(t *testing.T) {
	in, err := scenario.Load("../scenarios/experiment-only-fails.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(context.Background(), in, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var md, html, js, yml bytes.Buffer
	for _, o := range []struct {
		buf    *bytes.Buffer
		render func() error
	}{
		{&md, func() error { return reports.Markdown(&md, res) }},
		{&html, func() error { return reports.HTML(&html, res) }},
		{&js, func() error { return reports.JSON(&js, reports.Build(res)) }},
		{&yml, func() error { return reports.YAML(&yml, res) }},
	} {
		if err := o.render(); err != nil {
			t.Fatal(err)
		}
	}
	for name, c := range map[string]struct {
		out  string
		want []string
	}{
		"markdown": {md.String(), []string{"**Aborted** at 2m10s after the Experiments were applied", "Experiment checkout-canary Failed (no Rollout", "<summary>kubectl argo rollouts get experiment checkout-canary, checkout-smoke</summary>", "Σ checkout-canary", "Σ checkout-smoke"}},
		"html":     {html.String(), []string{"after the Experiments were applied: Experiment checkout-canary Failed", "Σ checkout-canary"}},
		"yaml":     {yml.String(), []string{"kind: Experiment", "name: checkout-canary"}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.out, w) {
				t.Errorf("%s report lacks %q", name, w)
			}
		}
	}
	if strings.Contains(yml.String(), "kind: Rollout\n") {
		t.Error("yaml report lists a Rollout")
	}
	var m map[string]any
	if err := json.Unmarshal(js.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["rollout"]; ok {
		t.Error("json report has a rollout key")
	}
	if m["experimentsOnly"] != true || m["headline"] != "Aborted at 2m10s: Experiment checkout-canary Failed" {
		t.Errorf("json report: experimentsOnly %v, headline %v", m["experimentsOnly"], m["headline"])
	}
	if got := reports.CaseSummary(res); got != "Aborted at 2m10s: Experiment checkout-canary Failed" {
		t.Errorf("case summary %q", got)
	}
}
