package server

import (
	"context"
	"testing"
	"time"

	gogh "github.com/google/go-github/v62/github"
	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/reporter"
	"github.com/rigger-ci/rigger/pkg/run"
)

// A Rigger killed between creating a run's check run and creating the run leaves the check
// run queued. When the delivery was in flight at the kill, GitHub shows it failed and its
// Redeliver sends it again: handled by the restarted Rigger before its first repair, it
// must take over that check run, not make a second beside it that stays queued for good.
func TestRedeliveryAfterAKillAdoptsTheCheckRunLeftBehind(t *testing.T) {
	h := newHarness(t, map[string]string{
		".tekton/pull-request.yaml": pipelineRun("pull-request", "[pull_request]", "[main]", "echo done"),
	})
	pr := h.openPR(map[string]string{"a.go": "package a\n"})
	// The restarted Rigger repairs (as by default), but its first repair cannot list the
	// open pull requests yet, so the redelivery comes first.
	h.stop()
	h.gh.FailNext("GET /repos/{owner}/{repo}/pulls", 1000, fakegithub.BadGateway())
	h.repair = time.Hour
	h.start()
	// What the killed Rigger left: the check run of the run it was about to create.
	name := run.Identity{Repo: repoName, SHA: pr.HeadSHA, Definition: "pull-request", Trigger: "pull_request"}.Name()
	if _, err := h.srv.gh.CreateCheckRun(context.Background(), "acme", "widgets", gogh.CreateCheckRunOptions{
		Name: reporter.CheckName("pull-request"), HeadSHA: pr.HeadSHA, ExternalID: &name, Status: gogh.String("queued"),
	}); err != nil {
		t.Fatal(err)
	}
	h.sendPR(pr.Number, "opened") // the redelivery
	h.waitFor("the run to finish", func() bool {
		rs := h.runs()
		return len(rs) == 1 && rs[0].State == run.Succeeded
	})
	time.Sleep(300 * time.Millisecond) // its report lands
	var mine []string
	for _, cr := range h.gh.CheckRuns(repoName) {
		if cr.HeadSHA == pr.HeadSHA && cr.Name == reporter.CheckName("pull-request") {
			mine = append(mine, cr.Status+"/"+cr.Conclusion)
		}
	}
	if len(mine) != 1 || mine[0] != "completed/success" {
		t.Fatalf("check runs on the head: %v, want one, completed/success\n%s", mine, h.dump())
	}
}
