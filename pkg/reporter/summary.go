package reporter

import (
	"fmt"
	"strings"
	"time"

	"github.com/rigger-ci/rigger/pkg/run"
)

// GitHub refuses check run output fields longer than this.
const maxOutputLen = 65535

// LogLines is how much of the failing step's log a failed run shows.
const LogLines = 20

// timedOut tells a run that Tekton stopped for its timeout from one that failed.
func timedOut(r run.Run) bool {
	reason := strings.ToLower(r.Reason)
	return r.State == run.Failed && (strings.Contains(reason, "timeout") || strings.Contains(reason, "timedout"))
}

// title is the one line GitHub shows beside the check: how far the tasks got.
func title(r run.Run) string {
	done, ok := 0, 0
	for _, t := range r.Tasks {
		if t.State.Done() {
			done++
		}
		if t.State == run.Succeeded {
			ok++
		}
	}
	n := len(r.Tasks)
	switch {
	case r.Waiting():
		return waitingTitle(r.Ahead)
	case r.State == run.Queued:
		return "Queued"
	case r.State == run.Cancelled && r.CancelWhy != "":
		return fmt.Sprintf("Cancelled (%s)", r.CancelWhy)
	case r.State == run.Running:
		if n == 0 {
			return "Running"
		}
		return fmt.Sprintf("Running: %d/%d tasks done", done, n)
	case timedOut(r):
		return fmt.Sprintf("Timed out: %d/%d tasks succeeded", ok, n)
	case r.State == run.Cancelled:
		return fmt.Sprintf("Cancelled: %d/%d tasks succeeded", ok, n)
	case r.State == run.Skipped:
		return "Skipped"
	case n == 0 && r.State == run.Failed:
		return "Failed"
	case n == 0:
		return "Succeeded"
	}
	s := fmt.Sprintf("%d/%d tasks succeeded", ok, n)
	if task := failedTask(r); r.State == run.Failed && task != "" {
		s += ", " + task + " failed"
	}
	return s
}

// summary is the check run's body: what ran, why it ended, and a table of tasks.
func summary(r run.Run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** for `%s`", mdEscape(r.Definition), shortSHA(r.SHA))
	if r.Trigger != "" {
		fmt.Fprintf(&b, " (%s)", mdEscape(r.Trigger))
	}
	if d := r.Duration(); d > 0 {
		fmt.Fprintf(&b, " in %s", duration(d))
	}
	b.WriteString("\n")
	if r.State.Done() && r.State != run.Succeeded && (r.Reason != "" || r.Message != "") {
		fmt.Fprintf(&b, "\n%s", mdEscape(strings.TrimSpace(r.Reason+": "+r.Message)))
		b.WriteString("\n")
	}
	if len(r.Tasks) > 0 {
		b.WriteString("\n| Task | Status | Duration |\n| --- | --- | --- |\n")
		for _, t := range r.Tasks {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(t.Name), cell(string(t.State)), taskDuration(t))
		}
	}
	return b.String()
}

// logSection is the check run's text on failure: the failing step's last lines.
func logSection(task, step, tail string) string {
	tail = strings.TrimRight(tail, "\n")
	fence := codeFence(tail)
	return fmt.Sprintf("### Log of `%s` / `%s` (last %d lines)\n\n%s\n%s\n%s\n",
		mdEscape(task), mdEscape(step), LogLines, fence, lastLines(tail, LogLines), fence)
}

// codeFence is a backtick fence longer than any run of backticks in s, so a log cannot
// close its own block.
func codeFence(s string) string {
	longest, cur := 0, 0
	for _, c := range s {
		if c == '`' {
			cur++
			longest = max(longest, cur)
		} else {
			cur = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// failedTask is the first task that failed, by the run's own account or its tasks'.
func failedTask(r run.Run) string {
	if r.FailedTask != "" {
		return r.FailedTask
	}
	for _, t := range r.Tasks {
		if t.State == run.Failed {
			return t.Name
		}
	}
	return ""
}

// failedStep is the step of task whose log explains the failure: the run's own account,
// else the first failed step (or non-zero exit).
func failedStep(r run.Run, task string) string {
	if r.FailedStep != "" && r.FailedTask == task {
		return r.FailedStep
	}
	for _, t := range r.Tasks {
		if t.Name != task {
			continue
		}
		for _, s := range t.Steps {
			if s.State == run.Failed || s.ExitCode != 0 {
				return s.Name
			}
		}
	}
	return ""
}

func taskDuration(t run.Task) string {
	if d := t.Duration(); d > 0 {
		return duration(d)
	}
	return "-"
}

func duration(d time.Duration) string {
	if d < time.Second {
		return "<1s"
	}
	return d.Round(time.Second).String()
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.NewReplacer("|", `\|`, "\r", " ", "\n", " ").Replace(s)
	return mdEscape(s)
}

// mdEscape keeps names and messages from a repository from turning into HTML.
func mdEscape(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "..."
	cut := n - len(mark)
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// waitingTitle is a waiting run's place in its repository's queue. Places from
// run.MaxAheadShown on read alike, so the queue moving re-titles only the runs near its head.
func waitingTitle(ahead int) string {
	switch {
	case ahead < 0:
		return "Queued" // waiting, but in no queue of Rigger's
	case ahead == 0:
		return "Waiting: next in line"
	case ahead >= run.MaxAheadShown:
		return fmt.Sprintf("Waiting: %d or more ahead", run.MaxAheadShown)
	}
	return fmt.Sprintf("Waiting: %d ahead", ahead)
}
