package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rollsim/rollsim/sim/kube"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"rollsim": func() { os.Exit(execute(os.Args[1:])) },
	})
}

// TestCLI runs the testscript files in testdata/script: one behaviour of the CLI
// each (reports, exit codes, messages).
func TestCLI(t *testing.T) {
	scenarios, err := filepath.Abs("../../scenarios")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SCENARIOS", scenarios)
			// Scripts run in a temporary folder: point them at the envtest assets.
			if d, err := kube.FindEnvtestAssets(); err == nil {
				env.Setenv("KUBEBUILDER_ASSETS", d)
			}
			return nil
		},
		// [envtest]: the envtest backend is tested (always, unless ROLLSIM_ENVTEST=0
		// outside CI; a script then fails when the assets are missing).
		Condition: func(cond string) (bool, error) {
			if cond == "envtest" {
				return os.Getenv("ROLLSIM_ENVTEST") != "0" || os.Getenv("CI") != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// exit N cmd args...: run cmd and require exit code N.
			"exit": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exit CODE command [args...]")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("exit: bad code %q", args[0])
				}
				err = ts.Exec(args[1], args[2:]...)
				got := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					got = ee.ExitCode()
				} else if err != nil {
					ts.Fatalf("exit: %v", err)
				}
				if got != want {
					ts.Fatalf("exit code %d, want %d", got, want)
				}
			},
		},
	})
}
