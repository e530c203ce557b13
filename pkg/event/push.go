package event

import "github.com/google/go-github/v62/github"

func fromPush(ev *Event, p *github.PushEvent) error {
	ev.Action = p.GetAction()
	ev.Repo = pushRepoFrom(p.GetRepo())
	ev.Sender = p.GetSender().GetLogin()
	ev.SenderID = p.GetSender().GetID()
	ev.InstallationID = p.GetInstallation().GetID()
	if ev.Repo.Owner == "" || ev.Repo.Name == "" {
		return missing(ev.Kind, "repository owner or name")
	}
	if p.GetRef() == "" {
		return missing(ev.Kind, "ref")
	}
	ev.SHA = p.GetAfter()
	ev.Ref = p.GetRef()
	ev.Deleted = p.GetDeleted()
	ev.HeadCommitMessage = p.GetHeadCommit().GetMessage()
	ev.ChangedFiles = changedFiles(p.Commits)
	return nil
}

// pushRepoFrom reads a push's repository, which GitHub sends in a shape of its own.
func pushRepoFrom(r *github.PushEventRepository) Repo {
	owner := r.GetOwner().GetLogin()
	if owner == "" {
		// Older push payloads name the owner without a login.
		owner = r.GetOwner().GetName()
	}
	return Repo{
		ID:            r.GetID(),
		Owner:         owner,
		Name:          r.GetName(),
		CloneURL:      r.GetCloneURL(),
		HTMLURL:       r.GetHTMLURL(),
		DefaultBranch: r.GetDefaultBranch(),
		Private:       r.GetPrivate(),
	}
}

// changedFiles is the union of the paths the pushed commits added, modified or removed, in the
// order they first appear, so that path filters see every file the push touched.
func changedFiles(commits []*github.HeadCommit) []string {
	seen := map[string]bool{}
	var files []string
	for _, c := range commits {
		if c == nil {
			continue
		}
		for _, list := range [][]string{c.Added, c.Modified, c.Removed} {
			for _, f := range list {
				if !seen[f] {
					seen[f] = true
					files = append(files, f)
				}
			}
		}
	}
	return files
}
