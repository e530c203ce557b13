// Package event holds Rigger's normalized view of a GitHub webhook delivery: the few facts
// the trigger needs, whatever the event type GitHub sent.
package event

import (
	"net/http"
	"strconv"
	"time"
)

// Kind is the GitHub event type (the X-GitHub-Event header) Rigger understands.
type Kind string

const (
	KindPullRequest Kind = "pull_request"
	KindPush        Kind = "push"
	KindComment     Kind = "issue_comment"
	KindCheckRun    Kind = "check_run"
	KindCheckSuite  Kind = "check_suite"
	KindPing        Kind = "ping"
)

// Repo identifies the repository an event belongs to.
type Repo struct {
	ID            int64
	Owner         string
	Name          string
	CloneURL      string // https clone URL
	HTMLURL       string // https://github.com/owner/name
	DefaultBranch string
	Private       bool
}

// FullName is "owner/name".
func (r Repo) FullName() string { return r.Owner + "/" + r.Name }

// PullRequest carries the pull request an event is about, when there is one.
type PullRequest struct {
	Number            int
	Title             string
	Draft             bool
	Labels            []string
	HeadSHA           string
	BaseSHA           string
	HeadBranch        string // short name of the source branch
	BaseBranch        string // short name of the target branch
	HeadRepoURL       string // the fork's (or same repo's) HTML URL
	HeadRepoCloneURL  string
	Author            string
	AuthorAssociation string // OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, FIRST_TIMER, NONE...
	HTMLURL           string
	State             string // open or closed
	Merged            bool
}

// IssueComment is the comment of an issue_comment event (on a pull request).
type IssueComment struct {
	ID                int64
	Body              string
	Author            string
	AuthorAssociation string
	// CreatedAt is when GitHub received the comment: what a bare /ok-to-test is bound by.
	CreatedAt time.Time
}

// CheckRunRef is the check run of a check_run event (e.g. a "Re-run" click).
type CheckRunRef struct {
	ID         int64
	Name       string
	ExternalID string
	HeadSHA    string
}

// Event is one webhook delivery, normalized.
type Event struct {
	Kind           Kind
	Action         string // opened, synchronize, closed, created, rerequested, ...
	DeliveryID     string
	InstallationID int64
	Repo           Repo
	Sender         string
	SenderID       int64

	// SHA is the commit to build: a PR's head, a push's after.
	SHA string
	// Ref is the full git ref the event is about: refs/heads/<branch> or refs/tags/<tag> for a
	// push, refs/heads/<base> for a pull request (the target branch).
	Ref string
	// HeadCommitMessage is the message of the commit at SHA, for [skip ci] markers: a push's
	// payload carries it; for a pull request the trigger fills it from the head commit it
	// fetches (a pull_request payload does not carry it).
	HeadCommitMessage string
	// ChangedFiles is set for push events from the payload's commits (added, modified,
	// removed); for pull requests it is fetched from the API when a definition needs it.
	ChangedFiles []string
	// Deleted is true for a push that deletes a ref.
	Deleted bool

	PullRequest *PullRequest
	Comment     *IssueComment
	CheckRun    *CheckRunRef
	// IssueNumber is the issue or PR number of an issue_comment event; IsPullRequest tells
	// whether the issue is a pull request.
	IssueNumber   int
	IsPullRequest bool
	// Command is the ChatOps command of an issue_comment event that asks for runs ("test",
	// "retest", "ok-to-test"), set by whoever parses commands. A comment without one runs
	// only the definitions whose on-comment matches it.
	Command string
	// Repair marks an event Rigger made itself for a head no webhook brought (see the
	// server's repair), rather than one GitHub delivered.
	Repair bool
	// AdoptCheckRuns asks the trigger, before it makes a run's check run, for one an earlier
	// Rigger made for that run and never used (killed before it created the run): repair's
	// events ask it, and so do deliveries taken before this Rigger's first repair, which may
	// be redeliveries of events a killed Rigger was handling. It costs a GitHub read.
	AdoptCheckRuns bool
	// Label is the label a pull_request labeled or unlabeled event adds or removes.
	Label string

	// Raw is the delivery's JSON payload as received. It is kept, not decoded again, so that a
	// CEL expression reading `body` costs a decode only when one does. Nil for events Rigger
	// makes up itself (rigger run).
	Raw []byte
	// Headers are the delivery's HTTP headers, for CEL's `headers`; the webhook handler sets
	// them. Nil for events Rigger makes up itself.
	Headers http.Header
}

// Key is the ordering key of an event: events with the same key are handled in order, one at
// a time. Order matters within one pull request (a close must not overtake the synchronize
// before it) and within one pushed ref, not across them: a burst of webhooks for many pull
// requests of one repository is handled in parallel.
func (e *Event) Key() string {
	switch {
	case e.PullRequest != nil:
		return e.Repo.FullName() + "#" + strconv.Itoa(e.PullRequest.Number)
	case e.IssueNumber != 0:
		return e.Repo.FullName() + "#" + strconv.Itoa(e.IssueNumber)
	case e.Kind == KindPush && e.Ref != "":
		return e.Repo.FullName() + "@" + e.Ref
	}
	return e.Repo.FullName()
}
