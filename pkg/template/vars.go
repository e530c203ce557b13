package template

import (
	"strconv"
	"strings"

	"github.com/rigger-ci/rigger/pkg/event"
)

// The variable names Rigger fills, the same as Pipelines-as-Code's.
const (
	Revision          = "revision"
	RepoURL           = "repo_url"
	RepoOwner         = "repo_owner"
	RepoName          = "repo_name"
	SourceBranch      = "source_branch"
	TargetBranch      = "target_branch"
	SourceURL         = "source_url"
	Sender            = "sender"
	PullRequestNumber = "pull_request_number"
	EventType         = "event_type"
	GitTag            = "git_tag"
	TargetNamespace   = "target_namespace"
	GitAuthSecret     = "git_auth_secret"
	// TriggerComment is the comment that started the run (/test, /retest, on-comment).
	TriggerComment = "trigger_comment"
)

// GitAuthSecretPlaceholder is what {{ git_auth_secret }} parses to. Each run gets a Secret
// of its own, holding a token of its own, and the trigger writes that Secret's name in place
// of this one once it knows which run a definition becomes.
const GitAuthSecretPlaceholder = "rigger-git-auth-secret-placeholder"

// Names lists every variable Rigger fills, e.g. for `rigger lint` to substitute placeholders.
func Names() []string {
	return []string{Revision, RepoURL, RepoOwner, RepoName, SourceBranch, TargetBranch,
		SourceURL, Sender, PullRequestNumber, EventType, GitTag, TargetNamespace, GitAuthSecret, TriggerComment}
}

const (
	headsPrefix = "refs/heads/"
	tagsPrefix  = "refs/tags/"
)

// Vars builds the template variables of one event. namespace is where the run will be created
// and gitAuthSecret the name of the secret holding the clone token (empty when there is none).
// Every name of Names is set, to the empty string when the event does not carry it (e.g.
// pull_request_number on a push), so that a file never keeps a raw "{{ ... }}" for a known name.
func Vars(ev *event.Event, namespace, gitAuthSecret string) map[string]string {
	v := map[string]string{
		Revision:          ev.SHA,
		RepoURL:           ev.Repo.HTMLURL,
		RepoOwner:         ev.Repo.Owner,
		RepoName:          ev.Repo.Name,
		SourceURL:         ev.Repo.HTMLURL,
		Sender:            ev.Sender,
		EventType:         EventTypeOf(ev),
		TargetNamespace:   namespace,
		GitAuthSecret:     gitAuthSecret,
		SourceBranch:      "",
		TargetBranch:      "",
		PullRequestNumber: "",
		GitTag:            "",
		TriggerComment:    "",
	}
	if pr := ev.PullRequest; pr != nil {
		v[SourceBranch] = pr.HeadBranch
		v[TargetBranch] = pr.BaseBranch
		if pr.HeadRepoURL != "" {
			v[SourceURL] = pr.HeadRepoURL
		}
		if pr.HeadSHA != "" && ev.SHA == "" {
			v[Revision] = pr.HeadSHA
		}
		v[PullRequestNumber] = strconv.Itoa(pr.Number)
	} else if ev.IsPullRequest && ev.IssueNumber != 0 {
		v[PullRequestNumber] = strconv.Itoa(ev.IssueNumber)
	}
	if ev.PullRequest == nil {
		// A push names one ref: it is both the source and the target. A branch is given by
		// its short name; a tag keeps its full ref so that it cannot be mistaken for a branch.
		branch := strings.TrimPrefix(ev.Ref, headsPrefix)
		v[SourceBranch] = branch
		v[TargetBranch] = branch
	}
	if ev.Comment != nil {
		v[TriggerComment] = ev.Comment.Body
	}
	if tag, ok := strings.CutPrefix(ev.Ref, tagsPrefix); ok {
		v[GitTag] = tag
	}
	return v
}

// EventTypeOf is the value of {{ event_type }}: "pull_request" for anything about a pull
// request (including a command comment on one), "push" for a push, else the GitHub event name.
func EventTypeOf(ev *event.Event) string {
	switch {
	case ev.Kind == event.KindPush:
		return "push"
	case ev.Kind == event.KindPullRequest, ev.PullRequest != nil, ev.Kind == event.KindComment && ev.IsPullRequest:
		return "pull_request"
	default:
		return string(ev.Kind)
	}
}
