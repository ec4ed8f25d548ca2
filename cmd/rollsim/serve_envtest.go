package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rollsim/rollsim/sim/kube"
	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
)

// serveEnvtest is `rollsim serve FILE --apiserver envtest`: the scenario runs on a
// real API server that stays up, a step of virtual time at a time. The user steps
// the clock on stdin ("step 1m", or just "1m") or with POST /rollsim/step?by=1m on
// the loopback listener, which also serves the run's Prometheus HTTP API; kubectl
// looks at the objects with the kubeconfig written at start.
type serveEnvtest struct {
	o          *serveOptions
	in         io.Reader // stdin
	kubeconfig string
}

func (s *serveEnvtest) run(ctx context.Context, input *scenario.Input) error {
	env, stop, err := startAPIServer("envtest", os.Stderr)
	if err != nil {
		return err
	}
	defer stop()
	opts := sim.Options{Envtest: env}
	if s.o.seedSet {
		opts.Seed = &s.o.seed
	}
	st, err := sim.Start(ctx, input, opts)
	if err != nil {
		return inputOrFailure(err)
	}
	kc, cleanup, err := s.writeKubeconfig(env)
	if err != nil {
		return err
	}
	defer cleanup()
	ln, err := net.Listen("tcp", s.o.listen)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	sess := &serveSession{s: s, ctx: ctx, st: st, line: func() (string, error) { return s.status(ctx, st) }}
	srv := &http.Server{Handler: sess.handler(), ReadHeaderTimeout: 10 * time.Second}
	addr := ln.Addr().String()
	if err := sess.banner(input, env, kc, addr); err != nil {
		return err
	}
	if s.o.ready != nil {
		s.o.ready(addr)
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if s.in != nil {
		go s.readCommands(sess.step, sess.status, errc)
	}
	var runErr error
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, io.EOF) {
			runErr = err
		}
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut)
	return runErr
}

// writeKubeconfig writes the server's kubeconfig to --kubeconfig, or to a
// temporary file that cleanup removes.
func (s *serveEnvtest) writeKubeconfig(env *kube.Envtest) (path string, cleanup func(), err error) {
	path, cleanup = s.kubeconfig, func() {}
	if path == "" {
		dir, err := os.MkdirTemp("", "rollsim-serve-")
		if err != nil {
			return "", nil, err
		}
		path, cleanup = filepath.Join(dir, "kubeconfig"), func() { os.RemoveAll(dir) }
	}
	if err := env.WriteKubeconfig(path); err != nil {
		cleanup()
		return "", nil, err
	}
	return path, cleanup, nil
}

// stepper is the run that serve steps through virtual time (sim's).
type stepper interface {
	Advance(ctx context.Context, d time.Duration) error
	Namespace() string
	PrometheusAPI(timeout time.Duration, maxConcurrency int) http.Handler
}

// serveSession is one served run, stepped one request at a time from stdin
// or HTTP; line is its status line (serveEnvtest.status).
type serveSession struct {
	s    *serveEnvtest
	ctx  context.Context
	st   stepper
	line func() (string, error)
	mu   sync.Mutex
}

// step advances the clock by d and returns the status line.
func (x *serveSession) step(d time.Duration) (string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.st.Advance(x.ctx, d); err != nil {
		return "", err
	}
	return x.line()
}

// status returns the status line.
func (x *serveSession) status() (string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.line()
}

// handler serves POST /rollsim/step?by=D, GET /rollsim/status and the run's
// Prometheus HTTP API.
func (x *serveSession) handler() http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, line string, err error) {
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"status": line})
	}
	mux.HandleFunc("/rollsim/step", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST /rollsim/step?by=DURATION", http.StatusMethodNotAllowed)
			return
		}
		d, err := time.ParseDuration(r.URL.Query().Get("by"))
		if err != nil || d <= 0 {
			http.Error(w, "by: want a positive duration such as 1m", http.StatusBadRequest)
			return
		}
		line, err := x.step(d)
		reply(w, line, err)
	})
	mux.HandleFunc("/rollsim/status", func(w http.ResponseWriter, r *http.Request) {
		line, err := x.status()
		reply(w, line, err)
	})
	mux.Handle("/", x.st.PrometheusAPI(x.s.o.queryTimeout, x.s.o.maxConcurrency))
	return mux
}

