package tekton

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rigger-ci/rigger/pkg/run"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LogTail returns the last lines of one step's log, read from its pod.
func (e *Executor) LogTail(ctx context.Context, r *run.Run, task, step string, lines int) (string, error) {
	pod, err := e.taskPod(ctx, r, task)
	if err != nil {
		return "", err
	}
	tail := int64(lines)
	rc, err := e.kube.CoreV1().Pods(r.Namespace).GetLogs(pod, &corev1.PodLogOptions{Container: "step-" + step, TailLines: &tail}).Stream(ctx)
	if err != nil {
		return "", fmt.Errorf("log of step %s of task %s: %w", step, task, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 1<<20))
	return strings.TrimRight(string(b), "\n"), err
}

// SecretValues returns the values of every Secret the run's pods can read (volumes, env,
// envFrom), so that a log shown on GitHub never carries them.
func (e *Executor) SecretValues(ctx context.Context, r *run.Run) ([]string, error) {
	pods, err := e.kube.CoreV1().Pods(r.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + r.Name})
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, p := range pods.Items {
		for _, v := range p.Spec.Volumes {
			if v.Secret != nil {
				names[v.Secret.SecretName] = true
			}
			if v.Projected != nil {
				for _, s := range v.Projected.Sources {
					if s.Secret != nil {
						names[s.Secret.Name] = true
					}
				}
			}
		}
		for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
			for _, env := range c.Env {
				if env.ValueFrom != nil && env.ValueFrom.SecretKeyRef != nil {
					names[env.ValueFrom.SecretKeyRef.Name] = true
				}
			}
			for _, from := range c.EnvFrom {
				if from.SecretRef != nil {
					names[from.SecretRef.Name] = true
				}
			}
		}
	}
	var values []string
	for name := range names {
		s, err := e.kube.CoreV1().Secrets(r.Namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading secret %s to mask it: %w", name, err)
		}
		for _, v := range s.Data {
			values = append(values, string(v))
		}
	}
	sort.Strings(values)
	return values, nil
}

func (e *Executor) taskPod(ctx context.Context, r *run.Run, task string) (string, error) {
	trs, err := e.tekton.TektonV1().TaskRuns(r.Namespace).List(ctx, metav1.ListOptions{
		LabelSelector: "tekton.dev/pipelineRun=" + r.Name + ",tekton.dev/pipelineTask=" + task,
	})
	if err != nil {
		return "", err
	}
	for _, tr := range trs.Items {
		if tr.Status.PodName != "" {
			return tr.Status.PodName, nil
		}
	}
	return "", fmt.Errorf("task %s of run %s/%s has no pod", task, r.Namespace, r.Name)
}
