package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/internal/fakegithub"
)

// A broken .tekton file gets a failed check run that names the file and line, and the good
// definition beside it still runs.
func TestBrokenDefinitionIsReportedAndGoodOneRuns(t *testing.T) {
	broken := "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata:\n  name: lint\n  labels: a: b\nspec: {}\n"
	h := newHarness(t, map[string]string{
		".tekton/pull-request.yaml": pipelineRun("pull-request", "[pull_request]", "[main]", buildScript),
		".tekton/lint.yaml":         broken,
	})
	pr := h.openPR(map[string]string{"src/main.go": "package main\n"})
	h.sendPR(pr.Number, "opened")

	good := h.waitCheck("pull-request", pr.HeadSHA, "completed")
	if good.Conclusion != "success" {
		t.Errorf("the good definition's check run concluded %q\n%s", good.Conclusion, h.dump())
	}
	bad, ok := h.checkRun("lint", pr.HeadSHA)
	if !ok {
		t.Fatalf("no check run for the broken file\n%s", h.dump())
	}
	if bad.Status != "completed" || bad.Conclusion != "failure" {
		t.Errorf("broken file's check run is %s/%s, want completed/failure", bad.Status, bad.Conclusion)
	}
	if !strings.Contains(bad.Output.Title, ".tekton/lint.yaml:5") {
		t.Errorf("broken file's check run title %q does not name .tekton/lint.yaml:5", bad.Output.Title)
	}
	if len(bad.Output.Annotations) != 1 || bad.Output.Annotations[0].Path != ".tekton/lint.yaml" || bad.Output.Annotations[0].StartLine != 5 {
		t.Errorf("broken file's annotations = %+v, want one at .tekton/lint.yaml:5", bad.Output.Annotations)
	}
	if n := len(h.runs()); n != 1 {
		t.Errorf("%d runs, want 1 (the good definition)\n%s", n, h.dump())
	}
	h.waitHandled("pull_request", "submitted", 1)
	if n := h.handled("pull_request", "failed"); n != 0 {
		t.Errorf("%d events given up on", n)
	}
}

