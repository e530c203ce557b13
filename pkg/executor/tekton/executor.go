// Package tekton is the executor that runs Rigger's runs as Tekton PipelineRuns on
// Kubernetes: it creates them under deterministic names, cancels them, watches them with
// informers, and reads step logs from their pods.
package tekton

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/retry"
	"github.com/rigger-ci/rigger/pkg/run"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	listers "github.com/tektoncd/pipeline/pkg/client/listers/pipeline/v1"
	"go.uber.org/zap"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Executor creates and follows PipelineRuns. It is safe for concurrent use.
type Executor struct {
	kube   kubernetes.Interface
	tekton tektonclient.Interface
	log    *zap.Logger
	// Retry is how a call to the apiserver is tried again while the cluster is away
	// (configuration: retry.cluster). Set it before use.
	Retry retry.Policy

	// lister reads Watch's informer cache once it has synced; until then, and without a
	// Watch, Get asks the apiserver.
	lister atomic.Pointer[listers.PipelineRunLister]

	// policies gives repositories' current concurrency limits (SetPolicies).
	policies atomic.Pointer[executor.Policies]
	// queue is the running Watch's queue reconciler, nil without a Watch.
	queue atomic.Pointer[queue]
	// Now is the clock runs are queued by; tests and benchmarks may replace it.
	now func() time.Time
}

// SetPolicies makes the queue ask p for a repository's concurrency limit each time it
// reconciles it, so a limit changed while runs wait takes effect at the next reconcile.
func (e *Executor) SetPolicies(p executor.Policies) {
	e.policies.Store(&p)
	if q := e.queue.Load(); q != nil {
		q.all()
	}
}

var _ executor.Executor = (*Executor)(nil)

// New returns an executor using the given clients.
func New(kube kubernetes.Interface, tekton tektonclient.Interface, log *zap.Logger) *Executor {
	return &Executor{
		kube: kube, tekton: tekton, log: log, now: time.Now,
		// A cluster outage is retried for a minute before the caller hears of it.
		Retry: retry.Policy{BaseDelay: 200 * time.Millisecond, MaxDelay: 15 * time.Second, Deadline: time.Minute},
	}
}

// Submit creates the PipelineRun of req under the name its identity gives. An existing one
// (a redelivered webhook, another replica) is returned as it is.
func (e *Executor) Submit(ctx context.Context, req *executor.Request) (*run.Run, error) {
	if req.PipelineRun == nil {
		return nil, errors.New("tekton executor: request has no PipelineRun")
	}
	r := req.Run
	r.MaxKeepRuns = req.Policy.MaxKeepRuns
	pr := req.PipelineRun.DeepCopy()
	pr.APIVersion, pr.Kind = "tekton.dev/v1", "PipelineRun"
	pr.Name, pr.GenerateName, pr.Namespace = r.Identity.Name(), "", req.Namespace
	pr.ResourceVersion, pr.UID = "", ""
	withoutBookkeeping(pr.Labels, pr.Annotations)
	pr.Labels = merge(pr.Labels, labelsFor(&r))
	pr.Annotations = merge(pr.Annotations, annotationsFor(&r))
	// Every run records when it was queued, finer than its creation timestamp's second: the
	// queue's order, and which of two runs supersedes the other.
	pr.Annotations[AnnotationQueuedAt] = e.now().UTC().Format(time.RFC3339Nano)
	if limit := req.Policy.ConcurrencyLimit; limit > 0 {
		// The run waits in the cluster, not in this process: created pending, it is started
		// by whichever Rigger's queue reconciles the repository (queue.go), in the order
		// AnnotationQueuedAt and its name give. With a slot free that is a moment later.
		pr.Spec.Status = pipelinev1.PipelineRunSpecStatusPending
		pr.Annotations[AnnotationConcurrencyLimit] = strconv.Itoa(limit)
	}
	if req.Policy.CancelInProgress {
		pr.Annotations[AnnotationSupersedes] = "true"
	}

	if req.GitAuthSecret != "" {
		if err := e.ensureGitSecret(ctx, req); err != nil {
			return nil, err
		}
	}
	var created *pipelinev1.PipelineRun
	err := e.retry(ctx, func(ctx context.Context) error {
		var err error
		created, err = e.tekton.TektonV1().PipelineRuns(req.Namespace).Create(ctx, pr, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			created, err = e.tekton.TektonV1().PipelineRuns(req.Namespace).Get(ctx, pr.Name, metav1.GetOptions{})
		}
		return err
	})
	if err != nil {
		if !transient(err) {
			err = fmt.Errorf("%w: %w", executor.ErrRejected, err)
		}
		return nil, fmt.Errorf("creating PipelineRun %s/%s: %w", req.Namespace, pr.Name, err)
	}
	if req.GitAuthSecret != "" {
		e.ownSecret(ctx, created, req.GitAuthSecret)
	}
	out := RunFromPipelineRun(created, nil)
	return &out, nil
}

// Synced tells whether Watch's informers have loaded every run, so that Get and List read
// their cache rather than the apiserver.
func (e *Executor) Synced() bool { return e.lister.Load() != nil }

// Get returns the run with the given name, or nil when there is none. While Watch runs it
// answers from the informer's cache, with no request at all; otherwise from the apiserver's
// watch cache (resourceVersion 0). Either is fresh enough to skip a redelivered webhook.
func (e *Executor) Get(ctx context.Context, namespace, name string) (*run.Run, error) {
	if l := e.lister.Load(); l != nil {
		pr, err := (*l).PipelineRuns(namespace).Get(name)
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		r := RunFromPipelineRun(pr, nil)
		return &r, nil
	}
	pr, err := e.tekton.TektonV1().PipelineRuns(namespace).Get(ctx, name, metav1.GetOptions{ResourceVersion: "0"})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r := RunFromPipelineRun(pr, nil)
	return &r, nil
}

