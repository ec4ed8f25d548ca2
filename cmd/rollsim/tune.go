package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/spf13/cobra"

	"github.com/rollsim/rollsim/reports/tuning"
	"github.com/rollsim/rollsim/sim/tune"
)

// tuneOutput is what tune and tune merge print, shared by both.
type tuneOutput struct {
	output        string
	outFile       string
	plotFile      string
	maxFalseAbort string
	objective     tune.Objective
	stdout        io.Writer
}

func (o *tuneOutput) addFlags(cmd *cobra.Command) {
	tuneFormats.addFlag(cmd, &o.output, "output", "o", "text", "output format")
	cmd.Flags().StringVar(&o.outFile, "out", "", "write the output to this file instead of stdout")
	cmd.Flags().StringVar(&o.plotFile, "plot", "", "also write a PNG plot (false aborts against detection time, one point per policy) to this file")
	cmd.Flags().StringVar(&o.maxFalseAbort, "max-false-abort", "5%", "the objective's bound on false aborts of the healthy case: a share (0.05) or percentage (5%)")
}

func (o *tuneOutput) validate() error {
	if err := tuneFormats.check("--output", o.output); err != nil {
		return err
	}
	s := strings.TrimSpace(o.maxFalseAbort)
	scale := 1.0
	if strings.HasSuffix(s, "%") {
		s, scale = strings.TrimSuffix(s, "%"), 0.01
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v*scale < 0 || v*scale > 1 {
		return usageError("--max-false-abort %q: want a share between 0 and 1 or a percentage such as 5%%", o.maxFalseAbort)
	}
	o.objective = tune.Objective{MaxFalseAbort: v * scale}
	return nil
}

// write renders the report to stdout or --out, and the plot to --plot.
func (o *tuneOutput) write(rep *tune.Report) error {
	var buf bytes.Buffer
	for _, f := range tuning.Formats {
		if f.Name == o.output {
			if err := f.Render(&buf, rep); err != nil {
				return err
			}
		}
	}
	if o.plotFile != "" {
		png, err := tuning.PNG(rep, tuning.DefaultSize[0], tuning.DefaultSize[1])
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.plotFile, png, 0o644); err != nil {
			return usageError("--plot: %v", err)
		}
	}
	return o.emit(buf.Bytes())
}

func (o *tuneOutput) emit(b []byte) error {
	if o.outFile != "" {
		if err := os.WriteFile(o.outFile, b, 0o644); err != nil {
			return usageError("--out: %v", err)
		}
		return nil
	}
	_, err := o.stdout.Write(b)
	return err
}

type tuneOptions struct {
	tuneOutput
	file     string
	vary     []string
	degrade  []string
	runs     int
	metric   string
	seed     int64
	seedSet  bool
	shard    string
	parallel int
	progress string
	windows  int
	every    time.Duration
	stderr   io.Writer

	spec     tune.Spec
	shardArg tune.Shard
	input    *scenario.Input
}

