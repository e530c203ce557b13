package matcher

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/definition"
	"github.com/rigger-ci/rigger/pkg/event"
)

func pac(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		key := kv[i]
		if !strings.Contains(key, "/") {
			key = PrefixPaC + key
		}
		m[key] = kv[i+1]
	}
	return m
}

func pr(action, base string) *event.Event {
	return &event.Event{Kind: event.KindPullRequest, Action: action, Ref: "refs/heads/" + base, SHA: "abc",
		PullRequest: &event.PullRequest{Number: 3, BaseBranch: base, HeadBranch: "feature"}}
}

func push(ref string) *event.Event {
	return &event.Event{Kind: event.KindPush, Ref: ref, SHA: "abc"}
}

func with(ev *event.Event, f func(*event.Event)) *event.Event { f(ev); return ev }

func TestMatch(t *testing.T) {
	onPR := pac("on-event", "[pull_request]", "on-target-branch", "[main]")
	tests := []struct {
		name        string
		annotations map[string]string
		ev          *event.Event
		opts        Options
		changed     []string
		want        bool
		reason      string // a part of the reason
	}{
		{"pr to main", onPR, pr("opened", "main"), Options{}, nil, true, "match"},
		{"pr synchronize", onPR, pr("synchronize", "main"), Options{}, nil, true, ""},
		{"pr reopened", onPR, pr("reopened", "main"), Options{}, nil, true, ""},
		{"pr ready for review", onPR, pr("ready_for_review", "main"), Options{}, nil, true, ""},
		{"pr closed", onPR, pr("closed", "main"), Options{}, nil, false, `action "closed"`},
		{"pr labeled", onPR, pr("labeled", "main"), Options{}, nil, false, "labeled"},
		{"pr edited", onPR, pr("edited", "main"), Options{}, nil, false, "edited"},
		{"pr to other branch", onPR, pr("opened", "dev"), Options{}, nil, false, "refs/heads/dev"},
		{"push on pr definition", onPR, push("refs/heads/main"), Options{}, nil, false, "does not list push"},

		{"single word event", pac("on-event", "pull_request", "on-target-branch", "main"), pr("opened", "main"), Options{}, nil, true, ""},
		{"quoted list", pac("on-event", `["push", 'pull_request']`, "on-target-branch", `[ "main" ]`), pr("opened", "main"), Options{}, nil, true, ""},
		{"list with spaces, no brackets", pac("on-event", " push , pull_request ", "on-target-branch", "main"), push("refs/heads/main"), Options{}, nil, true, ""},
		{"missing on-event", pac("on-target-branch", "[main]"), pr("opened", "main"), Options{}, nil, false, "no on-event"},
		{"missing on-target-branch", pac("on-event", "[pull_request]"), pr("opened", "main"), Options{}, nil, false, "no on-target-branch"},
		{"no annotations", nil, pr("opened", "main"), Options{}, nil, false, "no on-event"},

		{"rigger prefix", pac(PrefixRigger+"on-event", "push", PrefixRigger+"on-target-branch", "main"), push("refs/heads/main"), Options{}, nil, true, ""},
		{"rigger prefix wins", pac("on-event", "[pull_request]", PrefixRigger+"on-event", "[push]", "on-target-branch", "[main]"),
			pr("opened", "main"), Options{}, nil, false, PrefixRigger + "on-event"},
		{"prefixes mixed", pac(PrefixRigger+"on-event", "[push]", "on-target-branch", "[main]"), push("refs/heads/main"), Options{}, nil, true, ""},

		{"push full ref", pac("on-event", "[push]", "on-target-branch", "[refs/heads/main]"), push("refs/heads/main"), Options{}, nil, true, ""},
		{"push short ref", pac("on-event", "[push]", "on-target-branch", "[main]"), push("refs/heads/main"), Options{}, nil, true, ""},
		{"branch glob", pac("on-event", "[push]", "on-target-branch", "[release-*]"), push("refs/heads/release-1.2"), Options{}, nil, true, ""},
		{"branch glob with slash", pac("on-event", "[push]", "on-target-branch", "[release/*]"), push("refs/heads/release/1.x"), Options{}, nil, true, ""},
		{"star does not cross slash", pac("on-event", "[push]", "on-target-branch", "[*]"), push("refs/heads/release/1.x"), Options{}, nil, false, ""},
		{"double star any branch", pac("on-event", "[push]", "on-target-branch", "[refs/heads/**]"), push("refs/heads/release/1.x"), Options{}, nil, true, ""},
		{"tag glob", pac("on-event", "[push]", "on-target-branch", "[refs/tags/v*]"), push("refs/tags/v1.0.0"), Options{}, nil, true, ""},
		{"tag not matched by branch pattern", pac("on-event", "[push]", "on-target-branch", "[v*]"), push("refs/tags/v1.0.0"), Options{}, nil, false, ""},
		{"branch not matched by tag pattern", pac("on-event", "[push]", "on-target-branch", "[refs/tags/*]"), push("refs/heads/main"), Options{}, nil, false, ""},
		{"escaped comma in glob", pac("on-event", "[push]", "on-target-branch", "[release-{1&#44;2}, dev]"), push("refs/heads/release-2"), Options{}, nil, true, ""},
		{"escaped comma in glob, other", pac("on-event", "[push]", "on-target-branch", "[release-{1&#44;2}]"), push("refs/heads/release-3"), Options{}, nil, false, ""},
		{"second branch of list", pac("on-event", "[push]", "on-target-branch", "[main, dev]"), push("refs/heads/dev"), Options{}, nil, true, ""},
		{"push deleting branch", pac("on-event", "[push]", "on-target-branch", "[main]"), with(push("refs/heads/main"), func(e *event.Event) { e.Deleted = true }), Options{}, nil, false, "deletes"},

		{"skip ci on push", pac("on-event", "[push]", "on-target-branch", "[main]"), with(push("refs/heads/main"), func(e *event.Event) { e.HeadCommitMessage = "docs: typo [skip ci]" }), Options{}, nil, false, "[skip ci]"},
		{"ci skip on pr", onPR, with(pr("synchronize", "main"), func(e *event.Event) { e.HeadCommitMessage = "wip\n\n[ci skip]" }), Options{}, nil, false, "[ci skip]"},
		{"skip tkn", onPR, with(pr("synchronize", "main"), func(e *event.Event) { e.HeadCommitMessage = "[skip tkn] x" }), Options{}, nil, false, "[skip tkn]"},
		{"skip markers are case sensitive", onPR, with(pr("synchronize", "main"), func(e *event.Event) { e.HeadCommitMessage = "[SKIP CI]" }), Options{}, nil, true, ""},

		{"draft runs by default", onPR, with(pr("opened", "main"), func(e *event.Event) { e.PullRequest.Draft = true }), Options{}, nil, true, ""},
		{"draft skipped by option", onPR, with(pr("opened", "main"), func(e *event.Event) { e.PullRequest.Draft = true }), Options{SkipDrafts: true}, nil, false, "draft"},
		{"ready pr with option", onPR, pr("ready_for_review", "main"), Options{SkipDrafts: true}, nil, true, ""},

		{"comment command on pr", onPR, &event.Event{Kind: event.KindComment, Action: "created", IsPullRequest: true, Command: "test",
			HeadCommitMessage: "[skip ci]", PullRequest: &event.PullRequest{Number: 3, BaseBranch: "main"}}, Options{}, nil, true, ""},
		{"plain comment on pr", onPR, &event.Event{Kind: event.KindComment, Action: "created", IsPullRequest: true,
			Comment: &event.IssueComment{Body: "looks good"}, PullRequest: &event.PullRequest{Number: 3, BaseBranch: "main"}}, Options{}, nil, false, "not a command"},
		{"comment on issue", onPR, &event.Event{Kind: event.KindComment, Action: "created"}, Options{}, nil, false, "issue_comment"},
		{"check run event", onPR, &event.Event{Kind: event.KindCheckRun}, Options{}, nil, false, "check_run"},

		{"path change matches", pac("on-event", "[push]", "on-target-branch", "[main]", "on-path-change", "[docs/**]"), push("refs/heads/main"), Options{}, []string{"src/a.go", "docs/x/y.md"}, true, "docs/x/y.md"},
		{"path change no match", pac("on-event", "[push]", "on-target-branch", "[main]", "on-path-change", "[docs/**]"), push("refs/heads/main"), Options{}, []string{"src/a.go"}, false, "no changed file"},
		{"path change extension glob", pac("on-event", "[push]", "on-target-branch", "[main]", "on-path-change", "[**/*.go, Makefile]"), push("refs/heads/main"), Options{}, []string{"Makefile"}, true, ""},
		{"path change nothing changed", pac("on-event", "[push]", "on-target-branch", "[main]", "on-path-change", "[**]"), push("refs/heads/main"), Options{}, nil, false, "no changed file"},
		{"ignore all changed", pac("on-event", "[push]", "on-target-branch", "[main]", "on-path-change-ignore", "[docs/**, *.md]"), push("refs/heads/main"), Options{}, []string{"docs/a.md", "README.md"}, false, "every changed file"},
		{"ignore some changed", pac("on-event", "[push]", "on-target-branch", "[main]", "on-path-change-ignore", "[docs/**]"), push("refs/heads/main"), Options{}, []string{"docs/a.md", "main.go"}, true, "main.go"},
		{"include and ignore", pac("on-event", "[push]", "on-target-branch", "[main]", "on-path-change", "[src/**]", "on-path-change-ignore", "[src/**/*_test.go]"), push("refs/heads/main"), Options{}, []string{"src/a_test.go", "docs/b.md"}, false, "every changed file"},
		{"include and ignore, kept", pac("on-event", "[push]", "on-target-branch", "[main]", "on-path-change", "[src/**]", "on-path-change-ignore", "[src/**/*_test.go]"), push("refs/heads/main"), Options{}, []string{"src/a_test.go", "src/a.go"}, true, "src/a.go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			changed := func(context.Context) ([]string, error) { calls++; return tt.changed, nil }
			got, err := Match(context.Background(), tt.annotations, tt.ev, tt.opts, changed)
			if err != nil {
				t.Fatal(err)
			}
			if got.Matched != tt.want || !strings.Contains(got.Reason, tt.reason) || got.Reason == "" {
				t.Errorf("Match = %+v, want matched=%v with reason containing %q", got, tt.want, tt.reason)
			}
			_, _, hasPaths := lookup(tt.annotations, KeyOnPathChange)
			_, _, hasIgnore := lookup(tt.annotations, KeyOnPathChangeIgnore)
			if calls > 0 && !hasPaths && !hasIgnore {
				t.Errorf("changed files fetched for a definition without path annotations")
			}
		})
	}
}

