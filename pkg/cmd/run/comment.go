package run

import (
	"strings"

	"github.com/rigger-ci/rigger/pkg/chatops"
	"github.com/rigger-ci/rigger/pkg/event"
)

// commentEvent turns a pull request event into that of a new comment on it, to show what the
// comment would run: `/test [names] [key=value]` and `/retest [name]` as Rigger's server runs
// them (names run whatever their annotations say, key=value sets params), and a comment with
// no command the definitions whose on-comment matches it. It returns the names to run (nil:
// those that match) and the params with the comment's added.
func commentEvent(ev *event.Event, body string, params []Param) ([]string, []Param, error) {
	if ev.PullRequest == nil {
		return nil, nil, usage("--comment needs --event pull_request: comments are made on pull requests")
	}
	parsed := chatops.Parse(body, "")
	if parsed.Refused != "" {
		return nil, nil, usage("--comment: %s", parsed.Refused)
	}
	ev.Kind, ev.Action, ev.IsPullRequest = event.KindComment, "created", true
	ev.Comment = &event.IssueComment{Body: body, Author: ev.Sender, AuthorAssociation: "OWNER"}
	switch len(parsed.Invocations) {
	case 0:
		return nil, params, nil
	case 1:
	default:
		return nil, nil, usage("--comment: give one command at a time")
	}
	in := parsed.Invocations[0]
	switch in.Command.Name {
	case chatops.Test, chatops.Retest:
	default:
		return nil, nil, usage("--comment: /%s means nothing on this machine; try /test or /retest", in.Command.Name)
	}
	ev.Command = in.Command.Name
	var names []string
	for _, a := range in.Args {
		if k, v, isParam := strings.Cut(a, "="); isParam {
			params = append(params, Param{Name: k, Value: v})
		} else {
			names = append(names, a)
		}
	}
	if in.Command.Name == chatops.Retest && len(names) > 1 {
		names = names[:1]
	}
	return names, params, nil
}
