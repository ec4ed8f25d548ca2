package main

import (
	"github.com/spf13/cobra"

	"github.com/rollsim/rollsim/schema"
)

func newSchemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the Scenario document",
		Long: `Print the JSON Schema (draft 2020-12) of the kind: Scenario document, generated from
rollsim's Go types with every field's description. Editors that speak the YAML
language server validate and complete scenario files with it: put

  # yaml-language-server: $schema=https://raw.githubusercontent.com/rollsim/rollsim/main/schema/scenario.schema.json

(or a path to the printed file) above the Scenario document. The same file is
committed as schema/scenario.schema.json.`,
		Example: `  rollsim schema > scenario.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(schema.Scenario)
			return err
		},
	}
}
