package trigger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rigger-ci/rigger/pkg/apis/rigger/v1alpha1"
	"github.com/rigger-ci/rigger/pkg/chatops"
	"github.com/rigger-ci/rigger/pkg/definition"
	"github.com/rigger-ci/rigger/pkg/event"
	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/policy"
	"github.com/rigger-ci/rigger/pkg/reporter"
	"github.com/rigger-ci/rigger/pkg/run"
	"go.uber.org/zap"
)

// acceptedReaction marks a comment whose commands Rigger carried out.
const acceptedReaction = "rocket"

// comment carries out the commands of a new pull request comment. Every accepted command
// gets a reaction and every refused one a reason, in at most one reply; edited and deleted
// comments, comments on issues and Rigger's own comments do nothing.
func (t *Trigger) comment(ctx context.Context, ev *event.Event, repo Repository) (*Outcome, error) {
	switch {
	case ev.Action != "created":
		return &Outcome{Ignored: "an " + ev.Action + " comment does nothing"}, nil
	case !ev.IsPullRequest || ev.Comment == nil:
		return &Outcome{Ignored: "a comment on an issue does nothing"}, nil
	}
	self, err := t.gh.Login(ctx)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(ev.Sender, self) || strings.EqualFold(ev.Comment.Author, self) {
		return &Outcome{Ignored: "Rigger's own comment"}, nil
	}
	parsed := chatops.Parse(ev.Comment.Body, t.opts.CommandPrefix)
	out := &Outcome{}
	if parsed.Refused != "" {
		out.Refused = []string{"Rigger did not act on this comment: " + parsed.Refused + "."}
		return out, t.reply(ctx, ev, out, nil)
	}
	for _, u := range parsed.Unknown {
		out.Refused = append(out.Refused, fmt.Sprintf("`%s` is not a command; say `/%s` for the list.", u, t.usage(chatops.Help)))
	}
	if len(parsed.Invocations) == 0 {
		if len(out.Refused) == 0 {
			return t.onComment(ctx, ev, repo)
		}
		return out, t.reply(ctx, ev, out, nil)
	}
	var commenter *policy.Verdict
	var help []string
	for _, in := range parsed.Invocations {
		if in.Command.Who == chatops.Trusted {
			if commenter == nil {
				v, err := t.trusted(ctx, ev, repo, policy.Person{Login: ev.Sender, Association: ev.Comment.AuthorAssociation})
				if err != nil {
					return nil, err
				}
				commenter = &v
			}
			if !commenter.Trusted {
				out.Refused = append(out.Refused, fmt.Sprintf("@%s: `/%s` is for members of the project; you are %s.",
					ev.Sender, t.usage(in.Command.Name), commenter.Reason))
				continue
			}
		}
		if in.Command.Name == chatops.Help {
			help = append(help, chatops.HelpText(t.opts.CommandPrefix))
			out.Commands = append(out.Commands, in.Command.Name)
			continue
		}
		if ev.PullRequest == nil {
			if err := t.loadPullRequest(ctx, ev); err != nil {
				return nil, err
			}
		}
		refusal, err := t.command(ctx, ev, repo, in, out)
		if err != nil {
			return nil, err
		}
		if refusal != "" {
			out.Refused = append(out.Refused, fmt.Sprintf("`/%s`: %s", t.usage(in.Command.Name), refusal))
			continue
		}
		out.Commands = append(out.Commands, in.Command.Name)
	}
	return out, t.reply(ctx, ev, out, help)
}

// onComment runs the definitions whose on-comment matches a comment that holds no command,
// when a trusted person wrote it and the head may run. Anyone else's plain comment is just
// a comment: no reply.
func (t *Trigger) onComment(ctx context.Context, ev *event.Event, repo Repository) (*Outcome, error) {
	who, err := t.trusted(ctx, ev, repo, policy.Person{Login: ev.Sender, Association: ev.Comment.AuthorAssociation})
	if err != nil {
		return nil, err
	}
	if !who.Trusted {
		return &Outcome{Ignored: "no command, and on-comment runs only for members' comments"}, nil
	}
	if err := t.loadPullRequest(ctx, ev); err != nil {
		return nil, err
	}
	p := plan{trigger: "comment/" + strconv.FormatInt(ev.Comment.ID, 10), defsAt: ev.SHA}
	if ok, _, err := t.mayRun(ctx, ev, repo, &p); err != nil || !ok {
		return &Outcome{Ignored: "no command, and the head is not approved for testing"}, err
	}
	ev.Command = ""
	out, err := t.runDefinitions(ctx, ev, repo, p)
	if err == nil && out.Ignored == "" && len(out.Submitted)+len(out.Existing)+len(out.Rejected) == 0 {
		out.Ignored = "no command in the comment, and no on-comment definition matches it"
	}
	return out, err
}

// usage spells a command as the user must type it.
func (t *Trigger) usage(name string) string {
	if t.opts.CommandPrefix != "" {
		return t.opts.CommandPrefix + " " + name
	}
	return name
}

