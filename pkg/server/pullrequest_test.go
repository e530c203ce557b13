package server

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/run"
)

// buildScript echoes the filled template variables, then lasts long enough for the check run
// to be seen in progress.
const buildScript = "echo building {{ revision }} of {{ repo_url }}\nsleep 0.5\necho done"

func prFiles() map[string]string {
	return map[string]string{
		"README.md":                 "# widgets\n",
		".tekton/pull-request.yaml": pipelineRun("pull-request", "[pull_request]", "[main]", buildScript),
	}
}

// A pull request opened on a repository with a matching definition gets one run of the
// rendered definition and one check run that goes queued, in progress, then success.
func TestPullRequestOpenedRunsAndReportsSuccess(t *testing.T) {
	h := newHarness(t, prFiles())
	pr := h.openPR(map[string]string{"src/main.go": "package main\n"})
	h.sendPR(pr.Number, "opened")

	cr := h.waitCheck("pull-request", pr.HeadSHA, "completed")
	if cr.Conclusion != "success" {
		t.Fatalf("check run concluded %q, want success\n%s", cr.Conclusion, h.dump())
	}
	// In progress may be sent more than once: each time the task table changes.
	history := h.statusHistory(cr)
	if got, want := slices.Compact(slices.Clone(history)), []string{"queued", "in_progress", "completed/success"}; !slices.Equal(got, want) {
		t.Errorf("check run statuses = %v, want %v", history, want)
	}
	if cr.App != "rigger[bot]" {
		t.Errorf("check run made by %q, want the App's installation rigger[bot]", cr.App)
	}
	if !strings.Contains(cr.Output.Summary, "pull-request") || !strings.Contains(cr.Output.Summary, pr.HeadSHA[:7]) {
		t.Errorf("check run summary %q does not name the definition and commit", cr.Output.Summary)
	}
	if !strings.Contains(cr.Output.Summary, "| build | succeeded |") {
		t.Errorf("check run summary has no task table row for build:\n%s", cr.Output.Summary)
	}
	if cr.Output.Title != "1/1 tasks succeeded" {
		t.Errorf("check run title = %q", cr.Output.Title)
	}

	runs := h.runs()
	if len(runs) != 1 {
		t.Fatalf("%d runs, want 1\n%s", len(runs), h.dump())
	}
	r := runs[0]
	if r.State != run.Succeeded || r.SHA != pr.HeadSHA || r.Definition != "pull-request" ||
		r.PullRequest != pr.Number || r.Repo != repoName || r.Namespace != "ci-widgets" || r.CheckRunID != cr.ID {
		t.Errorf("run = %+v", r)
	}
	if cr.ExternalID != r.Name {
		t.Errorf("check run external id %q, want the run's name %q", cr.ExternalID, r.Name)
	}
	log, err := h.exec.LogTail(context.Background(), r, "build", "compile", 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := "building " + pr.HeadSHA + " of " + h.repo.HTMLURL(); !strings.Contains(log, want) {
		t.Errorf("step log %q does not contain %q", log, want)
	}
	h.waitHandled("pull_request", "submitted", 1)
}

// A failing step fails the check run, and the check run shows the step's last log lines.
func TestFailingStepFailsCheckRunWithLogTail(t *testing.T) {
	script := "echo compiling {{ revision }}\nfor i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do echo noise line $i; done\necho 'main.go:3: undefined: frobnicate' >&2\nexit 3"
	h := newHarness(t, map[string]string{
		".tekton/pull-request.yaml": pipelineRun("pull-request", "[pull_request]", "[main]", script),
	})
	pr := h.openPR(map[string]string{"main.go": "package main\n"})
	h.sendPR(pr.Number, "opened")

	cr := h.waitCheck("pull-request", pr.HeadSHA, "completed")
	if cr.Conclusion != "failure" {
		t.Fatalf("check run concluded %q, want failure\n%s", cr.Conclusion, h.dump())
	}
	if !strings.Contains(cr.Output.Title, "build failed") {
		t.Errorf("check run title %q does not name the failed task", cr.Output.Title)
	}
	text := cr.Output.Text
	for _, want := range []string{"main.go:3: undefined: frobnicate", "noise line 25", "`build` / `compile`"} {
		if !strings.Contains(text, want) {
			t.Errorf("check run text does not contain %q:\n%s", want, text)
		}
	}
	// The tail is the last lines only: the first noise lines and the commit line are cut.
	if strings.Contains(text, "noise line 1\n") || strings.Contains(text, "compiling") {
		t.Errorf("check run text has more than the log's tail:\n%s", text)
	}
}

// A new push to the pull request runs the definition again for the new head, with a
// second check run on the new SHA; the first stays as it was.
func TestSynchronizeRunsNewHead(t *testing.T) {
	h := newHarness(t, prFiles())
	pr := h.openPR(map[string]string{"src/main.go": "package main\n"})
	h.sendPR(pr.Number, "opened")
	first := h.waitCheck("pull-request", pr.HeadSHA, "completed")

	newHead, err := h.repo.PushToPullRequest(pr.Number, "Fix things", map[string]string{"src/main.go": "package main\n\nfunc main() {}\n"})
	if err != nil {
		t.Fatal(err)
	}
	h.sendPR(pr.Number, "synchronize")
	second := h.waitCheck("pull-request", newHead, "completed")
	if second.Conclusion != "success" || second.ID == first.ID {
		t.Fatalf("second check run = %+v (first #%d)\n%s", second, first.ID, h.dump())
	}
	if n := len(h.gh.CheckRuns(repoName)); n != 2 {
		t.Errorf("%d check runs, want 2\n%s", n, h.dump())
	}
	if again, _ := h.checkRun("pull-request", pr.HeadSHA); again.Updates != first.Updates || again.Conclusion != "success" {
		t.Errorf("the first head's check run changed: %+v", again)
	}
	var shas []string
	for _, r := range h.runs() {
		shas = append(shas, r.SHA)
		log, err := h.exec.LogTail(context.Background(), r, "build", "compile", 10)
		if err != nil || !strings.Contains(log, "building "+r.SHA) {
			t.Errorf("run %s log = %q, %v; want it to build its own SHA", r.Name, log, err)
		}
	}
	slices.Sort(shas)
	want := []string{pr.HeadSHA, newHead}
	slices.Sort(want)
	if !slices.Equal(shas, want) {
		t.Errorf("runs for %v, want %v", shas, want)
	}
}

// GitHub redelivering a webhook (the same delivery ID and body) starts nothing new.
func TestRedeliveryStartsNoSecondRun(t *testing.T) {
	h := newHarness(t, prFiles())
	pr := h.openPR(map[string]string{"src/main.go": "package main\n"})
	d := h.sendPR(pr.Number, "opened")
	h.waitCheck("pull-request", pr.HeadSHA, "completed")
	h.waitHandled("pull_request", "submitted", 1)
	creates := h.gh.Count(routeCreateCheck)

	again, err := h.gh.Redeliver(context.Background(), d.ID)
	h.accepted(again, err)
	h.waitHandled("pull_request", "duplicate", 1)
	if n := len(h.gh.CheckRuns(repoName)); n != 1 {
		t.Errorf("%d check runs after a redelivery, want 1\n%s", n, h.dump())
	}
	if n := h.gh.Count(routeCreateCheck); n != creates {
		t.Errorf("a redelivery created %d check runs", n-creates)
	}
	if n := len(h.runs()); n != 1 {
		t.Errorf("%d runs after a redelivery, want 1\n%s", n, h.dump())
	}
	if n := h.handled("pull_request", "submitted"); n != 1 {
		t.Errorf("%d events submitted runs, want 1", n)
	}
}

// Closing a pull request cancels its run in progress, and its check run says so.
func TestClosedPullRequestCancelsRun(t *testing.T) {
	h := newHarness(t, map[string]string{
		".tekton/pull-request.yaml": pipelineRun("pull-request", "[pull_request]", "[main]", "echo started\nsleep 60\necho never"),
	})
	pr := h.openPR(map[string]string{"src/main.go": "package main\n"})
	h.sendPR(pr.Number, "opened")
	h.waitCheck("pull-request", pr.HeadSHA, "in_progress")

	if err := h.repo.ClosePullRequest(pr.Number); err != nil {
		t.Fatal(err)
	}
	h.sendPR(pr.Number, "closed")
	h.waitHandled("pull_request", "cancelled", 1)
	cr := h.waitCheck("pull-request", pr.HeadSHA, "completed")
	if cr.Conclusion != "cancelled" {
		t.Fatalf("check run concluded %q, want cancelled\n%s", cr.Conclusion, h.dump())
	}
	if !strings.HasPrefix(cr.Output.Title, "Cancelled") {
		t.Errorf("check run title = %q", cr.Output.Title)
	}
	runs := h.runs()
	if len(runs) != 1 || runs[0].State != run.Cancelled {
		t.Fatalf("runs = %v\n%s", runs, h.dump())
	}
	if d := runs[0].Duration(); d > 30e9 {
		t.Errorf("the cancelled run lasted %s: the sleep was not stopped", d)
	}
}

// With the local executor, a step starts from a clean environment: Rigger's own variables
// (its webhook secret, its GitHub credentials) never reach it, and were a step to print
// Rigger's secrets anyway, the check run shows them masked.
func TestLocalStepsGetACleanEnvironmentAndRiggersSecretsAreMasked(t *testing.T) {
	t.Setenv("RIGGER_WEBHOOK_SECRET", webhookSecret)
	t.Setenv("RIGGER_GITHUB_TOKEN", "ghp_should-never-reach-a-step")
	script := "echo \"env webhook=[$RIGGER_WEBHOOK_SECRET] token=[$RIGGER_GITHUB_TOKEN] path=[${PATH:+set}]\"\necho \"printed: " + webhookSecret + "\"\nexit 1"
	h := newHarness(t, map[string]string{
		".tekton/pull-request.yaml": pipelineRun("pull-request", "[pull_request]", "[main]", script),
	})
	pr := h.openPR(map[string]string{"main.go": "package main\n"})
	h.sendPR(pr.Number, "opened")
	cr := h.waitCheck("pull-request", pr.HeadSHA, "completed")
	text := cr.Output.Text
	if !strings.Contains(text, "env webhook=[] token=[] path=[set]") {
		t.Errorf("the step's environment is not clean, or PATH is missing:\n%s", text)
	}
	if strings.Contains(text, webhookSecret) || !strings.Contains(text, "printed: ***") {
		t.Errorf("Rigger's webhook secret is not masked in the check run:\n%s", text)
	}
}
