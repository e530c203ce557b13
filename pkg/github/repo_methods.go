package github

import (
	"context"

	gh "github.com/google/go-github/v62/github"
)

// The Client's repository methods find the installation covering the repository
// (ForRepo) and act through it, so callers that know only owner/repo (the definition
// loader, the reporter) need no installation ID.

// Tree: see Installation.Tree.
func (c *Client) Tree(ctx context.Context, owner, repo, sha string) ([]TreeEntry, error) {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return nil, err
	}
	return i.Tree(ctx, owner, repo, sha)
}

// Blob: see Installation.Blob.
func (c *Client) Blob(ctx context.Context, owner, repo, blobSHA string) ([]byte, error) {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return nil, err
	}
	return i.Blob(ctx, owner, repo, blobSHA)
}

// PullRequestFiles: see Installation.PullRequestFiles.
func (c *Client) PullRequestFiles(ctx context.Context, owner, repo string, number int) ([]ChangedFile, error) {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return nil, err
	}
	return i.PullRequestFiles(ctx, owner, repo, number)
}

// GetPullRequest: see Installation.GetPullRequest.
func (c *Client) GetPullRequest(ctx context.Context, owner, repo string, number int) (*gh.PullRequest, error) {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return nil, err
	}
	return i.GetPullRequest(ctx, owner, repo, number)
}

// CollaboratorPermission: see Installation.CollaboratorPermission.
func (c *Client) CollaboratorPermission(ctx context.Context, owner, repo, user string) (string, error) {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return "", err
	}
	return i.CollaboratorPermission(ctx, owner, repo, user)
}

// CreateCheckRun: see Installation.CreateCheckRun.
func (c *Client) CreateCheckRun(ctx context.Context, owner, repo string, opts gh.CreateCheckRunOptions) (int64, error) {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return 0, err
	}
	return i.CreateCheckRun(ctx, owner, repo, opts)
}

// UpdateCheckRun: see Installation.UpdateCheckRun.
func (c *Client) UpdateCheckRun(ctx context.Context, owner, repo string, id int64, opts gh.UpdateCheckRunOptions) error {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return err
	}
	return i.UpdateCheckRun(ctx, owner, repo, id, opts)
}

// CreateStatus: see Installation.CreateStatus.
func (c *Client) CreateStatus(ctx context.Context, owner, repo, sha string, status gh.RepoStatus) error {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return err
	}
	return i.CreateStatus(ctx, owner, repo, sha, status)
}

// CreateComment: see Installation.CreateComment.
func (c *Client) CreateComment(ctx context.Context, owner, repo string, number int, body string) (int64, error) {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return 0, err
	}
	return i.CreateComment(ctx, owner, repo, number, body)
}

// EditComment: see Installation.EditComment.
func (c *Client) EditComment(ctx context.Context, owner, repo string, commentID int64, body string) error {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return err
	}
	return i.EditComment(ctx, owner, repo, commentID, body)
}

// IssueComments: see Installation.IssueComments.
func (c *Client) IssueComments(ctx context.Context, owner, repo string, number int) ([]Comment, error) {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return nil, err
	}
	return i.IssueComments(ctx, owner, repo, number)
}

// FileAt: see Installation.FileAt.
func (c *Client) FileAt(ctx context.Context, owner, repo, ref, path string) ([]byte, bool, error) {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return nil, false, err
	}
	return i.FileAt(ctx, owner, repo, ref, path)
}

// TeamMember asks, through the installation covering owner/repo, whether user is an active
// member of the team org/slug. See Installation.TeamMember.
func (c *Client) TeamMember(ctx context.Context, owner, repo, org, slug, user string) (bool, error) {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return false, err
	}
	return i.TeamMember(ctx, org, slug, user)
}

// CreateReaction: see Installation.CreateReaction.
func (c *Client) CreateReaction(ctx context.Context, owner, repo string, commentID int64, content string) error {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return err
	}
	return i.CreateReaction(ctx, owner, repo, commentID, content)
}

// CheckRunsFor: see Installation.CheckRunsFor.
func (c *Client) CheckRunsFor(ctx context.Context, owner, repo, ref, name string) ([]CheckRun, error) {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return nil, err
	}
	return i.CheckRunsFor(ctx, owner, repo, ref, name)
}

// OrgMember asks, through the installation covering owner/repo, whether user is a member of
// the organization owner. See Installation.OrgMember.
func (c *Client) OrgMember(ctx context.Context, owner, repo, user string) (bool, error) {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return false, err
	}
	return i.OrgMember(ctx, owner, user)
}

// OpenPullRequests: see Installation.OpenPullRequests.
func (c *Client) OpenPullRequests(ctx context.Context, owner, repo string) ([]*gh.PullRequest, bool, error) {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return nil, false, err
	}
	return i.OpenPullRequests(ctx, owner, repo)
}

// CommitMessage: see Installation.CommitMessage.
func (c *Client) CommitMessage(ctx context.Context, owner, repo, sha string) (string, error) {
	i, err := c.ForRepo(ctx, owner, repo)
	if err != nil {
		return "", err
	}
	return i.CommitMessage(ctx, owner, repo, sha)
}
