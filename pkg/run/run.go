// Package run is the domain model of one pipeline run, whichever executor runs it: its
// identity, state, tasks, steps and timings. The reporter and dashboards read only this.
package run

import "time"

// State is where a run, task or step stands.
type State string

const (
	Queued    State = "queued"
	Running   State = "running"
	Succeeded State = "succeeded"
	Failed    State = "failed"
	Cancelled State = "cancelled"
	Skipped   State = "skipped"
)

// Done reports whether the state is final.
func (s State) Done() bool { return s == Succeeded || s == Failed || s == Cancelled || s == Skipped }

// Identity is what makes a run unique: the same identity twice is the same run, so a
// redelivered webhook can never start a second build.
type Identity struct {
	Repo       string // owner/name
	SHA        string
	Definition string // the .tekton definition's name (the PipelineRun's metadata.name or generateName)
	Trigger    string // what asked for it: pull_request, push, retest, comment:<cmd>, ...
	Attempt    int
}

// Run is one run of one definition for one commit.
type Run struct {
	Identity
	// Name and Namespace locate the run in its executor (a PipelineRun's, or a local run's id).
	Name      string
	Namespace string

	Event       string // pull_request, push, ...
	PullRequest int
	RepoURL     string
	Sender      string
	DeliveryID  string
	CheckRunID  int64
	// Reported is the final state GitHub was told of, kept with the run (not in memory) so
	// that a restarted Rigger does not tell it again.
	Reported State

	State          State
	Reason         string
	Message        string
	CreationTime   time.Time
	StartTime      time.Time
	CompletionTime time.Time
	Tasks          []Task

	// FailedTask/FailedStep name the first failing step, LogTail its last log lines
	// (secrets masked), when the run failed.
	FailedTask string
	FailedStep string
	LogTail    string

	// Ref is the pushed branch of a push's run (cancel-in-progress finds a branch's older
	// runs by it); "" for pull requests, whose number says the same.
	Ref string
	// QueuedAt orders the runs waiting for a slot of their repository's concurrency limit,
	// oldest first (then by Name). It is written when the run is created, with more
	// precision than a Kubernetes creation timestamp's second, and read back from the run,
	// so every executor and every restart derives the same order.
	QueuedAt time.Time
	// Ahead is how many waiting runs are before this one while it waits (Reason
	// ReasonWaiting), capped at MaxAheadShown; -1 for a run pending in no queue of Rigger's
	// (its definition made it pending). See pkg/executor's queue.
	Ahead int
	// CancelWhy says why the run was cancelled when something other than a person did it,
	// e.g. "superseded by <sha>" (cancel-in-progress); its check run ends saying so.
	CancelWhy string
	// MaxKeepRuns is how many finished runs of this definition the repository keeps once
	// this one is finished (0: all).
	MaxKeepRuns int
}

// ReasonWaiting is the reason of a run that waits for a slot of its repository's
// concurrency limit. It is Tekton's own reason for a PipelineRun created with
// spec.status PipelineRunPending, which is how such a run waits on a cluster.
const ReasonWaiting = "PipelineRunPending"

// MaxAheadShown caps the queue position a waiting run's check run shows: past it the
// check run says "10 or more ahead", so a start updates at most this many check runs
// however long the queue is.
const MaxAheadShown = 10

// Waiting tells whether the run waits for a slot.
func (r *Run) Waiting() bool { return r.State == Queued && r.Reason == ReasonWaiting }

// Task is one task of a run (a TaskRun in Tekton).
type Task struct {
	Name           string
	State          State
	Reason         string
	Message        string
	StartTime      time.Time
	CompletionTime time.Time
	Steps          []Step
}

// Step is one step of a task.
type Step struct {
	Name           string
	State          State
	ExitCode       int32
	StartTime      time.Time
	CompletionTime time.Time
}

// Duration is how long a task ran, or zero when it has not both started and finished.
func (t Task) Duration() time.Duration {
	if t.StartTime.IsZero() || t.CompletionTime.IsZero() {
		return 0
	}
	return t.CompletionTime.Sub(t.StartTime)
}

// Duration is how long the run ran, or zero when it has not both started and finished.
func (r Run) Duration() time.Duration {
	if r.StartTime.IsZero() || r.CompletionTime.IsZero() {
		return 0
	}
	return r.CompletionTime.Sub(r.StartTime)
}
