// Package runpolicy tests a repository's run policy on the real cluster: the concurrency
// limit's queue, which lives in the cluster as pending PipelineRuns, cancel-in-progress
// together with it, and max-keep-runs.
package runpolicy

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/apis/rigger/v1alpha1"
	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/executor/tekton"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// pipeline runs on pull requests and takes a few seconds, long enough for the next
// webhooks to arrive while it runs.
func pipeline(seconds int, annotations ...string) string {
	extra := ""
	for _, a := range annotations {
		extra += "\n    " + a
	}
	return fmt.Sprintf(`apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: pull-request
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"%s
spec:
  pipelineSpec:
    tasks:
    - name: check
      taskSpec:
        steps:
        - name: check
          image: rigger.local/busybox:1.35
          script: |
            echo checking {{ revision }}
            sleep %d
`, extra, seconds)
}

type suite struct {
	t   *testing.T
	c   *framework.Cluster
	ns  string
	rig *framework.Rig
}

func start(t *testing.T, files map[string]string, spec func(*v1alpha1.RepositorySpec)) *suite {
	c := framework.Connect(t)
	c.RequireRealPods(t)
	ns := c.Namespace(t)
	rig := c.StartRig(t, ns, framework.RigOptions{Files: files, Spec: spec})
	return &suite{t: t, c: c, ns: ns, rig: rig}
}

func (s *suite) send(number int, action string) {
	s.t.Helper()
	d, err := s.rig.Fake.SendPullRequest(context.Background(), s.rig.HookURL, s.rig.Secret, s.rig.Repo.FullName(), number, action)
	if err != nil || d.Status != http.StatusAccepted {
		s.t.Fatalf("webhook: %d %v", d.Status, err)
	}
}

// runOf waits for the PipelineRun of a commit to exist.
func (s *suite) runOf(sha string) *pipelinev1.PipelineRun {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		list, err := s.c.Tekton.TektonV1().PipelineRuns(s.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "rigger.dev/sha=" + sha})
		if err == nil && len(list.Items) > 0 {
			return &list.Items[0]
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no PipelineRun for %s", sha)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *suite) openPRs(n int) []fakegithub.PullRequest {
	var prs []fakegithub.PullRequest
	for i := range n {
		prs = append(prs, s.rig.OpenPullRequest(s.t, fmt.Sprintf("change-%d", i), fmt.Sprintf("Change %d", i),
			map[string]string{fmt.Sprintf("f%d.txt", i): "x\n"}))
	}
	return prs
}

func (s *suite) checkRun(sha string) fakegithub.CheckRun {
	for _, cr := range s.rig.Fake.CheckRuns(s.rig.Repo.FullName()) {
		if cr.HeadSHA == sha && cr.Name == "Rigger / pull-request" {
			return cr
		}
	}
	return fakegithub.CheckRun{}
}

func (s *suite) waitForTitle(sha, title string) {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for s.checkRun(sha).Output.Title != title {
		if time.Now().After(deadline) {
			s.t.Fatalf("check run on %s reads %q, want %q", sha, s.checkRun(sha).Output.Title, title)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *suite) taskRunsOf(name string) int {
	s.t.Helper()
	trs, err := s.c.Tekton.TektonV1().TaskRuns(s.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + name})
	if err != nil {
		s.t.Fatal(err)
	}
	pods, err := s.c.Kube.CoreV1().Pods(s.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + name})
	if err != nil {
		s.t.Fatal(err)
	}
	return len(trs.Items) + len(pods.Items)
}

// oneAtATime checks that finished runs ran one after the other in the given order: each
// started after the one before had finished.
func oneAtATime(t *testing.T, runs []*pipelinev1.PipelineRun) {
	t.Helper()
	for i, pr := range runs {
		if !pr.IsSuccessful() {
			t.Errorf("run %d (%s) did not succeed: %+v", i, pr.Name, framework.Succeeded(pr))
		}
		if i == 0 {
			continue
		}
		prev := runs[i-1]
		if pr.Status.StartTime == nil || prev.Status.CompletionTime == nil || pr.Status.StartTime.Before(prev.Status.CompletionTime) {
			t.Errorf("run %d started at %v, before run %d finished at %v", i, pr.Status.StartTime, i-1, prev.Status.CompletionTime)
		}
	}
}

