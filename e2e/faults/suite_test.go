// Package faults is Rigger's fault suite at volume: Rigger as a process of its own on the
// e2e cluster (KWOK nodes, so a thousand runs cost nothing but the control plane's work),
// a fake GitHub in the test, and each case breaking one thing in the middle of a burst of
// pull requests: Rigger killed, the apiserver stopped, GitHub failing and rate-limiting,
// a check-run update failing, a delivery repeated and sent to two Riggers. Each case
// prints what was sent, what ran and what GitHub shows, and holds Rigger to nothing lost
// and nothing twice: every pull request head has exactly one PipelineRun of the definition,
// and exactly one check run, completed in that run's final state.
package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	"github.com/rigger-ci/rigger/internal/fakegithub"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
)

// riggerBin is cmd/rigger, built once for the package.
var riggerBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rigger-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	riggerBin, err = framework.BuildRigger(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// checkName is the check run of the one definition every case uses.
const checkName = "Rigger / pull-request"

// withPod runs on every pull request into main: one trivial task, whose KWOK pod
// completes after delayMS (KWOK's stage reads the annotation, which Tekton copies from the
// PipelineRun to its pods).
func withPod(delayMS int) string {
	return fmt.Sprintf(`apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: pull-request
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
    tekton-pod-complete.stage.kwok.x-k8s.io/delay: "%d"
spec:
  pipelineSpec:
    tasks:
    - name: unit
      taskSpec:
        steps:
        - name: test
          image: kwok.local/busybox
          script: echo testing
`, delayMS)
}

// withoutPod runs on every pull request into main too, but its one task is skipped by a
// when expression, so Tekton finishes the run (Succeeded, the task skipped) without a
// TaskRun or a pod. On this 2-core cluster Tekton's controller takes minutes for a
// thousand runs with pods; what the volume cases test is Rigger's and GitHub's side.
const withoutPod = `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: pull-request
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  pipelineSpec:
    tasks:
    - name: unit
      when:
      - {input: "volume", operator: in, values: ["pods"]}
      taskSpec:
        steps:
        - name: test
          image: kwok.local/busybox
          script: echo testing
`

// suite is one case's world: a namespace, the fake GitHub with its pull requests, and a
// watch on the namespace's PipelineRuns.
type suite struct {
	t     *testing.T
	c     *framework.Cluster
	ns    string
	gh    *framework.GitHubApp
	runs  *framework.Runs
	heads map[int]string // pull request number -> head commit
	start time.Time
}

func newSuite(t *testing.T, definition string) *suite {
	c := framework.Connect(t)
	if c.Nodes != "kwok" {
		// make e2e runs e2e/... on real nodes, where a thousand runs would be a thousand
		// containers; make e2e-faults (in make test-all) runs this suite on KWOK.
		t.Skipf("the fault suite runs at volume on KWOK nodes (make e2e-faults), not on E2E_NODES=%s", c.Nodes)
	}
	ns := c.Namespace(t)
	// A thousand pull requests opened in an hour cost an installation more than GitHub's
	// base budget of 5000 calls; 15000 is an Enterprise Cloud organization's.
	gh := c.StartGitHubApp(t, framework.RigOptions{FakeAddr: "127.0.0.1:0", RateLimit: 15000,
		Files: map[string]string{".tekton/pull-request.yaml": definition}})
	return &suite{t: t, c: c, ns: ns, gh: gh, runs: c.FollowRuns(t, ns), heads: map[int]string{}, start: time.Now()}
}

// openPullRequests opens n pull requests, each one commit ahead of main.
func (s *suite) openPullRequests(n int) []int {
	s.t.Helper()
	branches := map[string]map[string]string{}
	for i := range n {
		name := fmt.Sprintf("change-%04d", i)
		branches[name] = map[string]string{name + ".txt": name + "\n"}
	}
	if _, err := s.gh.Repo.CreateBranches("main", branches); err != nil {
		s.t.Fatal(err)
	}
	names := make([]string, 0, n)
	for name := range branches {
		names = append(names, name)
	}
	sort.Strings(names)
	var mu sync.Mutex
	var numbers []int
	framework.Parallel(4, len(names), func(i int) {
		pr, err := s.gh.Repo.OpenPullRequest(fakegithub.PullRequestSpec{Head: names[i]})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			s.t.Error(err)
			return
		}
		numbers = append(numbers, pr.Number)
		s.heads[pr.Number] = pr.HeadSHA
	})
	if s.t.Failed() {
		s.t.FailNow()
	}
	sort.Ints(numbers)
	return numbers
}

