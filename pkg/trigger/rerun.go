package trigger

import (
	"context"
	"strings"

	"github.com/rigger-ci/rigger/pkg/event"
	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/policy"
	"github.com/rigger-ci/rigger/pkg/reporter"
	"github.com/rigger-ci/rigger/pkg/run"
)

// rerunCheck answers GitHub's "Re-run" button on one of Rigger's check runs: that
// definition runs again on that commit, as a new attempt with its own check run. Each click
// is a delivery of its own, which keys the new run, so a redelivery starts nothing new.
func (t *Trigger) rerunCheck(ctx context.Context, ev *event.Event, repo Repository) (*Outcome, error) {
	if ev.Action != "rerequested" || ev.CheckRun == nil {
		return &Outcome{Ignored: "check_run " + ev.Action + " starts no runs"}, nil
	}
	if !strings.HasPrefix(ev.CheckRun.Name, reporter.CheckName("")) || ev.CheckRun.Name == reporter.WaitingCheck || ev.CheckRun.ExternalID == "" {
		return &Outcome{Ignored: "check run " + ev.CheckRun.Name + " is not one of Rigger's runs"}, nil
	}
	prev, err := t.exec.Get(ctx, repo.Namespace, ev.CheckRun.ExternalID)
	if err != nil {
		return nil, err
	}
	if prev == nil || prev.Repo != ev.Repo.FullName() || prev.SHA != ev.SHA {
		return &Outcome{Ignored: "the run of check run " + ev.CheckRun.Name + " is gone"}, nil
	}
	return t.rerun(ctx, ev, repo, []string{prev.Definition}, prev.PullRequest)
}

// rerunSuite answers "Re-run failed checks": the definitions whose latest run on the commit
// failed or was cancelled run again.
func (t *Trigger) rerunSuite(ctx context.Context, ev *event.Event, repo Repository) (*Outcome, error) {
	if ev.Action != "rerequested" {
		return &Outcome{Ignored: "check_suite " + ev.Action + " starts no runs"}, nil
	}
	runs, err := t.exec.List(ctx, repo.Namespace, executor.Selector{Repo: ev.Repo.FullName(), SHA: ev.SHA})
	if err != nil {
		return nil, err
	}
	var names []string
	number := 0
	for name, r := range latestByDefinition(runs) {
		if r.State == run.Failed || r.State == run.Cancelled {
			names = append(names, name)
			number = max(number, r.PullRequest)
		}
	}
	if len(names) == 0 {
		return &Outcome{Ignored: "no failed run of Rigger's on " + short(ev.SHA)}, nil
	}
	return t.rerun(ctx, ev, repo, names, number)
}

// rerun runs names again on ev.SHA for whoever clicked, if they are trusted (GitHub shows
// the button only to those who may write, but the policy has the last word).
func (t *Trigger) rerun(ctx context.Context, ev *event.Event, repo Repository, names []string, number int) (*Outcome, error) {
	who, err := t.trusted(ctx, ev, repo, policy.Person{Login: ev.Sender})
	if err != nil {
		return nil, err
	}
	if !who.Trusted {
		return &Outcome{Ignored: "@" + ev.Sender + " may not re-run: " + who.Reason}, nil
	}
	if ev.PullRequest == nil && number > 0 {
		sha := ev.SHA
		ev.IssueNumber, ev.IsPullRequest = number, true
		if err := t.loadPullRequest(ctx, ev); err != nil {
			return nil, err
		}
		ev.SHA = sha // the commit clicked, which may be older than the head
	}
	p := plan{trigger: "rerun/" + ev.DeliveryID, defsAt: ev.SHA, names: names}
	if ev.PullRequest != nil {
		// The commit ran before, so it was approved; where its definitions come from is the
		// policy's to say again.
		ok, why, err := t.mayRun(ctx, ev, repo, &p)
		if err != nil {
			return nil, err
		}
		if !ok {
			return &Outcome{Waiting: why}, nil
		}
	}
	return t.runDefinitions(ctx, ev, repo, p)
}