// loadPullRequest fills the pull request of a comment event, whose payload lacks its head.
func (t *Trigger) loadPullRequest(ctx context.Context, ev *event.Event) error {
	pr, err := t.gh.GetPullRequest(ctx, ev.Repo.Owner, ev.Repo.Name, ev.IssueNumber)
	if err != nil {
		return err
	}
	ev.PullRequest = event.PullRequestFrom(pr)
	ev.SHA = ev.PullRequest.HeadSHA
	ev.Ref = "refs/heads/" + ev.PullRequest.BaseBranch
	return nil
}

// command carries out one command of a trusted person; the refusal says why it was not.
func (t *Trigger) command(ctx context.Context, ev *event.Event, repo Repository, in chatops.Invocation, out *Outcome) (string, error) {
	if ev.PullRequest.Merged || ev.PullRequest.State == "closed" {
		return "the pull request is closed", nil
	}
	switch in.Command.Name {
	case chatops.Cancel:
		sel := executor.Selector{Repo: ev.Repo.FullName(), Namespace: repo.Namespace, PullRequest: ev.PullRequest.Number}
		if len(in.Args) > 0 {
			sel.Definition = in.Args[0]
		}
		n, err := t.exec.Cancel(ctx, sel)
		if err != nil {
			return "", err
		}
		out.Cancelled += n
		if n == 0 {
			return "no run of this pull request is in progress", nil
		}
		return "", nil
	case chatops.OkToTest:
		return t.okToTest(ctx, ev, repo, in, out)
	}
	// /test and /retest run the head; an outsider's head only once it is approved.
	p := plan{trigger: "comment/" + strconv.FormatInt(ev.Comment.ID, 10), defsAt: ev.SHA}
	ok, _, err := t.mayRun(ctx, ev, repo, &p)
	if err != nil {
		return "", err
	}
	if !ok {
		return fmt.Sprintf("the head commit %s of @%s's pull request is not approved for testing; a member must say `/%s %s` first",
			short(ev.SHA), ev.PullRequest.Author, t.usage(chatops.OkToTest), ev.SHA), nil
	}
	ev.Command = in.Command.Name
	switch in.Command.Name {
	case chatops.Test:
		for _, a := range in.Args {
			if k, v, isParam := strings.Cut(a, "="); isParam {
				if p.params == nil {
					p.params = map[string]string{}
				}
				p.params[k] = v
			} else {
				p.names = append(p.names, a)
			}
		}
	case chatops.Retest:
		if len(in.Args) > 0 {
			p.names = in.Args[:1]
		}
		rerun, err := t.unfinishedBusiness(ctx, ev, repo)
		if err != nil {
			return "", err
		}
		p.keep = func(d *definition.Definition) bool { return rerun(d.Name) }
	}
	o, err := t.runDefinitions(ctx, ev, repo, p)
	if err != nil {
		return "", err
	}
	merge(out, o)
	switch {
	case len(o.Refused) > 0:
		return strings.Join(o.Refused, "; "), nil
	case len(o.Submitted)+len(o.Existing)+len(o.Rejected) == 0 && in.Command.Name == chatops.Retest:
		return fmt.Sprintf("nothing to retest at %s: every run passed or is still running", short(ev.SHA)), nil
	case len(o.Submitted)+len(o.Existing)+len(o.Rejected) == 0:
		return fmt.Sprintf("no definition matches this pull request at %s; name one: `/%s <name>`", short(ev.SHA), t.usage(chatops.Test)), nil
	}
	return "", nil
}

// unfinishedBusiness returns which definitions /retest runs: those whose latest run on the
// head failed or was cancelled, and those that have no run there at all.
func (t *Trigger) unfinishedBusiness(ctx context.Context, ev *event.Event, repo Repository) (func(name string) bool, error) {
	runs, err := t.exec.List(ctx, repo.Namespace, executor.Selector{Repo: ev.Repo.FullName(), PullRequest: ev.PullRequest.Number, SHA: ev.SHA})
	if err != nil {
		return nil, err
	}
	latest := latestByDefinition(runs)
	return func(name string) bool {
		r, ran := latest[name]
		return !ran || r.State == run.Failed || r.State == run.Cancelled
	}, nil
}

func latestByDefinition(runs []run.Run) map[string]run.Run {
	latest := map[string]run.Run{}
	for _, r := range runs {
		if l, ok := latest[r.Definition]; !ok || r.CreationTime.After(l.CreationTime) {
			latest[r.Definition] = r
		}
	}
	return latest
}

