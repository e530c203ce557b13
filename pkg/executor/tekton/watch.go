package tekton

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rigger-ci/rigger/pkg/run"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	informers "github.com/tektoncd/pipeline/pkg/client/informers/externalversions"
	"go.uber.org/zap"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// resync re-lists periodically so the informers' caches cannot drift from the cluster.
const resync = 10 * time.Minute

// Watch follows Rigger's PipelineRuns and their TaskRuns with label-selected informers and
// calls fn with a run whenever what a user would see of it changes. Bursts of updates to one
// run are coalesced by a work queue. It blocks until ctx ends.
func (e *Executor) Watch(ctx context.Context, fn func(run.Run)) error {
	factory := informers.NewSharedInformerFactoryWithOptions(e.tekton, resync,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = LabelRepository }),
		informers.WithTransform(stripManagedFields))
	prs := factory.Tekton().V1().PipelineRuns()
	trs := factory.Tekton().V1().TaskRuns()
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	defer q.ShutDown()
	// The repositories' queues are reconciled from their own work queue: a burst of changes
	// to one repository's runs coalesces into one reconcile, not one per change.
	if err := prs.Informer().AddIndexers(cache.Indexers{byRepository: repositoryKey}); err != nil {
		return err
	}
	rq := &queue{e: e, indexer: prs.Informer().GetIndexer(), ahead: map[string]int{},
		q:     workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		touch: func(key string) { q.Add(key) }}
	defer rq.q.ShutDown()

	enqueuePR := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			q.Add(key)
		}
	}
	enqueueOwner := func(obj any) {
		if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tombstone.Obj
		}
		if tr, ok := obj.(*pipelinev1.TaskRun); ok && tr.Labels["tekton.dev/pipelineRun"] != "" {
			q.Add(tr.Namespace + "/" + tr.Labels["tekton.dev/pipelineRun"])
		}
	}
	if _, err := prs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		// A new run, a run deleted (by hand while it waited, too) and a run started, cancelled
		// or finished may free or take a slot, or move a waiting run up.
		AddFunc:    func(o any) { enqueuePR(o); rq.add(o) },
		UpdateFunc: func(old, o any) { enqueuePR(o); rq.update(old, o) },
		DeleteFunc: func(o any) { enqueuePR(o); rq.add(o) },
	}); err != nil {
		return err
	}
	// A run's TaskRuns by index, not by a label scan of every TaskRun of the namespace on
	// each change: in a burst that scan made reporting quadratic.
	if err := trs.Informer().AddIndexers(cache.Indexers{byPipelineRun: pipelineRunKey}); err != nil {
		return err
	}
	if _, err := trs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueueOwner, UpdateFunc: func(_, o any) { enqueueOwner(o) }, DeleteFunc: enqueueOwner,
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("tekton executor: informer for %v never synced", typ)
		}
	}
	lister := prs.Lister()
	e.lister.Store(&lister)
	defer e.lister.Store(nil)
	e.queue.Store(rq)
	defer e.queue.Store(nil)
	// At start every queue is reconciled: runs left waiting while no Rigger watched start
	// now, in the order the cluster holds.
	rq.all()
	queueDone := make(chan struct{})
	go func() { defer close(queueDone); rq.run(ctx) }()
	defer func() { rq.q.ShutDown(); <-queueDone }()

	var (
		mu   sync.Mutex
		seen = map[string]string{} // key -> fingerprint of what fn last saw
	)
	process := func(key string) {
		ns, name, _ := strings.Cut(key, "/")
		pr, err := prs.Lister().PipelineRuns(ns).Get(name)
		if apierrors.IsNotFound(err) {
			mu.Lock()
			delete(seen, key)
			mu.Unlock()
			rq.forget(key)
			return
		}
		if err != nil {
			q.AddRateLimited(key)
			return
		}
		objs, _ := trs.Informer().GetIndexer().ByIndex(byPipelineRun, key)
		taskRuns := make([]*pipelinev1.TaskRun, 0, len(objs))
		for _, o := range objs {
			if tr, ok := o.(*pipelinev1.TaskRun); ok {
				taskRuns = append(taskRuns, tr)
			}
		}
		r := RunFromPipelineRun(pr, taskRuns)
		if r.Waiting() && pr.Annotations[AnnotationConcurrencyLimit] == "" {
			r.Ahead = -1 // pending by its definition's wish: in no queue of Rigger's
		} else if r.Waiting() {
			if r.Ahead = rq.aheadOf(key); r.Ahead < 0 {
				// Its place is not known until its repository's queue is reconciled, which
				// reports it then: one check run update instead of two.
				return
			}
		}
		fp := fingerprint(&r)
		mu.Lock()
		same := seen[key] == fp
		seen[key] = fp
		mu.Unlock()
		if !same {
			fn(r)
		}
	}
	const workers = 4
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				key, quit := q.Get()
				if quit {
					return
				}
				func() {
					defer q.Done(key)
					defer func() {
						if p := recover(); p != nil {
							e.log.Error("run watcher panicked", zap.String("run", key), zap.Any("panic", p))
						}
					}()
					process(key)
					q.Forget(key)
				}()
			}
		}()
	}
	<-ctx.Done()
	q.ShutDown()
	wg.Wait()
	return nil
}

// byPipelineRun indexes TaskRuns by the namespace/name of the PipelineRun they belong to.
const byPipelineRun = "pipelineRun"

func pipelineRunKey(obj any) ([]string, error) {
	tr, ok := obj.(*pipelinev1.TaskRun)
	if !ok || tr.Labels["tekton.dev/pipelineRun"] == "" {
		return nil, nil
	}
	return []string{tr.Namespace + "/" + tr.Labels["tekton.dev/pipelineRun"]}, nil
}

// fingerprint is what a user would see of a run: deliveries that do not change it are dropped.
func fingerprint(r *run.Run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%d|%t|%d|%s", r.State, r.Reason, r.CheckRunID, r.CompletionTime.IsZero(), r.Ahead, r.CancelWhy)
	for _, t := range r.Tasks {
		fmt.Fprintf(&b, "|%s=%s", t.Name, t.State)
		for _, s := range t.Steps {
			fmt.Fprintf(&b, ",%s=%s", s.Name, s.State)
		}
	}
	return b.String()
}

func stripManagedFields(obj any) (any, error) {
	if m, ok := obj.(metav1.Object); ok {
		m.SetManagedFields(nil)
	}
	return obj, nil
}