func newTuneCommand() *cobra.Command {
	o := &tuneOptions{}
	cmd := &cobra.Command{
		Use:   "tune FILE --vary KEY=V1,V2,... [--degrade canary.errorRate=V1,V2@TIME] [--runs N]",
		Short: "Find the analysis policy that catches bad canaries without aborting good ones",
		Long: `Run the scenario many times, seeded, for every combination of the values given with
--vary: once as written (the healthy case) and once per --degrade value (the canary's
5xx rate from the update, or from @TIME). For every policy it prints the share of
healthy canaries aborted (false aborts), the share of degraded canaries promoted
(misses), the time to detect each degradation (median and p90, a missed run counting
as never) and the healthy rollout time; rates carry 95% Wilson intervals. Rows are
sorted by the objective (false aborts at most --max-false-abort, then fastest
detection, then fewest misses); * marks the Pareto front; the last line recommends.

--vary keys set a field of the metric (--metric, needed when the templates have
several): failureLimit, interval, count, consecutiveErrorLimit, inconclusiveLimit,
consecutiveSuccessLimit, initialDelay. threshold (or args.NAME) sets a template
argument: mark the threshold in the condition as an ordinary Argo argument,
successCondition: result[0] >= {{args.threshold}}, declared in the template's args
with its production value; the Rollout's value for it, if any, is overridden too.

Backtest: with spec.recorded, --windows N (evenly spaced) or --every DURATION slides
t=0 across the recording, so that each policy meets the recorded traffic of many
moments: the healthy case replays the recording alone (false aborts on real noise),
each --degrade adds a synthetic canary on top of it (misses, time to detect). Each
window needs the queries' longest window of recording before its t=0 and the
rollout's length after it; rates are over windows × --runs.

Run i of every case uses the same seed, derived from --seed and i, so the results do
not depend on --parallel or on sharding. --shard K/N runs shard K (0-based) of N and
writes its partial results as JSON; 'rollsim tune merge' combines the parts into the
table one run would print. Exit code 2 on invalid input.`,
		Example: `  # How failureLimit and interval trade false aborts against detection time
  rollsim tune scenarios/tune-background.yaml --vary failureLimit=0,1,2,3 --vary interval=30s,1m,2m \
    --degrade canary.errorRate=0.05,0.2@10m --runs 200

  # Sweep the condition's threshold ({{args.threshold}} in the template) too; JSON and a plot
  rollsim tune scenarios/tune-background.yaml --vary failureLimit=1,2 --vary threshold=0.98,0.99 \
    --degrade canary.errorRate=0.05 -o json --plot tune.png

  # Backtest on a recording: one window every 30m, a synthetic 5% canary on top of it
  rollsim tune scenarios/replay-backtest.yaml --vary failureLimit=0,1,2 --every 30m \
    --degrade canary.errorRate=0.05 --runs 1

  # One shard of four (e.g. a Kubernetes Indexed Job), then merge
  rollsim tune scenarios/tune-background.yaml --vary failureLimit=0,1,2 --shard 0/4 --out part-0.json
  rollsim tune merge part-*.json -o html --out tune.html`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeScenarioFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Complete(cmd, args)
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringArrayVar(&o.vary, "vary", nil, "KEY=V1,V2,...: values of a policy field to sweep (repeatable; keys: "+tune.KnownKeys+")")
	cmd.Flags().StringArrayVar(&o.degrade, "degrade", nil, "canary.errorRate=V1,V2,...: degraded canaries to test, each value optionally @TIME after the update (repeatable)")
	cmd.Flags().IntVar(&o.runs, "runs", 100, "seeded runs of each case of each policy")
	cmd.Flags().StringVar(&o.metric, "metric", "", "the metric whose fields --vary sets (default: the only one)")
	cmd.Flags().Int64Var(&o.seed, "seed", 0, "base seed (default: the scenario's spec.seed)")
	cmd.Flags().StringVar(&o.shard, "shard", "", "K/N: run only shard K (0-based, as JOB_COMPLETION_INDEX) of N and write partial results as JSON")
	cmd.Flags().IntVar(&o.parallel, "parallel", 0, "runs at once (default: one per CPU)")
	progressModes.addFlag(cmd, &o.progress, "progress", "", "auto", "progress bar on stderr")
	cmd.Flags().IntVar(&o.windows, "windows", 0, "backtest: slide t=0 across the scenario's spec.recorded, N windows evenly spaced (--runs runs each)")
	cmd.Flags().DurationVar(&o.every, "every", 0, "backtest: slide t=0 across the scenario's spec.recorded, one window every DURATION (e.g. 1h)")
	cmd.AddCommand(newTuneMergeCommand())
	return cmd
}

// Complete fills the options from the command line.
func (o *tuneOptions) Complete(cmd *cobra.Command, args []string) {
	o.file = args[0]
	o.seedSet = cmd.Flags().Changed("seed")
	o.stdout = cmd.OutOrStdout()
	o.stderr = cmd.ErrOrStderr()
}

// Validate checks the flags and loads the scenario (a sweep of an invalid
// scenario never starts).
func (o *tuneOptions) Validate() error {
	if err := o.tuneOutput.validate(); err != nil {
		return err
	}
	if o.runs < 1 {
		return usageError("--runs %d: want at least 1", o.runs)
	}
	if o.parallel < 0 {
		return usageError("--parallel %d: want 0 (one per CPU) or more", o.parallel)
	}
	if err := progressModes.check("--progress", o.progress); err != nil {
		return err
	}
	for _, v := range o.vary {
		pv, err := tune.ParseVary(v)
		if err != nil {
			return usageError("--vary %s: %v", v, err)
		}
		o.spec.Vary = append(o.spec.Vary, pv)
	}
	for _, d := range o.degrade {
		ds, err := tune.ParseDegrade(d)
		if err != nil {
			return usageError("--degrade %s: %v", d, err)
		}
		o.spec.Degrade = append(o.spec.Degrade, ds...)
	}
	if o.shard != "" {
		s, err := tune.ParseShard(o.shard)
		if err != nil {
			return usageError("--shard: %v", err)
		}
		o.shardArg = s
		if o.output != "text" || o.plotFile != "" {
			return usageError("--shard writes partial results as JSON; render the merged parts with 'rollsim tune merge' (-o, --plot)")
		}
	}
	data, err := scenario.ReadFile(o.file)
	if err != nil {
		return usageError("%s: %v", o.file, err)
	}
	in, err := scenario.LoadData(o.file, data)
	if err != nil {
		return inputOrFailure(err)
	}
	o.input = in
	if o.windows != 0 || o.every != 0 {
		if o.windows != 0 && o.every != 0 {
			return usageError("--windows and --every: give one")
		}
		if o.windows < 0 || o.every < 0 {
			return usageError("--windows and --every must be positive")
		}
		ws, span, err := tune.BacktestWindows(in, o.windows, o.every)
		if err != nil {
			return tuneError(err)
		}
		o.spec.Windows, o.spec.WindowLength, o.spec.WindowEvery = ws, span.Length, o.every
		if o.runs > 1 && !in.SyntheticTraffic() {
			fmt.Fprintf(o.stderr, "warning: the healthy case replays the recording alone, which draws nothing at random: its %d runs per window are identical, "+
				"and the false-abort interval counts them as %d trials each; --runs 1 counts each window once (runs matter for the synthetic canary of --degrade)\n", o.runs, o.runs)
		}
	}
	if rec := in.Recorded(); rec != nil {
		for i, s := range rec.Summaries {
			o.spec.Recordings = append(o.spec.Recordings, fmt.Sprintf("%s: %s, %d series, %d samples, %s to %s",
				in.Scenario.Spec.Recorded[i].File, s.Format, s.Series, s.Samples, s.MinTime.Format(time.RFC3339), s.MaxTime.Format(time.RFC3339)))
		}
	}
	sum := sha256.Sum256(data)
	o.spec.Scenario = in.Scenario.Metadata.Name
	o.spec.File = o.file
	o.spec.Digest = hex.EncodeToString(sum[:])
	o.spec.Metric = o.metric
	o.spec.Runs = o.runs
	o.spec.Seed = 1
	if in.Scenario.Spec.Seed != nil {
		o.spec.Seed = *in.Scenario.Spec.Seed
	}
	if o.seedSet {
		o.spec.Seed = o.seed
	}
	return nil
}

// tuneError maps the tune package's errors to exit codes.
func tuneError(err error) error {
	var fe *tune.FlagError
	if errors.As(err, &fe) {
		return &exitError{code: 2, err: err}
	}
	if scenario.IsInputError(err) {
		return &exitError{code: 2, err: err}
	}
	if errors.Is(err, context.Canceled) {
		return &exitError{code: 130, err: err}
	}
	return &exitError{code: 3, err: fmt.Errorf("simulation failed: %w", err)}
}

// Run runs the sweep (or its shard) and prints the table.
func (o *tuneOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	plan, err := tune.NewPlan(o.input, o.spec)
	if err != nil {
		return tuneError(err)
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(tune.GCPercent(o.input)))
	}
	bar := newProgressBar(o.stderr, o.progress, "runs")
	part, err := plan.Run(ctx, tune.RunOptions{Parallel: o.parallel, Shard: o.shardArg, Progress: bar.update})
	bar.finish()
	if err != nil {
		return tuneError(err)
	}
	if o.shard != "" {
		b, err := json.Marshal(part)
		if err != nil {
			return err
		}
		return o.emit(append(b, '\n'))
	}
	rep, err := tune.Summarize(part, o.objective)
	if err != nil {
		return err
	}
	return o.write(rep)
}

