package server

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/run"
)

const updateCheckRun = "PATCH /repos/{owner}/{repo}/check-runs/{id}"

// A check-run update that fails, for a run that then finishes, is sent again until GitHub
// takes it: the check run ends in the run's final state.
func TestFailedReportIsSentAgainUntilItLands(t *testing.T) {
	h := newHarness(t, map[string]string{
		".tekton/pull-request.yaml": pipelineRun("pull-request", "[pull_request]", "[main]", "sleep 0.2; echo done"),
	})
	pr := h.openPR(map[string]string{"a.go": "package a\n"})
	// Every update fails for a while: the in-progress one and the final one. (The client's
	// own retries take two attempts each.)
	h.gh.FailNext(updateCheckRun, 6, fakegithub.BadGateway())
	h.sendPR(pr.Number, "opened")
	cr := h.waitCheck("pull-request", pr.HeadSHA, "completed")
	if cr.Conclusion != "success" {
		t.Fatalf("check run concluded %q, want success\n%s", cr.Conclusion, h.dump())
	}
	if h.gh.PendingFaults() != 0 {
		t.Errorf("%d faults never fired: the test did not make reports fail", h.gh.PendingFaults())
	}
}

// A run that finished while GitHub refused its report is reported by the next Rigger, from
// what the run itself records; a Rigger after that one sends nothing again.
func TestRestartReportsWhatWasMissedAndNothingTwice(t *testing.T) {
	h := newHarness(t, map[string]string{
		".tekton/pull-request.yaml": pipelineRun("pull-request", "[pull_request]", "[main]", "echo done"),
	})
	pr := h.openPR(map[string]string{"a.go": "package a\n"})
	h.gh.FailNext(updateCheckRun, 1_000_000, fakegithub.BadGateway())
	h.sendPR(pr.Number, "opened")
	h.waitFor("the run to finish", func() bool {
		rs := h.runs()
		return len(rs) == 1 && rs[0].State == run.Succeeded
	})
	h.stop()
	if cr, _ := h.checkRun("pull-request", pr.HeadSHA); cr.Status == "completed" {
		t.Fatalf("the check run completed although every update failed: %+v", cr)
	}

	h.gh.ClearFaults()
	h.start()
	cr := h.waitCheck("pull-request", pr.HeadSHA, "completed")
	if cr.Conclusion != "success" {
		t.Fatalf("after the restart the check run concluded %q, want success\n%s", cr.Conclusion, h.dump())
	}
	h.waitFor("the final report to be recorded on the run", func() bool {
		rs := h.runs()
		return len(rs) == 1 && rs[0].Reported == run.Succeeded
	})
	h.stop()

	before := len(h.gh.Calls())
	h.start()
	h.waitFor("Rigger to be ready", func() bool { code, _ := h.get("/readyz"); return code == 200 })
	// What a restart would re-send goes out within milliseconds of the watch starting.
	time.Sleep(300 * time.Millisecond)
	for _, c := range h.gh.Calls()[before:] {
		if c.Route == updateCheckRun || c.Route == "POST /repos/{owner}/{repo}/check-runs" {
			t.Errorf("a second restart sent %s %s again", c.Method, c.Path)
		}
	}
}

// Repair starts what a lost webhook would have: a pull request whose event never came gets
// its run. With nothing changed, a repair costs one conditional request per repository.
func TestRepairRunsHeadsNoWebhookBroughtAndCostsOne304(t *testing.T) {
	h := newHarness(t, map[string]string{
		".tekton/pull-request.yaml": pipelineRun("pull-request", "[pull_request]", "[main]", "echo repaired"),
	})
	pr := h.openPR(map[string]string{"a.go": "package a\n"}) // no webhook is sent
	rp := newRepairer(h.srv, time.Hour)
	ctx := context.Background()
	rp.once(ctx)
	cr := h.waitCheck("pull-request", pr.HeadSHA, "completed")
	if cr.Conclusion != "success" {
		t.Fatalf("repaired run concluded %q\n%s", cr.Conclusion, h.dump())
	}

	before := len(h.gh.Calls())
	rp.once(ctx)
	calls := h.gh.Calls()[before:]
	if len(calls) != 1 || calls[0].Route != "GET /repos/{owner}/{repo}/pulls" || calls[0].Status != 304 {
		t.Errorf("a repair with nothing to do made %d calls, want one answered 304: %+v", len(calls), calls)
	}
}

// A burst of pull requests while GitHub answers 502, then 403 with Retry-After (its
// secondary rate limit), on whatever is called: with the repair that follows, every pull
// request ends with one check run, green. Nothing lost, nothing twice.
func TestGitHubFailingThroughABurstLosesNothing(t *testing.T) {
	h := newHarness(t, map[string]string{
		".tekton/pull-request.yaml": pipelineRun("pull-request", "[pull_request]", "[main]", "echo ok"),
	})
	var heads []string
	var numbers []int
	for i := range 8 {
		branch := fmt.Sprintf("b%d", i)
		if err := h.repo.CreateBranch(branch, "main"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.repo.Commit(branch, "change", map[string]string{branch: "x"}); err != nil {
			t.Fatal(err)
		}
		pr, err := h.repo.OpenPullRequest(fakegithub.PullRequestSpec{Head: branch, Author: "octocat"})
		if err != nil {
			t.Fatal(err)
		}
		heads, numbers = append(heads, pr.HeadSHA), append(numbers, pr.Number)
	}
	h.gh.FailNext(fakegithub.AnyRoute, 12, fakegithub.BadGateway())
	h.gh.FailNext(fakegithub.AnyRoute, 4, fakegithub.SecondaryRateLimit(http.StatusForbidden, time.Second))
	for _, n := range numbers {
		h.sendPR(n, "opened")
	}
	// An event whose retries outlast retry.events' deadline (two seconds here) is given up;
	// the next repair, once GitHub answers, makes it good.
	h.waitFor("GitHub to answer again", func() bool { return h.gh.PendingFaults() == 0 })
	time.Sleep(2 * time.Second)
	newRepairer(h.srv, time.Hour).once(context.Background())
	for _, sha := range heads {
		if cr := h.waitCheck("pull-request", sha, "completed"); cr.Conclusion != "success" {
			t.Errorf("%s concluded %q", sha[:8], cr.Conclusion)
		}
	}
	for _, sha := range heads {
		n := 0
		for _, cr := range h.gh.CheckRuns(repoName) {
			if cr.HeadSHA == sha {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s has %d check runs, want 1", sha[:8], n)
		}
	}
	if n := len(h.runs()); n != len(heads) {
		t.Errorf("%d runs for %d pull requests", n, len(heads))
	}
	if n := h.gh.PendingFaults(); n != 0 {
		t.Errorf("%d faults never fired", n)
	}
}
