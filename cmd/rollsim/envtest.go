package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rollsim/rollsim/sim/kube"
)

// apiserverFlagHelp is the help text of --apiserver on every command that has it.
const apiserverFlagHelp = "API backend: memory (instant) or envtest (a real kube-apiserver and etcd, built by hack/envtest-assets.sh; one server for all files)"

// checkAPIServer validates the --apiserver flag.
func checkAPIServer(v string) error {
	switch v {
	case "memory", "envtest":
		return nil
	}
	return usageError("--apiserver %q: want memory or envtest", v)
}

// startAPIServer starts the envtest server when asked for (nil for memory) and
// returns a stop function to defer. An interrupt stops the server before the
// process exits, so that no etcd or kube-apiserver outlives rollsim.
func startAPIServer(v string) (*kube.Envtest, func(), error) {
	if v != "envtest" {
		return nil, func() {}, nil
	}
	env, err := kube.StartEnvtest(kube.EnvtestOptions{})
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
