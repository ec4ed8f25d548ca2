package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"
// (hack/build.sh does, from ROLLSIM_VERSION); empty: from the build info.
var version = ""

// buildVersion says which rollsim this is: the -X version, else the module
// version (go install ...@v1.2.3), else the VCS revision the binary was built
// from (with "-dirty" for uncommitted changes), else "(devel)".
func buildVersion(bi *debug.BuildInfo, ok bool) string {
	if version != "" {
		return version
	}
	if !ok {
		return "(devel)"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		return "(devel) revision " + rev + dirty
	}
	return "(devel)"
}

// modelledLine says which controller versions the engine models.
func modelledLine() string {
	names := make([]string, len(modelledVersions))
	for i, v := range modelledVersions {
		names[i] = v.String()
	}
	names[0] += " (default)"
	return "models Argo Rollouts " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the rollsim version and the controller versions it models",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi, ok := debug.ReadBuildInfo()
			goVersion := ""
			if ok {
				goVersion = ", " + bi.GoVersion
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "rollsim %s%s\n%s\n", buildVersion(bi, ok), goVersion, modelledLine())
			return err
		},
	}
}
