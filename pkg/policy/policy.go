// Package policy decides who is trusted to run code in a repository. A pull request is
// untrusted code until its author is trusted or a trusted person approves its head commit;
// this package answers the first question, with GitHub's answers cached so that a burst of
// events costs no more calls than one.
package policy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// GitHub is what the policy asks of GitHub.
type GitHub interface {
	// CollaboratorPermission is admin, write, read or none.
	CollaboratorPermission(ctx context.Context, owner, repo, user string) (string, error)
	// TeamMember asks, through the installation of owner/repo, about the team org/slug.
	TeamMember(ctx context.Context, owner, repo, org, slug, user string) (bool, error)
	// OrgMember asks, through the installation of owner/repo, whether user is a member of
	// the organization owner (false for a repository a user owns).
	OrgMember(ctx context.Context, owner, repo, user string) (bool, error)
	// FileAt returns a file of the repository at ref, found=false when there is none.
	FileAt(ctx context.Context, owner, repo, ref, path string) ([]byte, bool, error)
}

// Repo is the repository a question is about.
type Repo struct {
	Owner, Name   string
	DefaultBranch string
}

// FullName is owner/name.
func (r Repo) FullName() string { return r.Owner + "/" + r.Name }

// Settings are the trust settings of one repository: configuration, not GitHub's answers.
type Settings struct {
	// Bots and Users are logins trusted outright; Teams are "org/slug" whose members are.
	Bots, Users, Teams []string
}

// Person is the one whose trust is asked: a login, and the association GitHub states in a
// signed webhook payload (OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, ...) when known.
type Person struct {
	Login       string
	Association string
}

// Verdict is the policy's answer, with the reason shown to users and in logs.
type Verdict struct {
	Trusted bool
	Reason  string
}

// DefaultTTL is how long an answer about a person, or a repository's OWNERS, is reused.
// Permissions change rarely and a revoked member's runs are bounded by it; asking GitHub on
// every event would spend the rate limit on a burst of pushes.
const DefaultTTL = 5 * time.Minute

// maxCached bounds the remembered answers; past it they are forgotten all at once.
const maxCached = 50000

// Policy answers whether a person is trusted in a repository. Safe for concurrent use.
type Policy struct {
	gh  GitHub
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	answers map[string]cached[Verdict] // repo + "\x00" + lower(login)
	owners  map[string]cached[Owners]  // repo
}

type cached[T any] struct {
	value T
	until time.Time
}

// New returns a policy asking gh, remembering answers for ttl (DefaultTTL when 0).
func New(gh GitHub, ttl time.Duration) *Policy {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Policy{gh: gh, ttl: ttl, now: time.Now,
		answers: map[string]cached[Verdict]{}, owners: map[string]cached[Owners]{}}
}

// Trusted tells whether who may run code in repo without a member's approval: the
// repository's owner, members of its organization, collaborators with write permission or
// more, the approvers and reviewers of the default branch's OWNERS file, configured bots,
// users and teams. Everyone else is an outsider. An error means GitHub could not answer;
// the caller retries rather than guess.
func (p *Policy) Trusted(ctx context.Context, repo Repo, s Settings, who Person) (Verdict, error) {
	login := strings.ToLower(who.Login)
	switch {
	case login == "":
		return Verdict{Reason: "unknown user"}, nil
	case containsFold(s.Bots, login):
		return Verdict{true, "a bot trusted by configuration"}, nil
	case containsFold(s.Users, login):
		return Verdict{true, "trusted by the repository's configuration"}, nil
	case login == strings.ToLower(repo.Owner):
		return Verdict{true, "the repository's owner"}, nil
	}
	// The association comes from a payload whose signature was checked: GitHub's own word.
	switch who.Association {
	case "OWNER":
		return Verdict{true, "the repository's owner"}, nil
	case "MEMBER":
		return Verdict{true, "a member of " + repo.Owner}, nil
	}
	key := repo.FullName() + "\x00" + login
	if v, ok := p.cachedAnswer(key); ok {
		return v, nil
	}
	v, err := p.ask(ctx, repo, s, login, who.Association == "")
	if err != nil {
		return Verdict{}, err
	}
	p.mu.Lock()
	if len(p.answers) >= maxCached {
		clear(p.answers)
	}
	p.answers[key] = cached[Verdict]{v, p.now().Add(p.ttl)}
	p.mu.Unlock()
	return v, nil
}

func (p *Policy) ask(ctx context.Context, repo Repo, s Settings, login string, askMembership bool) (Verdict, error) {
	owners, err := p.ownersOf(ctx, repo)
	if err != nil {
		return Verdict{}, err
	}
	if owners.Has(login) {
		return Verdict{true, "an approver or reviewer in OWNERS"}, nil
	}
	perm, err := p.gh.CollaboratorPermission(ctx, repo.Owner, repo.Name, login)
	if err != nil {
		return Verdict{}, err
	}
	if perm == "admin" || perm == "write" || perm == "maintain" {
		return Verdict{true, "a collaborator with " + perm + " permission"}, nil
	}
	// A payload's association already says whether the person is a member; only an event
	// without one (a re-run click) needs to ask.
	if askMembership {
		member, err := p.gh.OrgMember(ctx, repo.Owner, repo.Name, login)
		if err != nil {
			return Verdict{}, err
		}
		if member {
			return Verdict{true, "a member of " + repo.Owner}, nil
		}
	}
	for _, team := range s.Teams {
		org, slug, _ := strings.Cut(team, "/")
		ok, err := p.gh.TeamMember(ctx, repo.Owner, repo.Name, org, slug, login)
		if err != nil {
			return Verdict{}, err
		}
		if ok {
			return Verdict{true, "a member of the team " + team}, nil
		}
	}
	return Verdict{Reason: fmt.Sprintf("not a member of %s, a collaborator with write permission, an OWNERS approver or reviewer, nor trusted by configuration", repo.Owner)}, nil
}

func (p *Policy) cachedAnswer(key string) (Verdict, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.answers[key]
	if !ok || p.now().After(c.until) {
		return Verdict{}, false
	}
	return c.value, true
}

// ownersOf reads OWNERS and OWNERS_ALIASES of the default branch, at most once per ttl per
// repository (and then conditionally: an unchanged file costs a 304).
func (p *Policy) ownersOf(ctx context.Context, repo Repo) (Owners, error) {
	key := repo.FullName()
	p.mu.Lock()
	c, ok := p.owners[key]
	p.mu.Unlock()
	if ok && !p.now().After(c.until) {
		return c.value, nil
	}
	ref := repo.DefaultBranch
	if ref == "" {
		ref = "HEAD"
	}
	owners, found, err := p.gh.FileAt(ctx, repo.Owner, repo.Name, ref, "OWNERS")
	if err != nil {
		return Owners{}, err
	}
	var o Owners
	if found {
		aliases, _, err := p.gh.FileAt(ctx, repo.Owner, repo.Name, ref, "OWNERS_ALIASES")
		if err != nil {
			return Owners{}, err
		}
		// A broken OWNERS file trusts nobody through it; the other ways still work.
		o, _ = ParseOwners(owners, aliases)
	}
	p.mu.Lock()
	if len(p.owners) >= maxCached {
		clear(p.owners)
	}
	p.owners[key] = cached[Owners]{o, p.now().Add(p.ttl)}
	p.mu.Unlock()
	return o, nil
}

func containsFold(list []string, login string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, login) })
}
