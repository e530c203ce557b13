package reporter

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rigger-ci/rigger/pkg/github"
	"github.com/rigger-ci/rigger/pkg/run"
)

const patchRoute = "PATCH /repos/{owner}/{repo}/check-runs/{id}"

func TestCheckRunLifecycle(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	l := &logs{}
	rep := New(w.client, Options{
		Logs:       l,
		Secrets:    secrets{"s3cr3t-value", "ab"},
		DetailsURL: func(r run.Run) string { return "https://rigger.example/runs/" + r.Name },
	})
	ctx := context.Background()
	r := newRun(w.sha)

	id, err := rep.Submitted(ctx, &r)
	if err != nil {
		t.Fatal(err)
	}
	cr := w.checkRun(t)
	if id == 0 || cr.ID != id || r.CheckRunID != id {
		t.Errorf("check run id: returned %d, run carries %d, GitHub has %d", id, r.CheckRunID, cr.ID)
	}
	if cr.Name != "Rigger / pull-request" || cr.Status != "queued" || cr.HeadSHA != w.sha ||
		cr.ExternalID != r.Name || cr.DetailsURL != "https://rigger.example/runs/"+r.Name {
		t.Errorf("created check run = %+v", cr)
	}
	if cr.Output.Title != "Queued" || !strings.Contains(cr.Output.Summary, "| build | queued | - |") {
		t.Errorf("queued output = %+v", cr.Output)
	}

	start := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	r.State, r.StartTime = run.Running, start
	r.Tasks[0] = run.Task{Name: "build", State: run.Succeeded, StartTime: start, CompletionTime: start.Add(62 * time.Second)}
	r.Tasks[1] = run.Task{Name: "test", State: run.Running, StartTime: start.Add(62 * time.Second)}
	if err := rep.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	cr = w.checkRun(t)
	if cr.Status != "in_progress" || cr.Output.Title != "Running: 1/3 tasks done" {
		t.Errorf("running check run = %s %q", cr.Status, cr.Output.Title)
	}
	if !strings.Contains(cr.Output.Summary, "| build | succeeded | 1m2s |") || !strings.Contains(cr.Output.Summary, "| test | running | - |") {
		t.Errorf("running summary:\n%s", cr.Output.Summary)
	}

	r.State, r.CompletionTime, r.Reason, r.Message = run.Failed, start.Add(2*time.Minute), "Failed", "Tasks Completed: 3 (Failed: 1)"
	r.Tasks[1] = run.Task{Name: "test", State: run.Failed, StartTime: start.Add(62 * time.Second), CompletionTime: start.Add(92 * time.Second),
		Steps: []run.Step{{Name: "prepare", State: run.Succeeded}, {Name: "unit", State: run.Failed, ExitCode: 1}}}
	r.Tasks[2] = run.Task{Name: "lint", State: run.Succeeded, StartTime: start, CompletionTime: start.Add(5 * time.Second)}
	if err := rep.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	cr = w.checkRun(t)
	if cr.Status != "completed" || cr.Conclusion != "failure" || !cr.CompletedAt.Equal(r.CompletionTime) {
		t.Errorf("failed check run = %s/%s at %v", cr.Status, cr.Conclusion, cr.CompletedAt)
	}
	if cr.Output.Title != "2/3 tasks succeeded, test failed" {
		t.Errorf("title = %q", cr.Output.Title)
	}
	for _, row := range []string{"| build | succeeded | 1m2s |", "| test | failed | 30s |", "| lint | succeeded | 5s |", "in 2m0s"} {
		if !strings.Contains(cr.Output.Summary, row) {
			t.Errorf("summary lacks %q:\n%s", row, cr.Output.Summary)
		}
	}
	if len(l.asked) != 1 || l.asked[0] != "test/unit" {
		t.Errorf("log asked for %v, want [test/unit]", l.asked)
	}
	text := cr.Output.Text
	if !strings.Contains(text, "```\n") || !strings.Contains(text, "FAIL: TestWidget (exit 1)") || !strings.Contains(text, "test/unit line 30") {
		t.Errorf("text lacks the log tail:\n%s", text)
	}
	if strings.Contains(text, "test/unit line 12") {
		t.Errorf("text shows more than %d lines:\n%s", LogLines, text)
	}
	if strings.Contains(text, "s3cr3t-value") || !strings.Contains(text, "pushing with token *** and again ***") {
		t.Errorf("secret not masked:\n%s", text)
	}

	// The same state again changes nothing a user sees: no call.
	before := w.gh.Count(patchRoute)
	if err := rep.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	if n := w.gh.Count(patchRoute); n != before || len(l.asked) != 1 {
		t.Errorf("identical update sent %d more PATCHes and %d more log reads", n-before, len(l.asked)-1)
	}
	if cr = w.checkRun(t); cr.Updates != 2 {
		t.Errorf("check run was updated %d times, want 2", cr.Updates)
	}
}

