package server

import (
	"context"
	"sync"
	"time"

	"github.com/rigger-ci/rigger/pkg/run"
	"go.uber.org/zap"
	"k8s.io/client-go/util/workqueue"
)

// reports sends each run's latest state to GitHub until it lands. The executor's watch hands
// it every change; a report that fails is tried again with backoff for as long as the run
// exists, and a newer state of the same run replaces one still waiting, so GitHub ends up
// showing what the run is, whatever failed on the way. Once a run's final state has landed
// it is recorded on the run itself (executor.MarkReported), so a restarted Rigger, whose
// watch hands it every run again, does not tell GitHub again, and tells it what it missed.
type reports struct {
	s *Server
	q workqueue.TypedRateLimitingInterface[string]

	mu     sync.Mutex
	latest map[string]run.Run
}

// checkRunRecorder is what an executor offers to keep a check run's ID on a run made
// without one (by a replica that does not lead, or while GitHub was away).
type checkRunRecorder interface {
	SetCheckRunID(ctx context.Context, r *run.Run, id int64) error
}

// reportWorkers is how many reports go to GitHub at once; each waits on GitHub, and 8 keep a
// burst's reports flowing without nearing GitHub's limit of concurrent requests.
const reportWorkers = 8

func newReports(s *Server) *reports {
	// Retries start at half a second and back off to five minutes: GitHub being away for an
	// hour costs a few dozen attempts per run, not a storm.
	limiter := workqueue.NewTypedItemExponentialFailureRateLimiter[string](500*time.Millisecond, 5*time.Minute)
	return &reports{s: s, latest: map[string]run.Run{},
		q: workqueue.NewTypedRateLimitingQueueWithConfig(limiter, workqueue.TypedRateLimitingQueueConfig[string]{Name: "reports"})}
}

// offer queues r's state for GitHub, unless GitHub already shows it (its final state was
// recorded on the run) or the run is not this Rigger's to report.
func (rs *reports) offer(r run.Run) {
	if r.State.Done() && r.Reported == r.State {
		return
	}
	if repo, ok := rs.s.repos.For(r.Repo); !ok || repo.Namespace != r.Namespace {
		// The watch sees every Rigger-labelled PipelineRun in the cluster; another
		// installation's runs, or runs left in a namespace a repository no longer maps to,
		// must not reach this GitHub.
		return
	}
	key := r.Namespace + "/" + r.Name
	rs.mu.Lock()
	rs.latest[key] = r
	rs.mu.Unlock()
	rs.q.Add(key)
}

// run sends reports until ctx ends.
func (rs *reports) run(ctx context.Context) {
	var wg sync.WaitGroup
	for range reportWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rs.next(ctx) {
			}
		}()
	}
	<-ctx.Done()
	rs.q.ShutDown()
	wg.Wait()
}

func (rs *reports) next(ctx context.Context) bool {
	key, quit := rs.q.Get()
	if quit {
		return false
	}
	defer rs.q.Done(key)
	rs.mu.Lock()
	r, ok := rs.latest[key]
	rs.mu.Unlock()
	if !ok {
		rs.q.Forget(key)
		return true
	}
	log := rs.s.log.With(zap.String("run", key), zap.String("state", string(r.State)))
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	hadCheckRun := r.CheckRunID != 0
	_, err := rs.s.rep.Submitted(rctx, &r) // reports r, making its check run if it has none
	if err == nil && !hadCheckRun && r.CheckRunID != 0 {
		// Kept on the run, so that a restart or another leader reports into this check run
		// rather than make a second.
		if rec, ok := rs.s.exec.(checkRunRecorder); ok {
			err = rec.SetCheckRunID(rctx, &r, r.CheckRunID)
		}
	}
	if err == nil && r.State.Done() {
		err = rs.s.exec.MarkReported(rctx, r)
	}
	if err != nil {
		rs.s.m.reports.WithLabelValues("failed").Inc()
		if gone, gerr := rs.s.exec.Get(rctx, r.Namespace, r.Name); gerr == nil && gone == nil {
			log.Info("the run is gone; its report is dropped", zap.Error(err))
			rs.forget(key, r)
			return true
		}
		log.Warn("reporting a run failed; will try again", zap.Int("attempts", rs.q.NumRequeues(key)+1), zap.Error(err))
		rs.q.AddRateLimited(key)
		return true
	}
	rs.s.m.reports.WithLabelValues("ok").Inc()
	if r.State.Done() {
		if err := rs.s.repos.RecordRun(rctx, r); err != nil {
			log.Warn("could not record the run in its Repository's status", zap.Error(err))
		}
	}
	rs.forget(key, r)
	return true
}

// forget drops key's state once sent, unless a newer state came meanwhile (the queue then
// holds the key again).
func (rs *reports) forget(key string, sent run.Run) {
	rs.q.Forget(key)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if cur, ok := rs.latest[key]; ok && cur.State == sent.State && cur.Reason == sent.Reason && len(cur.Tasks) == len(sent.Tasks) &&
		cur.CompletionTime.Equal(sent.CompletionTime) {
		delete(rs.latest, key)
	}
}