type tuneMergeOptions struct {
	tuneOutput
	parts []string
}

func newTuneMergeCommand() *cobra.Command {
	o := &tuneMergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge PART...",
		Short: "Combine the partial results of 'rollsim tune --shard' into one table",
		Long: `Read the partial results written by 'rollsim tune --shard K/N' (every shard of one
sweep, each once) and print the table a single unsharded run would print. Exit code 2
when a part is missing, repeated or from a different sweep.`,
		Example: `  rollsim tune merge part-0.json part-1.json part-2.json part-3.json
  rollsim tune merge parts/*.json -o json --plot tune.png`,
		Args: cobra.MinimumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []cobra.Completion{"json"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Complete(cmd, args)
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	o.addFlags(cmd)
	return cmd
}

// Complete fills the options from the command line.
func (o *tuneMergeOptions) Complete(cmd *cobra.Command, args []string) {
	o.parts, o.stdout = args, cmd.OutOrStdout()
}

// Validate rejects bad flags before anything is read.
func (o *tuneMergeOptions) Validate() error { return o.tuneOutput.validate() }

// Run merges the parts and prints the table.
func (o *tuneMergeOptions) Run() error {
	var parts []*tune.Part
	for _, f := range o.parts {
		data, err := scenario.ReadFileLimit(f, 1<<30) // bounded; devices refused
		if err != nil {
			return usageError("%s: %v", f, err)
		}
		var p tune.Part
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return usageError("%s: not a rollsim tune partial result: %v", f, err)
		}
		parts = append(parts, &p)
	}
	merged, err := tune.Merge(parts...)
	if err != nil {
		return usageError("%v (parts: %s)", err, strings.Join(o.parts, ", "))
	}
	rep, err := tune.Summarize(merged, o.objective)
	if err != nil {
		return usageError("%v", err)
	}
	return o.write(rep)
}