// Definitions run only for the events and target branches their annotations name.
func TestEventsRunOnlyMatchingDefinitions(t *testing.T) {
	h := newHarness(t, map[string]string{
		".tekton/pull-request.yaml": pipelineRun("pull-request", "[pull_request]", "[main]", "echo pr {{ revision }}"),
		".tekton/push.yaml":         pipelineRun("push", "[push]", "[main]", "echo push {{ revision }} on {{ target_branch }}"),
	})

	// A push to another branch than main runs nothing.
	if err := h.repo.CreateBranch("topic", "main"); err != nil {
		t.Fatal(err)
	}
	topicSHA, err := h.repo.Commit("topic", "Work in progress", map[string]string{"notes.txt": "wip\n"})
	if err != nil {
		t.Fatal(err)
	}
	h.sendPush("topic")
	h.waitHandled("push", "no_match", 1)
	if crs := h.gh.CheckRuns(repoName); len(crs) != 0 {
		t.Errorf("a push to topic made check runs: %+v", crs)
	}
	if n := len(h.runs()); n != 0 {
		t.Errorf("a push to topic (%.12s) made %d runs\n%s", topicSHA, n, h.dump())
	}

	// A push to main runs the push definition only.
	mainSHA, err := h.repo.Commit("main", "Release notes", map[string]string{"NOTES.md": "v1\n"})
	if err != nil {
		t.Fatal(err)
	}
	h.sendPush("main")
	cr := h.waitCheck("push", mainSHA, "completed")
	if cr.Conclusion != "success" {
		t.Errorf("push check run concluded %q", cr.Conclusion)
	}
	if _, ok := h.checkRun("pull-request", mainSHA); ok {
		t.Errorf("the pull-request definition ran on a push\n%s", h.dump())
	}
	runs := h.runs()
	if len(runs) != 1 || runs[0].Definition != "push" || runs[0].Trigger != "push" {
		t.Fatalf("runs after the push to main: %+v", runs)
	}
	log, err := h.exec.LogTail(context.Background(), runs[0], "build", "compile", 5)
	if err != nil || !strings.Contains(log, "push "+mainSHA+" on main") {
		t.Errorf("push run log = %q, %v", log, err)
	}

	// A pull request into main runs the pull-request definition only.
	pr := h.openPR(map[string]string{"src/main.go": "package main\n"})
	h.sendPR(pr.Number, "opened")
	h.waitCheck("pull-request", pr.HeadSHA, "completed")
	h.waitHandled("pull_request", "submitted", 1)
	if _, ok := h.checkRun("push", pr.HeadSHA); ok {
		t.Errorf("the push definition ran on a pull request\n%s", h.dump())
	}
	if n := len(h.gh.CheckRuns(repoName)); n != 2 {
		t.Errorf("%d check runs, want 2\n%s", n, h.dump())
	}

	// A pull request into another branch runs nothing.
	if err := h.repo.CreateBranch("release-1", "main"); err != nil {
		t.Fatal(err)
	}
	if err := h.repo.CreateBranch("backport", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.repo.Commit("backport", "Backport", map[string]string{"fix.txt": "fix\n"}); err != nil {
		t.Fatal(err)
	}
	bp, err := h.repo.OpenPullRequest(fakegithub.PullRequestSpec{Head: "backport", Base: "release-1"})
	if err != nil {
		t.Fatal(err)
	}
	h.sendPR(bp.Number, "opened")
	h.waitHandled("pull_request", "no_match", 1)
	if n := len(h.gh.CheckRuns(repoName)); n != 2 {
		t.Errorf("a pull request into release-1 made check runs\n%s", h.dump())
	}
}

// A webhook with a wrong signature is refused and nothing is queued; the health, readiness
// and metrics endpoints answer.
func TestSignatureHealthReadinessAndMetrics(t *testing.T) {
	h := newHarness(t, prFiles())
	pr := h.openPR(map[string]string{"src/main.go": "package main\n"})

	d, err := h.gh.SendPullRequest(context.Background(), h.hookURL(), "not the secret", repoName, pr.Number, "opened")
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != http.StatusUnauthorized {
		t.Errorf("badly signed delivery: status %d, want 401", d.Status)
	}
	if depth, inFlight := h.srv.queue.Depth(), h.srv.queue.InFlight(); depth != 0 || inFlight != 0 {
		t.Errorf("a badly signed delivery was queued: depth %d, in flight %d", depth, inFlight)
	}
	if calls := h.gh.Calls(); len(calls) != 0 {
		t.Errorf("a badly signed delivery made GitHub calls: %+v", calls)
	}

	if code, body := h.get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := h.get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d %q, want 200 while GitHub answers", code, body)
	}
	if n := h.gh.Count("GET /app"); n != 1 {
		t.Errorf("/readyz checked the App credentials %d times, want 1", n)
	}

	h.sendPR(pr.Number, "opened")
	h.waitCheck("pull-request", pr.HeadSHA, "completed")
	h.waitHandled("pull_request", "submitted", 1)
	code, metrics := h.get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`rigger_webhook_events_total{event="pull_request",result="bad_signature"} 1`,
		`rigger_webhook_events_total{event="pull_request",result="accepted"} 1`,
		`rigger_github_api_calls_total{endpoint="GET /repos/{owner}/{repo}/git/trees/{sha}",status="2xx"} 1`,
		`rigger_runs_created_total{executor="local"} 1`,
		`rigger_events_handled_total{event="pull_request",result="submitted"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", grepLines(metrics, "rigger_"))
	}
}

// An outage on GitHub's tree endpoint fails the event; it is tried again and the run
// happens once GitHub answers.
func TestGitHubOutageIsRetried(t *testing.T) {
	h := newHarness(t, prFiles())
	pr := h.openPR(map[string]string{"src/main.go": "package main\n"})
	// The client tries each request twice (see newHarness), so five 502s fail the event
	// twice before the third attempt gets through.
	h.gh.FailNext(routeTree, 5, fakegithub.BadGateway())
	h.sendPR(pr.Number, "opened")

	cr := h.waitCheck("pull-request", pr.HeadSHA, "completed")
	if cr.Conclusion != "success" {
		t.Errorf("check run concluded %q after the outage", cr.Conclusion)
	}
	if n := h.gh.PendingFaults(); n != 0 {
		t.Errorf("%d injected faults never fired", n)
	}
	faults, ok := 0, 0
	for _, c := range h.gh.CallsTo(routeTree) {
		if c.Fault {
			faults++
		} else if c.Status == http.StatusOK {
			ok++
		}
	}
	if faults != 5 || ok != 1 {
		t.Errorf("tree calls: %d faults, %d answered; want 5 and 1\n%s", faults, ok, h.dump())
	}
	h.waitHandled("pull_request", "submitted", 1)
	if n := len(h.gh.CheckRuns(repoName)); n != 1 {
		t.Errorf("%d check runs, want 1\n%s", n, h.dump())
	}
	if n := len(h.runs()); n != 1 {
		t.Errorf("%d runs, want 1", n)
	}
}

// A synchronize whose .tekton/ did not change costs one tree call and no blob call, plus the
// check run's writes.
func TestSynchronizeAPICallBudget(t *testing.T) {
	h := newHarness(t, prFiles())
	pr := h.openPR(map[string]string{"src/main.go": "package main\n"})
	h.sendPR(pr.Number, "opened")
	h.waitCheck("pull-request", pr.HeadSHA, "completed")
	h.waitHandled("pull_request", "submitted", 1)

	h.gh.Reset()
	head, err := h.repo.PushToPullRequest(pr.Number, "Fix", map[string]string{"src/main.go": "package main\n\nfunc main() {}\n"})
	if err != nil {
		t.Fatal(err)
	}
	h.sendPR(pr.Number, "synchronize")
	h.waitCheck("pull-request", head, "completed")
	h.waitHandled("pull_request", "submitted", 2)

	counts := h.gh.CountsByRoute()
	total := 0
	for route, n := range counts {
		total += n
		t.Logf("synchronize with an unchanged .tekton/: %3d × %s", n, route)
	}
	t.Logf("synchronize with an unchanged .tekton/: %d GitHub API calls in all", total)
	if counts[routeTree] != 1 {
		t.Errorf("%d tree calls, want 1", counts[routeTree])
	}
	if counts[routeBlob] != 0 {
		t.Errorf("%d blob calls, want 0: the unchanged definition should come from the cache", counts[routeBlob])
	}
	if counts[routeCreateCheck] != 1 {
		t.Errorf("%d check run creations, want 1", counts[routeCreateCheck])
	}
	// queued is the creation; after it, one update per state a user can see: the run in
	// progress, its one task running, that task done while the run finishes, completed.
	// How many of the middle ones are seen depends on timing (updates are coalesced), so
	// the bound is the four a one-task run can show, never one per executor event.
	if counts[routeUpdateCheck] > 4 {
		t.Errorf("%d check run updates, want at most 4", counts[routeUpdateCheck])
	}
	if total > 6 {
		t.Errorf("%d GitHub API calls for one synchronize, want at most 6 (tree, create, 4 updates)", total)
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// When GitHub fails the check run's creation, the run starts anyway and the watcher gives it
// its check run once GitHub answers again.
func TestCheckRunCreatedLaterWhenGitHubFailsAtSubmit(t *testing.T) {
	h := newHarness(t, prFiles())
	pr := h.openPR(map[string]string{"src/main.go": "package main\n"})
	h.gh.FailNext(routeCreateCheck, 2, fakegithub.BadGateway())
	h.sendPR(pr.Number, "opened")

	cr := h.waitCheck("pull-request", pr.HeadSHA, "completed")
	if cr.Conclusion != "success" {
		t.Errorf("check run concluded %q", cr.Conclusion)
	}
	if n := len(h.gh.CheckRuns(repoName)); n != 1 {
		t.Errorf("%d check runs, want 1\n%s", n, h.dump())
	}
	if n := len(h.runs()); n != 1 {
		t.Errorf("%d runs, want 1\n%s", n, h.dump())
	}
	h.waitHandled("pull_request", "submitted", 1)
	if n := h.gh.PendingFaults(); n != 0 {
		t.Errorf("%d injected faults never fired: the failure path was not taken", n)
	}
}
