// Package root assembles the `rigger` command tree.
package root

import (
	"github.com/rigger-ci/rigger/pkg/cmd/factory"
	"github.com/rigger-ci/rigger/pkg/cmd/lint"
	runcmd "github.com/rigger-ci/rigger/pkg/cmd/run"
	"github.com/rigger-ci/rigger/pkg/cmd/serve"
	shardcmd "github.com/rigger-ci/rigger/pkg/cmd/shard"
	"github.com/rigger-ci/rigger/pkg/cmd/version"
	"github.com/spf13/cobra"
)

// NewCmd returns the root command with every subcommand.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rigger",
		Short: "Run a repository's .tekton pipelines on GitHub events, on Kubernetes or locally",
		// Errors are printed once, by main, with the exit code that says what kind they are.
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.AddCommand(serve.NewCmd(f), runcmd.NewCmd(f), lint.NewCmd(f), shardcmd.NewCmd(f), version.NewCmd(f))
	return cmd
}
