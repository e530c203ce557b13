package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/run"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"sigs.k8s.io/yaml"
)

// gated is a PipelineRun whose one step appends its name to started, then waits until the
// file gates/<name> exists: the test decides when each run finishes, and reads the order
// in which runs really started (processes ran) from started.
func gated(t *testing.T, dir, name string) *v1.PipelineRun {
	t.Helper()
	src := fmt.Sprintf(`
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: %[1]s
spec:
  pipelineSpec:
    tasks:
      - name: wait
        taskSpec:
          steps:
            - image: busybox
              script: |
                echo %[1]s >> %[2]s/started
                while [ ! -f %[2]s/gates/%[1]s ]; do sleep 0.02; done
`, name, dir)
	pr := &v1.PipelineRun{}
	if err := yaml.UnmarshalStrict([]byte(src), pr); err != nil {
		t.Fatal(err)
	}
	return pr
}

type queueRig struct {
	t    *testing.T
	dir  string // gates and the start log
	data string
	e    *Executor

	mu    sync.Mutex
	limit int
}

func newQueueRig(t *testing.T, limit int) *queueRig {
	q := &queueRig{t: t, dir: t.TempDir(), data: t.TempDir(), limit: limit}
	if err := os.MkdirAll(filepath.Join(q.dir, "gates"), 0o755); err != nil {
		t.Fatal(err)
	}
	q.open()
	return q
}

// open starts an executor on the rig's data directory, as a restarted Rigger would.
func (q *queueRig) open() {
	e, err := New(Config{DataDir: q.data, Parallel: 8, Policies: func(string, string) (int, bool) {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.limit, true
	}})
	if err != nil {
		q.t.Fatal(err)
	}
	q.e = e
	q.t.Cleanup(func() { e.Close() })
}

func (q *queueRig) setLimit(n int) {
	q.mu.Lock()
	q.limit = n
	q.mu.Unlock()
	q.e.Reconcile()
}

// submit submits definition def for pull request pr at sha.
func (q *queueRig) submit(def string, pr int, sha string, pol executor.Policy) *run.Run {
	q.t.Helper()
	if pol.ConcurrencyLimit == 0 {
		pol.ConcurrencyLimit = max(q.limit, 1)
	}
	r, err := q.e.Submit(context.Background(), &executor.Request{
		Run:         run.Run{Identity: run.Identity{Repo: "octo/hello", SHA: sha, Definition: def, Trigger: "pull_request"}, PullRequest: pr},
		PipelineRun: gated(q.t, q.dir, run.Identity{Repo: "octo/hello", SHA: sha, Definition: def, Trigger: "pull_request"}.Name()),
		Policy:      pol,
	})
	if err != nil {
		q.t.Fatal(err)
	}
	return r
}

func (q *queueRig) open1(name string) {
	if err := os.WriteFile(filepath.Join(q.dir, "gates", name), nil, 0o644); err != nil {
		q.t.Fatal(err)
	}
}

// started lists the runs whose step has run, in the order they ran.
func (q *queueRig) started() []string {
	data, _ := os.ReadFile(filepath.Join(q.dir, "started"))
	var out []string
	for _, l := range slices.Collect(splitLines(string(data))) {
		out = append(out, l)
	}
	return out
}

func splitLines(s string) func(func(string) bool) {
	return func(yield func(string) bool) {
		start := 0
		for i := 0; i < len(s); i++ {
			if s[i] == '\n' {
				if !yield(s[start:i]) {
					return
				}
				start = i + 1
			}
		}
	}
}

