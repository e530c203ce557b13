package event

import "github.com/google/go-github/v62/github"

// Parse decodes one webhook delivery (the X-GitHub-Event header, the X-GitHub-Delivery header
// and the raw body) into a normalized Event. The Event keeps payload as its Raw: the caller
// must not modify it afterwards.
//
// Event types Rigger does not handle give ErrUnsupportedEvent without their body being decoded;
// a body that does not decode, or lacks the repository or the object the event is about, gives
// a *MalformedError. Parse never panics: payload fields are read through go-github's nil-safe
// Get accessors.
func Parse(eventType, deliveryID string, payload []byte) (*Event, error) {
	kind := Kind(eventType)
	if !kind.Supported() {
		return nil, ErrUnsupportedEvent
	}
	decoded, err := parseWebHook(eventType, payload)
	if err != nil {
		return nil, &MalformedError{EventType: eventType, Reason: "cannot decode JSON", Err: err}
	}
	// Raw shares the caller's bytes: no copy on the hot path, and the caller does not reuse them.
	ev := &Event{Kind: kind, DeliveryID: deliveryID, Raw: payload}
	switch p := decoded.(type) {
	case *github.PullRequestEvent:
		err = fromPullRequest(ev, p)
	case *github.PushEvent:
		err = fromPush(ev, p)
	case *github.IssueCommentEvent:
		err = fromIssueComment(ev, p)
	case *github.CheckRunEvent:
		err = fromCheckRun(ev, p)
	case *github.CheckSuiteEvent:
		err = fromCheckSuite(ev, p)
	case *github.PingEvent:
		fromPing(ev, p)
	default:
		// A JSON null body decodes to no object at all.
		return nil, &MalformedError{EventType: eventType, Reason: "empty payload"}
	}
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// Supported tells whether Rigger handles events of this kind.
func (k Kind) Supported() bool {
	switch k {
	case KindPullRequest, KindPush, KindComment, KindCheckRun, KindCheckSuite, KindPing:
		return true
	}
	return false
}

// missing builds the error for a payload that lacks what its event is about.
func missing(kind Kind, what string) error {
	return &MalformedError{EventType: string(kind), Reason: "missing " + what}
}

// setCommon fills the fields every event type shares and insists on a repository, without
// which an event cannot be ordered (Key) nor acted on.
func setCommon(ev *Event, action string, repo *github.Repository, sender *github.User, inst *github.Installation) error {
	ev.Action = action
	ev.Repo = repoFrom(repo)
	ev.Sender = sender.GetLogin()
	ev.SenderID = sender.GetID()
	ev.InstallationID = inst.GetID()
	if ev.Repo.Owner == "" || ev.Repo.Name == "" {
		return missing(ev.Kind, "repository owner or name")
	}
	return nil
}

func repoFrom(r *github.Repository) Repo {
	return Repo{
		ID:            r.GetID(),
		Owner:         r.GetOwner().GetLogin(),
		Name:          r.GetName(),
		CloneURL:      r.GetCloneURL(),
		HTMLURL:       r.GetHTMLURL(),
		DefaultBranch: r.GetDefaultBranch(),
		Private:       r.GetPrivate(),
	}
}

func fromPing(ev *Event, p *github.PingEvent) {
	// A ping for an organization or app hook carries no repository; that is still a valid ping.
	ev.Repo = repoFrom(p.GetRepo())
	ev.Sender = p.GetSender().GetLogin()
	ev.SenderID = p.GetSender().GetID()
	ev.InstallationID = p.GetInstallation().GetID()
}

func fromIssueComment(ev *Event, p *github.IssueCommentEvent) error {
	if err := setCommon(ev, p.GetAction(), p.GetRepo(), p.GetSender(), p.GetInstallation()); err != nil {
		return err
	}
	if p.Issue == nil || p.Comment == nil {
		return missing(ev.Kind, "issue or comment")
	}
	c := p.GetComment()
	ev.Comment = &IssueComment{
		ID:                c.GetID(),
		Body:              c.GetBody(),
		Author:            c.GetUser().GetLogin(),
		AuthorAssociation: c.GetAuthorAssociation(),
		CreatedAt:         c.GetCreatedAt().Time,
	}
	ev.IssueNumber = p.GetIssue().GetNumber()
	// The head SHA is not in the payload; the trigger looks the pull request up when it needs it.
	ev.IsPullRequest = p.GetIssue().GetPullRequestLinks() != nil
	return nil
}
