package faults

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
)

// Rigger killed with SIGKILL in the middle of a burst of pull requests opened at once, and
// started again; GitHub redelivers what Rigger refused while it was down (as its
// "Redeliver" does for failed deliveries). Events Rigger had accepted but not handled when
// it died are made good by repair, check runs it had created for runs it never made are
// adopted rather than doubled: every head ends with one run and one completed check run.
func TestKillNineMidBurstLosesNothing(t *testing.T) {
	prs := framework.EnvInt("RIGGER_FAULTS_PRS", 1000)
	s := newSuite(t, withoutPod)
	p := s.c.StartProcess(t, riggerBin, s.gh, s.ns, framework.ProcessOptions{})
	// The pull requests are opened once Rigger runs: its repair at start finds none, and
	// what runs is what the webhooks (and, after a fault, repair) bring.
	numbers := s.openPullRequests(prs)
	bodies := s.opened(numbers)

	killAt := prs / 3
	var once sync.Once
	var killedAt time.Time
	t0 := time.Now()
	ds := s.burst(p.HookURL, bodies, func(accepted int) {
		if accepted >= killAt {
			once.Do(func() { p.Kill(); killedAt = time.Now() })
		}
	})
	sent := time.Since(t0)
	accepted := countStatus(ds, http.StatusAccepted)
	runsAtKill := len(s.runs.All())

	p.Start()
	restarted := time.Now()
	redelivered := s.redeliverFailed(p.HookURL, ds)
	// Tekton's controller finishes about 5 runs a second on the 2-core cluster: a thousand
	// take over three minutes of it.
	st, took := s.converge(7 * time.Minute)
	s.summary("kill -9 in the middle of a burst",
		fmt.Sprintf("sent: %d pull requests opened at once (32 senders, %s); %d accepted (202), SIGKILL after %d accepted (%.1fs into the burst), %d refused while down",
			prs, sent.Round(time.Millisecond), accepted, killAt, killedAt.Sub(t0).Seconds(), prs-accepted),
		fmt.Sprintf("restart ready %.1fs after the kill; %d PipelineRuns existed when the burst ended; %d deliveries redelivered",
			restarted.Sub(killedAt).Seconds(), runsAtKill, redelivered),
		fmt.Sprintf("ran: %s", st),
		s.calls(),
		fmt.Sprintf("converged %.1fs after the restart: every head has 1 PipelineRun and 1 completed check run in its run's state; 0 lost, 0 duplicated", took.Seconds()),
	)
}
