package reporter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/github"
	"github.com/rigger-ci/rigger/pkg/run"
	"github.com/rigger-ci/rigger/pkg/testreport"
)

// stepLogs is an executor's logs by task/step.
type stepLogs struct {
	logs  map[string]string
	asked []string
}

func (l *stepLogs) LogTail(_ context.Context, _ *run.Run, task, step string, lines int) (string, error) {
	l.asked = append(l.asked, task+"/"+step)
	log, ok := l.logs[task+"/"+step]
	if !ok {
		return "", errors.New("no such step")
	}
	all := strings.Split(strings.TrimRight(log, "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n"), nil
}

// reportLog is what the catalog's report step prints for a go test -json run: the text
// summary, then the block, as `rigger shard report --block` does.
func reportLog(t *testing.T, gotest string) string {
	t.Helper()
	r := testreport.New()
	if _, err := r.Add("shard-0", strings.NewReader(gotest)); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	r.Text(&b)
	if err := testreport.WriteBlock(&b, r.Summary("example.com/m", "go")); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func ev(sec int, action, pkg, test, out string) string {
	return fmt.Sprintf(`{"Time":"2026-12-04T10:00:%02dZ","Action":%q,"Package":%q,"Test":%q,"Output":%q,"Elapsed":0.5}`+"\n", sec, action, pkg, test, out)
}

// TestBroken fails with a secret in its message and on its retry; TestFlaky fails, then
// passes on its retry; TestFine passes.
var gotestBrokenAndFlaky = ev(1, "output", "example.com/m/a", "TestBroken", "    a_test.go:17: token s3cr3t-value refused\n") +
	ev(2, "fail", "example.com/m/a", "TestBroken", "") +
	ev(2, "output", "example.com/m/a", "TestFlaky", "    a_test.go:30: timed out\n") +
	ev(3, "fail", "example.com/m/a", "TestFlaky", "") +
	ev(3, "pass", "example.com/m/b", "TestFine", "") +
	ev(4, "fail", "example.com/m/a", "", "") + ev(4, "pass", "example.com/m/b", "", "") +
	ev(5, "output", "example.com/m/a", "TestBroken", "    a_test.go:17: token s3cr3t-value refused\n") +
	ev(6, "fail", "example.com/m/a", "TestBroken", "") + ev(6, "pass", "example.com/m/a", "TestFlaky", "") +
	ev(7, "fail", "example.com/m/a", "", "")

var gotestFlakyOnly = ev(1, "output", "example.com/m/a", "TestFlaky", "    a_test.go:30: timed out\n") +
	ev(2, "fail", "example.com/m/a", "TestFlaky", "") + ev(2, "pass", "example.com/m/b", "TestFine", "") +
	ev(3, "fail", "example.com/m/a", "", "") + ev(3, "pass", "example.com/m/b", "", "") +
	ev(5, "pass", "example.com/m/a", "TestFlaky", "") + ev(5, "pass", "example.com/m/a", "", "")

// shardedRun is a finished go-test-sharded run: shards, then the report task.
func shardedRun(sha string, state run.State) run.Run {
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	shard := run.Task{Name: "test", State: state, StartTime: start, CompletionTime: start.Add(10 * time.Second),
		Steps: []run.Step{{Name: "go-test", State: state}}}
	if state == run.Failed {
		shard.Steps[0].ExitCode = 1
	}
	return run.Run{
		Identity:  run.Identity{Repo: repoName, SHA: sha, Definition: "unit", Trigger: "pull_request", Attempt: 1},
		Name:      "widgets-unit-abc12",
		Namespace: "ci-acme-widgets",
		State:     state, StartTime: start, CompletionTime: start.Add(20 * time.Second),
		Tasks: []run.Task{
			{Name: "fetch", State: run.Succeeded, Steps: []run.Step{{Name: "clone", State: run.Succeeded}}},
			shard,
			{Name: "report", State: state, Steps: []run.Step{{Name: testreport.ReportStep, State: state}}},
		},
	}
}

func TestFailedTestsOnTheCheckRun(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	l := &stepLogs{logs: map[string]string{
		"report/" + testreport.ReportStep: reportLog(t, gotestBrokenAndFlaky) + "done\n",
		"test/go-test":                    "--- FAIL: TestBroken\nFAIL\n",
	}}
	rep := New(w.client, Options{Logs: l, Secrets: secrets{"s3cr3t-value"}})
	ctx := context.Background()
	r := shardedRun(w.sha, run.Failed)
	if _, err := rep.Submitted(ctx, &r); err != nil {
		t.Fatal(err)
	}
	cr := w.checkRun(t)
	if cr.Conclusion != "failure" {
		t.Errorf("conclusion %q, want failure", cr.Conclusion)
	}
	if want := "1/3 tasks succeeded, test failed · 3 tests: 1 failed, 1 flaky, 0 skipped"; cr.Output.Title != want {
		t.Errorf("title %q, want %q", cr.Output.Title, want)
	}
	for _, want := range []string{
		"**3** tests run: 2 passed, **1 failed**, 0 skipped, 1 flaky",
		"| `TestBroken` | `example.com/m/a` | `a_test.go:17` |",
		"Flaky (failed, then passed on retry):\n\n- `TestFlaky` in `example.com/m/a`",
		"| Shard | Wall time |",
	} {
		if !strings.Contains(cr.Output.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, cr.Output.Summary)
		}
	}
	want := []fakegithub.Annotation{
		{Path: "go/a/a_test.go", StartLine: 17, EndLine: 17, AnnotationLevel: "failure", Title: "TestBroken failed", Message: "token *** refused"},
		{Path: "go/a/a_test.go", StartLine: 30, EndLine: 30, AnnotationLevel: "warning", Title: "TestFlaky is flaky: failed, then passed on retry", Message: "timed out"},
	}
	if fmt.Sprint(cr.Output.Annotations) != fmt.Sprint(want) {
		t.Errorf("annotations\n%+v\nwant\n%+v", cr.Output.Annotations, want)
	}
	if strings.Contains(cr.Output.Summary+cr.Output.Text+fmt.Sprint(cr.Output.Annotations), "s3cr3t") {
		t.Error("the secret a test printed reached the check run")
	}
	if !strings.Contains(cr.Output.Text, "--- FAIL: TestBroken") {
		t.Errorf("the failed shard's log tail is gone:\n%s", cr.Output.Text)
	}
	// The same finished run reported again, now with its log tail (the local executor adds
	// it after the run ended): the update goes, the annotations not a second time, as
	// GitHub would append them.
	r.LogTail = "--- FAIL: TestBroken (carried)"
	if err := rep.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	if cr := w.checkRun(t); len(cr.Output.Annotations) != 2 {
		t.Errorf("%d annotations after a repeated report, want 2", len(cr.Output.Annotations))
	}
}

// A run whose only failure passed on its retry succeeds, and the check run says which test
// is flaky.
func TestFlakyOnlyRunSucceedsAndListsTheFlakyTest(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	l := &stepLogs{logs: map[string]string{"report/" + testreport.ReportStep: reportLog(t, gotestFlakyOnly)}}
	rep := New(w.client, Options{Logs: l})
	r := shardedRun(w.sha, run.Succeeded)
	// Running: no log is read, no annotation sent.
	r.State, r.Tasks[2].State, r.Tasks[2].Steps[0].State = run.Running, run.Running, run.Running
	if _, err := rep.Submitted(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	if len(l.asked) != 0 {
		t.Errorf("logs read for a running run: %v", l.asked)
	}
	r.State, r.Tasks[2].State, r.Tasks[2].Steps[0].State = run.Succeeded, run.Succeeded, run.Succeeded
	if err := rep.Update(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	cr := w.checkRun(t)
	if cr.Conclusion != "success" || !strings.Contains(cr.Output.Title, "2 tests: 0 failed, 1 flaky") {
		t.Errorf("check run %s %q, want success with the counts", cr.Conclusion, cr.Output.Title)
	}
	if !strings.Contains(cr.Output.Summary, "- `TestFlaky` in `example.com/m/a`") || strings.Contains(cr.Output.Summary, "Failed test") {
		t.Errorf("summary:\n%s", cr.Output.Summary)
	}
	if len(cr.Output.Annotations) != 1 || cr.Output.Annotations[0].AnnotationLevel != "warning" {
		t.Errorf("annotations %+v, want one warning for the flaky test", cr.Output.Annotations)
	}
	if len(l.asked) != 1 || l.asked[0] != "report/"+testreport.ReportStep {
		t.Errorf("logs asked %v, want the report step's once", l.asked)
	}
}

// A report step whose log has no block (it was killed, or is not the catalog's) leaves
// the check run as it was without the report.
func TestReportStepWithoutBlock(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	l := &stepLogs{logs: map[string]string{"report/" + testreport.ReportStep: "tests: 3 run\n" + testreport.BlockBegin + "\n{\"version\":1,"}}
	rep := New(w.client, Options{Logs: l})
	r := shardedRun(w.sha, run.Succeeded)
	if _, err := rep.Submitted(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	cr := w.checkRun(t)
	if cr.Conclusion != "success" || cr.Output.Title != "3/3 tasks succeeded" || strings.Contains(cr.Output.Summary, "### Tests") || len(cr.Output.Annotations) != 0 {
		t.Errorf("check run %+v", cr)
	}
}

func TestStatusDescriptionHasTheCounts(t *testing.T) {
	w := newWorld(t, github.ModeToken)
	l := &stepLogs{logs: map[string]string{"report/" + testreport.ReportStep: reportLog(t, gotestBrokenAndFlaky)}}
	rep := New(w.client, Options{Logs: l})
	r := shardedRun(w.sha, run.Failed)
	if _, err := rep.Submitted(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	sts := w.gh.Statuses(repoName)
	if len(sts) != 1 {
		t.Fatalf("statuses %+v", sts)
	}
	if want := "3 tests: 1 failed, 1 flaky, 0 skipped (1/3 tasks succeeded, test failed)"; sts[0].State != "failure" || sts[0].Description != want {
		t.Errorf("status %s %q, want failure %q", sts[0].State, sts[0].Description, want)
	}
}

// GitHub refusing the annotations (a path it does not take) must not leave the check run
// unfinished: it completes without them.
func TestRefusedAnnotationsDoNotBlockTheConclusion(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	l := &stepLogs{logs: map[string]string{"report/" + testreport.ReportStep: reportLog(t, gotestBrokenAndFlaky)}}
	rep := New(w.client, Options{Logs: l})
	ctx := context.Background()
	r := shardedRun(w.sha, run.Failed)
	r.State = run.Running
	if _, err := rep.Submitted(ctx, &r); err != nil {
		t.Fatal(err)
	}
	w.gh.FailNext(patchRoute, 1, fakegithub.Unprocessable())
	r.State = run.Failed
	if err := rep.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	cr := w.checkRun(t)
	if cr.Conclusion != "failure" || len(cr.Output.Annotations) != 0 ||
		!strings.Contains(cr.Output.Summary, "GitHub refused this run's annotations") || !strings.Contains(cr.Output.Summary, "`TestBroken`") {
		t.Errorf("check run %s, %d annotations, summary:\n%s", cr.Conclusion, len(cr.Output.Annotations), cr.Output.Summary)
	}
	if n := w.gh.Count(patchRoute); n != 2 {
		t.Errorf("PATCH sent %d times, want 2 (refused, then without annotations)", n)
	}
}