func TestConclusions(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	rep := New(w.client, Options{})
	cases := []struct {
		state             run.State
		reason            string
		conclusion, title string
	}{
		{run.Succeeded, "Succeeded", "success", "3/3 tasks succeeded"},
		{run.Cancelled, "Cancelled", "cancelled", "Cancelled: 1/3 tasks succeeded"},
		{run.Failed, "PipelineRunTimeout", "timed_out", "Timed out: 1/3 tasks succeeded"},
	}
	for i, c := range cases {
		r := newRun(w.sha)
		r.Name = r.Name + string(rune('a'+i))
		r.State, r.Reason = c.state, c.reason
		for j := range r.Tasks {
			r.Tasks[j].State = run.Succeeded
			if c.state != run.Succeeded && j > 0 {
				r.Tasks[j].State = run.Cancelled
			}
		}
		if _, err := rep.Submitted(context.Background(), &r); err != nil {
			t.Fatal(err)
		}
		crs := w.gh.CheckRuns(repoName)
		cr := crs[len(crs)-1]
		if cr.Status != "completed" || cr.Conclusion != c.conclusion || cr.Output.Title != c.title {
			t.Errorf("%s/%s: got %s/%s %q, want completed/%s %q", c.state, c.reason, cr.Status, cr.Conclusion, cr.Output.Title, c.conclusion, c.title)
		}
	}
}

func TestUpdateCreatesAMissingCheckRunOnce(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	rep := New(w.client, Options{})
	r := newRun(w.sha)
	r.State = run.Running
	for range 2 {
		if err := rep.Update(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if cr := w.checkRun(t); cr.Status != "in_progress" || cr.Updates != 0 {
		t.Errorf("check run = %s, %d updates", cr.Status, cr.Updates)
	}
}

func TestRunCarriedLogTailIsCutAndFenced(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	rep := New(w.client, Options{Secrets: secrets{"hunter2-password"}})
	r := newRun(w.sha)
	r.State, r.FailedTask, r.FailedStep = run.Failed, "build", "compile"
	var b strings.Builder
	for i := 1; i <= 25; i++ {
		b.WriteString("compile line\n")
	}
	b.WriteString("```\nlogged hunter2-password\n")
	r.LogTail = b.String()
	if _, err := rep.Submitted(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	text := w.checkRun(t).Output.Text
	if !strings.Contains(text, "`build` / `compile`") || strings.Count(text, "compile line") != LogLines-2 {
		t.Errorf("want the last %d lines of build/compile:\n%s", LogLines, text)
	}
	if !strings.Contains(text, "````\n") || strings.Contains(text, "hunter2") {
		t.Errorf("want a longer fence and the secret masked:\n%s", text)
	}
}

func TestFinishedRunWithoutCompletionTimeIsReportedOnce(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	rep := New(w.client, Options{})
	r := newRun(w.sha)
	if _, err := rep.Submitted(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	r.State = run.Succeeded
	for range 3 {
		if err := rep.Update(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond / 3)
	}
	if n := w.gh.Count(patchRoute); n != 1 {
		t.Errorf("a finished run was PATCHed %d times, want 1", n)
	}
}

func TestTruncateKeepsRunesWhole(t *testing.T) {
	s := strings.Repeat("é", 100) // 200 bytes
	got := truncate(s, 140)
	if len(got) > 140 || !strings.HasSuffix(got, "...") || !utf8.ValidString(got) {
		t.Errorf("truncate = %q (%d bytes)", got, len(got))
	}
	if truncate("short", 140) != "short" {
		t.Error("truncate changed a short string")
	}
}
