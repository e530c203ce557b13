package matcher

import (
	"context"
	"sync"

	"github.com/rigger-ci/rigger/pkg/definition"
	"github.com/rigger-ci/rigger/pkg/event"
)

// Decision is the match result of one definition.
type Decision struct {
	Definition *definition.Definition
	Result
}

// Select returns the definitions that run for ev, and the decision for every definition (for
// logs and `rigger run`). Changed files are fetched at most once, and only if a definition
// that got as far as its path annotations, or a CEL expression reading them, needs them.
// CEL's files.added, .deleted, .modified and .renamed are known for a push from its payload;
// for a pull request use SelectChanges.
func Select(ctx context.Context, defs []*definition.Definition, ev *event.Event, opts Options, changed ChangedFiles) ([]*definition.Definition, []Decision, error) {
	return selectDefs(ctx, defs, opts, &eventMatch{ev: ev, files: eventFiles{ev: ev, changed: changed}})
}

// SelectChanges is Select with the changed files by kind (a pull request's, from GitHub's
// list of its files and their status), for CEL's files.added and the like.
func SelectChanges(ctx context.Context, defs []*definition.Definition, ev *event.Event, opts Options, changes ChangesFunc) ([]*definition.Definition, []Decision, error) {
	return selectDefs(ctx, defs, opts, &eventMatch{ev: ev, files: eventFiles{ev: ev, changes: changes}})
}

func selectDefs(ctx context.Context, defs []*definition.Definition, opts Options, m *eventMatch) ([]*definition.Definition, []Decision, error) {
	var selected []*definition.Definition
	decisions := make([]Decision, 0, len(defs))
	for _, d := range defs {
		r, err := m.match(ctx, d.Annotations, opts)
		if err != nil {
			return nil, nil, err
		}
		decisions = append(decisions, Decision{Definition: d, Result: r})
		if r.Matched {
			selected = append(selected, d)
		}
	}
	return selected, decisions, nil
}

// Once wraps fn so that it runs at most once; later calls return its first answer, error
// included (an event is matched against one view of its changes).
func Once(fn ChangedFiles) ChangedFiles {
	var (
		mu    sync.Mutex
		done  bool
		files []string
		err   error
	)
	return func(ctx context.Context) ([]string, error) {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			files, err = fn(ctx)
			done = true
		}
		return files, err
	}
}