// Three pull requests under a limit of 1 run one at a time, in the order they came, the
// waiting ones created pending (no pods) and saying how many are ahead.
func TestLimitOneRunsPullRequestsOneAtATimeInOrder(t *testing.T) {
	s := start(t, map[string]string{".tekton/pull-request.yaml": pipeline(4)},
		func(r *v1alpha1.RepositorySpec) { r.ConcurrencyLimit = 1 })
	prs := s.openPRs(3)
	var names []string
	for _, pr := range prs {
		s.send(pr.Number, "opened")
		names = append(names, s.runOf(pr.HeadSHA).Name) // in order: each is queued after the last
	}
	third := s.runOf(prs[2].HeadSHA)
	if third.Spec.Status != pipelinev1.PipelineRunSpecStatusPending {
		t.Fatalf("third run's spec.status is %q, want it created pending", third.Spec.Status)
	}
	s.waitForTitle(prs[2].HeadSHA, "Waiting: 1 ahead")
	var done []*pipelinev1.PipelineRun
	for _, n := range names {
		done = append(done, s.c.WaitForDone(t, s.ns, n, 4*time.Minute))
	}
	oneAtATime(t, done)
	// Each start cost one request, the patch (and one more per conflict): no list, however
	// many runs wait.
	st := s.rig.Executor.QueueStats()
	if st.Starts != int64(len(names)) || st.Calls != st.Starts+st.Conflicts {
		t.Errorf("queue made %d calls for %d starts (%d conflicts); want one per start and conflict", st.Calls, st.Starts, st.Conflicts)
	}
}

// With a limit of 1 and cancel-in-progress, the middle of three pushes to a pull request,
// waiting behind another pull request's run, is cancelled while it waits: no TaskRun, no pod
// is ever created for it, its check run says which commit superseded it, and the newest
// push runs after the run ahead of it.
func TestCancelInProgressDropsTheSupersededWaitingPushWithoutStartingIt(t *testing.T) {
	s := start(t, map[string]string{".tekton/pull-request.yaml": pipeline(8, `pipelinesascode.tekton.dev/cancel-in-progress: "true"`)},
		func(r *v1alpha1.RepositorySpec) { r.ConcurrencyLimit = 1 })
	prs := s.openPRs(2)
	s.send(prs[0].Number, "opened")
	blocker := s.runOf(prs[0].HeadSHA)
	s.send(prs[1].Number, "opened")
	middle := s.runOf(prs[1].HeadSHA)
	sha, err := s.rig.Repo.PushToPullRequest(prs[1].Number, "fix", map[string]string{"f1.txt": "y\n"})
	if err != nil {
		t.Fatal(err)
	}
	s.send(prs[1].Number, "synchronize")
	newest := s.runOf(sha)

	cancelled := s.c.WaitForDone(t, s.ns, middle.Name, 2*time.Minute)
	if c := framework.Succeeded(cancelled); c == nil || c.Reason != pipelinev1.PipelineRunReasonCancelled.String() {
		t.Errorf("superseded run ended %+v, want Cancelled", c)
	}
	s.waitForTitle(prs[1].HeadSHA, "Cancelled (superseded by "+sha[:12]+")")
	first := s.c.WaitForDone(t, s.ns, blocker.Name, 4*time.Minute)
	last := s.c.WaitForDone(t, s.ns, newest.Name, 4*time.Minute)
	oneAtATime(t, []*pipelinev1.PipelineRun{first, last})
	if n := s.taskRunsOf(middle.Name); n != 0 {
		t.Errorf("the superseded run has %d TaskRuns and pods; it must never have started", n)
	}
	if cancelled.Status.StartTime != nil && cancelled.Status.ChildReferences != nil {
		t.Errorf("the superseded run has child references: %+v", cancelled.Status.ChildReferences)
	}
}

// withCredentials mounts the run's git credentials Secret, which is owned by its run.
const withCredentials = `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: pull-request
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
    pipelinesascode.tekton.dev/max-keep-runs: "2"
spec:
  workspaces:
  - name: basic-auth
    secret:
      secretName: "{{ git_auth_secret }}"
  pipelineSpec:
    workspaces: [{name: basic-auth}]
    tasks:
    - name: check
      workspaces: [{name: basic-auth, workspace: basic-auth}]
      taskSpec:
        workspaces: [{name: basic-auth}]
        steps:
        - name: check
          image: rigger.local/busybox:1.35
          script: |
            test -s $(workspaces.basic-auth.path)/.git-credentials && echo has credentials
`