// waitFor polls until cond holds, failing the test after a while.
func (q *queueRig) waitFor(what string, cond func() bool) {
	q.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			q.t.Fatalf("timed out waiting for %s; started %v; runs %s", what, q.started(), q.states())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (q *queueRig) state(name string) run.Run {
	r, err := q.e.Get(context.Background(), "", name)
	if err != nil || r == nil {
		q.t.Fatalf("run %s: %v %v", name, r, err)
	}
	return *r
}

func (q *queueRig) states() string {
	all, _ := q.e.All()
	s := ""
	for _, r := range all {
		s += fmt.Sprintf("%s=%s/%s(ahead %d) ", r.Name, r.State, r.Reason, r.Ahead)
	}
	return s
}

// running counts the runs holding a slot.
func (q *queueRig) running() int {
	all, _ := q.e.All()
	n := 0
	for _, r := range all {
		if !r.State.Done() && !r.Waiting() {
			n++
		}
	}
	return n
}

func TestQueueRunsOneAtATimeOldestFirst(t *testing.T) {
	q := newQueueRig(t, 1)
	a := q.submit("build", 1, "aaa", executor.Policy{})
	b := q.submit("build", 2, "bbb", executor.Policy{})
	c := q.submit("build", 3, "ccc", executor.Policy{})
	q.waitFor("the first run to start", func() bool { return len(q.started()) == 1 })
	if got := q.state(b.Name); !got.Waiting() || got.Ahead != 0 {
		t.Errorf("second run: %s/%s ahead %d, want waiting with 0 ahead", got.State, got.Reason, got.Ahead)
	}
	if got := q.state(c.Name); !got.Waiting() || got.Ahead != 1 {
		t.Errorf("third run: %s/%s ahead %d, want waiting with 1 ahead", got.State, got.Reason, got.Ahead)
	}
	for _, r := range []*run.Run{a, b, c} {
		q.waitFor(r.Name+" to start", func() bool { return q.state(r.Name).State == run.Running })
		if n := q.running(); n != 1 {
			t.Fatalf("%d runs hold a slot under a limit of 1: %s", n, q.states())
		}
		q.open1(r.Name)
	}
	q.waitFor("all to finish", func() bool { return q.state(c.Name).State.Done() })
	if want := []string{a.Name, b.Name, c.Name}; !slices.Equal(q.started(), want) {
		t.Errorf("runs started in the order %v, want %v", q.started(), want)
	}
}

func TestQueueCancelInProgressDropsSupersededWaitingRun(t *testing.T) {
	q := newQueueRig(t, 1)
	first := q.submit("build", 1, "aaa", executor.Policy{})
	q.waitFor("the first run to start", func() bool { return len(q.started()) == 1 })
	old := q.submit("build", 2, "bbb", executor.Policy{})
	// A new push to pull request 2 supersedes its waiting run, as the trigger asks.
	n, err := q.e.Cancel(context.Background(), executor.Selector{Repo: "octo/hello", PullRequest: 2, Definition: "build", Why: "superseded by ccc"})
	if err != nil || n != 1 {
		t.Fatalf("cancel: %d, %v; want 1", n, err)
	}
	newer := q.submit("build", 2, "ccc", executor.Policy{})
	got := q.state(old.Name)
	if got.State != run.Cancelled || got.CancelWhy != "superseded by ccc" {
		t.Errorf("superseded run: %s why %q", got.State, got.CancelWhy)
	}
	if got := q.state(newer.Name); !got.Waiting() || got.Ahead != 0 {
		t.Errorf("new run: %s/%s ahead %d, want first in line", got.State, got.Reason, got.Ahead)
	}
	q.open1(first.Name)
	q.waitFor("the new run to start", func() bool { return q.state(newer.Name).State == run.Running })
	q.open1(newer.Name)
	q.waitFor("the new run to finish", func() bool { return q.state(newer.Name).State.Done() })
	if want := []string{first.Name, newer.Name}; !slices.Equal(q.started(), want) {
		t.Errorf("started %v, want %v: the superseded run must never run", q.started(), want)
	}
}

func TestQueueMaxKeepRunsDeletesOnlyOldFinishedRuns(t *testing.T) {
	q := newQueueRig(t, 2)
	var names []string
	for i, sha := range []string{"a1", "a2", "a3", "a4"} {
		r := q.submit("build", i+1, sha, executor.Policy{MaxKeepRuns: 2})
		names = append(names, r.Name)
	}
	// Another definition with no max-keep-runs keeps every run.
	other := q.submit("lint", 9, "a1", executor.Policy{})
	// finish waits for a run's end, which comes after its reconcile has pruned: the state
	// reads done in the store a moment earlier.
	finish := func(n string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := q.e.Wait(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		q.waitFor(n+" to start", func() bool { return q.state(n).State == run.Running })
		q.open1(n)
		finish(n)
	}
	q.open1(other.Name)
	finish(other.Name)
	for i, n := range names {
		r, _ := q.e.Get(context.Background(), "", n)
		if kept := r != nil; kept != (i >= 2) {
			t.Errorf("run %d kept=%t; want only the newest two kept", i, kept)
		}
		if _, err := os.Stat(q.e.store.runDir(n)); (err == nil) != (i >= 2) {
			t.Errorf("run %d's directory: %v", i, err)
		}
	}
	if r, _ := q.e.Get(context.Background(), "", other.Name); r == nil {
		t.Error("a run of another definition was deleted")
	}
}

func TestQueueResumesInTheSameOrderAfterARestart(t *testing.T) {
	q := newQueueRig(t, 1)
	a := q.submit("build", 1, "aaa", executor.Policy{})
	var waiting []string
	for i, sha := range []string{"b", "c", "d"} {
		waiting = append(waiting, q.submit("build", i+2, sha, executor.Policy{}).Name)
	}
	q.waitFor("the first run to start", func() bool { return len(q.started()) == 1 })
	if err := q.e.Close(); err != nil {
		t.Fatal(err)
	}
	q.open()
	if got := q.state(a.Name); got.State != run.Failed || got.Reason != ReasonInterrupted {
		t.Errorf("the run that was running: %s/%s, want failed/interrupted", got.State, got.Reason)
	}
	for _, n := range waiting {
		q.waitFor(n+" to start", func() bool { return q.state(n).State == run.Running })
		if n := q.running(); n != 1 {
			t.Fatalf("%d runs hold a slot under a limit of 1", n)
		}
		q.open1(n)
	}
	q.waitFor("the last to finish", func() bool { return q.state(waiting[2]).State.Done() })
	if want := append([]string{a.Name}, waiting...); !slices.Equal(q.started(), want) {
		t.Errorf("started %v, want %v", q.started(), want)
	}
}

func TestQueueFollowsALimitChangedWhileRunsWait(t *testing.T) {
	q := newQueueRig(t, 1)
	var names []string
	for i := range 5 {
		names = append(names, q.submit("build", i+1, fmt.Sprint("s", i), executor.Policy{}).Name)
	}
	q.waitFor("one run", func() bool { return len(q.started()) == 1 })
	q.setLimit(3)
	q.waitFor("three runs", func() bool { return q.running() == 3 })
	// Lowered to 1: nothing running is stopped, and nothing starts until fewer than 1 run.
	q.setLimit(1)
	q.open1(names[0])
	q.open1(names[1])
	q.waitFor("two to finish", func() bool { return q.state(names[1]).State.Done() && q.state(names[0]).State.Done() })
	q.waitFor("the queue to settle", func() bool { return q.running() == 1 })
	if got := q.state(names[3]); !got.Waiting() {
		t.Errorf("run 4 is %s with one running under a limit of 1", got.State)
	}
	// Runs 2 and 3 started together when the limit rose: their processes may start in
	// either order, but they are the two oldest waiting.
	got := q.started()
	if len(got) != 3 || got[0] != names[0] || !slices.Contains(got, names[1]) || !slices.Contains(got, names[2]) {
		t.Errorf("started %v, want %v", got, names[:3])
	}
	q.open1(names[2])
	q.waitFor("run 4 to start", func() bool { return q.state(names[3]).State == run.Running })
}

func TestQueueCancelledWaitingRunFreesItsPlace(t *testing.T) {
	q := newQueueRig(t, 1)
	a := q.submit("build", 1, "aaa", executor.Policy{})
	b := q.submit("build", 2, "bbb", executor.Policy{})
	c := q.submit("build", 3, "ccc", executor.Policy{})
	if _, err := q.e.Cancel(context.Background(), executor.Selector{Repo: "octo/hello", PullRequest: 2}); err != nil {
		t.Fatal(err)
	}
	q.waitFor("c to move up", func() bool { return q.state(c.Name).Ahead == 0 })
	q.open1(a.Name)
	q.waitFor("c to start", func() bool { return q.state(c.Name).State == run.Running })
	if got := q.state(b.Name); got.State != run.Cancelled {
		t.Errorf("cancelled waiting run is %s", got.State)
	}
	q.open1(c.Name)
}
