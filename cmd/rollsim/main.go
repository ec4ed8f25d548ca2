// Command rollsim simulates Argo Rollouts offline: it runs a Rollout and its
// analysis against synthetic Prometheus series on a virtual clock and reports
// whether the rollout would have promoted or aborted, when and why.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// exitError carries the process exit code: 1 for failed expectations, 2 for
// invalid input.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

func newRootCommand() *cobra.Command {
	var verbose bool
	root := &cobra.Command{
		Use:   "rollsim",
		Short: "Simulate Argo Rollouts canaries and their analysis offline",
		Long: `rollsim runs your Rollout, AnalysisTemplates and a traffic scenario on a virtual
clock, with the rollout and analysis logic of the Argo Rollouts controller and an
embedded Prometheus fed synthetic Envoy Gateway series, and tells whether the
rollout would have been promoted or aborted, when, and why.`,
		Example: `  # Shell completion (flag values and scenario files too), e.g. for bash:
  source <(rollsim completion bash)`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(*cobra.Command, []string) {
			setupLogs(verbose)
		},
	}
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "let the libraries (controller-runtime, client-go, envtest) log on stderr")
	root.AddCommand(newRunCommand(), newTestCommand(), newQueryCommand(), newServeCommand(), newTuneCommand(), newLintCommand(),
		newSchemaCommand(), newVersionCommand())
	return root
}

func main() {
	os.Exit(execute(os.Args[1:]))
}

// execute runs the CLI and returns the exit code.
func execute(args []string) int {
	root := newRootCommand()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(os.Stderr, "rollsim:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "rollsim:", err)
	// Cobra's own errors (unknown flag, wrong arguments) are usage errors.
	return 2
}
