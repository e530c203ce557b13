// Package lint is `rigger lint`: check every .tekton definition of a checkout the way Rigger
// reads it on an event, and print each problem as file:line: message.
package lint

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rigger-ci/rigger/pkg/cmd/exitcode"
	"github.com/rigger-ci/rigger/pkg/cmd/factory"
	runcmd "github.com/rigger-ci/rigger/pkg/cmd/run"
	"github.com/rigger-ci/rigger/pkg/definition"
	"github.com/rigger-ci/rigger/pkg/event"
)

// NewCmd returns `rigger lint`.
func NewCmd(f *factory.Factory) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Check a checkout's .tekton definitions",
		Long: `Check every .tekton definition of the checkout in --dir: YAML, Tekton's defaulting and
validation (with in-repo Pipeline and Task references inlined), that every required param
has a value, and that every on-cel-expression and on-comment compiles. Template variables are filled as for a pull request of the current branch.

Each problem is printed as file:line: message; ignored documents are printed as warnings.
Exit status: 0 when every definition is valid, 1 otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return lint(cmd.Context(), f, dir)
		},
	}
	cmd.Flags().StringVarP(&dir, "dir", "C", ".", "lint the checkout of this directory")
	return cmd
}

func lint(ctx context.Context, f *factory.Factory, dir string) error {
	c, err := runcmd.OpenCheckout(ctx, dir)
	if err != nil {
		return &exitcode.Error{Code: exitcode.Usage, Err: err}
	}
	ev, err := c.Event(runcmd.EventOptions{Kind: event.KindPullRequest})
	if err != nil {
		return &exitcode.Error{Code: exitcode.Usage, Err: err}
	}
	files, set, err := runcmd.Load(ctx, c, c.Vars(ev))
	if err != nil {
		return &exitcode.Error{Code: exitcode.Usage, Err: err}
	}
	errs := append(definition.Errors{}, set.Errors...)
	errs = append(errs, runcmd.CheckParams(ctx, set.Definitions)...)
	matchErrs, matchWarnings := checkMatching(files, set.Definitions)
	errs = append(errs, matchErrs...)

	out := f.IO.Out
	for _, n := range set.Notes {
		fmt.Fprintln(out, warning(n))
	}
	for _, w := range matchWarnings {
		fmt.Fprintln(out, w)
	}
	for _, d := range set.Definitions {
		for _, n := range d.Notes {
			if strings.Contains(n, "warning: ") {
				fmt.Fprintln(out, n)
			}
		}
	}
	for _, e := range errs {
		fmt.Fprintln(out, e.Error())
	}
	if len(errs) > 0 {
		return &exitcode.Error{Code: exitcode.Failed, Err: fmt.Errorf("%d error(s) in %s/", len(errs), definition.Dir)}
	}
	if len(files.Files) == 0 {
		fmt.Fprintf(out, "OK: no definition files in %s/%s/\n", c.Root, definition.Dir)
		return nil
	}
	fmt.Fprintf(out, "OK: %d PipelineRun(s), %d Pipeline(s), %d Task(s) in %d file(s) of %s/%s/\n",
		len(set.Definitions), len(set.Pipelines), len(set.Tasks), len(files.Files), c.Root, definition.Dir)
	return nil
}

// warning makes "file:line: message" read "file:line: warning: message".
func warning(note string) string {
	if strings.Contains(note, "warning: ") {
		return note
	}
	if i := strings.Index(note, ": "); i > 0 {
		return note[:i] + ": warning: " + note[i+2:]
	}
	return "warning: " + note
}
