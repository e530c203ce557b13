package framework

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/yaml"
)

// CreatePipelineRun creates a PipelineRun from YAML in the namespace.
func (c *Cluster) CreatePipelineRun(t testing.TB, ns, manifest string) *pipelinev1.PipelineRun {
	t.Helper()
	var pr pipelinev1.PipelineRun
	if err := yaml.UnmarshalStrict([]byte(manifest), &pr); err != nil {
		t.Fatalf("parsing PipelineRun: %v", err)
	}
	pr.Namespace = ns
	out, err := c.Tekton.TektonV1().PipelineRuns(ns).Create(context.Background(), &pr, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating PipelineRun: %v", err)
	}
	return out
}

// WaitForPipelineRun polls the PipelineRun until cond says yes, and returns it. It fails the
// test on timeout, saying what it waited for and the last state seen.
func (c *Cluster) WaitForPipelineRun(t testing.TB, ns, name string, timeout time.Duration, what string, cond func(*pipelinev1.PipelineRun) bool) *pipelinev1.PipelineRun {
	t.Helper()
	var last *pipelinev1.PipelineRun
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		pr, err := c.Tekton.TektonV1().PipelineRuns(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // keep polling through transient errors
		}
		last = pr
		return cond(pr), nil
	})
	if err != nil {
		t.Fatalf("PipelineRun %s/%s: timed out after %s waiting for %s; last condition: %s", ns, name, timeout, what, conditionString(last))
	}
	return last
}

// WaitForDone waits until the PipelineRun has finished, either way.
func (c *Cluster) WaitForDone(t testing.TB, ns, name string, timeout time.Duration) *pipelinev1.PipelineRun {
	t.Helper()
	return c.WaitForPipelineRun(t, ns, name, timeout, "completion", func(pr *pipelinev1.PipelineRun) bool {
		return pr.IsDone()
	})
}

// Succeeded returns the Succeeded condition of a PipelineRun (nil when none yet).
func Succeeded(pr *pipelinev1.PipelineRun) *apis.Condition {
	if pr == nil {
		return nil
	}
	return pr.Status.GetCondition(apis.ConditionSucceeded)
}

func conditionString(pr *pipelinev1.PipelineRun) string { return describeCondition(Succeeded(pr)) }

func describeCondition(c *apis.Condition) string {
	if c == nil {
		return "none"
	}
	return fmt.Sprintf("%s/%s: %s", c.Status, c.Reason, c.Message)
}

// TaskRunPod returns the pod of the named pipeline task of a PipelineRun.
func (c *Cluster) TaskRunPod(t testing.TB, ns string, pr *pipelinev1.PipelineRun, pipelineTask string) *corev1.Pod {
	t.Helper()
	pods, err := c.Kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{
		LabelSelector: "tekton.dev/pipelineRun=" + pr.Name + ",tekton.dev/pipelineTask=" + pipelineTask,
	})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("no pod for task %q of PipelineRun %s/%s (err %v)", pipelineTask, ns, pr.Name, err)
	}
	return &pods.Items[0]
}

// StepLog returns the log of one step ("step-<name>" container) of a pipeline task's pod.
func (c *Cluster) StepLog(t testing.TB, ns string, pr *pipelinev1.PipelineRun, pipelineTask, step string) string {
	t.Helper()
	pod := c.TaskRunPod(t, ns, pr, pipelineTask)
	s, err := c.podLog(ns, pod.Name, "step-"+step, 0)
	if err != nil {
		t.Fatalf("log of step %s in pod %s: %v", step, pod.Name, err)
	}
	return s
}

func (c *Cluster) podLog(ns, pod, container string, tail int64) (string, error) {
	opts := &corev1.PodLogOptions{Container: container}
	if tail > 0 {
		opts.TailLines = &tail
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	rc, err := c.Kube.CoreV1().Pods(ns).GetLogs(pod, opts).Stream(ctx)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return strings.TrimRight(string(b), "\n"), err
}