// Cancel sets spec.status Cancelled on the selected PipelineRuns that have not finished.
func (e *Executor) Cancel(ctx context.Context, sel executor.Selector) (int, error) {
	if sel.Repo == "" {
		return 0, errors.New("tekton executor: cancel needs a repository")
	}
	selector := selectorFor(sel.Repo, sel.PullRequest, sel.SHA, sel.Definition)
	if sel.Ref != "" {
		selector += "," + LabelRef + "=" + LabelValue(sel.Ref)
	}
	var prs []*pipelinev1.PipelineRun
	if l := e.lister.Load(); l != nil {
		// cancel-in-progress asks on every run submitted: from the watch's cache that costs
		// no request, and a run the cache has not seen yet is at most a moment old.
		parsed, err := labels.Parse(selector)
		if err != nil {
			return 0, err
		}
		// Only the repository's namespace: a second Rigger serving a repository of the
		// same name elsewhere in the cluster keeps its runs.
		if sel.Namespace != "" {
			prs, err = (*l).PipelineRuns(sel.Namespace).List(parsed)
		} else {
			prs, err = (*l).List(parsed)
		}
		if err != nil {
			return 0, err
		}
	} else {
		list, err := e.tekton.TektonV1().PipelineRuns(sel.Namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return 0, fmt.Errorf("listing PipelineRuns to cancel: %w", err)
		}
		for i := range list.Items {
			prs = append(prs, &list.Items[i])
		}
	}
	patch := []byte(`{"spec":{"status":"` + string(pipelinev1.PipelineRunSpecStatusCancelled) + `"}}`)
	if sel.Why != "" {
		patch = []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}},"spec":{"status":%q}}`,
			AnnotationCancelWhy, sel.Why, pipelinev1.PipelineRunSpecStatusCancelled))
	}
	n := 0
	var errs []error
	for _, pr := range prs {
		if r := RunFromPipelineRun(pr, nil); pr.IsDone() || pr.IsCancelled() || !sel.Matches(&r) {
			continue
		}
		err := e.retry(ctx, func(ctx context.Context) error {
			_, err := e.tekton.TektonV1().PipelineRuns(pr.Namespace).Patch(ctx, pr.Name, types.MergePatchType, patch, metav1.PatchOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("cancelling %s/%s: %w", pr.Namespace, pr.Name, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// List returns the selected PipelineRuns of namespace, from the watch's informer cache while
// Watch runs, otherwise from the apiserver.
func (e *Executor) List(ctx context.Context, namespace string, sel executor.Selector) ([]run.Run, error) {
	selector, err := labels.Parse(selectorFor(sel.Repo, sel.PullRequest, sel.SHA, sel.Definition))
	if err != nil {
		return nil, err
	}
	var prs []*pipelinev1.PipelineRun
	if l := e.lister.Load(); l != nil {
		if prs, err = (*l).PipelineRuns(namespace).List(selector); err != nil {
			return nil, err
		}
	} else {
		list, err := e.tekton.TektonV1().PipelineRuns(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector.String(), ResourceVersion: "0"})
		if err != nil {
			return nil, fmt.Errorf("listing PipelineRuns: %w", err)
		}
		for i := range list.Items {
			prs = append(prs, &list.Items[i])
		}
	}
	out := make([]run.Run, 0, len(prs))
	for _, pr := range prs {
		// Labels hold shortened values; the annotations hold the whole ones.
		if r := RunFromPipelineRun(pr, nil); sel.Matches(&r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// MarkReported records on the PipelineRun that GitHub shows its final state.
func (e *Executor) MarkReported(ctx context.Context, r run.Run) error {
	patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, AnnotationReported, string(r.State)))
	return e.retry(ctx, func(ctx context.Context) error {
		_, err := e.tekton.TektonV1().PipelineRuns(r.Namespace).Patch(ctx, r.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
}

// SetCheckRunID records the check run that reports on a run, for runs whose check run was
// created after the PipelineRun.
func (e *Executor) SetCheckRunID(ctx context.Context, r *run.Run, id int64) error {
	patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:"%d"}}}`, AnnotationCheckRunID, id))
	return e.retry(ctx, func(ctx context.Context) error {
		_, err := e.tekton.TektonV1().PipelineRuns(r.Namespace).Patch(ctx, r.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		return err
	})
}

// retry runs fn until it succeeds, fails for good, or the backoff is spent: the cluster
// being briefly away must not lose a run.
func (e *Executor) retry(ctx context.Context, fn func(context.Context) error) error {
	return e.Retry.Do(ctx, func(ctx context.Context) (bool, error) {
		err := fn(ctx)
		if err != nil && transient(err) {
			e.log.Debug("cluster call failed, retrying", zap.Error(err))
			return true, err
		}
		return false, err
	})
}

func transient(err error) bool {
	if apierrors.IsTooManyRequests(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsUnexpectedServerError(err) {
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return false // any other answer from the apiserver is final
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) // connection trouble
}

func merge(dst, src map[string]string) map[string]string {
	if dst == nil {
		dst = make(map[string]string, len(src))
	}
	for k, v := range src {
		dst[k] = v
	}
	return dst
}
