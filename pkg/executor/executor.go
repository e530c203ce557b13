// Package executor is the seam between the trigger, which decides what to run, and the
// engines that run it: Tekton on Kubernetes (executor/tekton) or local processes
// (executor/local). Both speak the run model of package run.
package executor

import (
	"context"
	"errors"

	"github.com/rigger-ci/rigger/pkg/run"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// ErrRejected marks a Submit error that trying again cannot mend: the run itself is refused
// (invalid for the engine, forbidden). Other Submit errors are outages, worth a retry.
var ErrRejected = errors.New("run rejected")

// Request asks an executor to start one rendered PipelineRun.
type Request struct {
	// Run carries identity and metadata (repo, sha, definition, trigger, PR, sender...).
	Run run.Run
	// PipelineRun is the rendered definition, pipelineRef/taskRef to in-repo
	// definitions already inlined.
	PipelineRun *pipelinev1.PipelineRun
	// Namespace is where to run it (the repository's namespace).
	Namespace string
	// GitAuthSecret, when set, is the name the definition uses for git credentials
	// ({{ git_auth_secret }}), with the token the executor stores there for this run only.
	GitAuthSecret string
	GitToken      string
	// Policy is the run's share of its repository: with a concurrency limit the run is
	// created waiting and started by the executor's queue.
	Policy Policy
}

// Selector picks runs, e.g. every run of one pull request for cancellation.
type Selector struct {
	Repo        string // owner/name, required
	Namespace   string // the repository's namespace; "": any (another installation's runs too)
	PullRequest int    // 0: any
	SHA         string // "": any
	Definition  string // "": any
	// Ref, when set, picks the runs of one pushed branch (run.Run.Ref).
	Ref string
	// Except names a run never to pick: the new run that supersedes the others.
	Except string
	// Why, when set, is what a cancelled run's check run says, e.g. "superseded by <sha>".
	Why string
}

// Matches tells whether r is one of the runs sel picks.
func (sel Selector) Matches(r *run.Run) bool {
	return r.Repo == sel.Repo && (sel.Namespace == "" || r.Namespace == sel.Namespace) &&
		(sel.PullRequest == 0 || r.PullRequest == sel.PullRequest) &&
		(sel.SHA == "" || r.SHA == sel.SHA) && (sel.Definition == "" || r.Definition == sel.Definition) &&
		(sel.Ref == "" || r.Ref == sel.Ref) && (sel.Except == "" || r.Name != sel.Except)
}

// Executor runs PipelineRuns and tells what becomes of them.
type Executor interface {
	// Submit starts the run. It is idempotent: submitting the same identity again returns
	// the existing run and no error.
	Submit(ctx context.Context, req *Request) (*run.Run, error)
	// Get returns the run named name (see run.Identity.Name) in namespace, or nil and no
	// error when there is none.
	Get(ctx context.Context, namespace, name string) (*run.Run, error)
	// List returns the selected runs of namespace, finished or not, with their state (not
	// their tasks). Executors answer from what they watch where they can.
	List(ctx context.Context, namespace string, sel Selector) ([]run.Run, error)
	// Cancel cancels the selected runs that have not finished, and returns how many.
	Cancel(ctx context.Context, sel Selector) (int, error)
	// Watch calls fn with the current state of each run whenever it changes, until ctx ends.
	Watch(ctx context.Context, fn func(run.Run)) error
	// MarkReported records on the run that GitHub shows its final state r.State.
	MarkReported(ctx context.Context, r run.Run) error
	// LogTail returns the last lines of a step's log.
	LogTail(ctx context.Context, r *run.Run, task, step string, lines int) (string, error)
}