// opened is each pull request's "opened" webhook, encoded before any clock starts.
func (s *suite) opened(numbers []int) [][]byte {
	s.t.Helper()
	out := make([][]byte, len(numbers))
	framework.Parallel(4, len(numbers), func(i int) {
		p, err := s.gh.Fake.PullRequestPayload(s.gh.Repo.FullName(), numbers[i], "opened")
		if err == nil {
			out[i], err = json.Marshal(p)
		}
		if err != nil {
			s.t.Error(err)
		}
	})
	if s.t.Failed() {
		s.t.FailNow()
	}
	return out
}

// burst sends the bodies as "opened" pull_request webhooks from 32 senders, like GitHub's
// deliveries of a busy organization, and calls after (if set) with the number of 202s so
// far after each one. It returns the deliveries in the order of bodies.
func (s *suite) burst(url string, bodies [][]byte, after func(accepted int)) []fakegithub.Delivery {
	out := make([]fakegithub.Delivery, len(bodies))
	var accepted atomic.Int32
	framework.Parallel(32, len(bodies), func(i int) {
		out[i], _ = s.gh.Fake.SendBody(context.Background(), url, s.gh.Secret, "pull_request", "opened", bodies[i])
		n := int(accepted.Load())
		if out[i].Status == http.StatusAccepted {
			n = int(accepted.Add(1))
		}
		if after != nil {
			after(n)
		}
	})
	return out
}

// redeliverFailed sends again, as GitHub's "Redeliver" does (same body, same delivery ID),
// every delivery that was not answered 202, and returns how many it sent again.
func (s *suite) redeliverFailed(url string, ds []fakegithub.Delivery) int {
	s.t.Helper()
	var failed []fakegithub.Delivery
	for _, d := range ds {
		if d.Status != http.StatusAccepted {
			failed = append(failed, d)
		}
	}
	framework.Parallel(32, len(failed), func(i int) {
		d, err := s.gh.Fake.Redeliver(context.Background(), failed[i].ID)
		if err != nil || d.Status != http.StatusAccepted {
			s.t.Errorf("redelivery %s: %d %v", d.ID, d.Status, err)
		}
	})
	return len(failed)
}

func countStatus(ds []fakegithub.Delivery, status int) int {
	n := 0
	for _, d := range ds {
		if d.Status == status {
			n++
		}
	}
	return n
}

// state is what the runs and GitHub show of the suite's pull requests.
type state struct {
	runs, finished, succeeded int
	checkRuns, completed      int
	problems                  []string
}

// conclusion is the check run conclusion a user expects of a finished PipelineRun.
func conclusion(pr *pipelinev1.PipelineRun) string {
	c := framework.Succeeded(pr)
	switch {
	case c == nil || c.Status == corev1.ConditionUnknown:
		return ""
	case c.Status == corev1.ConditionTrue:
		return "success"
	case strings.Contains(c.Reason, "Cancelled"):
		return "cancelled"
	case c.Reason == "PipelineRunTimeout":
		return "timed_out"
	}
	return "failure"
}

