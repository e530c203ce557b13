package run

import (
	"fmt"

	"github.com/rigger-ci/rigger/pkg/event"
	"github.com/rigger-ci/rigger/pkg/template"
)

// Trigger is the run.Identity trigger of runs started by `rigger run`.
const Trigger = "local"

// Namespace is the namespace local runs are made in (the local executor's default), as
// {{ target_namespace }}.
const Namespace = "default"

// SourceDirVar is the template variable `rigger run` fills, on top of Pipelines-as-Code's,
// with the checkout's directory, so that a pipeline can copy the working tree into its
// workspace instead of cloning. Rigger's server never sets it.
const SourceDirVar = "source_dir"

// EventOptions say which event `rigger run` pretends happened.
type EventOptions struct {
	Kind         event.Kind // pull_request or push
	SourceBranch string     // default: the current branch
	TargetBranch string     // default: main for a pull request, the current branch for a push
	ChangedFiles []string   // nil: computed by the caller when needed
}

// Event builds the event a push or pull request of this checkout would send.
func (c *Checkout) Event(opts EventOptions) (*event.Event, error) {
	ev := &event.Event{
		Kind:              opts.Kind,
		DeliveryID:        "local",
		Repo:              event.Repo{Owner: c.Owner, Name: c.Name, HTMLURL: c.URL, CloneURL: c.URL, DefaultBranch: "main"},
		Sender:            c.Sender,
		SHA:               c.Revision,
		HeadCommitMessage: c.HeadMessage,
		ChangedFiles:      opts.ChangedFiles,
	}
	source := opts.SourceBranch
	if source == "" {
		source = c.Branch
	}
	switch opts.Kind {
	case event.KindPullRequest:
		target := opts.TargetBranch
		if target == "" {
			target = "main"
		}
		if source == "" {
			source = "HEAD"
		}
		ev.Action = "synchronize"
		ev.Ref = "refs/heads/" + target
		ev.PullRequest = &event.PullRequest{
			HeadSHA: c.Revision, HeadBranch: source, BaseBranch: target,
			HeadRepoURL: c.URL, HeadRepoCloneURL: c.URL, Author: c.Sender, AuthorAssociation: "OWNER",
		}
	case event.KindPush:
		target := opts.TargetBranch
		if target == "" {
			target = source
		}
		if target == "" {
			target = "main"
		}
		ev.Ref = "refs/heads/" + target
	default:
		return nil, fmt.Errorf("unknown event %q: want pull_request or push", opts.Kind)
	}
	return ev, nil
}

// Vars are the template variables of a local run of ev: Pipelines-as-Code's, and
// {{ source_dir }}.
func (c *Checkout) Vars(ev *event.Event) map[string]string {
	vars := template.Vars(ev, Namespace, "")
	vars[SourceDirVar] = c.Root
	return vars
}

// TargetBranch is the branch ev targets (a pull request's base, a push's branch).
func TargetBranch(ev *event.Event) string {
	if ev.PullRequest != nil {
		return ev.PullRequest.BaseBranch
	}
	return template.Vars(ev, "", "")[template.TargetBranch]
}
