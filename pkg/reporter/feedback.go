package reporter

import (
	"context"
	"fmt"
	"slices"
	"time"

	gogh "github.com/google/go-github/v62/github"
	"github.com/rigger-ci/rigger/pkg/run"
	"go.uber.org/zap"
)

// feedback is what GitHub shows for one run, in the terms of a check run. Commit
// statuses show a subset of it.
type feedback struct {
	status     string // queued, in_progress, completed
	conclusion string // success, failure, cancelled, timed_out, skipped; "" until completed
	title      string
	summary    string
	text       string // the failing step's log, on failure
	// annotations are the failed tests' file:line findings, sent once the run completed.
	annotations []*gogh.CheckRunAnnotation
	started     time.Time
	completed   time.Time
}

// head is everything in f a user would see, but the log fetched from the executor: an
// update whose head did not change is not sent, and a finished step's log does not
// change. It reads the run's own times, not f's: f makes up a completion time when the
// run has none, which would make every update look new.
func (f feedback) head(r run.Run) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s\x00%d\x00%d",
		f.status, f.conclusion, f.title, f.summary, r.LogTail, r.StartTime.Unix(), r.CompletionTime.Unix())
}

// checkStatus maps a run's state to a check run's status and conclusion.
func checkStatus(r run.Run) (status, conclusion string) {
	switch r.State {
	case run.Queued, "":
		return "queued", ""
	case run.Running:
		return "in_progress", ""
	case run.Succeeded:
		return "completed", "success"
	case run.Cancelled:
		return "completed", "cancelled"
	case run.Skipped:
		return "completed", "skipped"
	}
	if timedOut(r) {
		return "completed", "timed_out"
	}
	return "completed", "failure"
}

// render builds what GitHub should show, without the executor's log.
func render(r run.Run) feedback {
	status, conclusion := checkStatus(r)
	f := feedback{status: status, conclusion: conclusion, title: title(r), summary: summary(r), started: r.StartTime}
	if status == "completed" {
		f.completed = r.CompletionTime
		if f.completed.IsZero() {
			f.completed = time.Now()
		}
	}
	return f
}

// complete masks the feedback and adds what the executor holds: for a finished run with a
// test report, the report; for a failed run, the failing step's log tail, from the run when
// it carries it, else from the executor.
func (rep *Reporter) complete(ctx context.Context, r *run.Run, f feedback) feedback {
	tests, hasTests := rep.testSummary(ctx, r)
	// Only a failed run, or one with a test report, shows output that a step wrote (its log
	// tail, Tekton's message, test names and messages), so only then are the run's Secrets
	// read to mask it: a lookup in the cluster per report would cost every queued and
	// running update a round trip and the apiserver a pod list.
	if r.State != run.Failed && !hasTests {
		return f
	}
	masker, maskErr := rep.masker(ctx, r)
	if maskErr != nil {
		rep.log.Warn("cannot read the run's secrets to mask them", zap.String("run", r.Name), zap.Error(maskErr))
	}
	switch {
	case !hasTests:
	case maskErr != nil:
		// Test output whose secrets we cannot name could leak them: counts only.
		f.title = truncate(f.title+" · "+tests.CountsLine(), maxTitleLen)
		f.summary += "\nThe test report is withheld: Rigger could not read the run's secrets to mask them.\n"
	default:
		f = withTestReport(f, tests, masker)
	}
	f.summary = truncate(f.summary, maxOutputLen)
	if r.State != run.Failed {
		return f
	}
	f.title = masker.Mask(f.title)
	f.summary = truncate(masker.Mask(f.summary), maxOutputLen)
	task := failedTask(*r)
	step := failedStep(*r, task)
	tail := r.LogTail
	if tail == "" && rep.opts.Logs != nil && task != "" && step != "" {
		var err error
		if tail, err = rep.opts.Logs.LogTail(ctx, r, task, step, LogLines); err != nil {
			rep.log.Warn("no log tail for the check run", zap.String("run", r.Name),
				zap.String("task", task), zap.String("step", step), zap.Error(err))
			tail = ""
		}
	}
	switch {
	case tail == "":
	case maskErr != nil:
		// Showing a log whose secrets we cannot name could leak them.
		f.text = "The log is withheld: Rigger could not read the run's secrets to mask them."
	default:
		f.text = truncate(logSection(task, step, masker.Mask(tail)), maxOutputLen)
	}
	return f
}

func (rep *Reporter) masker(ctx context.Context, r *run.Run) (*Masker, error) {
	values := slices.Clone(rep.opts.Masked)
	if rep.opts.Secrets != nil {
		secrets, err := rep.opts.Secrets.SecretValues(ctx, r)
		if err != nil {
			return NewMasker(values...), err
		}
		values = append(values, secrets...)
	}
	return NewMasker(values...), nil
}
