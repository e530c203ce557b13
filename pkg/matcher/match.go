package matcher

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/rigger-ci/rigger/pkg/event"
)

// Options are the repository's matching settings.
type Options struct {
	// SkipDrafts keeps draft pull requests from running anything until they are marked ready
	// for review. Off by default, as draft pull requests run in Pipelines-as-Code.
	SkipDrafts bool
}

// ChangedFiles returns the paths the event changes. Match calls it only for a definition
// with path annotations; wrap it with Once to fetch at most once per event.
type ChangedFiles func(ctx context.Context) ([]string, error)

// Result says whether a definition runs for an event, and why (shown to users, e.g. by
// `rigger run` and in logs).
type Result struct {
	Matched bool
	Reason  string
}

func no(format string, args ...any) Result { return Result{Reason: fmt.Sprintf(format, args...)} }

// pullRequestActions are the pull_request actions that run definitions: the code to test
// is new or again wanted. closed is the trigger's business (cancellation), not a match.
var pullRequestActions = []string{"opened", "synchronize", "reopened", "ready_for_review"}

// skipMarkers in the head commit message skip the run, as in Pipelines-as-Code.
var skipMarkers = []string{"[skip ci]", "[ci skip]", "[skip tkn]", "[tkn skip]"}

// Match decides whether a definition with these annotations runs for ev. Both on-event and
// on-target-branch are required; on-path-change and on-path-change-ignore narrow further.
// A comment on a pull request (a /test or /retest command) is matched as that pull request,
// and neither its action nor [skip ci] apply: a command is an explicit request. changed may be
// nil, for the event's own ChangedFiles (a push payload's). The error is only changed's.
func Match(ctx context.Context, annotations map[string]string, ev *event.Event, opts Options, changed ChangedFiles) (Result, error) {
	for _, key := range unsupportedKeys {
		if _, name, ok := lookup(annotations, key); ok {
			return no("annotation %s is not supported yet", name), nil
		}
	}

	eventType, command := "", false
	switch {
	case ev.Kind == event.KindPush:
		eventType = "push"
	case ev.Kind == event.KindPullRequest:
		eventType = "pull_request"
	case ev.Kind == event.KindComment && ev.IsPullRequest && ev.PullRequest != nil:
		eventType, command = "pull_request", true
	default:
		return no("%s events do not run definitions", ev.Kind), nil
	}

	if r, ok := eventGate(ev, eventType, command, opts); !ok {
		return r, nil
	}

	events, name, ok := lookup(annotations, KeyOnEvent)
	if !ok {
		return no("no on-event annotation"), nil
	}
	if !slices.Contains(ParseList(events), eventType) {
		return no("%s %q does not list %s", name, events, eventType), nil
	}

	branches, name, ok := lookup(annotations, KeyOnTargetBranch)
	if !ok {
		return no("no on-target-branch annotation"), nil
	}
	ref := targetRef(ev)
	if !matchesRef(ParseList(branches), ref) {
		return no("%s %q does not match %s", name, branches, ref), nil
	}

	return matchPaths(ctx, annotations, ev, changed)
}

// eventGate applies what holds for every definition: actions, drafts, deletions, [skip ci].
func eventGate(ev *event.Event, eventType string, command bool, opts Options) (Result, bool) {
	if eventType == "pull_request" && !command {
		if !slices.Contains(pullRequestActions, ev.Action) {
			return no("pull_request action %q does not run definitions", ev.Action), false
		}
	}
	if eventType == "pull_request" && opts.SkipDrafts && ev.PullRequest != nil && ev.PullRequest.Draft {
		return no("pull request #%d is a draft", ev.PullRequest.Number), false
	}
	if eventType == "push" && ev.Deleted {
		return no("push deletes %s", ev.Ref), false
	}
	if !command {
		for _, m := range skipMarkers {
			if strings.Contains(ev.HeadCommitMessage, m) {
				return no("head commit message asks to skip with %s", m), false
			}
		}
	}
	return Result{}, true
}

// targetRef is the full ref an event targets: a pull request's base branch, a push's ref.
func targetRef(ev *event.Event) string {
	if ev.PullRequest != nil && ev.PullRequest.BaseBranch != "" {
		return "refs/heads/" + ev.PullRequest.BaseBranch
	}
	return ev.Ref
}

// matchesRef tells whether ref matches one of the branch patterns. A pattern that does not
// start with refs/ is a branch name ("main", "release-*"); tags are written in full
// ("refs/tags/v*").
func matchesRef(patterns []string, ref string) bool {
	for _, p := range patterns {
		if !strings.HasPrefix(p, "refs/") {
			p = "refs/heads/" + p
		}
		if ok, err := doublestar.Match(p, ref); err == nil && ok {
			return true
		}
	}
	return false
}

// matchPaths applies on-path-change (some changed file matches) and on-path-change-ignore
// (some changed file, among those on-path-change selected, is not ignored).
func matchPaths(ctx context.Context, annotations map[string]string, ev *event.Event, changed ChangedFiles) (Result, error) {
	include, incName, hasInclude := lookup(annotations, KeyOnPathChange)
	ignore, ignName, hasIgnore := lookup(annotations, KeyOnPathChangeIgnore)
	if !hasInclude && !hasIgnore {
		return Result{Matched: true, Reason: "event and target branch match"}, nil
	}
	var files []string
	if changed != nil {
		var err error
		if files, err = changed(ctx); err != nil {
			return Result{}, fmt.Errorf("listing changed files: %w", err)
		}
	} else {
		files = ev.ChangedFiles
	}
	if hasInclude {
		patterns := ParseList(include)
		files = slices.DeleteFunc(slices.Clone(files), func(f string) bool { return !matchesAny(patterns, f) })
		if len(files) == 0 {
			return no("no changed file matches %s %q", incName, include), nil
		}
	}
	if hasIgnore {
		patterns := ParseList(ignore)
		kept := slices.DeleteFunc(slices.Clone(files), func(f string) bool { return matchesAny(patterns, f) })
		if len(kept) == 0 {
			return no("every changed file matches %s %q", ignName, ignore), nil
		}
		files = kept
	}
	return Result{Matched: true, Reason: fmt.Sprintf("event, target branch and changed file %s match", files[0])}, nil
}

func matchesAny(patterns []string, path string) bool {
	for _, p := range patterns {
		if ok, err := doublestar.Match(p, path); err == nil && ok {
			return true
		}
	}
	return false
}
