package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/sim/lint"
)

// lintOptions are `rollsim lint`'s flags and inputs.
type lintOptions struct {
	paths      []string
	output     string
	strict     bool
	disable    []string
	version    string
	scrape     time.Duration
	out        io.Writer
	in         io.Reader
	write      func(io.Writer, *lint.Result) error
	lintConfig lint.Options
}

func newLintCommand() *cobra.Command {
	o := &lintOptions{}
	cmd := &cobra.Command{
		Use:   "lint PATH...",
		Short: "Check Argo Rollouts manifests without running them",
		Long: `Check manifests the way the Argo Rollouts controller would, and for the classic
analysis mistakes: a superset of ` + "`kubectl argo rollouts lint`" + `.

PATH is a file, a folder (walked for *.yaml, *.yml and *.json) or - for standard
input (helm template ... | rollsim lint -). YAML streams, JSON documents and JSON
Lists are read; a Scenario's spec.manifests are followed. All inputs are linted
together, so a Rollout, its Services and its templates may sit in different files.
A document that does not decode is reported and the rest is still checked.

Severities: error (the controller or the API server would refuse it, or it can never
work), warning (it works, but likely not as meant), info (worth knowing). Exit code 1
when there are errors (with --strict, warnings too), 0 otherwise, 2 when a path
cannot be read or a flag is wrong.

Silence a rule for one object with the annotation
  rollsim.dev/lint-disable: "RULE[,RULE...]: reason"   (entries separated by ; or new lines)
or for the whole run with --disable RULE,...

Rules:
` + ruleTable(),
		Example: `  rollsim lint rollout.yaml analysis-template.yaml
  rollsim lint deploy/ --strict
  kustomize build overlays/prod | rollsim lint - -o github
  rollsim lint manifests/ -o sarif > rollsim.sarif`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeScenarioFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd, args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	lintFormats.addFlag(cmd, &o.output, "output", "o", "text", "findings format")
	cmd.Flags().BoolVar(&o.strict, "strict", false, "exit 1 on warnings too")
	cmd.Flags().StringSliceVar(&o.disable, "disable", nil, "rule ids not to report (comma-separated)")
	controllerVersions.addFlag(cmd, &o.version, "controller-version", "", "", "Argo Rollouts version whose rules apply when no Scenario names one (default v1.10)")
	cmd.Flags().DurationVar(&o.scrape, "scrape-interval", 0, "Prometheus scrape interval for the rate-window checks (default: the Scenario's, else 15s)")
	return cmd
}

// Complete takes the arguments and the command's streams.
func (o *lintOptions) Complete(cmd *cobra.Command, args []string) error {
	o.paths = args
	o.out, o.in = cmd.OutOrStdout(), cmd.InOrStdin()
	o.write = lint.Formats[o.output]
	o.lintConfig = lint.Options{ScrapeInterval: o.scrape, Version: o.version, Disable: o.disable}
	return nil
}

// Validate checks the flags.
func (o *lintOptions) Validate() error {
	if err := lintFormats.check("--output", o.output); err != nil {
		return err
	}
	for _, r := range o.disable {
		if _, ok := lint.Rules[r]; !ok {
			return usageError("--disable: no rule %q (rules: %s)", r, strings.Join(lint.RuleIDs(), ", "))
		}
	}
	if _, err := engine.ParseVersion(o.version); err != nil {
		return usageError("--controller-version: %v", err)
	}
	if o.scrape < 0 {
		return usageError("--scrape-interval must not be negative")
	}
	stdin := 0
	for _, p := range o.paths {
		if p == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return usageError("- (standard input) can be given once")
	}
	return nil
}

// Run lints and prints; the exit code says whether the build should fail.
func (o *lintOptions) Run() error {
	srcs, err := lint.ReadPaths(o.paths, o.in)
	if err != nil {
		var ie *lint.InvalidError
		if errors.As(err, &ie) {
			return &exitError{code: 2, err: err}
		}
		return err
	}
	res := lint.Lint(srcs, o.lintConfig)
	if err := o.write(o.out, res); err != nil {
		return err
	}
	if res.Fails(o.strict) {
		return &exitError{code: 1, err: errors.New("")}
	}
	return nil
}

// ruleTable lists the rules for the help text.
func ruleTable() string {
	var b strings.Builder
	ids := lint.RuleIDs()
	for _, id := range ids {
		r := lint.Rules[id]
		fmt.Fprintf(&b, "  %-22s %-8s %s\n", id, r.Severity, r.Summary)
	}
	return strings.TrimRight(b.String(), "\n")
}
