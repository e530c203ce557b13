package faults

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
)

// The apiserver stopped (SIGSTOP, as a control-plane upgrade or a partition leaves it) for
// 30 seconds in the middle of a burst: Rigger keeps answering webhooks (the cluster is not
// on the webhook's path), retries what it cannot create, and once the apiserver is back
// every head gets its run and its check run.
//
// It stops the apiserver every other test uses, so it runs alone: make test-all runs
// make e2e-faults with RIGGER_E2E_DISRUPTIVE=1 on a cluster of its own.
func TestApiserverStoppedMidBurstLosesNothing(t *testing.T) {
	prs := framework.EnvInt("RIGGER_FAULTS_APISERVER_PRS", 200)
	s := newSuite(t, withoutPod)
	apiserver := s.c.APIServer(t)
	p := s.c.StartProcess(t, riggerBin, s.gh, s.ns, framework.ProcessOptions{})
	// The pull requests are opened once Rigger runs: its repair at start finds none, and
	// what runs is what the webhooks (and, after a fault, repair) bring.
	numbers := s.openPullRequests(prs)
	bodies := s.opened(numbers)

	const away = 30 * time.Second
	var once sync.Once
	var stopped time.Time
	ds := s.burst(p.HookURL, bodies, func(accepted int) {
		if accepted >= prs/3 {
			once.Do(func() {
				if err := apiserver.Stop(); err != nil {
					t.Errorf("stopping the apiserver: %v", err)
				}
				stopped = time.Now()
			})
		}
	})
	burstEnd := time.Since(stopped)
	accepted := countStatus(ds, http.StatusAccepted)
	if accepted != prs {
		t.Errorf("%d of %d webhooks answered 202 with the apiserver away, want all", accepted, prs)
	}
	time.Sleep(time.Until(stopped.Add(away)))
	apiserver.Resume()
	st, took := s.converge(4 * time.Minute)
	s.summary("the apiserver stopped for 30 s in the middle of a burst",
		fmt.Sprintf("sent: %d pull requests opened at once; the apiserver SIGSTOPped after %d were accepted, the rest sent within %.1fs: %d of %d answered 202",
			prs, prs/3, burstEnd.Seconds(), accepted, prs),
		fmt.Sprintf("ran: %s", st),
		s.calls(),
		fmt.Sprintf("converged %.1fs after the apiserver came back (SIGCONT after %s): 1 PipelineRun and 1 completed check run per head; 0 lost, 0 duplicated", took.Seconds(), away),
	)
}
