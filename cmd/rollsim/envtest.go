package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rollsim/rollsim/sim/kube"
)

// addAPIServerFlag adds --apiserver, the same on every command that has it.
func addAPIServerFlag(cmd *cobra.Command, v *string) {
	apiServers.addFlag(cmd, v, "apiserver", "", "memory", "API backend")
}

// checkAPIServer validates the --apiserver flag.
func checkAPIServer(v string) error { return apiServers.check("--apiserver", v) }

// startAPIServer starts the envtest server when asked for (nil for memory) and
// returns a stop function to defer. An interrupt stops the server before the
// process exits, so that no etcd or kube-apiserver outlives rollsim. On a
// terminal, stderr says that the server is starting (it takes seconds).
func startAPIServer(v string, stderr io.Writer) (*kube.Envtest, func(), error) {
	if v != "envtest" {
		return nil, func() {}, nil
	}
	tty := isTerminal(stderr)
	if tty {
		fmt.Fprint(stderr, "rollsim: starting the API server (kube-apiserver and etcd)...")
	}
	env, err := kube.StartEnvtest(kube.EnvtestOptions{})
	if tty {
		if err == nil {
			fmt.Fprintf(stderr, " up in %.1fs\n", env.StartTime.Seconds())
		} else {
			fmt.Fprintln(stderr)
		}
	}
	if err != nil {
		return nil, nil, &exitError{code: 3, err: err}
	}
	sig := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sig:
			_ = env.Stop()
			fmt.Fprintf(os.Stderr, "rollsim: %v: API server stopped\n", s)
			os.Exit(130)
		case <-done:
		}
	}()
	stop := func() {
		signal.Stop(sig)
		close(done)
		_ = env.Stop()
	}
	return env, stop, nil
}
