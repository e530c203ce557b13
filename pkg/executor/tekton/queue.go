package tekton

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/run"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"go.uber.org/zap"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// queueResync is how often every repository's queue is reconciled whether or not a run of
// it changed: the level-triggered net under a missed event (a watch gap, the apiserver away
// for a while, a limit changed in the configuration).
const queueResync = 30 * time.Second

// pruneGrace is how long a finished run not yet recorded as reported (run.Run.Reported)
// is left for the reporter before max-keep-runs may delete it anyway.
const pruneGrace = 20 * time.Second

// byRepository indexes PipelineRuns by namespace and repository label, a repository's queue.
const byRepository = "repository"

func repositoryKey(obj any) ([]string, error) {
	pr, ok := obj.(*pipelinev1.PipelineRun)
	if !ok || pr.Labels[LabelRepository] == "" {
		return nil, nil
	}
	return []string{pr.Namespace + "/" + pr.Labels[LabelRepository]}, nil
}

// queue keeps the concurrency limits of the repositories the watch sees. It holds no
// state of its own that matters: each reconcile derives the queue from the informer's
// cache, so a restarted Rigger, or a second one, derives the same queue.
type queue struct {
	e       *Executor
	indexer cache.Indexer
	q       workqueue.TypedRateLimitingInterface[string] // namespace/repository label
	touch   func(key string)                             // re-report a run (its place changed)

	mu    sync.Mutex
	ahead map[string]int // run key -> runs ahead of it, as last reported

	// Stats for benchmarks and tests: API calls the queue made.
	starts, conflicts, deletes, calls int64
}

// QueueStats are the API calls a Watch's queue has made.
type QueueStats struct{ Starts, Conflicts, Deletes, Calls int64 }

