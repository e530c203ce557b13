package faults

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
	if os.Getenv("RIGGER_E2E_DISRUPTIVE") != "1" {
		t.Skip("stops the apiserver for 30 s; run alone with RIGGER_E2E_DISRUPTIVE=1 make e2e-faults (make test-all does)")
	}
	logs := os.Getenv("RIGGER_E2E_LOGS")
	if logs == "" {
		t.Fatal("RIGGER_E2E_LOGS is not set: run with e2e/cluster/scripts/e2e.sh, which knows the cluster's processes")
	}
	pidFile := filepath.Join(filepath.Dir(logs), "pids", "kube-apiserver.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the apiserver's pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s: %v", pidFile, err)
	}
	prs := envInt("RIGGER_FAULTS_APISERVER_PRS", 200)
	s := newSuite(t, withoutPod)
	p := s.c.StartProcess(t, riggerBin, s.gh, s.ns, framework.ProcessOptions{})
	// The pull requests are opened once Rigger runs: its repair at start finds none, and
	// what runs is what the webhooks (and, after a fault, repair) bring.
	numbers := s.openPullRequests(prs)
	bodies := s.opened(numbers)

	const away = 30 * time.Second
	var once sync.Once
	var stopped time.Time
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	t.Cleanup(resume)
	ds := s.burst(p.HookURL, bodies, func(accepted int) {
		if accepted >= prs/3 {
			once.Do(func() {
				if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
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
	resume()
	st, took := s.converge(4 * time.Minute)
	s.summary("the apiserver stopped for 30 s in the middle of a burst",
		fmt.Sprintf("sent: %d pull requests opened at once; the apiserver SIGSTOPped after %d were accepted, the rest sent within %.1fs: %d of %d answered 202",
			prs, prs/3, burstEnd.Seconds(), accepted, prs),
		fmt.Sprintf("ran: %s", st),
		s.calls(),
		fmt.Sprintf("converged %.1fs after the apiserver came back (SIGCONT after %s): 1 PipelineRun and 1 completed check run per head; 0 lost, 0 duplicated", took.Seconds(), away),
	)
}
