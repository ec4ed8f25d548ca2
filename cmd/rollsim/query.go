package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/spf13/cobra"

	"github.com/rollsim/rollsim/promfake"
	"github.com/rollsim/rollsim/sim"
)

type queryOptions struct {
	file    string
	query   string
	at      time.Duration
	atSet   bool
	rng     string
	from    time.Duration
	to      time.Duration
	step    time.Duration
	output  string
	seed    int64
	seedSet bool
	out     io.Writer
	errOut  io.Writer
}

func newQueryCommand() *cobra.Command {
	o := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "query FILE PROMQL",
		Short: "Evaluate PromQL over a scenario's synthetic series",
		Long: `Run the scenario's world (pods, traffic, scrapes; spec.series) up to the time asked
and evaluate a PromQL query against its embedded Prometheus, with the upstream engine.
Times are offsets from the update (t=0); the warmup lies before it. The result prints
as promtool prints it ('metric{labels} => value @[unix time]'); with -o json, as the
'data' object of the Prometheus HTTP API ({"resultType": ..., "result": ...}).`,
		Example: `  # The seed's success rate 5 minutes after the update
  rollsim query scenarios/inline-analysis-abort.yaml --at 5m \
    'sum(irate(envoy_cluster_upstream_rq_xx{envoy_response_code_class="2"}[1m])) / sum(irate(envoy_cluster_upstream_rq_xx[1m]))'

  # One point a minute over the first half hour, as JSON
  rollsim query scenarios/inline-analysis-abort.yaml --range 0:30m --step 1m -o json \
    'sum(rate(envoy_cluster_upstream_rq_total[1m]))'`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeFirstScenarioFile,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Complete(cmd, args)
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().DurationVar(&o.at, "at", 0, "evaluate an instant query at this offset from the update (default 0s)")
	cmd.Flags().StringVar(&o.rng, "range", "", "evaluate a range query over FROM:TO (offsets from the update, e.g. 0:30m or -15m:10m)")
	cmd.Flags().DurationVar(&o.step, "step", time.Minute, "resolution of a --range query")
	queryFormats.addFlag(cmd, &o.output, "output", "o", "text", "result format")
	cmd.Flags().Int64Var(&o.seed, "seed", 0, "random seed for traffic noise (default: the scenario's spec.seed)")
	return cmd
}

// Complete fills the options from the command line.
func (o *queryOptions) Complete(cmd *cobra.Command, args []string) {
	o.file, o.query = args[0], args[1]
	o.atSet = cmd.Flags().Changed("at")
	o.seedSet = cmd.Flags().Changed("seed")
	o.out, o.errOut = cmd.OutOrStdout(), cmd.ErrOrStderr()
}

// Validate rejects bad flags before anything runs.
func (o *queryOptions) Validate() error {
	if err := queryFormats.check("--output", o.output); err != nil {
		return err
	}
	if o.rng == "" {
		return nil
	}
	if o.atSet {
		return usageError("--at and --range exclude each other")
	}
	from, to, ok := strings.Cut(o.rng, ":")
	if !ok {
		return usageError("--range %q: want FROM:TO, e.g. 0:30m", o.rng)
	}
	var err error
	if o.from, err = parseOffset(from); err != nil {
		return usageError("--range %q: %v", o.rng, err)
	}
	if o.to, err = parseOffset(to); err != nil {
		return usageError("--range %q: %v", o.rng, err)
	}
	if o.to < o.from {
		return usageError("--range %q: the end is before the start", o.rng)
	}
	if o.step <= 0 {
		return usageError("--step must be positive")
	}
	if (o.to-o.from)/o.step > 11000 {
		return usageError("--range %q with --step %s: more than 11,000 points; raise --step", o.rng, o.step)
	}
	return nil
}

func parseOffset(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid offset %q (want e.g. 0, 5m, -15m)", s)
	}
	return d, nil
}

// Run evaluates the query.
func (o *queryOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	in, err := scenario.Load(o.file)
	if err != nil {
		return inputOrFailure(err)
	}
	opts := sim.Options{}
	if o.seedSet {
		opts.Seed = &o.seed
	}
	horizon := o.at
	if o.rng != "" {
		horizon = o.to
	}
	set, err := sim.Series(ctx, in, opts, horizon)
	if err != nil {
		return inputOrFailure(err)
	}
	var res promfake.Result
	if o.rng != "" {
		res, err = set.Engine.Range(ctx, set.Store, o.query, set.At(o.from), set.At(o.to), o.step)
	} else {
		res, err = set.Engine.Instant(ctx, set.Store, o.query, set.At(o.at))
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(o.errOut, "warning:", w)
	}
	for _, i := range res.Infos {
		fmt.Fprintln(o.errOut, "info:", i)
	}
	if err != nil {
		return usageError("query: %v", err)
	}
	if o.output == "json" {
		b, err := promfake.QueryDataJSON(res.Value)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(o.out, "%s\n", b)
		return err
	}
	if s := promfake.ToModel(res.Value).String(); s != "" {
		_, err = fmt.Fprintln(o.out, s)
	}
	return err
}
