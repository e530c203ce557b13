package faults

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	"github.com/rigger-ci/rigger/internal/fakegithub"
)

// GitHub failing for a minute in the middle of a burst: every call answered 502 for 30 s,
// then 403 as rate-limited for 30 s (a secondary limit with Retry-After, then the primary
// limit with X-RateLimit-Remaining: 0 and X-RateLimit-Reset at the minute's end). Webhooks
// are still accepted; events and reports wait and try again, and once GitHub answers every
// head has its run and its check run, in the run's state.
func TestGitHubFailingForAMinuteLosesNothing(t *testing.T) {
	prs := framework.EnvInt("RIGGER_FAULTS_GITHUB_PRS", 200)
	s := newSuite(t, withoutPod)
	// An event that fails is tried again with waits capped at 10 s rather than 2 min, so
	// that the case ends soon after GitHub is back; GitHub's own Retry-After and reset
	// times are honoured as configured by default.
	p := s.c.StartProcess(t, riggerBin, s.gh, s.ns, framework.ProcessOptions{Config: map[string]any{
		"retry": map[string]any{"events": map[string]any{"baseDelay": "1s", "maxDelay": "10s", "deadline": "10m"}},
	}})
	// The pull requests are opened once Rigger runs: its repair at start finds none, and
	// what runs is what the webhooks (and, after a fault, repair) bring.
	numbers := s.openPullRequests(prs)
	bodies := s.opened(numbers)

	var once sync.Once
	var start, end time.Time
	ds := s.burst(p.HookURL, bodies, func(accepted int) {
		if accepted >= prs/3 {
			once.Do(func() {
				start = time.Now()
				end = start.Add(time.Minute)
				f := s.gh.Fake
				f.FailUntil(fakegithub.AnyRoute, start.Add(30*time.Second), fakegithub.BadGateway())
				f.FailUntil(fakegithub.AnyRoute, start.Add(45*time.Second), fakegithub.SecondaryRateLimit(http.StatusForbidden, 10*time.Second))
				f.FailUntil(fakegithub.AnyRoute, end, fakegithub.PrimaryRateLimit(end))
			})
		}
	})
	accepted := countStatus(ds, http.StatusAccepted)
	if accepted != prs {
		t.Errorf("%d of %d webhooks answered 202 while GitHub failed, want all", accepted, prs)
	}
	time.Sleep(time.Until(end))
	faultsBefore := s.calls()
	st, took := s.converge(4 * time.Minute)
	s.summary("GitHub answering 502, then 403 rate-limited, for a minute in the middle of a burst",
		fmt.Sprintf("sent: %d pull requests opened at once; from the %dth accepted on, 30 s of 502, 15 s of 403 with Retry-After: 10, 15 s of 403 with X-RateLimit-Reset: %d of %d answered 202",
			prs, prs/3, accepted, prs),
		"during the minute: "+faultsBefore,
		fmt.Sprintf("ran: %s", st),
		"in all: "+s.calls(),
		fmt.Sprintf("converged %.1fs after GitHub answered again: 1 PipelineRun and 1 completed check run per head; 0 lost, 0 duplicated", took.Seconds()),
	)
}
