// Package smoke proves the e2e cluster itself: Tekton runs real pods, passes results,
// reports exit codes, mounts PVC workspaces, clones over the pod network and cancels.
// Rigger's own e2e tests stand on these facts.
package smoke

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

const busybox = "rigger.local/busybox:1.35"

func TestTwoTasksPassAResult(t *testing.T) {
	c := framework.Connect(t)
	c.RequireRealPods(t)
	ns := c.Namespace(t)
	pr := c.CreatePipelineRun(t, ns, `
metadata: {name: result}
spec:
  pipelineSpec:
    tasks:
    - name: produce
      taskSpec:
        results: [{name: word}]
        steps:
        - name: write
          image: `+busybox+`
          script: |
            printf 'hello-from-%s' "$(hostname)" > $(results.word.path)
    - name: consume
      params: [{name: word, value: $(tasks.produce.results.word)}]
      taskSpec:
        params: [{name: word}]
        steps:
        - name: echo
          image: `+busybox+`
          script: echo "got $(params.word)"
`)
	pr = c.WaitForDone(t, ns, pr.Name, 3*time.Minute)
	if cond := framework.Succeeded(pr); !pr.IsSuccessful() {
		t.Fatalf("PipelineRun did not succeed: %s: %s", cond.Reason, cond.Message)
	}
	producer := c.TaskRunPod(t, ns, pr, "produce")
	log := c.StepLog(t, ns, pr, "consume", "echo")
	// The producing pod's hostname is its name: the value crossed from one real pod to another.
	if want := "got hello-from-" + producer.Name; log != want {
		t.Fatalf("consume step logged %q, want %q", log, want)
	}
}

func TestFailingStepReportsItsExitCode(t *testing.T) {
	c := framework.Connect(t)
	c.RequireRealPods(t)
	ns := c.Namespace(t)
	pr := c.CreatePipelineRun(t, ns, `
metadata: {name: fail}
spec:
  pipelineSpec:
    tasks:
    - name: build
      taskSpec:
        steps:
        - name: compile
          image: `+busybox+`
          script: |
            echo "compiling"
            echo "error: something broke" >&2
            exit 3
`)
	pr = c.WaitForDone(t, ns, pr.Name, 3*time.Minute)
	cond := framework.Succeeded(pr)
	if pr.IsSuccessful() || cond.Reason != pipelinev1.PipelineRunReasonFailed.String() {
		t.Fatalf("want PipelineRun Failed, got %s: %s", cond.Reason, cond.Message)
	}
	trs, err := c.Tekton.TektonV1().TaskRuns(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + pr.Name})
	if err != nil || len(trs.Items) != 1 {
		t.Fatalf("want 1 TaskRun, got %v (err %v)", len(trs.Items), err)
	}
	steps := trs.Items[0].Status.Steps
	if len(steps) != 1 || steps[0].Terminated == nil || steps[0].Terminated.ExitCode != 3 {
		t.Fatalf("want step compile terminated with exit code 3, got %+v", steps)
	}
	if log := c.StepLog(t, ns, pr, "build", "compile"); !strings.Contains(log, "error: something broke") {
		t.Fatalf("step log lacks the error line: %q", log)
	}
}

func TestCancelStopsARunningPipelineRun(t *testing.T) {
	c := framework.Connect(t)
	c.RequireRealPods(t)
	ns := c.Namespace(t)
	pr := c.CreatePipelineRun(t, ns, `
metadata: {name: long}
spec:
  pipelineSpec:
    tasks:
    - name: sleep
      taskSpec:
        steps:
        - name: sleep
          image: `+busybox+`
          script: sleep 600
`)
	// Wait until the step really runs, so the cancellation has a container to stop.
	c.WaitForPipelineRun(t, ns, pr.Name, 3*time.Minute, "the sleep step to run", func(p *pipelinev1.PipelineRun) bool {
		pods, err := c.Kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + p.Name})
		if err != nil || len(pods.Items) == 0 {
			return false
		}
		for _, cs := range pods.Items[0].Status.ContainerStatuses {
			if cs.Name == "step-sleep" && cs.State.Running != nil {
				return true
			}
		}
		return false
	})
	patch := []byte(`{"spec":{"status":"` + string(pipelinev1.PipelineRunSpecStatusCancelled) + `"}}`)
	if _, err := c.Tekton.TektonV1().PipelineRuns(ns).Patch(context.Background(), pr.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("cancelling: %v", err)
	}
	start := time.Now()
	done := c.WaitForDone(t, ns, pr.Name, 2*time.Minute)
	if cond := framework.Succeeded(done); cond.Reason != pipelinev1.PipelineRunReasonCancelled.String() {
		t.Fatalf("want reason Cancelled, got %s: %s", cond.Reason, cond.Message)
	}
	// The 600 s sleep must not be what ended it.
	if took := time.Since(start); took > time.Minute {
		t.Fatalf("cancellation took %s", took)
	}
	// Tekton deletes the cancelled TaskRun's pod; either way no step may still be running.
	deadline := time.Now().Add(time.Minute)
	for {
		pods, err := c.Kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + done.Name})
		if err == nil && !anyStepRunning(pods.Items) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a step container still runs a minute after cancellation")
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func anyStepRunning(pods []corev1.Pod) bool {
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, cs := range p.Status.ContainerStatuses {
			if strings.HasPrefix(cs.Name, "step-") && cs.State.Running != nil {
				return true
			}
		}
	}
	return false
}
