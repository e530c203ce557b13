package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/apis/rigger/v1alpha1"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// queueRig is a rig with a concurrency limit, a feature branch of n commits and a payload
// maker that sends each commit as the head of a pull request numbered as asked.
type queueRig struct {
	b    *testing.B
	c    *framework.Cluster
	ns   string
	rig  *framework.Rig
	shas []string
	pr   fakegithub.PullRequest
}

func newQueueRig(b *testing.B, def string, limit, commits int) *queueRig {
	c := framework.Connect(b)
	ns := c.Namespace(b)
	rig := c.StartRig(b, ns, framework.RigOptions{FakeAddr: "127.0.0.1:0",
		Files: map[string]string{".tekton/pull-request.yaml": def},
		Spec:  func(r *v1alpha1.RepositorySpec) { r.ConcurrencyLimit = limit }})
	if err := rig.Repo.CreateBranch("feature", "main"); err != nil {
		b.Fatal(err)
	}
	q := &queueRig{b: b, c: c, ns: ns, rig: rig}
	for i := range commits {
		sha, err := rig.Repo.Commit("feature", fmt.Sprintf("change %d", i), map[string]string{"n.txt": strconv.Itoa(i)})
		if err != nil {
			b.Fatal(err)
		}
		q.shas = append(q.shas, sha)
	}
	var err error
	if q.pr, err = rig.Repo.OpenPullRequest(fakegithub.PullRequestSpec{Title: "bench", Head: "feature"}); err != nil {
		b.Fatal(err)
	}
	return q
}

// payloads encodes a synchronize of each sha as the head of pull request numbers[i],
// before the clock starts.
func (q *queueRig) payloads(shas []string, numbers []int) [][]byte {
	out := make([][]byte, len(shas))
	for i, sha := range shas {
		p, err := q.rig.Fake.PullRequestPayload(q.rig.Repo.FullName(), q.pr.Number, "synchronize",
			fakegithub.WithPayloadEdit(func(p map[string]any) {
				p["number"] = numbers[i]
				prm := p["pull_request"].(map[string]any)
				prm["number"] = numbers[i]
				prm["head"].(map[string]any)["sha"] = sha
			}))
		if err != nil {
			q.b.Fatal(err)
		}
		if out[i], err = json.Marshal(p); err != nil {
			q.b.Fatal(err)
		}
	}
	return out
}

func (q *queueRig) send(body []byte) {
	d, err := q.rig.Fake.SendBody(context.Background(), q.rig.HookURL, q.rig.Secret, "pull_request", "synchronize", body)
	if err != nil || d.Status != http.StatusAccepted {
		q.b.Errorf("webhook: status %d, err %v", d.Status, err)
	}
}

// lifecycle follows every PipelineRun of the namespace: when each was seen pending,
// started (spec.status cleared) and done, and the most runs seen holding slots at once.
type lifecycle struct {
	mu       sync.Mutex
	state    map[string]string // name -> pending | started | done
	finishes []time.Time       // when a started run was seen done, in order
	gaps     []time.Duration   // finish -> the next start it freed a slot for
	started  int
	live     int
	maxLive  int
}

func follow(b *testing.B, c *framework.Cluster, ns string) *lifecycle {
	l := &lifecycle{state: map[string]string{}}
	followRuns(b, c, ns, l.see)
	return l
}

func (l *lifecycle) see(pr *pipelinev1.PipelineRun) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.state[pr.Name]
	next := "started"
	switch {
	case pr.IsDone():
		next = "done"
	case pr.Spec.Status == pipelinev1.PipelineRunSpecStatusPending:
		next = "pending"
	case pr.IsCancelled():
		next = old // cancelled, not done yet: still where it was
	}
	if old == next || old == "done" {
		return
	}
	l.state[pr.Name] = next
	if next == "started" {
		l.started++
		l.live++
		l.maxLive = max(l.maxLive, l.live)
		// FIFO: the oldest finish not yet paired freed the slot this run took.
		if len(l.finishes) > 0 {
			l.gaps = append(l.gaps, now.Sub(l.finishes[0]))
			l.finishes = l.finishes[1:]
		}
	}
	if next == "done" && old == "started" {
		l.live--
		l.finishes = append(l.finishes, now)
	}
}

func (l *lifecycle) seen() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.state)
}

func (l *lifecycle) doneCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.state {
		if s == "done" {
			n++
		}
	}
	return n
}

