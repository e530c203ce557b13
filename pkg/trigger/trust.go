package trigger

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rigger-ci/rigger/pkg/apis/rigger/v1alpha1"
	"github.com/rigger-ci/rigger/pkg/event"
	"github.com/rigger-ci/rigger/pkg/policy"
)

// runnableActions are the pull_request actions that may start runs; others (assigned,
// edited, ...) cost nothing, not even a trust check.
var runnableActions = []string{"opened", "synchronize", "reopened", "ready_for_review", "labeled"}

// pullRequest runs a pull request's definitions when its code may run: its author (and
// whoever pushed) is trusted, or a trusted person approved its head commit. Otherwise it
// reports that it waits, and reads nothing of the head: no .tekton/, no token, no run.
func (t *Trigger) pullRequest(ctx context.Context, ev *event.Event, repo Repository) (*Outcome, error) {
	if !slices.Contains(runnableActions, ev.Action) {
		return &Outcome{Ignored: "pull_request action " + ev.Action + " starts no runs"}, nil
	}
	p := plan{trigger: string(event.KindPullRequest), defsAt: ev.SHA}
	ok, why, err := t.mayRun(ctx, ev, repo, &p)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := t.rep.Waiting(ctx, ev.Repo.FullName(), ev.SHA, ev.PullRequest.Author, why); err != nil {
			return nil, err
		}
		return &Outcome{Waiting: why}, nil
	}
	return t.runDefinitions(ctx, ev, repo, p)
}

// mayRun tells whether the head of ev's pull request may run, and sets where p reads the
// definitions from. When it may not, why says so, for the waiting check run.
func (t *Trigger) mayRun(ctx context.Context, ev *event.Event, repo Repository, p *plan) (bool, string, error) {
	pr := ev.PullRequest
	author, err := t.trusted(ctx, ev, repo, policy.Person{Login: pr.Author, Association: pr.AuthorAssociation})
	if err != nil {
		return false, "", err
	}
	trusted := author.Trusted
	why := "is not trusted here yet (" + author.Reason + ")"
	// Whoever pushed the head must be trusted too: a trusted author's fork may have
	// collaborators who are not. (Only a synchronize's sender pushed; a labeler or a
	// commenter did not.)
	if trusted && ev.Kind == event.KindPullRequest && ev.Action == "synchronize" && ev.Sender != "" && !strings.EqualFold(ev.Sender, pr.Author) {
		sender, err := t.trusted(ctx, ev, repo, policy.Person{Login: ev.Sender})
		if err != nil {
			return false, "", err
		}
		trusted = sender.Trusted
		why = fmt.Sprintf("opened it, but @%s, who pushed, is not trusted here (%s)", ev.Sender, sender.Reason)
	}
	if trusted {
		return true, "", nil
	}
	by, err := t.approvedBy(ctx, ev, ev.SHA)
	if err != nil {
		return false, "", err
	}
	if by == "" {
		return false, why, nil
	}
	if repo.DefinitionsFrom == v1alpha1.DefinitionsFromBase {
		p.defsAt = pr.BaseSHA
	}
	return true, "", nil
}

func (t *Trigger) trusted(ctx context.Context, ev *event.Event, repo Repository, who policy.Person) (policy.Verdict, error) {
	s := repo.Trust
	s.Bots = t.opts.Bots
	return t.policy.Trusted(ctx, policy.Repo{Owner: ev.Repo.Owner, Name: ev.Repo.Name, DefaultBranch: ev.Repo.DefaultBranch}, s, who)
}

// The record of an approval is Rigger's own reply to the /ok-to-test comment: only Rigger
// can write a comment as Rigger, so the record cannot be forged, and it outlives any restart
// without a database. It is read back with a conditional request (a 304 when nothing was said).
var approvalRecord = regexp.MustCompile(`<!-- rigger:ok-to-test sha=([0-9a-f]{40}) by=(\S+) comment=(\d+) -->`)

func approvalMarker(sha, by string, comment int64) string {
	return fmt.Sprintf("<!-- rigger:ok-to-test sha=%s by=%s comment=%d -->", sha, by, comment)
}

// approvedBy returns who approved sha in ev's pull request, or "".
func (t *Trigger) approvedBy(ctx context.Context, ev *event.Event, sha string) (string, error) {
	by, _, err := t.findApproval(ctx, ev, func(m []string) bool { return m[1] == sha })
	return by, err
}

// findApproval returns the first of Rigger's approval records that match wants.
func (t *Trigger) findApproval(ctx context.Context, ev *event.Event, wants func(m []string) bool) (by string, found bool, err error) {
	self, err := t.gh.Login(ctx)
	if err != nil {
		return "", false, err
	}
	comments, err := t.gh.IssueComments(ctx, ev.Repo.Owner, ev.Repo.Name, ev.PullRequest.Number)
	if err != nil {
		return "", false, err
	}
	for _, c := range comments {
		if !strings.EqualFold(c.User, self) {
			continue
		}
		if m := approvalRecord.FindStringSubmatch(c.Body); m != nil && wants(m) {
			return m[2], true, nil
		}
	}
	return "", false, nil
}

// DefaultBindWindow is how long a commit must have been the head before a bare /ok-to-test
// binds it. A push just before the comment may not be what the member read; then Rigger
// asks for the SHA instead of guessing.
const DefaultBindWindow = 30 * time.Second
