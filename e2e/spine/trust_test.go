package spine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	"github.com/rigger-ci/rigger/internal/fakegithub"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func busyboxDefinition(name, script string) string {
	return fmt.Sprintf(`apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: %s
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  pipelineSpec:
    tasks:
    - name: main
      taskSpec:
        steps:
        - name: main
          image: rigger.local/busybox:1.35
          script: |
            %s
`, name, script)
}

// An outsider's pull request creates nothing in the cluster until a member approves its
// head; then the commands of comments and GitHub's Re-run button drive it, and the
// outsider's next push waits again.
func TestOutsiderPullRequestDrivenByComments(t *testing.T) {
	c := framework.Connect(t)
	c.RequireRealPods(t)
	ns := c.Namespace(t)
	rig := c.StartRig(t, ns, framework.RigOptions{Files: map[string]string{
		".tekton/unit.yaml": busyboxDefinition("unit", "echo unit ok"),
		".tekton/lint.yaml": busyboxDefinition("lint", "echo lint failed; exit 1"),
		".tekton/slow.yaml": busyboxDefinition("slow", "sleep 600"),
	}})
	ctx := context.Background()
	fake, repo := rig.Fake, rig.Repo
	fake.SetOrgMember(repo.Owner, "maintainer")
	if err := repo.CreateBranch("contrib", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit("contrib", "A contribution", map[string]string{"b.txt": "b\n"}); err != nil {
		t.Fatal(err)
	}
	pr, err := repo.OpenPullRequest(fakegithub.PullRequestSpec{Title: "contribution", Head: "contrib", Author: "stranger"})
	if err != nil {
		t.Fatal(err)
	}
	send := func(d fakegithub.Delivery, err error) {
		t.Helper()
		if err != nil || d.Status != 202 {
			t.Fatalf("delivery %s: %d %v", d.Event, d.Status, err)
		}
	}
	comment := func(login, body string) {
		t.Helper()
		send(fake.SendIssueComment(ctx, rig.HookURL, rig.Secret, repo.FullName(), pr.Number, login, body))
	}

	// Opened by an outsider: one neutral check run, and nothing in the cluster.
	send(fake.SendPullRequest(ctx, rig.HookURL, rig.Secret, repo.FullName(), pr.Number, "opened"))
	waiting := waitForCheckRun(t, rig, pr.HeadSHA, "Rigger / ok-to-test", "completed")
	if waiting.Conclusion != "neutral" {
		t.Fatalf("waiting check run: %+v", waiting)
	}
	if runs := runsOf(t, c, ns, pr.HeadSHA); len(runs) != 0 {
		t.Fatalf("%d PipelineRuns for an outsider's unapproved PR", len(runs))
	}
	secrets, err := c.Kube.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets.Items {
		if strings.Contains(s.Name, "git") {
			t.Fatalf("a Secret %s exists for an unapproved PR", s.Name)
		}
	}

	// A member approves that commit: the three definitions run.
	comment("maintainer", "/ok-to-test "+pr.HeadSHA)
	byName := waitForRuns(t, c, ns, pr.HeadSHA, 3)
	unit := c.WaitForDone(t, ns, byName["unit"].Name, 4*time.Minute)
	lint := c.WaitForDone(t, ns, byName["lint"].Name, 4*time.Minute)
	if framework.Succeeded(unit).IsFalse() || !framework.Succeeded(lint).IsFalse() {
		t.Fatalf("unit %s, lint %s; want unit green, lint red", framework.Succeeded(unit).Reason, framework.Succeeded(lint).Reason)
	}

	// /retest runs only what failed: lint (slow is still running, unit passed).
	comment("maintainer", "/retest")
	byName = waitForRuns(t, c, ns, pr.HeadSHA, 4)
	if n := countRuns(t, c, ns, pr.HeadSHA, "lint"); n != 2 {
		t.Fatalf("%d lint runs after /retest, want 2", n)
	}
	if n := countRuns(t, c, ns, pr.HeadSHA, "unit"); n != 1 {
		t.Fatalf("%d unit runs after /retest, want 1", n)
	}

	// /cancel slow cancels the running one, and its check run says so.
	comment("maintainer", "/cancel slow")
	done := c.WaitForDone(t, ns, byName["slow"].Name, 2*time.Minute)
	if cond := framework.Succeeded(done); cond.Reason != pipelinev1.PipelineRunReasonCancelled.String() {
		t.Fatalf("slow after /cancel: %s", cond.Reason)
	}

	// GitHub's Re-run on the first lint check run: one more lint run, with its own check run.
	var lintCheck int64
	for _, cr := range checkRunsOn(rig, pr.HeadSHA) {
		if cr.Name == "Rigger / lint" && lintCheck == 0 {
			lintCheck = cr.ID
		}
	}
	send(fake.SendCheckRunRerequest(ctx, rig.HookURL, rig.Secret, repo.FullName(), lintCheck, "maintainer"))
	waitForRuns(t, c, ns, pr.HeadSHA, 5)
	if n := countRuns(t, c, ns, pr.HeadSHA, "lint"); n != 3 {
		t.Fatalf("%d lint runs after the Re-run button, want 3", n)
	}

	// The outsider pushes again: the new head waits, nothing new in the cluster.
	head2, err := repo.PushToPullRequest(pr.Number, "More", map[string]string{"c.txt": "c\n"})
	if err != nil {
		t.Fatal(err)
	}
	send(fake.SendPullRequest(ctx, rig.HookURL, rig.Secret, repo.FullName(), pr.Number, "synchronize"))
	waitForCheckRun(t, rig, head2, "Rigger / ok-to-test", "completed")
	if runs := runsOf(t, c, ns, head2); len(runs) != 0 {
		t.Fatalf("%d PipelineRuns for the outsider's unapproved push", len(runs))
	}
}

// waitForRuns waits until sha has n PipelineRuns, and returns the latest of each definition.
func waitForRuns(t *testing.T, c *framework.Cluster, ns, sha string, n int) map[string]pipelinev1.PipelineRun {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		runs := runsOf(t, c, ns, sha)
		if len(runs) >= n {
			latest := map[string]pipelinev1.PipelineRun{}
			for _, r := range runs {
				def := r.Labels["rigger.dev/pipeline"]
				if l, ok := latest[def]; !ok || l.CreationTimestamp.Before(&r.CreationTimestamp) {
					latest[def] = r
				}
			}
			return latest
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d PipelineRuns for %s after a minute, want %d", len(runs), sha, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func countRuns(t *testing.T, c *framework.Cluster, ns, sha, def string) int {
	n := 0
	for _, r := range runsOf(t, c, ns, sha) {
		if r.Labels["rigger.dev/pipeline"] == def {
			n++
		}
	}
	return n
}