// QueueStats returns the calls the running Watch's queue made, zero without a Watch.
func (e *Executor) QueueStats() QueueStats {
	q := e.queue.Load()
	if q == nil {
		return QueueStats{}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return QueueStats{Starts: q.starts, Conflicts: q.conflicts, Deletes: q.deletes, Calls: q.calls}
}

func (q *queue) add(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	if pr, ok := obj.(*pipelinev1.PipelineRun); !ok || !q.governed(pr) {
		return
	}
	if keys, _ := repositoryKey(obj); len(keys) == 1 {
		q.q.Add(keys[0])
	}
}

// update queues the run's repository when the change can move its queue: the run was
// started, cancelled or finished, or its policy changed. Tekton's progress reports on a
// running run (a TaskRun created, a step started) move nothing, and in a burst they were
// most of the changes: reconciling on each cost a third of Rigger's CPU.
func (q *queue) update(oldObj, newObj any) {
	old, ok1 := oldObj.(*pipelinev1.PipelineRun)
	pr, ok2 := newObj.(*pipelinev1.PipelineRun)
	if !ok1 || !ok2 {
		q.add(newObj)
		return
	}
	if old.Spec.Status != pr.Spec.Status || old.IsDone() != pr.IsDone() ||
		old.Annotations[AnnotationReported] != pr.Annotations[AnnotationReported] ||
		!samePolicy(old.Annotations, pr.Annotations) {
		q.add(pr)
	}
}

// governed tells whether a run is subject to its repository's queue policy: it waits for
// a slot, supersedes older runs, is pruned by max-keep-runs, or its repository has a
// concurrency limit (so its finish frees a slot). A repository none of that applies to
// needs no reconcile at all.
func (q *queue) governed(pr *pipelinev1.PipelineRun) bool {
	a := pr.Annotations
	if a[AnnotationConcurrencyLimit] != "" || a[AnnotationSupersedes] != "" || a[AnnotationKeepRuns] != "" {
		return true
	}
	p := q.e.policies.Load()
	if p == nil || *p == nil {
		return false
	}
	limit, ok := (*p)(pr.Namespace, a[AnnotationRepo])
	return ok && limit > 0
}

func samePolicy(a, b map[string]string) bool {
	for _, k := range []string{AnnotationConcurrencyLimit, AnnotationSupersedes, AnnotationKeepRuns, AnnotationQueuedAt} {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

// all queues every repository the cache knows.
func (q *queue) all() {
	for _, k := range q.indexer.ListIndexFuncValues(byRepository) {
		q.q.Add(k)
	}
}

// aheadOf is how many runs wait before the run key, -1 when it does not wait.
func (q *queue) aheadOf(key string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if n, ok := q.ahead[key]; ok {
		return n
	}
	return -1
}

func (q *queue) run(ctx context.Context) {
	go func() {
		t := time.NewTicker(queueResync)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				q.all()
			}
		}
	}()
	// One worker: reconciles of different repositories are cheap, and one at a time in
	// this process leaves only other replicas to race with, which resourceVersion settles.
	for {
		key, quit := q.q.Get()
		if quit {
			return
		}
		func() {
			defer q.q.Done(key)
			defer func() {
				if p := recover(); p != nil {
					q.e.log.Error("queue reconcile panicked", zap.String("repository", key), zap.Any("panic", p))
				}
			}()
			if err := q.reconcile(ctx, key); err != nil {
				q.e.log.Debug("queue reconcile will be retried", zap.String("repository", key), zap.Error(err))
				q.q.AddRateLimited(key)
				return
			}
			q.q.Forget(key)
		}()
	}
}

// reconcile is the queue policy of one repository: count the runs holding a slot, start
// the oldest waiting ones while fewer than the limit hold one, tell the waiting ones how
// many are ahead, delete finished runs beyond max-keep-runs. Everything is read from the
// informer's cache, so a start costs one request, the patch that starts it.
func (q *queue) reconcile(ctx context.Context, key string) error {
	objs, err := q.indexer.ByIndex(byRepository, key)
	if err != nil {
		return err
	}
	// Finished runs are most of a repository's runs and matter only to max-keep-runs: they
	// are read in full only for definitions whose finished runs carry it.
	pruned := map[string]bool{}
	for _, o := range objs {
		if pr, ok := o.(*pipelinev1.PipelineRun); ok && pr.Annotations[AnnotationKeepRuns] != "" && pr.IsDone() {
			pruned[pr.Annotations[AnnotationDefinition]] = true
		}
	}
	byName := make(map[string]*pipelinev1.PipelineRun)
	var runs []run.Run
	var repo, namespace string
	newest := run.Run{}
	limitOf := 0
	for _, o := range objs {
		pr, ok := o.(*pipelinev1.PipelineRun)
		if !ok || (!pruned[pr.Annotations[AnnotationDefinition]] && pr.IsDone()) {
			continue
		}
		r := RunFromPipelineRun(pr, nil)
		if pr.IsCancelled() && pr.Status.StartTime == nil && !r.State.Done() {
			// Cancelled before it started (superseded while waiting): Tekton will only mark
			// it done, it makes no pods, so it holds no slot meanwhile.
			continue
		}
		if r.Waiting() && pr.Annotations[AnnotationConcurrencyLimit] == "" {
			continue // pending by its definition's wish, not Rigger's: not ours to start
		}
		byName[pr.Name] = pr
		runs = append(runs, r)
		repo, namespace = r.Repo, r.Namespace
		if r.Waiting() && (newest.Name == "" || executor.QueueOrder(newest, r) < 0) {
			newest = r
			limitOf, _ = strconv.Atoi(pr.Annotations[AnnotationConcurrencyLimit])
		}
	}
	if len(runs) == 0 {
		return nil
	}
	limit := limitOf
	if p := q.e.policies.Load(); p != nil && *p != nil {
		var ok bool
		if limit, ok = (*p)(namespace, repo); !ok {
			return nil // not a repository this Rigger serves here
		}
	}
	if err := q.supersede(ctx, runs, byName); err != nil {
		return err
	}
	plan := executor.PlanQueue(runs, limit)
	for _, r := range plan.Start {
		if err := q.start(ctx, byName[r.Name]); err != nil {
			// A conflict means the run changed since the cache saw it: another Rigger
			// started or cancelled it, or a user did. Recount from a fresher cache rather
			// than start the next in line on a count that may be stale.
			return err
		}
	}
	q.report(key, plan)
	for _, r := range plan.Prune {
		// A run that finished a moment ago may not have been reported yet: deleted, its
		// check run would never hear that it finished. Once its final state is recorded as
		// reported it may go; otherwise the timer prunes it a little later.
		if r.Reported.Done() || q.e.now().Sub(r.CompletionTime) >= pruneGrace {
			q.prune(ctx, byName[r.Name])
		}
	}
	return nil
}

// start clears spec.status of a waiting run, on the condition that it is still the object
// the cache showed (its resourceVersion): two Riggers that both saw a free slot plan the
// same run for it, and only one of them moves it.
func (q *queue) start(ctx context.Context, pr *pipelinev1.PipelineRun) error {
	patch := []byte(fmt.Sprintf(`{"metadata":{"resourceVersion":%q},"spec":{"status":null}}`, pr.ResourceVersion))
	_, err := q.e.tekton.TektonV1().PipelineRuns(pr.Namespace).Patch(ctx, pr.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	q.mu.Lock()
	q.calls++
	switch {
	case err == nil:
		q.starts++
	case apierrors.IsConflict(err):
		q.conflicts++
	}
	q.mu.Unlock()
	if err != nil {
		// Gone (deleted by hand) is no failure, but the rest of the plan was made from a
		// cache that still held it: recount rather than start the next one on that count.
		return fmt.Errorf("starting %s/%s: %w", pr.Namespace, pr.Name, err)
	}
	return nil
}

// report re-reports the waiting runs whose place in the queue changed. Places past
// run.MaxAheadShown all read the same, so a start re-reports at most that many check runs
// however long the queue is.
func (q *queue) report(repoKey string, plan executor.QueuePlan) {
	var changed []string
	q.mu.Lock()
	for _, r := range plan.Start {
		delete(q.ahead, r.Namespace+"/"+r.Name)
	}
	for _, r := range plan.Waiting {
		k := r.Namespace + "/" + r.Name
		if old, ok := q.ahead[k]; !ok || old != r.Ahead {
			q.ahead[k] = r.Ahead
			changed = append(changed, k)
		}
	}
	q.mu.Unlock()
	for _, k := range changed {
		q.touch(k)
	}
}

// forget drops what the queue remembers of a run that is gone.
func (q *queue) forget(key string) {
	q.mu.Lock()
	delete(q.ahead, key)
	q.mu.Unlock()
}

// prune deletes a finished run that max-keep-runs does not keep. Its git credentials
// Secret is owned by it and goes with it; the Secret of a kept run is never touched.
func (q *queue) prune(ctx context.Context, pr *pipelinev1.PipelineRun) {
	uid := pr.UID
	bg := metav1.DeletePropagationBackground
	err := q.e.tekton.TektonV1().PipelineRuns(pr.Namespace).Delete(ctx, pr.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &uid}, PropagationPolicy: &bg,
	})
	q.mu.Lock()
	q.calls++
	if err == nil {
		q.deletes++
	}
	q.mu.Unlock()
	if err != nil && !apierrors.IsNotFound(err) {
		q.e.log.Warn("could not delete a run beyond max-keep-runs", zap.String("run", pr.Name), zap.Error(err))
	}
}

