package faults

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	"github.com/rigger-ci/rigger/internal/fakegithub"
)

const updateCheckRun = "PATCH /repos/{owner}/{repo}/check-runs/{id}"

// The update that completes a check run fails, for runs that then finish: once (GitHub's
// 502 to one request), and for eight seconds, longer than Rigger's client tries one request
// (retry.github.deadline is 2 s here), so that the report itself has to be sent again. Both
// check runs end completed in their run's state, and stay so.
func TestCheckRunUpdateFailingLosesNothing(t *testing.T) {
	s := newSuite(t, withPod(3000)) // each run's pod takes 3 s: the fault is in place before it ends
	p := s.c.StartProcess(t, riggerBin, s.gh, s.ns, framework.ProcessOptions{Config: map[string]any{
		"retry": map[string]any{"github": map[string]any{"baseDelay": "200ms", "maxDelay": "1s", "deadline": "2s"}},
	}})
	// The pull requests are opened once Rigger runs: its repair at start finds none, and
	// what runs is what the webhooks (and, after a fault, repair) bring.
	numbers := s.openPullRequests(2)
	bodies := s.opened(numbers)
	for _, d := range s.burst(p.HookURL, bodies, nil) {
		if d.Status != http.StatusAccepted {
			t.Fatalf("webhook answered %d", d.Status)
		}
	}
	ids := make([]int64, len(numbers))
	for i, n := range numbers {
		ids[i] = s.waitCheckRun(s.heads[n])
	}
	completing := func(id int64) func(fakegithub.Call) bool {
		return func(c fakegithub.Call) bool {
			body, _ := c.Body.(map[string]any)
			return strings.HasSuffix(c.Path, "/check-runs/"+strconv.FormatInt(id, 10)) && body["status"] == "completed"
		}
	}
	s.gh.Fake.FailNext(updateCheckRun, 1, fakegithub.BadGateway().If(completing(ids[0])))
	outage := time.Now().Add(8 * time.Second)
	s.gh.Fake.FailUntil(updateCheckRun, outage, fakegithub.BadGateway().If(completing(ids[1])))

	st, took := s.converge(2 * time.Minute)
	landed := time.Since(outage)
	if s.gh.Fake.PendingFaults() != 0 {
		t.Errorf("the one-off fault never fired: the run ended before it was in place")
	}
	failed := map[int64]int{}
	for _, c := range s.gh.Fake.CallsTo(updateCheckRun) {
		for _, id := range ids {
			if c.Fault && strings.HasSuffix(c.Path, "/"+strconv.FormatInt(id, 10)) {
				failed[id]++
			}
		}
	}
	if failed[ids[0]] != 1 || failed[ids[1]] < 2 {
		t.Errorf("completing updates failed %d and %d times, want 1 and more than the client's tries", failed[ids[0]], failed[ids[1]])
	}
	// Nothing sent later takes a check run back from completed.
	time.Sleep(3 * time.Second)
	if again := s.observe(); len(again.problems) > 0 {
		t.Errorf("a check run changed after it completed: %v", again.problems)
	}
	s.summary("a check-run update that fails, for a run that then finishes",
		fmt.Sprintf("#%d: its completing update answered 502 once; #%d: its completing updates answered 502 for 8 s (%d times; Rigger's client gives up on one request after 2 s here)",
			numbers[0], numbers[1], failed[ids[1]]),
		fmt.Sprintf("ran: %s", st),
		s.calls(),
		fmt.Sprintf("converged %.1fs after the faults were set (the second one's report landed %.1fs after its outage ended): both check runs completed in their run's state, and stayed so",
			took.Seconds(), landed.Seconds()),
	)
}

// waitCheckRun waits for head's check run to exist and returns its ID.
func (s *suite) waitCheckRun(head string) int64 {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		for _, cr := range s.gh.Fake.CheckRuns(s.gh.Repo.FullName()) {
			if cr.HeadSHA == head && cr.Name == checkName {
				return cr.ID
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("no check run for %s within a minute", head)
	return 0
}
