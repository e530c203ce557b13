package run

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rigger-ci/rigger/pkg/executor/local"
	runmodel "github.com/rigger-ci/rigger/pkg/run"
)

// progress prints the local executor's events. Piped, it prints one plain line per event, so
// logs and tests read every start and end. On a terminal it prints a line per finished task
// and run, and keeps one live status line (spinner, running tasks, elapsed time) below them.
type progress struct {
	mu       sync.Mutex
	out      io.Writer
	tty      bool
	pipeline map[string]string    // run name -> definition name
	running  map[string]time.Time // "pipeline/task" -> start, for the status line
	start    time.Time
	frame    int
	shown    bool // the status line is on screen
	stop     chan struct{}
	stopped  chan struct{}
}

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

func newProgress(out io.Writer, tty bool) *progress {
	return &progress{out: out, tty: tty, pipeline: map[string]string{}, running: map[string]time.Time{}, start: time.Now()}
}

// expect names the pipeline of a run before its events come.
func (p *progress) expect(runName, pipeline string) {
	p.mu.Lock()
	p.pipeline[runName] = pipeline
	p.mu.Unlock()
}

// startTicker redraws the status line on a terminal until close.
func (p *progress) startTicker() {
	if !p.tty {
		return
	}
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.stopped)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				p.frame++
				p.drawStatus()
				p.mu.Unlock()
			}
		}
	}()
}

// close stops the ticker and clears the status line.
func (p *progress) close() {
	if p.stop != nil {
		close(p.stop)
		<-p.stopped
		p.stop = nil
	}
	p.mu.Lock()
	p.clearStatus()
	p.mu.Unlock()
}

func (p *progress) handle(ev local.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	name := p.pipeline[ev.Run]
	if name == "" {
		name = ev.Run
	}
	task := name + "/" + ev.Task
	switch ev.Kind {
	case local.TaskStarted:
		p.running[task] = ev.Time
	case local.TaskFinished:
		delete(p.running, task)
	}
	line := p.lineFor(ev, name, task)
	if line == "" {
		return
	}
	p.clearStatus()
	fmt.Fprintln(p.out, line)
	p.drawStatus()
}

// lineFor is the line an event prints, or "" for none (on a terminal, starts and steps show
// only in the status line).
func (p *progress) lineFor(ev local.Event, name, task string) string {
	step := task + "/" + ev.Step
	switch ev.Kind {
	case local.LogLine:
		return step + " | " + ev.Line
	case local.RunStarted:
		return p.mark(runmodel.Running) + name + ": started (run " + ev.Run + ")"
	case local.RunFinished:
		return p.mark(ev.State) + name + ": " + outcome(ev.State, ev.Reason, ev.Duration)
	case local.TaskStarted:
		if p.tty {
			return ""
		}
		if ev.Attempt > 0 {
			return fmt.Sprintf("%s: started (retry %d)", task, ev.Attempt)
		}
		return task + ": started"
	case local.TaskFinished:
		return p.mark(ev.State) + task + ": " + outcome(ev.State, ev.Reason, ev.Duration)
	case local.StepStarted:
		if p.tty {
			return ""
		}
		return step + ": started"
	case local.StepFinished:
		if p.tty && ev.State != runmodel.Failed {
			return ""
		}
		s := outcome(ev.State, "", ev.Duration)
		if ev.State == runmodel.Failed && ev.ExitCode != 0 {
			s = fmt.Sprintf("failed with exit code %d in %s", ev.ExitCode, round(ev.Duration))
		}
		return p.mark(ev.State) + step + ": " + s
	}
	return ""
}

func (p *progress) mark(s runmodel.State) string {
	if !p.tty {
		return ""
	}
	switch s {
	case runmodel.Succeeded:
		return "✓ "
	case runmodel.Failed:
		return "✗ "
	case runmodel.Cancelled:
		return "⊘ "
	case runmodel.Skipped:
		return "- "
	}
	return "▶ "
}

func outcome(s runmodel.State, reason string, d time.Duration) string {
	switch {
	case s == runmodel.Skipped && reason != "":
		return "skipped (" + reason + ")"
	case s == runmodel.Skipped:
		return "skipped"
	case reason != "" && s != runmodel.Succeeded && !strings.EqualFold(reason, string(s)) && !strings.EqualFold(reason, "Failed"):
		return fmt.Sprintf("%s (%s) in %s", s, reason, round(d))
	}
	return fmt.Sprintf("%s in %s", s, round(d))
}

func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

func (p *progress) clearStatus() {
	if p.tty && p.shown {
		fmt.Fprint(p.out, "\r\033[K")
		p.shown = false
	}
}

func (p *progress) drawStatus() {
	if !p.tty || p.stop == nil || len(p.running) == 0 {
		return
	}
	tasks := make([]string, 0, len(p.running))
	for t := range p.running {
		tasks = append(tasks, t)
	}
	slices.Sort(tasks)
	status := fmt.Sprintf("%s %s  running %s", spinner[p.frame%len(spinner)],
		time.Since(p.start).Round(time.Second), strings.Join(tasks, ", "))
	if len(status) > 100 {
		status = status[:97] + "..."
	}
	fmt.Fprint(p.out, "\r\033[K"+status)
	p.shown = true
}
