package local

import (
	"strconv"
	"sync"
	"time"

	"github.com/rigger-ci/rigger/pkg/run"
)

// recorder keeps the live run model of one run. Every change is published as a snapshot
// (for watchers and the store) and reported as an Event.
type recorder struct {
	mu      sync.Mutex
	r       *run.Run
	index   map[string]int // task name -> position in r.Tasks
	publish func(run.Run)
	emit    func(Event)
}

func newRecorder(r *run.Run, publish func(run.Run), emit func(Event)) *recorder {
	return &recorder{r: r, index: map[string]int{}, publish: publish, emit: emit}
}

// change applies fn to the run model and publishes the result; the lock keeps snapshots
// in the order the changes happened.
func (rc *recorder) change(fn func(r *run.Run)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	fn(rc.r)
	rc.publish(snapshot(rc.r))
}

func (rc *recorder) snapshot() run.Run {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return snapshot(rc.r)
}

// snapshot is a deep copy of r that later changes do not touch.
func snapshot(r *run.Run) run.Run {
	c := *r
	c.Tasks = make([]run.Task, len(r.Tasks))
	for i, t := range r.Tasks {
		t.Steps = append([]run.Step(nil), t.Steps...)
		c.Tasks[i] = t
	}
	return c
}

// task returns the task named name, adding it when new. Callers hold rc.mu.
func (rc *recorder) task(r *run.Run, name string) *run.Task {
	i, ok := rc.index[name]
	if !ok {
		i = len(r.Tasks)
		rc.index[name] = i
		r.Tasks = append(r.Tasks, run.Task{Name: name, State: run.Queued})
	}
	return &r.Tasks[i]
}

func (rc *recorder) runStarted(now time.Time) {
	rc.change(func(r *run.Run) { r.State, r.StartTime = run.Running, now })
	rc.emit(Event{Kind: RunStarted, Run: rc.r.Name, State: run.Running, Time: now})
}

func (rc *recorder) runFinished(state run.State, reason, message string, now time.Time) run.Run {
	var d time.Duration
	rc.change(func(r *run.Run) {
		r.State, r.Reason, r.Message, r.CompletionTime = state, reason, message, now
		d = r.Duration()
	})
	rc.emit(Event{Kind: RunFinished, Run: rc.r.Name, State: state, Reason: reason, Duration: d, Time: now})
	return rc.snapshot()
}

// taskStarted (re)starts a task run for an attempt, with its steps queued.
func (rc *recorder) taskStarted(name string, steps []string, attempt int, now time.Time) {
	rc.change(func(r *run.Run) {
		t := rc.task(r, name)
		t.State, t.Reason, t.Message, t.StartTime, t.CompletionTime = run.Running, "", "", now, time.Time{}
		if attempt > 0 {
			t.Message = "retry " + strconv.Itoa(attempt)
		}
		t.Steps = make([]run.Step, len(steps))
		for i, s := range steps {
			t.Steps[i] = run.Step{Name: s, State: run.Queued}
		}
	})
	rc.emit(Event{Kind: TaskStarted, Run: rc.r.Name, Task: name, State: run.Running, Attempt: attempt, Time: now})
}

func (rc *recorder) taskFinished(name string, state run.State, reason, message string, attempt int, now time.Time) {
	var d time.Duration
	rc.change(func(r *run.Run) {
		t := rc.task(r, name)
		if t.StartTime.IsZero() {
			t.StartTime = now
		}
		t.State, t.Reason, t.CompletionTime = state, reason, now
		if message != "" {
			t.Message = message
		}
		d = t.Duration()
	})
	rc.emit(Event{Kind: TaskFinished, Run: rc.r.Name, Task: name, State: state, Reason: reason, Attempt: attempt, Duration: d, Time: now})
}

// taskSkipped records a task that never ran, with Tekton's skipping reason.
func (rc *recorder) taskSkipped(name, reason string, now time.Time) {
	rc.change(func(r *run.Run) {
		t := rc.task(r, name)
		t.State, t.Reason = run.Skipped, reason
	})
	rc.emit(Event{Kind: TaskFinished, Run: rc.r.Name, Task: name, State: run.Skipped, Reason: reason, Time: now})
}

func (rc *recorder) stepStarted(task string, i int, now time.Time) {
	var name string
	rc.change(func(r *run.Run) {
		s := &rc.task(r, task).Steps[i]
		s.State, s.StartTime = run.Running, now
		name = s.Name
	})
	rc.emit(Event{Kind: StepStarted, Run: rc.r.Name, Task: task, Step: name, State: run.Running, Time: now})
}

func (rc *recorder) stepFinished(task string, i int, state run.State, code int32, now time.Time) {
	var name string
	var d time.Duration
	rc.change(func(r *run.Run) {
		s := &rc.task(r, task).Steps[i]
		s.State, s.ExitCode, s.CompletionTime = state, code, now
		if !s.StartTime.IsZero() {
			d = now.Sub(s.StartTime)
		}
		name = s.Name
	})
	rc.emit(Event{Kind: StepFinished, Run: rc.r.Name, Task: task, Step: name, State: state, ExitCode: code, Duration: d, Time: now})
}

// failedAt notes the first failing step of the run.
func (rc *recorder) failedAt(task, step string) {
	rc.change(func(r *run.Run) {
		if r.FailedTask == "" {
			r.FailedTask, r.FailedStep = task, step
		}
	})
}
