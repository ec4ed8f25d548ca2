package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/spf13/cobra"

	"github.com/rollsim/rollsim/engine"
	"github.com/rollsim/rollsim/sim"
)

type runOptions struct {
	files             []string
	output            string
	apiserver         string
	seed              int64
	seedSet           bool
	controllerVersion string
	out               io.Writer
	stderr            io.Writer
	timing            bool
}

func newRunCommand() *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run FILE...",
		Short: "Simulate scenarios and print the verdict report",
		Long: `Simulate each scenario file and print its report: the verdict (Promoted, Aborted,
Paused or Incomplete), when it was decided, the controller's message, a timeline, the
final 'kubectl argo rollouts get rollout' tree and every AnalysisRun as
'kubectl describe' shows it. The exit code is 0 whatever the verdict, 2 on invalid input.`,
		Example: `  # The seed's inline analysis case: aborted about 5 minutes after the update
  rollsim run scenarios/inline-analysis-abort.yaml

  # The report as JSON, for scripts
  rollsim run scenarios/inline-analysis-abort.yaml -o json | jq .verdict

  # Another seed, another controller version
  rollsim run --seed 7 --controller-version v1.10 scenarios/inline-analysis-abort.yaml

  # Through a real API server: manifests are checked against the CRD schemas
  rollsim run --apiserver envtest scenarios/inline-analysis-abort.yaml`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeScenarioFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Complete(cmd, args)
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	reportFormats.addFlag(cmd, &o.output, "output", "o", "text", "report format")
	addAPIServerFlag(cmd, &o.apiserver)
	cmd.Flags().Int64Var(&o.seed, "seed", 0, "random seed for traffic noise and names (default: the scenario's spec.seed)")
	cmd.Flags().BoolVar(&o.timing, "timing", false, "add the run's wall time to the report (-o json: timing.wallMs; otherwise on stderr); off by default, as it differs between runs")
	cmd.Flags().StringVar(&o.controllerVersion, "controller-version", "", "Argo Rollouts behaviour to model: "+controllerVersions.list()+" (default: the scenario's)")
	_ = cmd.RegisterFlagCompletionFunc("controller-version", controllerVersions.complete)
	return cmd
}

// Complete fills the options from the command line.
func (o *runOptions) Complete(cmd *cobra.Command, args []string) {
	o.files = args
	o.seedSet = cmd.Flags().Changed("seed")
	o.out, o.stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
}

// Validate rejects bad flags before anything runs.
func (o *runOptions) Validate() error {
	if err := reportFormats.check("--output", o.output); err != nil {
		return err
	}
	if o.controllerVersion != "" {
		if _, err := engine.ParseVersion(o.controllerVersion); err != nil {
			return usageError("--controller-version: %v", err)
		}
	}
	return checkAPIServer(o.apiserver)
}

func (o *runOptions) simOptions() sim.Options {
	opts := sim.Options{ControllerVersion: o.controllerVersion}
	if o.seedSet {
		opts.Seed = &o.seed
	}
	return opts
}

// Run simulates each file and prints its report.
func (o *runOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	env, stop, err := startAPIServer(o.apiserver, o.stderr)
	if err != nil {
		return err
	}
	defer stop()
	opts := o.simOptions()
	opts.Envtest = env
	for i, f := range o.files {
		in, err := scenario.Load(f)
		if err != nil {
			return inputOrFailure(err)
		}
		// Wall time is measured here only, for the report's timing block; the
		// simulation itself never reads the wall clock.
		began := time.Now()
		res, err := sim.Run(ctx, in, opts)
		if err != nil {
			return inputOrFailure(err)
		}
		wall := time.Duration(0)
		if o.timing {
			wall = max(time.Since(began), time.Microsecond)
			if o.output != "json" {
				fmt.Fprintf(o.stderr, "rollsim: %s: simulated in %s of wall time\n", f, wall.Round(time.Microsecond))
			}
		}
		if i > 0 && o.output == "text" {
			fmt.Fprintln(o.out, "\n---")
		}
		if err := writeReport(o.out, res, o.output, wall); err != nil {
			return err
		}
	}
	return nil
}

// inputOrFailure maps invalid input to exit code 2 and a failure of the
// simulation itself (a rollsim bug) to 3.
func inputOrFailure(err error) error {
	if scenario.IsInputError(err) {
		return &exitError{code: 2, err: err}
	}
	if errors.Is(err, scenario.ErrInternal) {
		return &exitError{code: 3, err: err} // names the file and says it is a bug
	}
	return &exitError{code: 3, err: fmt.Errorf("simulation failed: %w", err)}
}
