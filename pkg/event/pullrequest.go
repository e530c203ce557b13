package event

import "github.com/google/go-github/v62/github"

func fromPullRequest(ev *Event, p *github.PullRequestEvent) error {
	if err := setCommon(ev, p.GetAction(), p.GetRepo(), p.GetSender(), p.GetInstallation()); err != nil {
		return err
	}
	if p.PullRequest == nil {
		return missing(ev.Kind, "pull_request")
	}
	ev.PullRequest = PullRequestFrom(p.GetPullRequest())
	if ev.PullRequest.Number == 0 {
		ev.PullRequest.Number = p.GetNumber()
	}
	ev.Label = p.GetLabel().GetName()
	ev.SHA = ev.PullRequest.HeadSHA
	ev.Ref = branchRef(ev.PullRequest.BaseBranch)
	return nil
}

// PullRequestFrom copies what the trigger needs; it serves the full objects of pull_request
// events and the short ones listed in check runs and suites alike (absent fields stay empty).
func PullRequestFrom(pr *github.PullRequest) *PullRequest {
	out := &PullRequest{
		Number:            pr.GetNumber(),
		Title:             pr.GetTitle(),
		Draft:             pr.GetDraft(),
		HeadSHA:           pr.GetHead().GetSHA(),
		BaseSHA:           pr.GetBase().GetSHA(),
		HeadBranch:        pr.GetHead().GetRef(),
		BaseBranch:        pr.GetBase().GetRef(),
		HeadRepoURL:       pr.GetHead().GetRepo().GetHTMLURL(),
		HeadRepoCloneURL:  pr.GetHead().GetRepo().GetCloneURL(),
		Author:            pr.GetUser().GetLogin(),
		AuthorAssociation: pr.GetAuthorAssociation(),
		HTMLURL:           pr.GetHTMLURL(),
		State:             pr.GetState(),
		Merged:            pr.GetMerged(),
	}
	for _, l := range pr.Labels {
		if name := l.GetName(); name != "" {
			out.Labels = append(out.Labels, name)
		}
	}
	return out
}

// branchRef is the full ref of a branch, or "" when the branch is unknown.
func branchRef(branch string) string {
	if branch == "" {
		return ""
	}
	return "refs/heads/" + branch
}

// FromPullRequest is the event of a pull request as GitHub lists it (GET .../pulls), with
// action and deliveryID given: what repair hands the trigger for a head that no webhook
// brought. The author is the sender.
func FromPullRequest(pr *github.PullRequest, action, deliveryID string) *Event {
	ev := &Event{Kind: KindPullRequest, Action: action, DeliveryID: deliveryID,
		Repo: repoFrom(pr.GetBase().GetRepo()), Sender: pr.GetUser().GetLogin(), SenderID: pr.GetUser().GetID()}
	ev.PullRequest = PullRequestFrom(pr)
	ev.SHA = ev.PullRequest.HeadSHA
	ev.Ref = branchRef(ev.PullRequest.BaseBranch)
	return ev
}