// supersede cancels the unfinished runs that a newer run of the same definition for the same
// pull request or branch supersedes (cancel-in-progress), when the trigger's cancel did not
// reach them: it reads a cache, which may not yet have held a run created a moment before.
// The cancelled runs are marked so in runs, so the plan that follows never starts them.
func (q *queue) supersede(ctx context.Context, runs []run.Run, byName map[string]*pipelinev1.PipelineRun) error {
	newest := map[string]int{} // definition and pull request or branch -> index in runs
	key := func(r run.Run) string {
		if r.PullRequest > 0 {
			return fmt.Sprintf("%s\x00pr\x00%d", r.Definition, r.PullRequest)
		}
		return r.Definition + "\x00ref\x00" + r.Ref
	}
	for i, r := range runs {
		if r.State.Done() || (r.PullRequest == 0 && r.Ref == "") {
			continue
		}
		if j, ok := newest[key(r)]; !ok || executor.QueueOrder(runs[j], r) < 0 {
			newest[key(r)] = i
		}
	}
	for i, r := range runs {
		if r.State.Done() || (r.PullRequest == 0 && r.Ref == "") {
			continue
		}
		j := newest[key(r)]
		pr := byName[r.Name]
		if j == i || byName[runs[j].Name].Annotations[AnnotationSupersedes] != "true" || pr.IsCancelled() {
			continue
		}
		why := "superseded by " + shortSHA(runs[j].SHA)
		patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}},"spec":{"status":%q}}`,
			AnnotationCancelWhy, why, pipelinev1.PipelineRunSpecStatusCancelled))
		_, err := q.e.tekton.TektonV1().PipelineRuns(pr.Namespace).Patch(ctx, pr.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		q.mu.Lock()
		q.calls++
		q.mu.Unlock()
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("cancelling superseded %s/%s: %w", pr.Namespace, pr.Name, err)
		}
		runs[i].State, runs[i].CancelWhy = run.Cancelled, why
	}
	return nil
}

func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
