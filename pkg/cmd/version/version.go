// Package version is `rigger version`.
package version

import (
	"fmt"

	"github.com/rigger-ci/rigger/pkg/cmd/factory"
	"github.com/rigger-ci/rigger/pkg/version"
	"github.com/spf13/cobra"
)

// NewCmd returns `rigger version`.
func NewCmd(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Rigger's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(f.IO.Out, "rigger %s\n", version.String())
			return err
		},
	}
}
