package faults

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
)

// Every delivery of a burst arrives three times: at two Riggers (replicas electing a
// leader) at the same moment, and once more as GitHub's Redeliver. Each pull request head
// still gets one PipelineRun and one check run: a run's name is derived from what asked
// for it, and only the leader makes check runs for runs it did not create itself.
func TestSameDeliveryThriceAndToTwoRiggers(t *testing.T) {
	prs := framework.EnvInt("RIGGER_FAULTS_DUPLICATE_PRS", 100)
	s := newSuite(t, withoutPod)
	a := s.c.StartProcess(t, riggerBin, s.gh, s.ns, framework.ProcessOptions{Leader: true})
	b := s.c.StartProcess(t, riggerBin, s.gh, s.ns, framework.ProcessOptions{Leader: true})
	// The pull requests are opened once Rigger runs: its repair at start finds none, and
	// what runs is what the webhooks (and, after a fault, repair) bring.
	numbers := s.openPullRequests(prs)
	bodies := s.opened(numbers)

	// First to a, then at once again to a and to b with the same delivery ID.
	first := s.burst(a.HookURL, bodies, nil)
	var mu sync.Mutex
	answers := map[int]int{}
	framework.Parallel(32, len(first), func(i int) {
		var wg sync.WaitGroup
		for _, url := range []string{a.HookURL, b.HookURL} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := s.gh.Fake.RedeliverTo(context.Background(), first[i].ID, url)
				if err != nil {
					t.Errorf("redelivering %s to %s: %v", first[i].ID, url, err)
				}
				mu.Lock()
				answers[d.Status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
	})
	answers[http.StatusAccepted] += countStatus(first, http.StatusAccepted)
	if answers[http.StatusAccepted] != 3*prs {
		t.Errorf("answers to %d deliveries: %v, want all 202", 3*prs, answers)
	}
	st, took := s.converge(3 * time.Minute)
	s.summary("the same delivery three times, to two Riggers at once",
		fmt.Sprintf("sent: %d pull requests opened, each delivery sent 3 times (to Rigger a, then to a and b at the same moment with the same delivery ID): %d webhooks, answers %v",
			prs, 3*prs, answers),
		fmt.Sprintf("ran: %s", st),
		s.calls(),
		fmt.Sprintf("converged %.1fs after the last delivery: 1 PipelineRun and 1 completed check run per head; 0 duplicated", took.Seconds()),
	)
}
