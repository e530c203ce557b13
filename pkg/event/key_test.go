package event

import "testing"

func TestKeyOrdersPerPullRequestAndRef(t *testing.T) {
	repo := Repo{Owner: "octo", Name: "hello"}
	pr1 := &Event{Kind: KindPullRequest, Repo: repo, PullRequest: &PullRequest{Number: 1}}
	pr1close := &Event{Kind: KindPullRequest, Action: "closed", Repo: repo, PullRequest: &PullRequest{Number: 1}}
	comment1 := &Event{Kind: KindComment, Repo: repo, IssueNumber: 1, IsPullRequest: true}
	pr2 := &Event{Kind: KindPullRequest, Repo: repo, PullRequest: &PullRequest{Number: 2}}
	pushMain := &Event{Kind: KindPush, Repo: repo, Ref: "refs/heads/main"}
	pushDev := &Event{Kind: KindPush, Repo: repo, Ref: "refs/heads/dev"}
	other := &Event{Kind: KindPullRequest, Repo: Repo{Owner: "octo", Name: "other"}, PullRequest: &PullRequest{Number: 1}}

	same := [][2]*Event{{pr1, pr1close}, {pr1, comment1}}
	for _, p := range same {
		if p[0].Key() != p[1].Key() {
			t.Errorf("%q and %q must be ordered together", p[0].Key(), p[1].Key())
		}
	}
	distinct := []*Event{pr1, pr2, pushMain, pushDev, other}
	seen := map[string]bool{}
	for _, e := range distinct {
		if seen[e.Key()] {
			t.Errorf("key %q shared by events that may run in parallel", e.Key())
		}
		seen[e.Key()] = true
	}
}
