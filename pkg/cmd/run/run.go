// Package run is `rigger run`: run a checkout's .tekton pipelines on this machine, as the
// pull request or push it would get on GitHub, with live progress and a summary.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rigger-ci/rigger/pkg/cmd/exitcode"
	"github.com/rigger-ci/rigger/pkg/cmd/factory"
	"github.com/rigger-ci/rigger/pkg/definition"
	"github.com/rigger-ci/rigger/pkg/event"
	"github.com/rigger-ci/rigger/pkg/executor/local"
)

type options struct {
	dir          string
	event        string
	sourceBranch string
	targetBranch string
	changedFiles []string
	params       []string
	comment      string
	dryRun       bool
	output       string
	logs         bool
	dataDir      string
	parallel     int
	isolation    string
	runtime      string
}

// NewCmd returns `rigger run`.
func NewCmd(f *factory.Factory) *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "run [file...]",
		Short: "Run a checkout's .tekton pipelines on this machine",
		Long: `Run the .tekton pipelines of the checkout in --dir on this machine, with Tekton's
semantics: each step as a host process, or with --isolation container in its image (podman or
docker), the run directory mounted at its own path and the host's network.

Without arguments, run the definitions a pull request of the current branch to main would run
(or the event given by --event, --target-branch and --source-branch), as their
on-event, on-target-branch and on-path-change annotations say. With files, run exactly the
definitions of those files, whatever their annotations say.

Template variables ({{ revision }}, {{ repo_url }}, ...) are filled from the local git checkout;
{{ source_dir }} is the checkout's directory, for pipelines that copy the working tree into
their workspace.

Exit status: 0 when every run succeeded, 1 when one failed or was cancelled, 2 for a usage or
validation error, in which case nothing was started.`,
		Example: `  rigger run                                   # what a pull request to main would run
  rigger run --event push --target-branch release-1 --param go_version=1.26
  rigger run .tekton/unit.yaml                 # one file's definitions, whatever they say
  rigger run --comment '/test unit level=high' # what that comment on a pull request would run
  rigger run --dry-run -o yaml                 # the PipelineRuns that would be created`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.dir, "dir", "C", ".", "run in this directory (the checkout holding .tekton/, or one below it)")
	fl.StringVar(&o.event, "event", string(event.KindPullRequest), "the event to run for: pull_request or push")
	fl.StringVar(&o.sourceBranch, "source-branch", "", "the pull request's branch (default: the current branch)")
	fl.StringVar(&o.targetBranch, "target-branch", "", "the branch a pull request targets or a push updates (default: main for a pull request, the current branch for a push)")
	fl.StringSliceVar(&o.changedFiles, "changed-files", nil, "the changed files, for on-path-change (default: git diff against the target branch, and uncommitted files)")
	fl.StringArrayVarP(&o.params, "param", "p", nil, "set a PipelineRun param, name=value (repeatable; comma-separated for an array param)")
	fl.StringVar(&o.comment, "comment", "", "run what this pull request comment would run: '/test [name...] [key=value...]', '/retest [name]', or a comment for on-comment definitions")
	fl.BoolVar(&o.dryRun, "dry-run", false, "print the PipelineRuns that would run, start nothing")
	fl.StringVarP(&o.output, "output", "o", "", "with --dry-run: yaml or json (default yaml)")
	fl.BoolVar(&o.logs, "logs", false, "stream step logs, each line prefixed with pipeline/task/step")
	fl.StringVar(&o.dataDir, "data-dir", "~/.local/share/rigger", "where runs, workspaces and logs are kept")
	fl.IntVar(&o.parallel, "parallel", 0, "how many tasks may run at once (default: the number of CPUs)")
	fl.StringVar(&o.isolation, "isolation", string(local.IsolationProcess), "how steps run: process (on the host) or container (in the step's image)")
	fl.StringVar(&o.runtime, "container-runtime", "", "with --isolation container: podman, docker or a path to either (default: the first that answers)")
	return cmd
}

func usage(format string, args ...any) error {
	return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf(format, args...)}
}

