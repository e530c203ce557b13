package local

import (
	"context"
	"sync"

	"github.com/rigger-ci/rigger/pkg/run"
)

// watcher receives run snapshots without ever slowing a run down: it keeps only the
// latest snapshot of each run until the watching function takes it.
type watcher struct {
	mu     sync.Mutex
	latest map[string]run.Run
	order  []string
	kick   chan struct{}
}

func (w *watcher) offer(r run.Run) {
	w.mu.Lock()
	if _, ok := w.latest[r.Name]; !ok {
		w.order = append(w.order, r.Name)
	}
	w.latest[r.Name] = r
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *watcher) take() []run.Run {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]run.Run, 0, len(w.order))
	for _, name := range w.order {
		out = append(out, w.latest[name])
	}
	w.latest, w.order = map[string]run.Run{}, nil
	return out
}

// Watch calls fn with the current state of each unfinished run, then with each run's
// state whenever it changes (changes that come faster than fn are merged), until ctx ends.
func (e *Executor) Watch(ctx context.Context, fn func(run.Run)) error {
	w := &watcher{latest: map[string]run.Run{}, kick: make(chan struct{}, 1)}
	e.mu.Lock()
	e.watchers[w] = struct{}{}
	e.mu.Unlock()
	// Like an informer's first list: every run in progress, and every finished one whose
	// final state GitHub was never told of (a report lost to a restart, a run the restart
	// marked interrupted).
	if stored, err := e.All(); err == nil {
		for _, r := range stored {
			if r.State.Done() && r.Reported != r.State {
				w.offer(*r)
			}
		}
	}
	for _, a := range e.activeRuns() {
		w.offer(a.rec.snapshot())
	}
	defer func() {
		e.mu.Lock()
		delete(e.watchers, w)
		e.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.kick:
			for _, r := range w.take() {
				fn(r)
			}
		}
	}
}
