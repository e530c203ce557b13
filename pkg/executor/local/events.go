package local

import (
	"time"

	"github.com/rigger-ci/rigger/pkg/run"
)

// EventKind says what an Event reports.
type EventKind string

const (
	RunStarted   EventKind = "run-started"
	RunFinished  EventKind = "run-finished"
	TaskStarted  EventKind = "task-started"
	TaskFinished EventKind = "task-finished" // also a skipped task, with State skipped
	StepStarted  EventKind = "step-started"
	StepFinished EventKind = "step-finished"
	LogLine      EventKind = "log-line" // only when Config.StreamLogs is set
)

// Event is one moment of progress of a run, for live output and summaries.
type Event struct {
	Kind     EventKind
	Run      string
	Task     string // a task run's name in the run model: the pipeline task, or task[i] in a matrix
	Step     string
	State    run.State
	Reason   string
	ExitCode int32
	Attempt  int           // retry number of the task, from 0
	Duration time.Duration // of the finished run, task or step
	Line     string        // a log line, without its newline
	Time     time.Time
}
