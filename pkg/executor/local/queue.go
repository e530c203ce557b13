package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/run"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	bolt "go.etcd.io/bbolt"
)

// waitingBucket holds what a waiting run needs to start: its PipelineRun and the limit it
// was submitted under. It is in the store, not in memory, so a restarted Rigger finds the
// same runs waiting in the same order (run.QueuedAt, then name) and starts them.
var waitingBucket = []byte("waiting")

type waitingRecord struct {
	PipelineRun *pipelinev1.PipelineRun `json:"pipelineRun"`
	Limit       int                     `json:"limit"`
}

// SetPolicies makes the executor ask p for each repository's concurrency limit, and
// reconciles every queue at once: a limit raised while runs wait starts them now.
func (e *Executor) SetPolicies(p executor.Policies) {
	e.mu.Lock()
	e.cfg.Policies = p
	e.mu.Unlock()
	e.Reconcile()
}

// Reconcile starts the waiting runs of every repository that has a free slot. Runs
// finishing, submitted and cancelled reconcile their own repository; this is for changes
// the executor cannot see (a limit changed, a restart).
func (e *Executor) Reconcile() {
	repos := map[string]bool{}
	all, err := e.All()
	if err != nil {
		return
	}
	for _, r := range all {
		if r.Waiting() {
			repos[r.Repo] = true
		}
	}
	for repo := range repos {
		e.reconcile(repo)
	}
}

// reconcile is the whole queue policy of one repository, derived from the stored runs
// alone: start the oldest waiting runs while fewer than the limit hold a slot, tell the
// others how many are ahead of them, and delete finished runs beyond max-keep-runs.
func (e *Executor) reconcile(repo string) {
	e.queueMu.Lock()
	defer e.queueMu.Unlock()
	e.mu.Lock()
	closed, policies := e.closed, e.cfg.Policies
	e.mu.Unlock()
	if closed {
		return
	}
	all, err := e.All()
	if err != nil {
		e.emit(Event{Kind: RunFinished, State: run.Failed, Reason: "StoreError: " + err.Error(), Time: time.Now()})
		return
	}
	var runs []run.Run
	for _, r := range all {
		if r.Repo != repo {
			continue
		}
		if live, err := e.get(r.Name); err == nil && live != nil {
			r = live
		}
		runs = append(runs, *r)
	}
	limit, ok := 0, false
	if policies != nil && len(runs) > 0 {
		// A local executor runs one Rigger's repositories only; one unknown to the
		// configuration now runs under the limit it was submitted with.
		limit, ok = policies(runs[0].Namespace, repo)
	}
	if !ok {
		limit = e.store.newestLimit(runs)
	}
	plan := executor.PlanQueue(runs, limit)
	for _, r := range plan.Start {
		if err := e.startWaiting(r); err != nil {
			e.emit(Event{Kind: RunFinished, Run: r.Name, State: run.Failed, Reason: "StoreError: " + err.Error(), Time: time.Now()})
		}
	}
	for _, r := range plan.Waiting {
		// Only a changed position is published: a waiting run's check run is updated when
		// what it says changes, and past MaxAheadShown it does not.
		if stored := findRun(runs, r.Name); stored == nil || stored.Ahead != r.Ahead {
			e.publish(r)
		}
	}
	e.flush()
	for _, r := range plan.Prune {
		if err := e.store.delete(&r); err != nil {
			continue
		}
		_ = os.RemoveAll(e.store.runDir(r.Name))
	}
}

func findRun(runs []run.Run, name string) *run.Run {
	for i := range runs {
		if runs[i].Name == name {
			return &runs[i]
		}
	}
	return nil
}

// startWaiting starts a waiting run from its stored PipelineRun.
func (e *Executor) startWaiting(r run.Run) error {
	rec, err := e.store.waiting(r.Name)
	if err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("waiting run %s has no stored PipelineRun", r.Name)
	}
	r.Reason, r.Ahead = "", 0
	p, err := prepare(context.Background(), rec.PipelineRun, e.containers != nil)
	if err != nil {
		// It validated when it was submitted; only a changed Rigger can refuse it now.
		r.State, r.Reason, r.Message, r.CompletionTime = run.Failed, reasonCouldNotStart, err.Error(), time.Now()
		e.publish(r)
		return e.store.dropWaiting(r.Name)
	}
	if !e.start(&r, p) {
		return nil // closing: it waits on in the store for the next process
	}
	return e.store.dropWaiting(r.Name)
}

// cancelWaiting ends the selected waiting runs without ever starting them, so a superseded
// run never takes a slot. It returns how many, and the repositories whose queues moved.
func (e *Executor) cancelWaiting(sel executor.Selector) (int, map[string]bool, error) {
	e.queueMu.Lock()
	defer e.queueMu.Unlock()
	all, err := e.All()
	if err != nil {
		return 0, nil, err
	}
	repos := map[string]bool{}
	n := 0
	var errs []error
	for _, r := range all {
		if !r.Waiting() || !sel.Matches(r) {
			continue
		}
		if err := e.store.dropWaiting(r.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		c := *r
		c.State, c.Reason, c.Message, c.CancelWhy = run.Cancelled, reasonCancelled, "the run was cancelled before it started", sel.Why
		c.CompletionTime, c.Ahead = time.Now(), 0
		e.publish(c)
		n++
		repos[r.Repo] = true
	}
	e.flush()
	return n, repos, errors.Join(errs...)
}

func (s *store) putWaiting(tx *bolt.Tx, name string, rec *waitingRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return tx.Bucket(waitingBucket).Put([]byte(name), data)
}

func (s *store) waiting(name string) (*waitingRecord, error) {
	var rec *waitingRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(waitingBucket).Get([]byte(name))
		if v == nil {
			return nil
		}
		rec = &waitingRecord{}
		return json.Unmarshal(v, rec)
	})
	return rec, err
}

func (s *store) dropWaiting(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(waitingBucket).Delete([]byte(name)) })
}

// newestLimit is the limit the repository's newest waiting run was submitted under: the
// configuration as it was last seen, when no Policies say what it is now.
func (s *store) newestLimit(runs []run.Run) int {
	var newest *run.Run
	for i := range runs {
		if runs[i].Waiting() && (newest == nil || executor.QueueOrder(*newest, runs[i]) < 0) {
			newest = &runs[i]
		}
	}
	if newest == nil {
		return 0
	}
	rec, err := s.waiting(newest.Name)
	if err != nil || rec == nil {
		return 0
	}
	return rec.Limit
}

// delete removes a finished run and its identity: a run that max-keep-runs deleted is gone,
// as a deleted PipelineRun is on a cluster.
func (s *store) delete(r *run.Run) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(identitiesBucket).Delete(identityKey(r.Identity)); err != nil {
			return err
		}
		return tx.Bucket(runsBucket).Delete([]byte(r.Name))
	})
}