// banner prints how to reach the server and the first status line.
func (x *serveSession) banner(input *scenario.Input, env *kube.Envtest, kc, addr string) error {
	line, err := x.status()
	if err != nil {
		return err
	}
	out := x.s.o.out
	fmt.Fprintf(out, "Scenario %s on a real API server (envtest), started in %v\n", input.Scenario.Metadata.Name, env.StartTime.Round(time.Millisecond))
	fmt.Fprintf(out, "  kubectl --kubeconfig %s -n %s get rollouts,analysisruns,experiments,replicasets,jobs,pods\n", kc, x.st.Namespace())
	fmt.Fprintf(out, "  Prometheus HTTP API: http://%s/api/v1/query\n", addr)
	fmt.Fprintf(out, "  step the clock: type 'step 1m' (or '1m'), or: curl -X POST 'http://%s/rollsim/step?by=1m'\n", addr)
	fmt.Fprintln(out, line)
	return nil
}

// readCommands steps the clock from stdin lines: "step 1m", "--step 1m", "1m";
// "status"; "quit". End of input leaves the server up until Ctrl-C.
func (s *serveEnvtest) readCommands(step func(time.Duration) (string, error), status func() (string, error), errc chan<- error) {
	sc := bufio.NewScanner(s.in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 && (f[0] == "step" || f[0] == "--step") {
			f = f[1:]
		}
		switch {
		case len(f) == 0:
			continue
		case f[0] == "quit" || f[0] == "exit":
			errc <- io.EOF
			return
		case f[0] == "status":
			line, err := status()
			if err != nil {
				fmt.Fprintln(s.o.out, "error:", err)
				continue
			}
			fmt.Fprintln(s.o.out, line)
			continue
		}
		d, err := time.ParseDuration(f[0])
		if err != nil || d <= 0 {
			fmt.Fprintf(s.o.out, "%q: want 'step DURATION' (e.g. step 30s), 'status' or 'quit'\n", sc.Text())
			continue
		}
		line, err := step(d)
		if err != nil {
			errc <- err
			return
		}
		fmt.Fprintln(s.o.out, line)
	}
}

// status is one line: the virtual time, the rollout's phase, step and message,
// the AnalysisRuns by phase, and the verdict once decided.
func (s *serveEnvtest) status(ctx context.Context, st *sim.Session) (string, error) {
	res, err := st.Result(ctx)
	if err != nil {
		return "", err
	}
	ro := res.Rollout
	var b strings.Builder
	if ro == nil {
		fmt.Fprintf(&b, "t=%v: %s", st.Now(), reports.Waiting(res))
		return b.String(), nil
	}
	fmt.Fprintf(&b, "t=%v: Rollout %s %s", st.Now(), ro.Name, orDash(string(ro.Status.Phase)))
	if c := ro.Spec.Strategy.Canary; c != nil && ro.Status.CurrentStepIndex != nil {
		fmt.Fprintf(&b, ", step %d/%d", *ro.Status.CurrentStepIndex, len(c.Steps))
	}
	if ro.Status.Message != "" {
		fmt.Fprintf(&b, " (%s)", ro.Status.Message)
	}
	if len(res.AnalysisRuns) > 0 {
		b.WriteString("; AnalysisRuns:")
		for _, r := range res.AnalysisRuns {
			fmt.Fprintf(&b, " %s=%s", r.Name, orDash(string(r.Status.Phase)))
		}
	}
	if res.Verdict == scenario.Promoted || res.Verdict == scenario.Aborted {
		fmt.Fprintf(&b, "; verdict: %s", reports.Summary(res))
	}
	return b.String(), nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
