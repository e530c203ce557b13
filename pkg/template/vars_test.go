package template

import (
	"testing"

	"github.com/rigger-ci/rigger/pkg/event"
)

func TestVars(t *testing.T) {
	repo := event.Repo{Owner: "octo", Name: "hello", HTMLURL: "https://github.com/octo/hello"}
	tests := []struct {
		name string
		ev   event.Event
		want map[string]string
	}{
		{
			name: "pull request from fork",
			ev: event.Event{Kind: event.KindPullRequest, Action: "opened", Repo: repo, Sender: "alice", SHA: "aaa",
				Ref: "refs/heads/main",
				PullRequest: &event.PullRequest{Number: 7, HeadBranch: "fix", BaseBranch: "main",
					HeadRepoURL: "https://github.com/alice/hello", HeadSHA: "aaa"}},
			want: map[string]string{"revision": "aaa", "repo_url": "https://github.com/octo/hello",
				"repo_owner": "octo", "repo_name": "hello", "source_branch": "fix", "target_branch": "main",
				"source_url": "https://github.com/alice/hello", "sender": "alice", "pull_request_number": "7",
				"event_type": "pull_request", "git_tag": "", "target_namespace": "ci", "git_auth_secret": "tok", "trigger_comment": ""},
		},
		{
			name: "push to branch",
			ev:   event.Event{Kind: event.KindPush, Repo: repo, Sender: "bob", SHA: "bbb", Ref: "refs/heads/release/1.x"},
			want: map[string]string{"revision": "bbb", "repo_url": "https://github.com/octo/hello",
				"repo_owner": "octo", "repo_name": "hello", "source_branch": "release/1.x", "target_branch": "release/1.x",
				"source_url": "https://github.com/octo/hello", "sender": "bob", "pull_request_number": "",
				"event_type": "push", "git_tag": "", "target_namespace": "ci", "git_auth_secret": "tok", "trigger_comment": ""},
		},
		{
			name: "push of tag",
			ev:   event.Event{Kind: event.KindPush, Repo: repo, Sender: "bob", SHA: "ccc", Ref: "refs/tags/v1.2.0"},
			want: map[string]string{"revision": "ccc", "repo_url": "https://github.com/octo/hello",
				"repo_owner": "octo", "repo_name": "hello", "source_branch": "refs/tags/v1.2.0", "target_branch": "refs/tags/v1.2.0",
				"source_url": "https://github.com/octo/hello", "sender": "bob", "pull_request_number": "",
				"event_type": "push", "git_tag": "v1.2.0", "target_namespace": "ci", "git_auth_secret": "tok", "trigger_comment": ""},
		},
		{
			name: "comment on pull request",
			ev: event.Event{Kind: event.KindComment, Repo: repo, Sender: "carol", IsPullRequest: true, IssueNumber: 9,
				SHA: "ddd"},
			want: map[string]string{"revision": "ddd", "repo_url": "https://github.com/octo/hello",
				"repo_owner": "octo", "repo_name": "hello", "source_branch": "", "target_branch": "",
				"source_url": "https://github.com/octo/hello", "sender": "carol", "pull_request_number": "9",
				"event_type": "pull_request", "git_tag": "", "target_namespace": "ci", "git_auth_secret": "tok", "trigger_comment": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Vars(&tt.ev, "ci", "tok")
			for _, n := range Names() {
				if _, ok := got[n]; !ok {
					t.Errorf("variable %q not set", n)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d variables, want %d: %v", len(got), len(tt.want), got)
			}
			for k, w := range tt.want {
				if got[k] != w {
					t.Errorf("%s = %q, want %q", k, got[k], w)
				}
			}
		})
	}
}

func TestVarsRendered(t *testing.T) {
	ev := &event.Event{Kind: event.KindPush, Repo: event.Repo{Owner: "o", Name: "r", HTMLURL: "https://github.com/o/r"},
		SHA: "123", Ref: "refs/heads/main"}
	got := string(Render([]byte("{{repo_url}}@{{ revision }} on {{ target_branch }} #{{pull_request_number}}."), Vars(ev, "ns", "")))
	if want := "https://github.com/o/r@123 on main #."; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
