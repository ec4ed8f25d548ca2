package main

import (
	"github.com/spf13/cobra"
)

// completeScenarioFiles completes scenario (and manifest) files: the shell
// offers *.yaml and *.yml files and folders. Cobra's own `completion` command
// writes the bash, zsh, fish and PowerShell scripts that call it.
func completeScenarioFiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return []cobra.Completion{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
}

// completeFirstScenarioFile completes the FILE of commands that take one
// scenario file and then something else (query FILE PROMQL).
func completeFirstScenarioFile(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return completeScenarioFiles(cmd, args, toComplete)
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}
