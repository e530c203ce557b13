package matcher

import (
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/event"
)

func TestOnComment(t *testing.T) {
	// The fixture's comment is "You are totally right! I'll get this fixed right away."
	created := func(t *testing.T) *event.Event { return onPullRequest(t, "created.payload.json", nil) }
	withBody := func(body string) func(*testing.T) *event.Event {
		return func(t *testing.T) *event.Event {
			return onPullRequest(t, "created.payload.json", func(m map[string]any) { obj(m, "comment")["body"] = body })
		}
	}
	command := func(body string) func(*testing.T) *event.Event {
		return func(t *testing.T) *event.Event {
			ev := withBody(body)(t)
			ev.Command = "test"
			return ev
		}
	}
	onPR := []string{"on-event", "[pull_request]", "on-target-branch", "[master]"}
	tests := []struct {
		name   string
		ann    map[string]string
		ev     func(*testing.T) *event.Event
		want   bool
		reason string
	}{
		{"anchored match", pac("on-comment", "^You are totally right"), created, true, `comment matches pipelinesascode.tekton.dev/on-comment "^You are totally right"`},
		{"not anchored by Rigger", pac("on-comment", "fixed right away"), created, true, ""},
		{"anchored elsewhere", pac("on-comment", "^right"), created, false, "does not match"},
		{"comment trimmed before matching", pac("on-comment", "^/merge-pr$"), withBody("\r\n  /merge-pr  \r\n"), true, ""},
		{"multi-line comment, $ is the end", pac("on-comment", "^/merge-pr$"), withBody("/merge-pr\nplease"), false, "does not match"},
		{"rigger prefix wins", pac("on-comment", "^nothing", PrefixRigger+"on-comment", "^You"), created, true, PrefixRigger + "on-comment"},
		{"needs no on-event", pac("on-comment", "^You", "on-event", "[push]"), created, true, ""},
		{"edited comment", pac("on-comment", "^You"), func(t *testing.T) *event.Event { return onPullRequest(t, "edited.payload.json", nil) }, false, "comment was edited; pipelinesascode.tekton.dev/on-comment runs on new comments only"},
		{"deleted comment", pac("on-comment", "^You"), func(t *testing.T) *event.Event { return onPullRequest(t, "deleted.payload.json", nil) }, false, "new comments only"},
		{"broken regex", pac("on-comment", "^/merge-(pr"), created, false, "does not compile: error parsing regexp"},
		{"comment on an issue", pac("on-comment", "^You"), func(t *testing.T) *event.Event { return delivery(t, "issue_comment", "created.payload.json", nil) }, false, "issue_comment events do not run"},
		{"plain comment, no on-comment", pac(onPR...), created, false, "not a command"},
		{"command runs other definitions", pac(onPR...), command("/test"), true, "event and target branch match"},
		{"command not matching on-comment falls through", pac(append([]string{"on-comment", "^/merge-pr"}, onPR...)...), command("/test"), true, "event and target branch match"},
		{"command matching on-comment", pac("on-comment", "^/test"), command("/test"), true, "comment matches"},
		{"command, on-comment only", pac("on-comment", "^/merge-pr"), command("/test"), false, "no on-event"},
		{"skip ci does not stop a comment", pac("on-comment", "^You"), func(t *testing.T) *event.Event {
			ev := created(t)
			ev.HeadCommitMessage = "[skip ci]"
			return ev
		}, true, ""},
		{"on-comment ignored on a pull_request event", pac(append([]string{"on-comment", "^/merge-pr"}, onPR...)...),
			func(t *testing.T) *event.Event { return delivery(t, "pull_request", "opened.payload.json", nil) }, true, "event and target branch match"},
		{"on-comment alone does not run on a pull_request event", pac("on-comment", ".*"),
			func(t *testing.T) *event.Event { return delivery(t, "pull_request", "opened.payload.json", nil) }, false, "no on-event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := matchOne(t, tt.ann, tt.ev(t), nil, nil)
			if got.Matched != tt.want || !strings.Contains(got.Reason, tt.reason) || got.Reason == "" {
				t.Errorf("got %+v, want matched=%v with reason containing %q", got, tt.want, tt.reason)
			}
		})
	}
}

func TestCompileComment(t *testing.T) {
	if err := CompileComment("^/merge-pr( .*)?$"); err != nil {
		t.Error(err)
	}
	if err := CompileComment("^/merge-(pr"); err == nil || !strings.Contains(err.Error(), "missing closing )") {
		t.Errorf("CompileComment of a broken regex = %v, want the regexp error", err)
	}
}

