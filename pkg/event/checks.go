package event

import "github.com/google/go-github/v62/github"

// fromCheckRun handles a check run event, typically a "Re-run" click (rerequested).
func fromCheckRun(ev *Event, p *github.CheckRunEvent) error {
	if err := setCommon(ev, p.GetAction(), p.GetRepo(), p.GetSender(), p.GetInstallation()); err != nil {
		return err
	}
	if p.CheckRun == nil {
		return missing(ev.Kind, "check_run")
	}
	cr := p.GetCheckRun()
	ev.CheckRun = &CheckRunRef{
		ID:         cr.GetID(),
		Name:       cr.GetName(),
		ExternalID: cr.GetExternalID(),
		HeadSHA:    cr.GetHeadSHA(),
	}
	ev.SHA = cr.GetHeadSHA()
	setChecksTarget(ev, cr.PullRequests, cr.GetCheckSuite().GetHeadBranch())
	return nil
}

// fromCheckSuite handles a check suite event ("Re-run all checks").
func fromCheckSuite(ev *Event, p *github.CheckSuiteEvent) error {
	if err := setCommon(ev, p.GetAction(), p.GetRepo(), p.GetSender(), p.GetInstallation()); err != nil {
		return err
	}
	if p.CheckSuite == nil {
		return missing(ev.Kind, "check_suite")
	}
	cs := p.GetCheckSuite()
	ev.SHA = cs.GetHeadSHA()
	setChecksTarget(ev, cs.PullRequests, cs.GetHeadBranch())
	return nil
}

// setChecksTarget sets the pull request and ref of a check event. With a pull request the ref
// is its target branch, as for pull_request events, so the same definitions match again; without
// one it is the branch the checked commit was pushed to.
func setChecksTarget(ev *Event, prs []*github.PullRequest, headBranch string) {
	for _, pr := range prs {
		if pr != nil && pr.GetNumber() != 0 {
			ev.PullRequest = PullRequestFrom(pr)
			ev.Ref = branchRef(ev.PullRequest.BaseBranch)
			return
		}
	}
	ev.Ref = branchRef(headBranch)
}