// check validates the flags, before anything is read or started.
func (o *options) check(args []string) error {
	switch event.Kind(o.event) {
	case event.KindPullRequest, event.KindPush:
	default:
		return usage("--event %q: want pull_request or push", o.event)
	}
	if o.output != "" && !o.dryRun {
		return usage("--output needs --dry-run")
	}
	if o.dryRun && o.output == "" {
		o.output = "yaml"
	}
	if o.output != "" && o.output != "yaml" && o.output != "json" {
		return usage("--output %q: want yaml or json", o.output)
	}
	if o.parallel < 0 {
		return usage("--parallel %d: want a positive number", o.parallel)
	}
	switch local.Isolation(o.isolation) {
	case local.IsolationProcess:
	case local.IsolationContainer: // whether a runtime answers is found out when the run starts
	default:
		return usage("--isolation %q: want process or container", o.isolation)
	}
	if o.runtime != "" && local.Isolation(o.isolation) != local.IsolationContainer {
		return usage("--container-runtime only matters with --isolation container")
	}
	if len(args) > 0 && o.comment != "" {
		return usage("--comment selects definitions itself; give it without files")
	}
	if len(args) > 0 && o.changedFiles != nil {
		return usage("--changed-files only matters when selecting by annotations, not with files")
	}
	return nil
}

func (o *options) run(ctx context.Context, f *factory.Factory, args []string) error {
	if err := o.check(args); err != nil {
		return err
	}
	params, err := ParseParams(o.params)
	if err != nil {
		return usage("%v", err)
	}
	c, err := OpenCheckout(ctx, o.dir)
	if err != nil {
		return usage("%v", err)
	}
	ev, err := c.Event(EventOptions{Kind: event.Kind(o.event), SourceBranch: o.sourceBranch,
		TargetBranch: o.targetBranch, ChangedFiles: o.changedFiles})
	if err != nil {
		return usage("%v", err)
	}
	var names []string
	if o.comment != "" {
		if names, params, err = commentEvent(ev, o.comment, params); err != nil {
			return err
		}
	}
	base, err := filepath.Abs(o.dir)
	if err != nil {
		return usage("%v", err)
	}
	explicit, err := relativeFiles(c, base, args)
	if err != nil {
		return usage("%v", err)
	}

	p, err := plan(ctx, f.IO.ErrOut, c, ev, explicit, names, params, o.changedFiles != nil)
	if err != nil {
		return err
	}
	if len(p.runs) == 0 {
		p.printNothing(f.IO.Out, ev)
		return nil
	}
	if o.dryRun {
		return printPipelineRuns(f.IO.Out, o.output, p.runs)
	}
	if err := localOnly(f.IO.ErrOut, p); err != nil {
		return err
	}
	return o.execute(ctx, f, c, p)
}

// localOnly refuses, before anything starts, a PipelineRun whose pipeline is not in
// .tekton/: a cluster would resolve the reference, this machine cannot.
func localOnly(errOut io.Writer, p *runPlan) error {
	var errs definition.Errors
	for _, r := range p.runs {
		if r.req.PipelineRun.Spec.PipelineSpec == nil {
			ref := r.req.PipelineRun.Spec.PipelineRef
			what := "a pipelineRef"
			if ref != nil && ref.Resolver != "" {
				what = fmt.Sprintf("a pipelineRef through resolver %q", ref.Resolver)
			} else if ref != nil {
				what = fmt.Sprintf("pipelineRef %q, which is not a Pipeline in %s/,", ref.Name, definition.Dir)
			}
			errs = append(errs, &definition.Error{File: r.def.File, Line: r.def.Line,
				Msg: fmt.Sprintf("PipelineRun %q uses %s and cannot run on this machine (give it a pipelineSpec, or put the Pipeline in %s/)", r.def.Name, what, definition.Dir)})
		}
	}
	if len(errs) > 0 {
		return invalid(errOut, errs, "")
	}
	return nil
}

// expandHome turns a leading ~ into the home directory, as a shell would for the default.
func expandHome(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("--data-dir %s: %w", p, err)
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~")), nil
}

// signalContext ends on Ctrl-C or SIGTERM, so that runs are cancelled rather than orphaned.
func signalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

var errCancelled = errors.New("cancelled")