// okToTest approves one commit of the pull request: the named one, or the head as it was
// when the comment was written. Rigger's reply is the record (see approvalRecord).
func (t *Trigger) okToTest(ctx context.Context, ev *event.Event, repo Repository, in chatops.Invocation, out *Outcome) (string, error) {
	head := ev.PullRequest.HeadSHA
	var waitingID int64
	if len(in.Args) > 0 {
		want := strings.ToLower(in.Args[0])
		if len(want) < 7 || !strings.HasPrefix(head, want) {
			return fmt.Sprintf("the head of #%d is %s, not %s: nothing approved", ev.PullRequest.Number, head, in.Args[0]), nil
		}
		checks, err := t.gh.CheckRunsFor(ctx, ev.Repo.Owner, ev.Repo.Name, head, reporter.WaitingCheck)
		if err != nil {
			return "", err
		}
		if len(checks) > 0 {
			waitingID = checks[0].ID
		}
	} else {
		// GitHub's comment event carries no SHA. The head the member saw is the current head
		// only if it already was the head a while before the comment: Rigger's waiting check
		// run on it says since when (GitHub's clock, not a commit date a pusher could set).
		checks, err := t.gh.CheckRunsFor(ctx, ev.Repo.Owner, ev.Repo.Name, head, reporter.WaitingCheck)
		if err != nil {
			return "", err
		}
		if len(checks) == 0 {
			return fmt.Sprintf("Rigger cannot tell which commit you read: it has no record of when %s became the head. Say `/%s %s` if that is the one.",
				short(head), t.usage(chatops.OkToTest), head), nil
		}
		since := checks[0].CreatedAt
		for _, c := range checks {
			if c.CreatedAt.Before(since) {
				since = c.CreatedAt // the first waiting check run: when this commit became the head
			}
		}
		if ev.Comment.CreatedAt.Before(since.Add(max(t.opts.BindWindow, 0))) {
			return fmt.Sprintf("the head moved to %s at %s, too close to your comment (%s) to tell which commit you read. Say `/%s <sha>` with the commit you reviewed.",
				short(head), since.UTC().Format(time.RFC3339), ev.Comment.CreatedAt.UTC().Format(time.RFC3339), t.usage(chatops.OkToTest)), nil
		}
		waitingID = checks[0].ID
	}
	// The record first: runs started without it would be orphans of an approval nobody can
	// read back. A retried event finds its record and does not write a second one.
	_, recorded, err := t.findApproval(ctx, ev, func(m []string) bool { return m[3] == strconv.FormatInt(ev.Comment.ID, 10) })
	if err != nil {
		return "", err
	}
	if !recorded {
		body := fmt.Sprintf("@%s approved commit %s of this pull request for testing. A new push needs a new `/%s`.\n\n%s",
			ev.Sender, head, t.usage(chatops.OkToTest), approvalMarker(head, ev.Sender, ev.Comment.ID))
		if _, err := t.gh.CreateComment(ctx, ev.Repo.Owner, ev.Repo.Name, ev.PullRequest.Number, body); err != nil {
			return "", err
		}
	}
	if err := t.rep.Approved(ctx, ev.Repo.FullName(), head, ev.Sender, waitingID); err != nil {
		t.log.Warn("could not mark the waiting check run approved", zap.Error(err))
	}
	p := plan{trigger: string(event.KindPullRequest), defsAt: head}
	if repo.DefinitionsFrom == v1alpha1.DefinitionsFromBase {
		if author, err := t.trusted(ctx, ev, repo, policy.Person{Login: ev.PullRequest.Author, Association: ev.PullRequest.AuthorAssociation}); err != nil {
			return "", err
		} else if !author.Trusted {
			p.defsAt = ev.PullRequest.BaseSHA
		}
	}
	// The runs are those the pull request's own event would have started.
	prEv := *ev
	prEv.Kind, prEv.Action = event.KindPullRequest, "synchronize"
	o, err := t.runDefinitions(ctx, &prEv, repo, p)
	if err != nil {
		return "", err
	}
	merge(out, o)
	return "", nil
}

// reply reacts to the comment when a command was carried out, and answers once with the
// help asked for and the reasons of what was refused.
func (t *Trigger) reply(ctx context.Context, ev *event.Event, out *Outcome, help []string) error {
	var errs []error
	if len(out.Commands) > 0 {
		errs = append(errs, t.gh.CreateReaction(ctx, ev.Repo.Owner, ev.Repo.Name, ev.Comment.ID, acceptedReaction))
	}
	parts := slices.Clone(help)
	if len(out.Refused) > 0 {
		parts = append(parts, "- "+strings.Join(out.Refused, "\n- "))
	}
	if len(parts) > 0 {
		// A reply repeats words of the comment (an unknown name); none of them may pass for
		// one of Rigger's records, which are HTML comments in Rigger's own replies.
		body := strings.ReplaceAll(strings.Join(parts, "\n\n"), "<!--", "&lt;!--")
		_, err := t.gh.CreateComment(ctx, ev.Repo.Owner, ev.Repo.Name, ev.IssueNumber, body)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// merge adds what o did to out.
func merge(out, o *Outcome) {
	out.Submitted = append(out.Submitted, o.Submitted...)
	out.Existing = append(out.Existing, o.Existing...)
	out.Rejected = append(out.Rejected, o.Rejected...)
	out.Skipped = append(out.Skipped, o.Skipped...)
	out.Errors = append(out.Errors, o.Errors...)
	out.Cancelled += o.Cancelled
}
