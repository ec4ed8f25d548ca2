package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rollsim/rollsim/sim/lint"
)

type lintOptions struct {
	files  []string
	output string
	out    io.Writer
}

func newLintCommand() *cobra.Command {
	o := &lintOptions{}
	cmd := &cobra.Command{
		Use:   "lint FILE...",
		Short: "Check Rollout and AnalysisTemplate manifests without running them",
		Long: `Check manifests for the classic analysis mistakes: conditions that do not
evaluate, PromQL that does not parse, {{args.x}} without an arg, unused args, inline
metrics that never finish, count without interval, ratios without a NaN guard,
result[0] without len(result) > 0, rate/irate windows shorter than two scrapes,
failureLimit that cannot be reached, startingStep beyond the steps, unknown fields,
and the blind window of background analysis. Files are linted together, so a Rollout
and its templates may be in different files; a Scenario document among them sets
the scrape interval.

Each finding prints as file:line, severity, object, rule, message and a hint. Exit
code 1 when there are findings, 0 when clean, 2 on input that cannot be read.`,
		Example: `  rollsim lint rollout.yaml analysis-template.yaml
  rollsim lint scenarios/background-recovers.yaml -o json`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeScenarioFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Complete(cmd, args)
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	lintFormats.addFlag(cmd, &o.output, "output", "o", "text", "findings format")
	return cmd
}

// Complete fills the options from the command line.
func (o *lintOptions) Complete(cmd *cobra.Command, args []string) {
	o.files, o.out = args, cmd.OutOrStdout()
}

// Validate rejects bad flags before anything runs.
func (o *lintOptions) Validate() error { return lintFormats.check("--output", o.output) }

// Run lints the files together and prints the findings.
func (o *lintOptions) Run() error {
	findings, err := lint.Files(o.files, lint.Options{})
	if err != nil {
		var ie *lint.InvalidError
		if errors.As(err, &ie) {
			return &exitError{code: 2, err: err}
		}
		return err
	}
	if o.output == "json" {
		if findings == nil {
			findings = []lint.Finding{}
		}
		enc := json.NewEncoder(o.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(findings); err != nil {
			return err
		}
	} else {
		for _, f := range findings {
			fmt.Fprintln(o.out, f.String())
		}
		fmt.Fprintf(o.out, "%d findings\n", len(findings))
	}
	if len(findings) > 0 {
		return &exitError{code: 1, err: errors.New("")}
	}
	return nil
}