func (l *lifecycle) waitDone(b *testing.B, n int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for l.doneCount() < n {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d runs done after %s", l.doneCount(), n, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// BenchmarkQueueDrain: BENCH_QUEUE_RUNS (1000) runs waiting behind a limit of
// BENCH_QUEUE_LIMIT (5). It reports the queue's API calls per start (O(1): the start's
// patch, plus conflicts and max-keep deletes, none of them a list), GitHub check run
// updates per start (the places shown move, at most run.MaxAheadShown per start), the most
// runs seen going at once (must not pass the limit), and finish -> next start p50/p99.
// Run it with `make bench` (KWOK); -benchtime=1x.
func BenchmarkQueueDrain(b *testing.B) {
	runs := framework.EnvInt("BENCH_QUEUE_RUNS", 1000)
	limit := framework.EnvInt("BENCH_QUEUE_LIMIT", 5)
	q := newQueueRig(b, definition, limit, runs)
	numbers := make([]int, runs)
	for i := range numbers {
		numbers[i] = 10000 + i // one pull request each: nothing supersedes anything
	}
	bodies := q.payloads(q.shas, numbers)
	l := follow(b, q.c, q.ns)
	const patchRoute = "PATCH /repos/{owner}/{repo}/check-runs/{id}"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		patches0, stats0 := q.rig.Fake.Count(patchRoute), q.rig.Executor.QueueStats()
		framework.Parallel(16, len(bodies), func(k int) { q.send(bodies[k]) })
		l.waitDone(b, runs, time.Duration(framework.EnvInt("BENCH_QUEUE_MINUTES", 60))*time.Minute)
		stats := q.rig.Executor.QueueStats()
		starts := float64(stats.Starts - stats0.Starts)
		b.ReportMetric(float64(stats.Calls-stats0.Calls)/starts, "api-calls/start")
		b.ReportMetric(float64(stats.Conflicts-stats0.Conflicts)/starts, "conflicts/start")
		b.ReportMetric(float64(q.rig.Fake.Count(patchRoute)-patches0)/starts, "checkrun-updates/start")
		l.mu.Lock()
		gaps := append([]time.Duration(nil), l.gaps...)
		maxLive := l.maxLive
		l.mu.Unlock()
		sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
		b.ReportMetric(ms(percentile(gaps, 50)), "finish-to-start-p50-ms")
		b.ReportMetric(ms(percentile(gaps, 99)), "finish-to-start-p99-ms")
		b.ReportMetric(float64(maxLive), "max-running")
		if maxLive > limit {
			b.Errorf("%d runs went at once under a limit of %d", maxLive, limit)
		}
	}
}

// BenchmarkCancelInProgressBurst: BENCH_PUSHES (200) pushes spread over BENCH_PRS (20) pull
// requests, with cancel-in-progress and a limit of 5. When it settles at most one run per
// pull request is live, and the last push of each is the one that runs; it reports how many
// superseded runs were cancelled before they ever started (no TaskRun, so no pod).
func BenchmarkCancelInProgressBurst(b *testing.B) {
	pushes := framework.EnvInt("BENCH_PUSHES", 200)
	prs := framework.EnvInt("BENCH_PRS", 20)
	def := `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: pull-request
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
    pipelinesascode.tekton.dev/cancel-in-progress: "true"
spec:
  pipelineSpec:
    tasks:
    - name: unit
      taskSpec:
        steps:
        - name: test
          image: kwok.local/busybox
          script: echo testing
`
	q := newQueueRig(b, def, 5, pushes)
	numbers := make([]int, pushes)
	last := map[int]string{}
	for i := range numbers {
		numbers[i] = 20000 + i%prs
		last[numbers[i]] = q.shas[i]
	}
	bodies := q.payloads(q.shas, numbers)
	l := follow(b, q.c, q.ns)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Sent in order: the trigger keeps a pull request's events in order, so each push
		// supersedes the ones before it on its pull request.
		for _, body := range bodies {
			q.send(body)
		}
		// Settled: every push has its run. Live now means neither finished nor cancelled.
		deadline := time.Now().Add(10 * time.Minute)
		for l.seen() < pushes {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d pushes have a run", l.seen(), pushes)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// Then Rigger's queue catches what the trigger's cancel could not see (a run created
		// a moment before, not yet in its cache): settled is when at most one run per pull
		// request is live, measured from the moment every push had its run.
		allThere := time.Now()
		maxPerPR := 0
		for {
			var err error
			if maxPerPR, err = maxLivePerPR(q.c, q.ns); err != nil {
				b.Fatal(err)
			}
			if maxPerPR <= 1 || time.Since(allThere) > 10*time.Second {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		settle := time.Since(allThere)
		l.waitDone(b, pushes, 30*time.Minute)
		list, err := q.c.Tekton.TektonV1().PipelineRuns(q.ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		trs, err := q.c.Tekton.TektonV1().TaskRuns(q.ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		withTasks := map[string]bool{}
		for _, tr := range trs.Items {
			withTasks[tr.Labels["tekton.dev/pipelineRun"]] = true
		}
		neverStarted, cancelled := 0, 0
		for _, pr := range list.Items {
			n, _ := strconv.Atoi(pr.Labels["rigger.dev/pull-request"])
			wasCancelled := pr.IsCancelled()
			if wasCancelled {
				cancelled++
				if !withTasks[pr.Name] {
					neverStarted++
				}
			}
			if last[n] == pr.Annotations["rigger.dev/full-sha"] && !pr.IsSuccessful() {
				b.Errorf("pull request %d: its last push's run did not succeed: %+v", n, framework.Succeeded(&pr))
			}
		}
		b.ReportMetric(float64(maxPerPR), "max-live-per-pr")
		b.ReportMetric(float64(settle.Milliseconds()), "settle-ms")
		b.ReportMetric(float64(cancelled), "cancelled")
		b.ReportMetric(float64(neverStarted), "cancelled-without-pods")
		if maxPerPR > 1 {
			b.Errorf("%d runs of one pull request are still live %s after every push had its run", maxPerPR, settle.Round(time.Millisecond))
		}
	}
}

// maxLivePerPR is the most runs of one pull request that are live: neither finished nor
// cancelled.
func maxLivePerPR(c *framework.Cluster, ns string) (int, error) {
	list, err := c.Tekton.TektonV1().PipelineRuns(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	livePerPR := map[string]int{}
	most := 0
	for _, pr := range list.Items {
		if !pr.IsDone() && !pr.IsCancelled() {
			livePerPR[pr.Labels["rigger.dev/pull-request"]]++
			most = max(most, livePerPR[pr.Labels["rigger.dev/pull-request"]])
		}
	}
	return most, nil
}
