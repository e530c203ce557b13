package server

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/rigger-ci/rigger/pkg/config"
	"github.com/rigger-ci/rigger/pkg/event"
	"go.uber.org/zap"
)

// repairer brings what runs back to what the repositories ask for, whatever webhooks were
// lost (Rigger down, a delivery GitHub gave up on, a kill between the 202 and the run): at
// start and then every interval, it lists each repository's open pull requests and hands the
// trigger every head it has not handed it yet. The trigger's runs have deterministic names,
// so a head that already has its runs costs a look in the informer cache and nothing else,
// and an outsider's head gets its waiting check run rather than a run.
type repairer struct {
	s        *Server
	interval time.Duration

	mu    sync.Mutex
	heads map[string]string // "owner/repo#n" -> head last handed to the trigger
}

func newRepairer(s *Server, interval time.Duration) *repairer {
	return &repairer{s: s, interval: interval, heads: map[string]string{}}
}

// synced is what an executor offers when its view of runs takes a while to load (the Tekton
// executor's informers); repair waits for it, so that it reads the cache, not the apiserver.
type synced interface{ Synced() bool }

func (rp *repairer) run(ctx context.Context) {
	if sy, ok := rp.s.exec.(synced); ok {
		for !sy.Synced() {
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	for {
		rp.once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(rp.interval):
		}
	}
}

// once repairs every configured repository. With nothing changed it costs one conditional
// request per repository, answered 304.
func (rp *repairer) once(ctx context.Context) {
	complete := true
	defer func() {
		if complete && ctx.Err() == nil {
			rp.s.unrepaired.Store(false)
		}
	}()
	for _, repo := range rp.s.repos.All() {
		full := config.RepoFullName(repo.URL)
		owner, name, _ := strings.Cut(full, "/")
		prs, changed, err := rp.s.gh.OpenPullRequests(ctx, owner, name)
		if err != nil {
			rp.s.log.Warn("repair: cannot list open pull requests", zap.String("repo", full), zap.Error(err))
			complete = false
			continue
		}
		if !changed {
			continue
		}
		handed := 0
		for _, pr := range prs {
			ev := event.FromPullRequest(pr, "synchronize", "repair-"+pr.GetHead().GetSHA())
			ev.Repair = true
			key := ev.Key()
			rp.mu.Lock()
			seen := rp.heads[key] == ev.SHA
			rp.mu.Unlock()
			if seen || ev.SHA == "" {
				continue
			}
			if err := rp.s.queue.Enqueue(ev); err != nil {
				rp.s.log.Warn("repair: queue full; the next repair tries again", zap.String("pr", key), zap.Error(err))
				complete = false
				continue
			}
			rp.mu.Lock()
			rp.heads[key] = ev.SHA
			rp.mu.Unlock()
			handed++
		}
		if handed > 0 {
			rp.s.log.Info("repair: pull request heads handed to the trigger", zap.String("repo", full),
				zap.Int("open", len(prs)), zap.Int("handed", handed))
		}
	}
}
