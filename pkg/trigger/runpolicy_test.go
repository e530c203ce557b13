package trigger_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/reporter"
	"github.com/rigger-ci/rigger/pkg/run"
)

// gatedDefinition runs on pull requests, logs that it started, and finishes once the file
// gate exists.
func gatedDefinition(dir string, annotations string) string {
	return fmt.Sprintf(`apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: pull-request
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
%s
spec:
  pipelineSpec:
    tasks:
      - name: build
        taskSpec:
          steps:
            - name: compile
              image: alpine
              script: |
                echo {{ revision }} >> %[2]s/started
                while [ ! -f %[2]s/gate ]; do sleep 0.02; done
`, annotations, dir)
}

func (f *fixture) openPRFrom(branch string) fakegithub.PullRequest {
	f.t.Helper()
	if err := f.repo.CreateBranch(branch, "main"); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.repo.Commit(branch, "Change", map[string]string{"src/" + branch + ".go": "package a\n"}); err != nil {
		f.t.Fatal(err)
	}
	pr, err := f.repo.OpenPullRequest(fakegithub.PullRequestSpec{Head: branch, Author: "octocat"})
	if err != nil {
		f.t.Fatal(err)
	}
	return pr
}

func (f *fixture) submitOne(number int, action string) *run.Run {
	f.t.Helper()
	out, err := f.handle(f.pullRequest(number, action))
	if err != nil || len(out.Submitted) != 1 {
		f.t.Fatalf("%s of #%d: %+v, %v", action, number, out, err)
	}
	return out.Submitted[0]
}

// With a limit of 1 and cancel-in-progress, a new push to a pull request whose run waits
// cancels that run before it ever starts; its check run says by which commit, and the new
// run takes its place in the queue behind the running one.
func TestCancelInProgressWithALimitNeverStartsTheSupersededRun(t *testing.T) {
	dir := t.TempDir()
	repos := repositories{repoName: {Namespace: "ci-widgets", ConcurrencyLimit: 1}}
	f := newFixture(t, repos, map[string]string{
		".tekton/pull-request.yaml": gatedDefinition(dir, `    pipelinesascode.tekton.dev/cancel-in-progress: "true"`),
	})
	rep := reporter.New(f.client, reporter.Options{Logs: f.exec})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go f.exec.Watch(ctx, func(r run.Run) { _ = rep.Update(ctx, r) })

	first := f.submitOne(f.openPRFrom("one").Number, "opened")
	pr2 := f.openPRFrom("two")
	superseded := f.submitOne(pr2.Number, "opened")
	if got, _ := f.exec.Get(ctx, "", superseded.Name); got == nil || !got.Waiting() {
		t.Fatalf("second run should wait behind the first under a limit of 1: %+v", got)
	}
	sha, err := f.repo.PushToPullRequest(pr2.Number, "Fix", map[string]string{"src/two.go": "package a // fixed\n"})
	if err != nil {
		t.Fatal(err)
	}
	newer := f.submitOne(pr2.Number, "synchronize")
	if newer.SHA != sha {
		t.Fatalf("new run is for %s, want the new head %s", newer.SHA, sha)
	}
	got, _ := f.exec.Get(ctx, "", superseded.Name)
	if got.State != run.Cancelled || got.CancelWhy != "superseded by "+sha[:12] {
		t.Errorf("superseded run: %s, why %q", got.State, got.CancelWhy)
	}

	if err := os.WriteFile(filepath.Join(dir, "gate"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*run.Run{first, newer} {
		if done := f.wait(r); done.State != run.Succeeded {
			t.Errorf("run %s ended %s", r.Name, done.State)
		}
	}
	started, _ := os.ReadFile(filepath.Join(dir, "started"))
	if want := first.SHA + "\n" + newer.SHA + "\n"; string(started) != want {
		t.Errorf("runs that started:\n%s\nwant:\n%s", started, want)
	}
	deadline := time.Now().Add(timeout)
	for {
		var title string
		for _, cr := range f.gh.CheckRuns(repoName) {
			if cr.ID == superseded.CheckRunID {
				title = cr.Output.Title
			}
		}
		if title == "Cancelled (superseded by "+sha[:12]+")" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("superseded run's check run reads %q", title)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A definition's max-keep-runs that Rigger cannot read refuses the run with why.
func TestUnreadableRunPolicyRefusesTheRun(t *testing.T) {
	f := newFixture(t, repositories{repoName: {Namespace: "ci-widgets"}}, map[string]string{
		".tekton/pull-request.yaml": gatedDefinition(t.TempDir(), `    rigger.dev/max-keep-runs: "lots"`),
	})
	out, err := f.handle(f.pullRequest(f.openPR().Number, "opened"))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Rejected) != 1 || !strings.Contains(out.Rejected[0].Message, `rigger.dev/max-keep-runs: "lots"`) {
		t.Fatalf("outcome: %+v", out)
	}
}
