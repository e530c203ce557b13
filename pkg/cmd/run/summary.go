package run

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	runmodel "github.com/rigger-ci/rigger/pkg/run"
)

// finished is one run as it ended, with the definition it ran.
type finished struct {
	Pipeline string
	File     string
	Run      *runmodel.Run
}

// printSummary prints one row per task of every run, then each run's total, and for a failed
// run the failing step's log tail (unless logs were streamed already).
func printSummary(out io.Writer, runs []finished, logsShown bool) {
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PIPELINE\tTASK\tSTATUS\tDURATION")
	for _, f := range runs {
		for _, t := range f.Run.Tasks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Pipeline, t.Name, t.State, duration(t.Duration()))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Pipeline, "(pipeline)", f.Run.State, duration(f.Run.Duration()))
	}
	_ = tw.Flush()
	for _, f := range runs {
		r := f.Run
		if r.State == runmodel.Succeeded {
			continue
		}
		fmt.Fprintln(out)
		msg := fmt.Sprintf("%s (%s) %s", f.Pipeline, f.File, r.State)
		if r.Reason != "" && !strings.EqualFold(r.Reason, string(r.State)) {
			msg += ": " + r.Reason
		}
		if r.Message != "" {
			msg += ": " + r.Message
		}
		fmt.Fprintln(out, msg)
		if r.FailedTask != "" {
			fmt.Fprintf(out, "first failure: task %s, step %s\n", r.FailedTask, r.FailedStep)
			if r.LogTail != "" && !logsShown {
				fmt.Fprintf(out, "last lines of its log:\n%s", indent(r.LogTail))
			}
		}
	}
}

func duration(d interface{ Seconds() float64 }) string {
	s := d.Seconds()
	if s == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fs", s)
}

func indent(s string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString("    " + l)
		}
	}
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteString("\n")
	}
	return b.String()
}