func TestMatchUsesPushPayloadFilesWithoutFetcher(t *testing.T) {
	ann := pac("on-event", "[push]", "on-target-branch", "[main]", "on-path-change", "[api/**]")
	ev := with(push("refs/heads/main"), func(e *event.Event) { e.ChangedFiles = []string{"api/v1/x.proto"} })
	got, err := Match(context.Background(), ann, ev, Options{}, nil)
	if err != nil || !got.Matched {
		t.Fatalf("Match = %+v, %v; want matched from the payload's changed files", got, err)
	}
}

func TestParseList(t *testing.T) {
	for in, want := range map[string][]string{
		"[pull_request, push]":     {"pull_request", "push"},
		"push":                     {"push"},
		`["main", 'release-*']`:    {"main", "release-*"},
		"[]":                       nil,
		"":                         nil,
		"[a,,b, ]":                 {"a", "b"},
		"[release-{1&#44;2}, dev]": {"release-{1,2}", "dev"},
		" [ refs/heads/main ] ":    {"refs/heads/main"},
	} {
		if got := ParseList(in); !slices.Equal(got, want) {
			t.Errorf("ParseList(%q) = %q, want %q", in, got, want)
		}
	}
}

func defn(name string, kv ...string) *definition.Definition {
	return &definition.Definition{Name: name, Annotations: pac(kv...)}
}

