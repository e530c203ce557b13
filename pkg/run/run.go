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
}

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
