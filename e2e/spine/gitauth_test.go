package spine

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// gitAuthPipeline mounts the per-run git credentials the way Tekton's git tasks do (a
// basic-auth workspace), proves the step can read the token, then waits to be cancelled.
const gitAuthPipeline = `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: with-credentials
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  workspaces:
  - name: basic-auth
    secret:
      secretName: "{{ git_auth_secret }}"
  pipelineSpec:
    workspaces: [{name: basic-auth}]
    tasks:
    - name: clone
      workspaces: [{name: basic-auth, workspace: basic-auth}]
      taskSpec:
        workspaces: [{name: basic-auth}]
        steps:
        - name: clone
          image: rigger.local/debian:bookworm-git
          script: |
            #!/bin/sh
            set -e
            cp $(workspaces.basic-auth.path)/.git-credentials $HOME/.git-credentials
            cp $(workspaces.basic-auth.path)/.gitconfig $HOME/.gitconfig
            git clone --quiet {{ repo_url }} src
            echo "credentials for $(sed 's#//[^@]*@#//***@#' $HOME/.git-credentials)"
            echo cloned; sleep 600
`

func TestGitCredentialsAndCancelOnClose(t *testing.T) {
	c := framework.Connect(t)
	c.RequireRealPods(t)
	ns := c.Namespace(t)
	rig := c.StartRig(t, ns, framework.RigOptions{Files: map[string]string{".tekton/pr.yaml": gitAuthPipeline}})
	repo := rig.Repo
	pr := rig.OpenPullRequest(t, "feature", "with credentials", map[string]string{"a.txt": "a\n"})
	ctx := context.Background()
	if _, err := rig.Fake.SendPullRequest(ctx, rig.HookURL, rig.Secret, repo.FullName(), pr.Number, "opened"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var runs []pipelinev1.PipelineRun
	for len(runs) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no PipelineRun within 30s of the webhook")
		}
		time.Sleep(100 * time.Millisecond)
		runs = runsOf(t, c, ns, pr.HeadSHA)
	}
	run := runs[0]

	// The Secret the definition named: basic-auth, holding a token the fake GitHub issued,
	// owned by the PipelineRun so that it goes with it.
	secretName := run.Spec.Workspaces[0].Secret.SecretName
	if secretName != run.Name+"-git" {
		t.Fatalf("workspace secret %q was not filled from {{ git_auth_secret }} with the run's own Secret", secretName)
	}
	secret, err := c.Kube.CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("git credentials secret: %v", err)
	}
	creds, err := url.Parse(strings.TrimSpace(string(secret.Data[".git-credentials"])))
	if err != nil {
		t.Fatalf(".git-credentials is not a URL: %v", err)
	}
	token, _ := creds.User.Password()
	issued := false
	for _, tok := range rig.Fake.InstallationTokens() {
		issued = issued || tok == token
	}
	if !issued {
		t.Fatalf("the secret's token %q is not an installation token the fake GitHub issued", token)
	}
	// The run's token reaches only this repository, and may only read its contents.
	repos, perms, _ := rig.Fake.TokenScope(token)
	if len(repos) != 1 || repos[0] != repo.Name || len(perms) != 1 || perms["contents"] != "read" {
		t.Fatalf("the run's token reaches %v with %v; want only %s with contents: read", repos, perms, repo.Name)
	}
	owned := false
	for _, o := range secret.OwnerReferences {
		owned = owned || (o.Kind == "PipelineRun" && o.UID == run.UID)
	}
	if !owned {
		t.Errorf("git secret is not owned by its PipelineRun: %+v", secret.OwnerReferences)
	}
	c.WaitForPipelineRun(t, ns, run.Name, 3*time.Minute, "the clone step to run", func(p *pipelinev1.PipelineRun) bool {
		return len(p.Status.ChildReferences) > 0 && strings.Contains(stepLogOrEmpty(c, ns, p), "cloned")
	})
	if log := c.StepLog(t, ns, &run, "clone", "clone"); strings.Contains(log, token) {
		t.Fatalf("the step printed the token: %s", log)
	}

	// Closing the pull request cancels its running PipelineRun, and the check run says so.
	if err := repo.ClosePullRequest(pr.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := rig.Fake.SendPullRequest(ctx, rig.HookURL, rig.Secret, repo.FullName(), pr.Number, "closed"); err != nil {
		t.Fatal(err)
	}
	done := c.WaitForDone(t, ns, run.Name, 2*time.Minute)
	if cond := framework.Succeeded(done); cond.Reason != pipelinev1.PipelineRunReasonCancelled.String() {
		t.Fatalf("after the PR closed the run ended %s: %s, want Cancelled", cond.Reason, cond.Message)
	}
	if cr := waitForCheckRun(t, rig, pr.HeadSHA, "Rigger / with-credentials", "completed"); cr.Conclusion != "cancelled" {
		t.Fatalf("check run concluded %q, want cancelled", cr.Conclusion)
	}
}

// stepLogOrEmpty reads the clone step's log, or "" while the pod is not there yet.
func stepLogOrEmpty(c *framework.Cluster, ns string, pr *pipelinev1.PipelineRun) string {
	pods, err := c.Kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + pr.Name})
	if err != nil || len(pods.Items) == 0 {
		return ""
	}
	b, err := c.Kube.CoreV1().Pods(ns).GetLogs(pods.Items[0].Name, &corev1.PodLogOptions{Container: "step-clone"}).DoRaw(context.Background())
	if err != nil {
		return ""
	}
	return string(b)
}