// observe compares every pull request head with its runs and its check runs. A problem is
// anything short of one finished PipelineRun and one completed check run, for that run,
// in its final state.
func (s *suite) observe() state {
	var st state
	runsByHead := map[string][]*pipelinev1.PipelineRun{}
	for _, pr := range s.runs.All() {
		if pr.Labels["rigger.dev/pipeline"] != "pull-request" {
			continue
		}
		st.runs++
		runsByHead[pr.Labels["rigger.dev/sha"]] = append(runsByHead[pr.Labels["rigger.dev/sha"]], pr)
		if pr.IsDone() {
			st.finished++
			if conclusion(pr) == "success" {
				st.succeeded++
			}
		}
	}
	checksByHead := map[string][]fakegithub.CheckRun{}
	for _, cr := range s.gh.Fake.CheckRuns(s.gh.Repo.FullName()) {
		if cr.Name != checkName {
			continue
		}
		st.checkRuns++
		if cr.Status == "completed" {
			st.completed++
		}
		checksByHead[cr.HeadSHA] = append(checksByHead[cr.HeadSHA], cr)
	}
	numbers := make([]int, 0, len(s.heads))
	for n := range s.heads {
		numbers = append(numbers, n)
	}
	sort.Ints(numbers)
	for _, n := range numbers {
		head := s.heads[n]
		runs, checks := runsByHead[head], checksByHead[head]
		switch {
		case len(runs) != 1:
			st.problems = append(st.problems, fmt.Sprintf("#%d: %d PipelineRuns", n, len(runs)))
		case len(checks) != 1:
			st.problems = append(st.problems, fmt.Sprintf("#%d: %d check runs", n, len(checks)))
		case !runs[0].IsDone():
			st.problems = append(st.problems, fmt.Sprintf("#%d: run %s not finished", n, runs[0].Name))
		case checks[0].ExternalID != runs[0].Name:
			st.problems = append(st.problems, fmt.Sprintf("#%d: check run %d is for %q, not run %s", n, checks[0].ID, checks[0].ExternalID, runs[0].Name))
		case checks[0].Status != "completed" || checks[0].Conclusion != conclusion(runs[0]):
			st.problems = append(st.problems, fmt.Sprintf("#%d: check run %s/%s, run %s", n, checks[0].Status, checks[0].Conclusion, conclusion(runs[0])))
		}
	}
	return st
}

func (st state) String() string {
	return fmt.Sprintf("%d PipelineRuns (%d finished, %d succeeded), %d check runs (%d completed)",
		st.runs, st.finished, st.succeeded, st.checkRuns, st.completed)
}

// converge waits until every pull request head is right (see observe), and fails the test
// with what is not when timeout passes. It returns the final state and how long it took.
func (s *suite) converge(timeout time.Duration) (state, time.Duration) {
	s.t.Helper()
	t0 := time.Now()
	next := t0.Add(15 * time.Second)
	for {
		st := s.observe()
		if len(st.problems) == 0 {
			return st, time.Since(t0)
		}
		if time.Now().After(t0.Add(timeout)) {
			s.t.Fatalf("after %s, %d of %d pull requests are not right: %s\n  e.g. %s", timeout, len(st.problems), len(s.heads), st,
				strings.Join(st.problems[:min(len(st.problems), 15)], "\n  e.g. "))
		}
		if time.Now().After(next) {
			s.t.Logf("%5.0fs converging: %s; %d heads not right yet", time.Since(t0).Seconds(), st, len(st.problems))
			next = next.Add(15 * time.Second)
		}
		time.Sleep(time.Second)
	}
}

// calls sums up the GitHub API calls Rigger made: in all, answered by an injected fault,
// check runs created and updated (that GitHub took), open pull requests listed (repair).
func (s *suite) calls() string {
	var all, faulted, creates, updates, lists, notModified int
	for _, c := range s.gh.Fake.Calls() {
		all++
		if c.Fault {
			faulted++
		}
		ok := c.Status < 300
		switch c.Route {
		case "POST /repos/{owner}/{repo}/check-runs":
			if ok {
				creates++
			}
		case "PATCH /repos/{owner}/{repo}/check-runs/{id}":
			if ok {
				updates++
			}
		case "GET /repos/{owner}/{repo}/pulls":
			lists++
			if c.Status == http.StatusNotModified {
				notModified++
			}
		}
	}
	return fmt.Sprintf("%d GitHub calls (%d answered by an injected fault): %d check runs created and %d updated, %d lists of open pull requests (%d answered 304)",
		all, faulted, creates, updates, lists, notModified)
}

// summary prints a case's figures in one block, for the README's reliability section.
func (s *suite) summary(name string, lines ...string) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n== %s (%s, %s in all)\n", name, s.ns, time.Since(s.start).Round(time.Second))
	for _, l := range lines {
		fmt.Fprintf(&b, "   %s\n", l)
	}
	fmt.Print(b.String())
	s.t.Log(b.String())
}
