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
// with path annotations or a CEL expression reading files or pathChanged; Select calls it at
// most once per event, and Once makes it so across calls of Match.
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

// Match decides whether a definition with these annotations runs for ev, with
// Pipelines-as-Code's rules:
//
//   - on-cel-expression, when present, alone decides: on-event, on-target-branch, on-label
//     and the path annotations are ignored.
//   - Otherwise on-event and on-target-branch are required; on-label, on-path-change and
//     on-path-change-ignore narrow further.
//   - A new comment on a pull request runs the definitions whose on-comment matches it. When
//     it is also a ChatOps command (ev.Command: /test, /retest), the others are matched as
//     that pull request, and neither its action nor [skip ci] apply: a command is an explicit
//     request.
//   - A pull request's labeled event runs only definitions with on-label (or with a CEL
//     expression that reads event_type or labels), so adding a label does not rerun the rest.
//
// changed may be nil, for the event's own ChangedFiles (a push payload's). The error is only
// changed's.
func Match(ctx context.Context, annotations map[string]string, ev *event.Event, opts Options, changed ChangedFiles) (Result, error) {
	m := eventMatch{ev: ev, files: eventFiles{ev: ev, changed: changed}}
	return m.match(ctx, annotations, opts)
}

// eventMatch is one event being matched against a repository's definitions: what they have
// in common (changed files, CEL's variables) is computed once, by the first that needs it.
type eventMatch struct {
	ev    *event.Event
	files eventFiles
	cel   *celVars
}

func (m *eventMatch) celVars() *celVars {
	if m.cel == nil {
		m.cel = &celVars{ev: m.ev, files: &m.files}
	}
	return m.cel
}

func (m *eventMatch) match(ctx context.Context, annotations map[string]string, opts Options) (Result, error) {
	ev := m.ev
	eventType, comment := "", false
	switch {
	case ev.Kind == event.KindPush:
		eventType = "push"
	case ev.Kind == event.KindPullRequest:
		eventType = "pull_request"
	case ev.Kind == event.KindComment && ev.IsPullRequest && ev.PullRequest != nil:
		eventType, comment = "pull_request", true
	default:
		return no("%s events do not run definitions", ev.Kind), nil
	}

	if r, ok := eventGate(ev, eventType, comment, opts); !ok {
		return r, nil
	}

	if comment {
		if expr, name, ok := lookup(annotations, KeyOnComment); ok {
			if r, matched := matchComment(expr, name, ev.Action, commentBody(ev)); matched || ev.Command == "" {
				return r, nil
			}
		}
		if ev.Command == "" {
			return no("comment is not a command, and the definition has no on-comment"), nil
		}
	}
	labeled := ev.Kind == event.KindPullRequest && ev.Action == "labeled"

	if expr, name, ok := lookup(annotations, KeyOnCELExpression); ok {
		p := compileCEL(expr)
		if labeled && p.err == nil && !p.readsLabels {
			return no("pull_request action \"labeled\" runs a definition with %s only when it reads event_type or labels", name), nil
		}
		return m.celVars().evalCEL(ctx, p, name, eventType)
	}

	labels, labelName, hasLabel := lookup(annotations, KeyOnLabel)
	if labeled && !hasLabel {
		return no("pull_request action \"labeled\" runs only definitions with on-label"), nil
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

	if hasLabel {
		if r, ok := matchLabel(labels, labelName, ev); !ok {
			return r, nil
		}
	}
	return m.matchPaths(ctx, annotations)
}

func commentBody(ev *event.Event) string {
	if ev.Comment == nil {
		return ""
	}
	return ev.Comment.Body
}

// eventGate applies what holds for every definition: actions, drafts, deletions, [skip ci].
// A labeled pull request passes: which definitions it runs is each one's on-label's business.
func eventGate(ev *event.Event, eventType string, command bool, opts Options) (Result, bool) {
	if eventType == "pull_request" && !command {
		if !slices.Contains(pullRequestActions, ev.Action) && ev.Action != "labeled" {
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
		// A pull_request payload has no commit message: the trigger fills HeadCommitMessage
		// from the head commit it fetches, and the markers then apply as to a push.
		for _, m := range skipMarkers {
			if strings.Contains(ev.HeadCommitMessage, m) {
				return no("head commit message asks to skip with %s", m), false
			}
		}
	}
	return Result{}, true
}

// matchLabel applies on-label: the label a labeled event adds, or for other pull request
// events one the pull request carries, must be one of the annotation's (exact names, as in
// Pipelines-as-Code). A push carries no label and does not match.
func matchLabel(value, name string, ev *event.Event) (Result, bool) {
	want := ParseList(value)
	have := []string{ev.Label}
	if ev.Action != "labeled" || ev.Kind != event.KindPullRequest {
		have = nil
		if ev.PullRequest != nil {
			have = ev.PullRequest.Labels
		}
	}
	for _, l := range have {
		if l != "" && slices.Contains(want, l) {
			return Result{Matched: true}, true
		}
	}
	if ev.Kind == event.KindPullRequest && ev.Action == "labeled" {
		return no("label %q is not in %s %q", ev.Label, name, value), false
	}
	return no("no label of the pull request is in %s %q", name, value), false
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
func (m *eventMatch) matchPaths(ctx context.Context, annotations map[string]string) (Result, error) {
	include, incName, hasInclude := lookup(annotations, KeyOnPathChange)
	ignore, ignName, hasIgnore := lookup(annotations, KeyOnPathChangeIgnore)
	if !hasInclude && !hasIgnore {
		return Result{Matched: true, Reason: "event and target branch match"}, nil
	}
	changes, err := m.files.get(ctx)
	if err != nil {
		return Result{}, err
	}
	files := changes.All
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
