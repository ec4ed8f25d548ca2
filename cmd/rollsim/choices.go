package main

import (
	"strings"

	"github.com/rollsim/rollsim/sim/lint"

	"github.com/spf13/cobra"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/reports/tuning"
)

// choice is one value a flag accepts, with what it means.
type choice struct{ name, help string }

// choices is the one table of a flag's values: its help text, its validation
// and its shell completion are all made from it.
type choices []choice

func (c choices) names() []string {
	out := make([]string, len(c))
	for i, x := range c {
		out[i] = x.name
	}
	return out
}

// list says "a, b or c".
func (c choices) list() string {
	n := c.names()
	if len(n) < 2 {
		return strings.Join(n, "")
	}
	return strings.Join(n[:len(n)-1], ", ") + " or " + n[len(n)-1]
}

// check validates the value of flag.
func (c choices) check(flag, v string) error {
	for _, x := range c {
		if x.name == v {
			return nil
		}
	}
	return usageError("%s %q: want %s", flag, v, c.list())
}

// complete is a cobra completion function offering the values with their help.
func (c choices) complete(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	out := make([]cobra.Completion, len(c))
	for i, x := range c {
		out[i] = cobra.CompletionWithDesc(x.name, x.help)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// addFlag adds a string flag taking one of the values, with its completion.
func (c choices) addFlag(cmd *cobra.Command, p *string, name, short, def, what string) {
	help := what + ": " + c.list()
	cmd.Flags().StringVarP(p, name, short, def, help)
	_ = cmd.RegisterFlagCompletionFunc(name, c.complete)
}

// reportFormats are `run -o`: reports.Formats.
var reportFormats = func() choices {
	var c choices
	for _, f := range reports.Formats {
		c = append(c, choice{f.Name, f.Description})
	}
	return c
}()

// tuneFormats are `tune -o`: tuning.Formats.
var tuneFormats = func() choices {
	var c choices
	for _, f := range tuning.Formats {
		c = append(c, choice{f.Name, f.Description})
	}
	return c
}()

// lintFormats are `lint -o`: lint.FormatNames.
var lintFormats = func() choices {
	help := map[string]string{
		"text":   "file:line, severity, object, rule, message and hint",
		"json":   "the findings as a JSON array",
		"sarif":  "SARIF 2.1.0, for code-scanning uploads",
		"github": "GitHub workflow annotations (::error file=...,line=...::)",
	}
	var c choices
	for _, n := range lint.FormatNames {
		c = append(c, choice{n, help[n]})
	}
	return c
}()

// queryFormats are `query -o`.
var queryFormats = choices{{"text", "as promtool prints it"}, {"json", "the data object of the Prometheus HTTP API"}}

// progressModes are --progress of test and tune.
var progressModes = choices{{"auto", "when stderr is a terminal"}, {"always", "always"}, {"never", "never"}}

// apiServers are --apiserver.
var apiServers = choices{
	{"memory", "an in-memory API (instant)"},
	{"envtest", "a real kube-apiserver and etcd, built by hack/envtest-assets.sh; one server for all files"},
}

// modelledVersions are the Argo Rollouts release lines the engine models
// (engine/doc.go), the default first.
var modelledVersions = []engine.Version{engine.V1_10, engine.V1_9, engine.V1_8}

// controllerVersions are --controller-version.
var controllerVersions = func() choices {
	var c choices
	for _, v := range modelledVersions {
		c = append(c, choice{v.String(), "Argo Rollouts " + v.String()})
	}
	return c
}()
