package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/spf13/cobra"

	"github.com/rollsim/rollsim/promfake"
	"github.com/rollsim/rollsim/sim"
)

type serveOptions struct {
	file     string
	listen   string
	until    time.Duration
	untilSet bool
	seed     int64
	seedSet  bool
	out      io.Writer
	// apiserver and kubeconfig: serve_envtest.go.
	apiserver  string
	kubeconfig string
	// queryTimeout and maxConcurrency bound queries as Prometheus' flags do.
	queryTimeout   time.Duration
	maxConcurrency int
	// ready, when set, receives the listening address (tests).
	ready func(addr string)
}

func newServeCommand() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve FILE",
		Short: "Serve a scenario's synthetic series over the Prometheus HTTP API",
		Long: `Run the scenario's world (pods, traffic, scrapes; spec.series) up to its until (or
--until) and serve the series on loopback through the Prometheus HTTP API
(/api/v1/query, query_range, series, labels, label/<name>/values, and the status
endpoints Grafana's "Save & test" calls), so that curl, client libraries and Grafana
can explore them. Queries are bounded as on a Prometheus server: --query.timeout,
--query.max-concurrency, at most 5,000,000 samples in memory, 1,000,000 steps per
subquery, 64 KiB per query. Sample times are the scenario's
absolute clock (spec.startTime, default 2025-01-01T00:00:00Z, is the update); a query
without a time is evaluated at the end of the series. Stop with Ctrl-C.`,
		Example: `  # Serve the seed's inline case on a free port, then query it with curl
  rollsim serve scenarios/inline-analysis-abort.yaml --listen 127.0.0.1:9090
  curl 'http://127.0.0.1:9090/api/v1/query?query=envoy_cluster_upstream_rq_total&time=2025-01-01T00:05:00Z'`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeScenarioFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Complete(cmd, args)
			if err := o.Validate(); err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			return o.Run(ctx)
		},
	}
	cmd.Flags().StringVar(&o.listen, "listen", "127.0.0.1:9090", "loopback address to listen on (port 0 picks a free one)")
	cmd.Flags().DurationVar(&o.until, "until", 0, "generate series up to this offset from the update (default: the scenario's until)")
	cmd.Flags().Int64Var(&o.seed, "seed", 0, "random seed for traffic noise (default: the scenario's spec.seed)")
	cmd.Flags().DurationVar(&o.queryTimeout, "query.timeout", promfake.DefaultQueryTimeout, "maximum time a query may take before it is aborted (as Prometheus' --query.timeout)")
	cmd.Flags().IntVar(&o.maxConcurrency, "query.max-concurrency", promfake.DefaultMaxConcurrency, "maximum number of queries evaluated at once; others wait in a queue (as Prometheus' --query.max-concurrency)")
	cmd.Flags().StringVar(&o.apiserver, "apiserver", "memory", "memory: serve the series only; envtest: also run the scenario step by step on a real API server for kubectl (step with 'step 1m' on stdin or POST /rollsim/step?by=1m)")
	cmd.Flags().StringVar(&o.kubeconfig, "kubeconfig", "", "with --apiserver envtest: write the server's kubeconfig here (default: a temporary file, printed)")
	_ = cmd.RegisterFlagCompletionFunc("apiserver", apiServers.complete)
	return cmd
}

// Complete fills the options from the command line (the body is complete).
func (o *serveOptions) Complete(cmd *cobra.Command, args []string) { o.complete(cmd, args) }

// Validate rejects bad flags before anything runs (the body is validate).
func (o *serveOptions) Validate() error { return o.validate() }

// Run serves the scenario until interrupted (the body is run).
func (o *serveOptions) Run(ctx context.Context) error { return o.run(ctx) }

func (o *serveOptions) complete(cmd *cobra.Command, args []string) {
	o.file = args[0]
	o.untilSet = cmd.Flags().Changed("until")
	o.seedSet = cmd.Flags().Changed("seed")
	o.out = cmd.OutOrStdout()
}

func (o *serveOptions) validate() error {
	host, _, err := net.SplitHostPort(o.listen)
	if err != nil {
		return usageError("--listen %q: %v", o.listen, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageError("--listen %q: only loopback addresses (127.0.0.1, ::1, localhost) are served", o.listen)
	}
	if o.queryTimeout < 0 { // zero: the default
		return usageError("--query.timeout must not be negative")
	}
	if o.maxConcurrency < 0 {
		return usageError("--query.max-concurrency must not be negative")
	}
	if o.untilSet && o.until <= 0 {
		return usageError("--until must be positive")
	}
	if o.apiserver == "" {
		o.apiserver = "memory"
	}
	return checkAPIServer(o.apiserver)
}

// api is the Prometheus HTTP API with the query bounds of the flags.
func (o *serveOptions) api(e *promfake.Engine, s *promfake.Store, now func() time.Time) *promfake.API {
	return &promfake.API{Engine: e, Store: s, Now: now, Timeout: o.queryTimeout, MaxConcurrency: o.maxConcurrency}
}

func (o *serveOptions) run(ctx context.Context) error {
	in, err := scenario.Load(o.file)
	if err != nil {
		return inputOrFailure(err)
	}
	if o.apiserver == "envtest" {
		return (&serveEnvtest{o: o, in: os.Stdin, kubeconfig: o.kubeconfig}).run(ctx, in)
	}
	opts := sim.Options{}
	if o.seedSet {
		opts.Seed = &o.seed
	}
	horizon := o.until
	if !o.untilSet {
		// spec.until, 3h by default, or where spec.recorded ends.
		horizon = in.Settings().Until
	}
	set, err := sim.Series(ctx, in, opts, horizon)
	if err != nil {
		return inputOrFailure(err)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	end := set.To
	srv := &http.Server{
		Handler:           o.api(set.Engine, set.Store, func() time.Time { return end }),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    promfake.MaxRequestBytes,
	}
	addr := ln.Addr().String()
	fmt.Fprintf(o.out, "Serving the series of scenario %s at http://%s (Prometheus HTTP API)\n", in.Scenario.Metadata.Name, addr)
	fmt.Fprintf(o.out, "t=0 (the update) is %s; samples from %s to %s; %d samples\n",
		set.Start.Format(time.RFC3339), set.From.Format(time.RFC3339), set.To.Format(time.RFC3339), set.Store.NumSamples())
	if o.ready != nil {
		o.ready(addr)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}
