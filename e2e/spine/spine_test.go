// Package spine tests Rigger's core path on the real cluster: a GitHub webhook for a pull
// request becomes a PipelineRun whose pods clone the repository and run its check, and the
// outcome comes back to GitHub as a check run.
package spine

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	"github.com/rigger-ci/rigger/internal/fakegithub"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// pullRequestPipeline is written as a Pipelines-as-Code user would: annotations for when it
// runs, template variables for what it checks out.
const pullRequestPipeline = `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: pull-request
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  pipelineSpec:
    tasks:
    - name: check
      taskSpec:
        steps:
        - name: check
          image: rigger.local/debian:bookworm-git
          script: |
            #!/bin/sh
            set -e
            git clone --quiet {{ repo_url }} src
            cd src
            git fetch --quiet origin {{ revision }}
            git -c advice.detachedHead=false checkout --quiet {{ revision }}
            echo "checked out $(git rev-parse HEAD) for PR {{ pull_request_number }}"
            sh ./check.sh
`

func TestPullRequestToCheckRun(t *testing.T) {
	c := framework.Connect(t)
	c.RequireRealPods(t)
	ns := c.Namespace(t)
	rig := c.StartRig(t, ns, framework.RigOptions{Files: map[string]string{
		".tekton/pull-request.yaml": pullRequestPipeline,
		// A broken file next to the good one: reported, and it must not stop the good one.
		".tekton/broken.yaml": "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata: {name: broken\nspec: {}\n",
		"check.sh":            "echo all widgets are fine\n",
	}})
	repo := rig.Repo
	pr := rig.OpenPullRequest(t, "feature", "Improve widgets", map[string]string{"widget.txt": "better\n"})
	ctx := context.Background()

	// 1. PR opened: a PipelineRun for the head commit, pods clone it, the check run goes green.
	delivery, err := rig.Fake.SendPullRequest(ctx, rig.HookURL, rig.Secret, repo.FullName(), pr.Number, "opened")
	if err != nil || delivery.Status != http.StatusAccepted {
		t.Fatalf("webhook delivery: status %d, err %v", delivery.Status, err)
	}
	run := waitForRunOf(t, c, ns, pr.HeadSHA)
	if !run.IsSuccessful() {
		t.Fatalf("PipelineRun for %s did not succeed: %+v", pr.HeadSHA, framework.Succeeded(run))
	}
	if log := c.StepLog(t, ns, run, "check", "check"); !strings.Contains(log, "checked out "+pr.HeadSHA+" for PR 1") {
		t.Fatalf("the pod did not check out the PR's head; step log:\n%s", log)
	}
	cr := waitForCheckRun(t, rig, pr.HeadSHA, "Rigger / pull-request", "completed")
	if cr.Conclusion != "success" {
		t.Fatalf("check run = %q %s/%s, want \"Rigger / pull-request\" completed/success", cr.Name, cr.Status, cr.Conclusion)
	}
	if !strings.Contains(cr.Output.Summary, "check") {
		t.Errorf("check run summary lacks the task table: %q", cr.Output.Summary)
	}
	broken := waitForCheckRun(t, rig, pr.HeadSHA, "Rigger / broken", "completed")
	if broken.Conclusion != "failure" || !strings.Contains(broken.Output.Title+broken.Output.Summary, ".tekton/broken.yaml:") {
		t.Errorf("the broken definition's check run does not name file:line: %s %q %q", broken.Conclusion, broken.Output.Title, broken.Output.Summary)
	}

	// 2. The same delivery again: handled as a duplicate, no second PipelineRun or check run.
	if _, err := rig.Fake.Redeliver(ctx, delivery.ID); err != nil {
		t.Fatal(err)
	}
	waitForMetric(t, rig, `rigger_events_handled_total{event="pull_request",result="duplicate"} 1`)
	if n := len(runsOf(t, c, ns, pr.HeadSHA)); n != 1 {
		t.Fatalf("after a redelivery there are %d PipelineRuns for %s, want 1", n, pr.HeadSHA)
	}
	if n := len(checkRunsOn(rig, pr.HeadSHA)); n != 2 {
		t.Fatalf("after a redelivery there are %d check runs on %s, want 2 (pull-request, broken)", n, pr.HeadSHA)
	}

	// 3. A new push that breaks the check: a run for the new SHA, a red check run with the log.
	newSHA, err := repo.PushToPullRequest(pr.Number, "break widget 7", map[string]string{
		"check.sh": "echo checking widgets\necho 'widget 7 is broken' >&2\nexit 1\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rig.Fake.SendPullRequest(ctx, rig.HookURL, rig.Secret, repo.FullName(), pr.Number, "synchronize"); err != nil {
		t.Fatal(err)
	}
	failed := waitForRunOf(t, c, ns, newSHA)
	if failed.IsSuccessful() {
		t.Fatalf("PipelineRun for the breaking commit succeeded")
	}
	red := waitForCheckRun(t, rig, newSHA, "Rigger / pull-request", "completed")
	if red.Conclusion != "failure" {
		t.Fatalf("check run on %s concluded %q, want failure", newSHA, red.Conclusion)
	}
	if !strings.Contains(red.Output.Text, "widget 7 is broken") {
		t.Fatalf("failed check run does not show the failing step's log tail:\n%s", red.Output.Text)
	}
	if n := len(runsOf(t, c, ns, pr.HeadSHA)); n != 1 {
		t.Errorf("the old commit now has %d runs, want still 1", n)
	}
}

func runsOf(t *testing.T, c *framework.Cluster, ns, sha string) []pipelinev1.PipelineRun {
	t.Helper()
	list, err := c.Tekton.TektonV1().PipelineRuns(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "rigger.dev/sha=" + sha})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// waitForRunOf waits for Rigger to create the PipelineRun of a commit, then for it to finish.
func waitForRunOf(t *testing.T, c *framework.Cluster, ns, sha string) *pipelinev1.PipelineRun {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if runs := runsOf(t, c, ns, sha); len(runs) > 0 {
			return c.WaitForDone(t, ns, runs[0].Name, 4*time.Minute)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no PipelineRun for %s within 30s of the webhook", sha)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func checkRunsOn(rig *framework.Rig, sha string) []fakegithub.CheckRun {
	var out []fakegithub.CheckRun
	for _, cr := range rig.Fake.CheckRuns(rig.Repo.FullName()) {
		if cr.HeadSHA == sha {
			out = append(out, cr)
		}
	}
	return out
}

func waitForCheckRun(t *testing.T, rig *framework.Rig, sha, name, status string) fakegithub.CheckRun {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		for _, cr := range checkRunsOn(rig, sha) {
			if cr.Name == name && cr.Status == status {
				return cr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no check run %q on %s reached %q; check runs: %+v", name, sha, status, checkRunsOn(rig, sha))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitForMetric polls Rigger's /metrics until a sample line appears.
func waitForMetric(t *testing.T, rig *framework.Rig, line string) {
	t.Helper()
	url := strings.TrimSuffix(rig.HookURL, "/hook") + "/metrics"
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = string(b)
			if strings.Contains(last, line) {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("metric %q never appeared; rigger_events lines:\n%s", line, grep(last, "rigger_events"))
}

func grep(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return fmt.Sprint(strings.Join(out, "\n"))
}
