package matcher

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rigger-ci/rigger/pkg/event"
)

// Changes are the files an event changes, by kind of change, as CEL's `files` shows them
// (files.all, files.added, ...).
type Changes struct {
	All      []string
	Added    []string
	Deleted  []string
	Modified []string
	Renamed  []string

	// pathsOnly marks changes made from a plain list of paths (ChangedFiles): the kinds are
	// not known, and CEL sees only files.all rather than kinds that look empty.
	pathsOnly bool
}

// ChangesFunc returns the files an event changes by kind. SelectChanges calls it at most
// once per event, and only when a definition needs changed files.
type ChangesFunc func(ctx context.Context) (Changes, error)

// eventFiles fetches an event's changed files at most once, whichever definition asks first:
// a path annotation for the paths, a CEL expression for files or pathChanged. changes, when
// set, gives the kinds of changes; otherwise changed (nil: the event's own) gives the paths.
type eventFiles struct {
	ev      *event.Event
	changed ChangedFiles
	changes ChangesFunc

	done   bool
	result Changes
	err    error
}

func (f *eventFiles) get(ctx context.Context) (Changes, error) {
	if f.done {
		return f.result, f.err
	}
	f.done = true
	switch {
	case f.changes != nil:
		f.result, f.err = f.changes(ctx)
	case f.changed != nil:
		var paths []string
		paths, f.err = f.changed(ctx)
		f.result = Changes{All: paths, pathsOnly: true}
	default:
		f.result = Changes{All: f.ev.ChangedFiles, pathsOnly: true}
	}
	if f.err != nil {
		f.result, f.err = Changes{}, fmt.Errorf("listing changed files: %w", f.err)
		return f.result, f.err
	}
	if f.result.pathsOnly && f.ev.Kind == event.KindPush {
		// A push payload says what each commit added, modified and removed: CEL gets the
		// kinds without a call to GitHub, decoding only the commits.
		if kinds, ok := pushKinds(f.ev.Raw); ok {
			kinds.All = f.result.All
			f.result = kinds
		}
	}
	return f.result, nil
}

// pushKinds reads the kinds of changes of a push payload's commits. GitHub's push payload
// has no renames: a renamed file is removed under one name and added under the other.
func pushKinds(raw []byte) (Changes, bool) {
	if len(raw) == 0 {
		return Changes{}, false
	}
	var p struct {
		Commits []*struct {
			Added    []string `json:"added"`
			Removed  []string `json:"removed"`
			Modified []string `json:"modified"`
		} `json:"commits"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return Changes{}, false
	}
	var c Changes
	// A file two commits touch is listed once per kind, in the order it first appears.
	add := func(to *[]string, seen map[string]bool, files []string) {
		for _, f := range files {
			if !seen[f] {
				seen[f] = true
				*to = append(*to, f)
			}
		}
	}
	added, deleted, modified := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, commit := range p.Commits {
		if commit == nil {
			continue
		}
		add(&c.Added, added, commit.Added)
		add(&c.Deleted, deleted, commit.Removed)
		add(&c.Modified, modified, commit.Modified)
	}
	return c, true
}