func TestSelectFetchesChangedFilesOnceAndOnlyWhenNeeded(t *testing.T) {
	defs := []*definition.Definition{
		defn("all", "on-event", "[push]", "on-target-branch", "[main]"),
		defn("docs", "on-event", "[push]", "on-target-branch", "[main]", "on-path-change", "[docs/**]"),
		defn("code", "on-event", "[push]", "on-target-branch", "[main]", "on-path-change-ignore", "[docs/**]"),
		defn("other-branch", "on-event", "[push]", "on-target-branch", "[dev]", "on-path-change", "[**]"),
		defn("cel", "on-cel-expression", `event == "pull_request"`),
	}
	calls := 0
	changed := func(context.Context) ([]string, error) { calls++; return []string{"docs/index.md"}, nil }
	selected, decisions, err := Select(context.Background(), defs, push("refs/heads/main"), Options{}, changed)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range selected {
		names = append(names, d.Name)
	}
	if !slices.Equal(names, []string{"all", "docs"}) {
		t.Errorf("selected %v, want [all docs]", names)
	}
	if calls != 1 {
		t.Errorf("changed files fetched %d times, want once", calls)
	}
	if len(decisions) != len(defs) || decisions[4].Matched || !strings.Contains(decisions[4].Reason, "on-cel-expression is false") {
		t.Errorf("decisions %+v", decisions)
	}

	calls = 0
	if _, _, err := Select(context.Background(), defs[:1], push("refs/heads/main"), Options{}, changed); err != nil || calls != 0 {
		t.Errorf("changed files fetched %d times with no path annotation (err %v)", calls, err)
	}
}

func TestSelectChangedFilesError(t *testing.T) {
	defs := []*definition.Definition{defn("docs", "on-event", "[pull_request]", "on-target-branch", "[main]", "on-path-change", "[docs/**]")}
	boom := errors.New("rate limited")
	_, _, err := Select(context.Background(), defs, pr("opened", "main"), Options{}, func(context.Context) ([]string, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want the fetch error", err)
	}
}
