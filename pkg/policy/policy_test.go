package policy_test

import (
	"context"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/github"
	"github.com/rigger-ci/rigger/pkg/policy"
)

func newFake(t *testing.T) (*fakegithub.Server, *github.Client) {
	t.Helper()
	key, pemBytes, err := fakegithub.NewAppKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := fakegithub.New(fakegithub.Options{App: &fakegithub.App{ID: 7, PublicKey: &key.PublicKey, InstallationID: 42}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	repo, err := s.CreateRepo("acme/widgets", "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit("main", "Owners", map[string]string{
		"OWNERS":         "approvers:\n- alice\n- core-team\nreviewers:\n- Rita\nfilters:\n  '.*':\n    approvers: [filtered]\n",
		"OWNERS_ALIASES": "aliases:\n  core-team:\n  - carol\n",
	}); err != nil {
		t.Fatal(err)
	}
	must(t, s.SetPermission("acme/widgets", "writer", "write"))
	must(t, s.SetPermission("acme/widgets", "maintainer", "maintain"))
	must(t, s.SetPermission("acme/widgets", "reader", "read"))
	s.SetOrgMember("acme", "member")
	s.SetTeamMember("acme", "release", "teamie")
	c, err := github.New(github.Config{APIURL: s.APIURL(), AppID: 7, PrivateKey: pemBytes,
		Retry: github.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestTrustedTable(t *testing.T) {
	s, c := newFake(t)
	p := policy.New(c, time.Minute)
	repo := policy.Repo{Owner: "acme", Name: "widgets", DefaultBranch: "main"}
	settings := policy.Settings{Bots: []string{"renovate[bot]"}, Users: []string{"friend"}, Teams: []string{"acme/release"}}
	tests := []struct {
		who     policy.Person
		trusted bool
	}{
		{policy.Person{Login: "acme"}, true},                                // the repository's owner
		{policy.Person{Login: "someone", Association: "OWNER"}, true},       // GitHub says so in a signed payload
		{policy.Person{Login: "member", Association: "MEMBER"}, true},       // org member, from the payload
		{policy.Person{Login: "writer", Association: "COLLABORATOR"}, true}, // write permission, asked
		{policy.Person{Login: "maintainer"}, true},
		{policy.Person{Login: "reader", Association: "COLLABORATOR"}, false}, // read is not enough
		{policy.Person{Login: "alice"}, true},                                // OWNERS approver
		{policy.Person{Login: "rita"}, true},                                 // OWNERS reviewer, case folded
		{policy.Person{Login: "carol"}, true},                                // through OWNERS_ALIASES
		{policy.Person{Login: "filtered"}, true},                             // under OWNERS filters
		{policy.Person{Login: "renovate[bot]"}, true},                        // configured bot
		{policy.Person{Login: "friend"}, true},                               // configured user
		{policy.Person{Login: "teamie"}, true},                               // configured team
		{policy.Person{Login: "outsider", Association: "CONTRIBUTOR"}, false},
		{policy.Person{Login: "dependabot[bot]"}, false}, // a bot nobody listed
		{policy.Person{Login: ""}, false},
	}
	for _, tt := range tests {
		v, err := p.Trusted(context.Background(), repo, settings, tt.who)
		if err != nil {
			t.Fatalf("%+v: %v", tt.who, err)
		}
		if v.Trusted != tt.trusted || v.Reason == "" {
			t.Errorf("%+v: trusted=%v (%s), want %v", tt.who, v.Trusted, v.Reason, tt.trusted)
		}
	}

	// Asked again within the TTL, nobody costs a call.
	before := len(s.Calls())
	for _, tt := range tests {
		if _, err := p.Trusted(context.Background(), repo, settings, tt.who); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.Calls()) - before; n != 0 {
		t.Errorf("%d GitHub calls for answers already known, want 0", n)
	}
}

func TestTrustedAsksAgainAfterTheTTLAndAnOutageIsAnError(t *testing.T) {
	s, c := newFake(t)
	p := policy.New(c, 20*time.Millisecond)
	repo := policy.Repo{Owner: "acme", Name: "widgets", DefaultBranch: "main"}
	who := policy.Person{Login: "newbie"}
	if v, err := p.Trusted(context.Background(), repo, policy.Settings{}, who); err != nil || v.Trusted {
		t.Fatalf("newbie: %+v, %v", v, err)
	}
	must(t, s.SetPermission("acme/widgets", "newbie", "write"))
	time.Sleep(30 * time.Millisecond)
	if v, err := p.Trusted(context.Background(), repo, policy.Settings{}, who); err != nil || !v.Trusted {
		t.Fatalf("newbie after being given write: %+v, %v", v, err)
	}
	time.Sleep(30 * time.Millisecond)
	s.FailNext("GET /repos/{owner}/{repo}/contents/{path...}", 100, fakegithub.ServerError())
	if _, err := p.Trusted(context.Background(), repo, policy.Settings{}, policy.Person{Login: "other"}); err == nil {
		t.Fatal("no error while GitHub answers 500: an outage must not be taken for an outsider")
	}
}