// max-keep-runs 2: after four runs of the definition, the two newest finished ones remain
// with their git credentials Secrets; the older runs' Secrets went with them.
func TestMaxKeepRunsLeavesTwoFinishedRuns(t *testing.T) {
	s := start(t, map[string]string{".tekton/pull-request.yaml": withCredentials}, nil)
	pr := s.openPRs(1)[0]
	var shas, names []string
	finish := func(sha string) {
		done := s.c.WaitForDone(t, s.ns, s.runOf(sha).Name, 4*time.Minute)
		if !done.IsSuccessful() {
			t.Fatalf("run of %s: %+v", sha, framework.Succeeded(done))
		}
		shas, names = append(shas, sha), append(names, done.Name)
	}
	s.send(pr.Number, "opened")
	finish(pr.HeadSHA)
	for i := range 3 {
		sha, err := s.rig.Repo.PushToPullRequest(pr.Number, fmt.Sprint("push ", i), map[string]string{"f0.txt": fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		s.send(pr.Number, "synchronize")
		finish(sha)
	}
	want := slices.Sorted(slices.Values(names[2:]))
	var wantSecrets []string
	for _, n := range want {
		wantSecrets = append(wantSecrets, n+"-git")
	}
	// The runs go at once; their Secrets when the garbage collector follows the owner
	// references. The kept runs' Secrets must stay.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		list, err := s.c.Tekton.TektonV1().PipelineRuns(s.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "rigger.dev/pipeline=pull-request"})
		if err != nil {
			t.Fatal(err)
		}
		var kept []string
		for _, p := range list.Items {
			kept = append(kept, p.Name)
		}
		secrets, err := s.c.Kube.CoreV1().Secrets(s.ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var haveSecrets []string
		for _, sec := range secrets.Items {
			if strings.HasSuffix(sec.Name, "-git") {
				haveSecrets = append(haveSecrets, sec.Name)
			}
		}
		slices.Sort(kept)
		slices.Sort(haveSecrets)
		if slices.Equal(kept, want) && slices.Equal(haveSecrets, wantSecrets) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("runs kept %v, want the newest two %v; git Secrets %v, want %v", kept, want, haveSecrets, wantSecrets)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A Rigger stopped while runs wait loses nothing: the waiting runs stay pending in the
// cluster, and the Rigger that comes back starts them in the same order, one at a time.
func TestRestartedRiggerResumesTheQueueInOrder(t *testing.T) {
	files := map[string]string{".tekton/pull-request.yaml": pipeline(4)}
	limit1 := func(r *v1alpha1.RepositorySpec) { r.ConcurrencyLimit = 1 }
	s := start(t, files, limit1)
	prs := s.openPRs(3)
	var names []string
	for _, pr := range prs {
		s.send(pr.Number, "opened")
		names = append(names, s.runOf(pr.HeadSHA).Name)
	}
	s.rig.Stop()
	first := s.c.WaitForDone(t, s.ns, names[0], 4*time.Minute)
	// No Rigger watches: nothing starts the next, however long we wait.
	time.Sleep(3 * time.Second)
	for _, n := range names[1:] {
		pr, err := s.c.Tekton.TektonV1().PipelineRuns(s.ns).Get(context.Background(), n, metav1.GetOptions{})
		if err != nil || pr.Spec.Status != pipelinev1.PipelineRunSpecStatusPending {
			t.Fatalf("with Rigger stopped, %s is %v (%v), want still pending", n, pr.Spec.Status, err)
		}
	}
	s.c.StartRig(t, s.ns, framework.RigOptions{Files: files, Spec: limit1})
	done := []*pipelinev1.PipelineRun{first}
	for _, n := range names[1:] {
		done = append(done, s.c.WaitForDone(t, s.ns, n, 4*time.Minute))
	}
	oneAtATime(t, done)
}

// Two Riggers serving the same repository at once both reconcile its queue; the
// resourceVersion precondition lets only one start each run, so the limit holds.
func TestTwoRiggersStartEachRunOnce(t *testing.T) {
	files := map[string]string{".tekton/pull-request.yaml": pipeline(3)}
	limit1 := func(r *v1alpha1.RepositorySpec) { r.ConcurrencyLimit = 1 }
	s := start(t, files, limit1)
	s.c.StartRig(t, s.ns, framework.RigOptions{Files: files, Spec: limit1})
	prs := s.openPRs(4)
	var names []string
	for _, pr := range prs {
		s.send(pr.Number, "opened")
		names = append(names, s.runOf(pr.HeadSHA).Name)
	}
	var done []*pipelinev1.PipelineRun
	for _, n := range names {
		done = append(done, s.c.WaitForDone(t, s.ns, n, 4*time.Minute))
	}
	oneAtATime(t, done)
}

// A waiting run deleted by hand frees its place, and a limit raised while runs wait starts
// them at once: the queue is reconciled from what the cluster holds, not from events Rigger
// remembers.
func TestDeletedWaitingRunAndRaisedLimit(t *testing.T) {
	s := start(t, map[string]string{".tekton/pull-request.yaml": pipeline(6)},
		func(r *v1alpha1.RepositorySpec) { r.ConcurrencyLimit = 1 })
	prs := s.openPRs(4)
	var names []string
	for _, pr := range prs {
		s.send(pr.Number, "opened")
		names = append(names, s.runOf(pr.HeadSHA).Name)
	}
	s.waitForTitle(prs[3].HeadSHA, "Waiting: 2 ahead")
	if err := s.c.Tekton.TektonV1().PipelineRuns(s.ns).Delete(context.Background(), names[1], metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s.waitForTitle(prs[3].HeadSHA, "Waiting: 1 ahead")
	// Raised to 3 while the first still runs: the two left waiting start now, not when it ends.
	s.rig.Executor.SetPolicies(func(string, string) (int, bool) { return 3, true })
	for _, n := range names[2:] {
		s.c.WaitForPipelineRun(t, s.ns, n, time.Minute, "its start", func(pr *pipelinev1.PipelineRun) bool {
			return pr.Spec.Status == "" && pr.Status.StartTime != nil
		})
	}
	first, err := s.c.Tekton.TektonV1().PipelineRuns(s.ns).Get(context.Background(), names[0], metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if first.IsDone() {
		t.Errorf("the first run finished before the raised limit started the others: the limit did not take effect")
	}
	for _, n := range []string{names[0], names[2], names[3]} {
		if pr := s.c.WaitForDone(t, s.ns, n, 4*time.Minute); !pr.IsSuccessful() {
			t.Errorf("%s: %+v", n, framework.Succeeded(pr))
		}
	}
}

// The queue enforces cancel-in-progress on its own when the trigger's cancel missed an
// older run (its cache had not seen it yet): here the new run is submitted straight to the
// executor, with no cancel before it, and the older waiting run must still never start.
func TestQueueCancelsASupersededRunTheTriggerMissed(t *testing.T) {
	s := start(t, map[string]string{".tekton/pull-request.yaml": pipeline(8, `pipelinesascode.tekton.dev/cancel-in-progress: "true"`)},
		func(r *v1alpha1.RepositorySpec) { r.ConcurrencyLimit = 1 })
	prs := s.openPRs(2)
	s.send(prs[0].Number, "opened")
	blocker := s.runOf(prs[0].HeadSHA)
	s.send(prs[1].Number, "opened")
	older := s.runOf(prs[1].HeadSHA)

	r := tekton.RunFromPipelineRun(older, nil)
	r.SHA, r.Trigger = strings.Repeat("f", 40), "pull_request"
	spec := older.DeepCopy()
	spec.ObjectMeta = metav1.ObjectMeta{Annotations: older.Annotations, Labels: older.Labels}
	spec.Spec.Status, spec.Status = "", pipelinev1.PipelineRunStatus{}
	newer, err := s.rig.Executor.Submit(context.Background(), &executor.Request{Run: r, PipelineRun: spec, Namespace: s.ns,
		Policy: executor.Policy{ConcurrencyLimit: 1, CancelInProgress: true}})
	if err != nil {
		t.Fatal(err)
	}
	cancelled := s.c.WaitForDone(t, s.ns, older.Name, 2*time.Minute)
	if c := framework.Succeeded(cancelled); c == nil || c.Reason != pipelinev1.PipelineRunReasonCancelled.String() ||
		cancelled.Annotations["rigger.dev/cancelled-because"] != "superseded by ffffffffffff" {
		t.Errorf("older run ended %+v, annotations %v", c, cancelled.Annotations)
	}
	first := s.c.WaitForDone(t, s.ns, blocker.Name, 4*time.Minute)
	last := s.c.WaitForDone(t, s.ns, newer.Name, 4*time.Minute)
	oneAtATime(t, []*pipelinev1.PipelineRun{first, last})
	if n := s.taskRunsOf(older.Name); n != 0 {
		t.Errorf("the superseded run has %d TaskRuns and pods", n)
	}
}

// Two replicas with leader election, as the chart deploys them: the leader's watch keeps the
// queue; when the leader goes mid-queue the other takes the Lease and resumes the queue in
// the same order, one at a time.
func TestLeaderFailoverMidQueueResumesInOrder(t *testing.T) {
	c := framework.Connect(t)
	c.RequireRealPods(t)
	ns := c.Namespace(t)
	rig := c.StartRig(t, ns, framework.RigOptions{Leader: true,
		Files: map[string]string{".tekton/pull-request.yaml": pipeline(4)},
		Spec:  func(r *v1alpha1.RepositorySpec) { r.ConcurrencyLimit = 1 }})
	s := &suite{t: t, c: c, ns: ns, rig: rig}
	b := rig.StartReplica(t)
	deadline := time.Now().Add(30 * time.Second)
	for !rig.Server.Leading() && !b.Server.Leading() {
		if time.Now().After(deadline) {
			t.Fatal("no replica leads after 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	prs := s.openPRs(3)
	var names []string
	for _, pr := range prs {
		s.send(pr.Number, "opened")
		names = append(names, s.runOf(pr.HeadSHA).Name)
	}
	s.c.WaitForPipelineRun(t, ns, names[0], 2*time.Minute, "its start", func(p *pipelinev1.PipelineRun) bool {
		return p.Status.StartTime != nil
	})
	if rig.Server.Leading() {
		rig.Stop()
	} else {
		b.Stop()
	}
	var done []*pipelinev1.PipelineRun
	for _, n := range names {
		done = append(done, s.c.WaitForDone(t, ns, n, 4*time.Minute))
	}
	oneAtATime(t, done)
}

// A definition that asks to be created pending is held by its author, not by Rigger's
// queue: the queue never starts it, and its check run reads Queued, not a place in line.
func TestQueueLeavesADefinitionsOwnPendingRunAlone(t *testing.T) {
	held := strings.Replace(pipeline(1), "spec:\n", "spec:\n  status: PipelineRunPending\n", 1)
	s := start(t, map[string]string{".tekton/pull-request.yaml": held}, nil)
	pr := s.openPRs(1)[0]
	s.send(pr.Number, "opened")
	name := s.runOf(pr.HeadSHA).Name
	s.waitForTitle(pr.HeadSHA, "Queued")
	// Long enough for a reconcile on every change and at start to have had their say.
	time.Sleep(5 * time.Second)
	got, err := s.c.Tekton.TektonV1().PipelineRuns(s.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.Status != pipelinev1.PipelineRunSpecStatusPending || s.taskRunsOf(name) != 0 {
		t.Errorf("the definition's own pending run was started: spec.status %q", got.Spec.Status)
	}
}

// The apiserver away for 30 seconds (its process stopped, as a control-plane upgrade or a
// network partition would leave it) while runs wait behind a limit of 1 and a webhook
// arrives: once it is back, every run runs, one at a time, in order; none stays pending.
//
// It stops the apiserver every other test uses, so it runs alone: make e2e-disruptive.
func TestQueueSurvivesTheApiserverAwayForThirtySeconds(t *testing.T) {
	apiserver := framework.Connect(t).APIServer(t)
	s := start(t, map[string]string{".tekton/pull-request.yaml": pipeline(3)},
		func(r *v1alpha1.RepositorySpec) { r.ConcurrencyLimit = 1 })
	prs := s.openPRs(3)
	s.send(prs[0].Number, "opened")
	s.send(prs[1].Number, "opened")
	first, second := s.runOf(prs[0].HeadSHA).Name, s.runOf(prs[1].HeadSHA).Name

	// Away: SIGSTOP, the third pull request's webhook meanwhile, SIGCONT after 30 s.
	if err := apiserver.Stop(); err != nil {
		t.Fatalf("stopping the apiserver: %v", err)
	}
	s.send(prs[2].Number, "opened") // Rigger takes it (202) and retries the create
	time.Sleep(30 * time.Second)
	apiserver.Resume()

	third := s.runOf(prs[2].HeadSHA).Name
	var done []*pipelinev1.PipelineRun
	for _, name := range []string{first, second, third} {
		done = append(done, s.c.WaitForDone(t, s.ns, name, 4*time.Minute))
	}
	oneAtATime(t, done)
	for _, pr := range prs {
		for deadline := time.Now().Add(30 * time.Second); s.checkRun(pr.HeadSHA).Status != "completed" && time.Now().Before(deadline); {
			time.Sleep(200 * time.Millisecond)
		}
		if cr := s.checkRun(pr.HeadSHA); cr.Status != "completed" || cr.Conclusion != "success" {
			t.Errorf("check run of #%d: %s %s, want completed success", pr.Number, cr.Status, cr.Conclusion)
		}
	}
}
