package tekton

import (
	"sort"
	"strconv"
	"time"

	"github.com/rigger-ci/rigger/pkg/run"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
)

// RunFromPipelineRun reads Rigger's run model off a PipelineRun and its TaskRuns.
func RunFromPipelineRun(pr *pipelinev1.PipelineRun, taskRuns []*pipelinev1.TaskRun) run.Run {
	a := pr.Annotations
	r := run.Run{
		Identity: run.Identity{
			Repo:       a[AnnotationRepo],
			SHA:        a[AnnotationSHA],
			Definition: a[AnnotationDefinition],
			Trigger:    a[AnnotationTrigger],
		},
		Name:         pr.Name,
		Namespace:    pr.Namespace,
		Event:        pr.Labels[LabelEvent],
		RepoURL:      a[AnnotationRepoURL],
		Sender:       a[AnnotationSender],
		DeliveryID:   a[AnnotationDelivery],
		CreationTime: pr.CreationTimestamp.Time,
		Reported:     run.State(a[AnnotationReported]),
	}
	r.Attempt, _ = strconv.Atoi(a[AnnotationAttempt])
	r.PullRequest, _ = strconv.Atoi(pr.Labels[LabelPullRequest])
	r.CheckRunID, _ = strconv.ParseInt(a[AnnotationCheckRunID], 10, 64)
	r.Ref, r.CancelWhy = a[AnnotationRef], a[AnnotationCancelWhy]
	r.MaxKeepRuns, _ = strconv.Atoi(a[AnnotationKeepRuns])
	if at, err := time.Parse(time.RFC3339Nano, a[AnnotationQueuedAt]); err == nil {
		r.QueuedAt = at
	}
	if pr.Status.StartTime != nil {
		r.StartTime = pr.Status.StartTime.Time
	}
	if pr.Status.CompletionTime != nil {
		r.CompletionTime = pr.Status.CompletionTime.Time
	}
	cond := pr.Status.GetCondition(apis.ConditionSucceeded)
	r.State, r.Reason, r.Message = pipelineRunState(pr, cond)

	sort.Slice(taskRuns, func(i, j int) bool { return startOf(taskRuns[i]).Before(startOf(taskRuns[j])) })
	for _, tr := range taskRuns {
		t := taskFromTaskRun(tr)
		r.Tasks = append(r.Tasks, t)
		if r.FailedTask == "" && t.State == run.Failed {
			r.FailedTask = t.Name
			for _, s := range t.Steps {
				if s.State == run.Failed {
					r.FailedStep = s.Name
					break
				}
			}
		}
	}
	for _, s := range pr.Status.SkippedTasks {
		r.Tasks = append(r.Tasks, run.Task{Name: s.Name, State: run.Skipped, Reason: string(s.Reason)})
	}
	return r
}

func pipelineRunState(pr *pipelinev1.PipelineRun, cond *apis.Condition) (run.State, string, string) {
	if cond == nil {
		if pr.Spec.Status == pipelinev1.PipelineRunSpecStatusPending {
			return run.Queued, pipelinev1.PipelineRunReasonPending.String(), ""
		}
		return run.Queued, "", ""
	}
	switch cond.Status {
	case corev1.ConditionTrue:
		return run.Succeeded, cond.Reason, cond.Message
	case corev1.ConditionFalse:
		switch cond.Reason {
		case pipelinev1.PipelineRunReasonCancelled.String(), pipelinev1.PipelineRunReasonCancelledRunningFinally.String(),
			pipelinev1.PipelineRunReasonStoppedRunningFinally.String():
			return run.Cancelled, cond.Reason, cond.Message
		}
		return run.Failed, cond.Reason, cond.Message
	}
	if pr.Spec.Status == pipelinev1.PipelineRunSpecStatusPending {
		return run.Queued, pipelinev1.PipelineRunReasonPending.String(), cond.Message
	}
	if cond.Reason == pipelinev1.PipelineRunReasonPending.String() {
		// Started (spec.status cleared) but Tekton has not seen it yet: it holds a slot
		// already, so it must not read as waiting, or the queue would start another.
		return run.Queued, "", ""
	}
	if pr.Status.StartTime == nil {
		return run.Queued, cond.Reason, cond.Message
	}
	return run.Running, cond.Reason, cond.Message
}

func taskFromTaskRun(tr *pipelinev1.TaskRun) run.Task {
	t := run.Task{Name: tr.Labels["tekton.dev/pipelineTask"]}
	if t.Name == "" {
		t.Name = tr.Name
	}
	if tr.Status.StartTime != nil {
		t.StartTime = tr.Status.StartTime.Time
	}
	if tr.Status.CompletionTime != nil {
		t.CompletionTime = tr.Status.CompletionTime.Time
	}
	cond := tr.Status.GetCondition(apis.ConditionSucceeded)
	switch {
	case cond == nil:
		t.State = run.Queued
	case cond.Status == corev1.ConditionTrue:
		t.State = run.Succeeded
	case cond.Status == corev1.ConditionFalse && cond.Reason == pipelinev1.TaskRunReasonCancelled.String():
		t.State = run.Cancelled
	case cond.Status == corev1.ConditionFalse:
		t.State = run.Failed
	default:
		t.State = run.Running
	}
	if cond != nil {
		t.Reason, t.Message = cond.Reason, cond.Message
	}
	for _, s := range tr.Status.Steps {
		st := run.Step{Name: s.Name, State: run.Queued}
		switch {
		case s.Terminated != nil:
			st.ExitCode = s.Terminated.ExitCode
			st.StartTime, st.CompletionTime = s.Terminated.StartedAt.Time, s.Terminated.FinishedAt.Time
			st.State = run.Succeeded
			if s.Terminated.ExitCode != 0 {
				st.State = run.Failed
			}
			if s.Terminated.Reason == "TaskRunCancelled" {
				st.State = run.Cancelled
			}
		case s.Running != nil:
			st.State = run.Running
			st.StartTime = s.Running.StartedAt.Time
		}
		t.Steps = append(t.Steps, st)
	}
	return t
}

func startOf(tr *pipelinev1.TaskRun) time.Time {
	if tr.Status.StartTime != nil {
		return tr.Status.StartTime.Time
	}
	return tr.CreationTimestamp.Time
}
