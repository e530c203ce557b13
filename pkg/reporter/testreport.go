package reporter

import (
	"context"
	"fmt"
	"strings"

	gogh "github.com/google/go-github/v62/github"
	"github.com/rigger-ci/rigger/pkg/run"
	"github.com/rigger-ci/rigger/pkg/testreport"
	"go.uber.org/zap"
)

// reportLines is how much of the report step's log is read for its summary block: the step
// prints the block last, as one line between two, after the text summary; the margin covers
// what a shell prints after it. The executors bound a tail to 1 MiB whatever it holds.
const reportLines = 50

// reportStep finds the finished task whose step is the catalog's report step
// (testreport.ReportStep), the one whose log carries the merged test report.
func reportStep(r run.Run) (task, step string) {
	for _, t := range r.Tasks {
		if !t.State.Done() || t.State == run.Skipped {
			continue
		}
		for _, s := range t.Steps {
			if s.Name == testreport.ReportStep && s.State.Done() {
				return t.Name, s.Name
			}
		}
	}
	return "", ""
}

// testSummary reads a finished run's merged test report from its report step's log, or
// returns false when the run has none or it cannot be read (said in the log: the check
// run is still right without it).
func (rep *Reporter) testSummary(ctx context.Context, r *run.Run) (testreport.Summary, bool) {
	if !r.State.Done() || rep.opts.Logs == nil {
		return testreport.Summary{}, false
	}
	task, step := reportStep(*r)
	if task == "" {
		return testreport.Summary{}, false
	}
	log, err := rep.opts.Logs.LogTail(ctx, r, task, step, reportLines)
	if err == nil {
		var s testreport.Summary
		if s, err = testreport.ParseBlock(log); err == nil {
			return s, true
		}
	}
	rep.log.Warn("no test report for the check run", zap.String("run", r.Name), zap.String("task", task), zap.Error(err))
	return testreport.Summary{}, false
}

// withTestReport puts the test report on the check run: its counts in the title, its
// Markdown in the summary and its annotations, every string masked (tests print what they
// read, secrets included).
func withTestReport(f feedback, s testreport.Summary, m *Masker) feedback {
	f.title = truncate(f.title+" · "+s.CountsLine(), maxTitleLen)
	var md strings.Builder
	s.Markdown(&md)
	f.summary += "\n### Tests\n\n" + m.Mask(md.String())
	for _, a := range s.Annotations {
		f.annotations = append(f.annotations, &gogh.CheckRunAnnotation{
			Path:            gogh.String(a.Path),
			StartLine:       gogh.Int(a.Line),
			EndLine:         gogh.Int(a.Line),
			AnnotationLevel: gogh.String(a.Level),
			Title:           optional(m.Mask(a.Title)),
			Message:         gogh.String(m.Mask(a.Message)),
		})
	}
	return f
}

// maxTitleLen keeps a title on one line of GitHub's checks list.
const maxTitleLen = 200

// statusDescription is a commit status's one line: the counts when the run has a test
// report, else the title.
func statusDescription(f feedback, s testreport.Summary, ok bool) string {
	if !ok {
		return f.title
	}
	return fmt.Sprintf("%s (%s)", s.CountsLine(), f.title)
}