func TestOnLabel(t *testing.T) {
	// The labeled fixture adds "bug" to pull request #2 on master, which then carries "bug".
	labeled := func(t *testing.T) *event.Event { return delivery(t, "pull_request", "labeled.payload.json", nil) }
	otherLabel := func(t *testing.T) *event.Event {
		return delivery(t, "pull_request", "labeled.payload.json", func(m map[string]any) { obj(m, "label")["name"] = "docs" })
	}
	synchronize := func(t *testing.T) *event.Event { return delivery(t, "pull_request", "synchronize.payload.json", nil) }
	unlabeledPR := func(t *testing.T) *event.Event {
		return delivery(t, "pull_request", "synchronize.payload.json", func(m map[string]any) { obj(m, "pull_request")["labels"] = []any{} })
	}
	base := []string{"on-event", "[pull_request]", "on-target-branch", "[master]"}
	withLabel := func(v string) map[string]string { return pac(append([]string{"on-label", v}, base...)...) }
	tests := []struct {
		name   string
		ann    map[string]string
		ev     func(*testing.T) *event.Event
		want   bool
		reason string
	}{
		{"added label listed", withLabel("[bug, defect]"), labeled, true, ""},
		{"added label not listed", withLabel("[defect]"), labeled, false, `label "bug" is not in pipelinesascode.tekton.dev/on-label "[defect]"`},
		{"another label added to a bug", withLabel("[bug]"), otherLabel, false, `label "docs" is not in`},
		{"labels are exact names", withLabel("[Bug]"), labeled, false, "not in"},
		{"rigger prefix wins", pac(append([]string{"on-label", "[bug]", PrefixRigger + "on-label", "[defect]"}, base...)...), labeled, false, PrefixRigger + "on-label"},
		{"still needs on-target-branch", pac("on-label", "[bug]", "on-event", "[pull_request]", "on-target-branch", "[main]"), labeled, false, "does not match refs/heads/master"},
		{"still needs on-event", pac("on-label", "[bug]", "on-target-branch", "[master]"), labeled, false, "no on-event"},
		{"labeled runs only on-label definitions", pac(base...), labeled, false, `"labeled" runs only definitions with on-label`},
		{"new commits to a labeled pull request", withLabel("[bug]"), synchronize, true, ""},
		{"new commits, label absent", withLabel("[bug]"), unlabeledPR, false, "no label of the pull request is in"},
		{"unlabeled does not run", withLabel("[bug]"), func(t *testing.T) *event.Event { return delivery(t, "pull_request", "unlabeled.payload.json", nil) }, false, `action "unlabeled"`},
		{"push has no labels", pac("on-label", "[bug]", "on-event", "[push]", "on-target-branch", "[master]"),
			func(t *testing.T) *event.Event { return delivery(t, "push", "with-new-branch.payload.json", nil) }, false, "no label"},
		{"skip ci on the head commit", withLabel("[bug]"), func(t *testing.T) *event.Event {
			ev := labeled(t)
			ev.HeadCommitMessage = "wip [ci skip]"
			return ev
		}, false, "[ci skip]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := matchOne(t, tt.ann, tt.ev(t), nil, nil)
			if got.Matched != tt.want || !strings.Contains(got.Reason, tt.reason) || got.Reason == "" {
				t.Errorf("got %+v, want matched=%v with reason containing %q", got, tt.want, tt.reason)
			}
		})
	}
}

// TestSkipCIOnPullRequests checks [skip ci] on real pull_request payloads, which carry no
// commit message: the trigger sets HeadCommitMessage from the head commit, and every kind of
// definition is then skipped, as in Pipelines-as-Code.
func TestSkipCIOnPullRequests(t *testing.T) {
	defs := map[string]map[string]string{
		"on-event":   pac("on-event", "[pull_request]", "on-target-branch", "[master]"),
		"cel":        onCEL(`event == "pull_request"`),
		"path":       pac("on-event", "[pull_request]", "on-target-branch", "[master]", "on-path-change", "[**]"),
		"rigger.dev": pac(PrefixRigger+"on-event", "[pull_request]", PrefixRigger+"on-target-branch", "[master]"),
	}
	for _, file := range []string{"opened.payload.json", "synchronize.payload.json", "reopened.payload.json"} {
		for name, ann := range defs {
			ev := delivery(t, "pull_request", file, nil)
			if ev.HeadCommitMessage != "" {
				t.Fatalf("%s carries a commit message; this test assumes the payload has none", file)
			}
			if got, _ := matchOne(t, ann, ev, []string{"a.go"}, nil); !got.Matched {
				t.Fatalf("%s/%s without a marker: %+v, want matched", file, name, got)
			}
			for _, marker := range skipMarkers {
				ev.HeadCommitMessage = "change\n\n" + marker
				if got, _ := matchOne(t, ann, ev, []string{"a.go"}, nil); got.Matched || !strings.Contains(got.Reason, marker) {
					t.Errorf("%s/%s with %s: %+v, want skipped", file, name, marker, got)
				}
			}
		}
	}
}
