package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v62/github"
)

// CreateCheckRun creates a check run (App mode only) and returns its ID.
func (i *Installation) CreateCheckRun(ctx context.Context, owner, repo string, opts gh.CreateCheckRunOptions) (int64, error) {
	cr, _, err := i.gh.Checks.CreateCheckRun(ctx, owner, repo, opts)
	if err != nil {
		return 0, fmt.Errorf("github: creating check run %q on %s/%s: %w", opts.Name, owner, repo, err)
	}
	return cr.GetID(), nil
}

// UpdateCheckRun changes a check run's status, conclusion or output.
func (i *Installation) UpdateCheckRun(ctx context.Context, owner, repo string, id int64, opts gh.UpdateCheckRunOptions) error {
	if _, _, err := i.gh.Checks.UpdateCheckRun(ctx, owner, repo, id, opts); err != nil {
		return fmt.Errorf("github: updating check run %d on %s/%s: %w", id, owner, repo, err)
	}
	return nil
}

// CreateStatus sets a commit status (the latest status of a context wins).
func (i *Installation) CreateStatus(ctx context.Context, owner, repo, sha string, status gh.RepoStatus) error {
	if _, _, err := i.gh.Repositories.CreateStatus(ctx, owner, repo, sha, &status); err != nil {
		return fmt.Errorf("github: status %q on %s/%s@%s: %w", status.GetContext(), owner, repo, sha, err)
	}
	return nil
}

// CreateComment comments on an issue or pull request and returns the comment's ID.
func (i *Installation) CreateComment(ctx context.Context, owner, repo string, number int, body string) (int64, error) {
	c, _, err := i.gh.Issues.CreateComment(ctx, owner, repo, number, &gh.IssueComment{Body: &body})
	if err != nil {
		return 0, fmt.Errorf("github: commenting on %s/%s#%d: %w", owner, repo, number, err)
	}
	return c.GetID(), nil
}

// EditComment replaces a comment's body.
func (i *Installation) EditComment(ctx context.Context, owner, repo string, commentID int64, body string) error {
	if _, _, err := i.gh.Issues.EditComment(ctx, owner, repo, commentID, &gh.IssueComment{Body: &body}); err != nil {
		return fmt.Errorf("github: editing comment %d on %s/%s: %w", commentID, owner, repo, err)
	}
	return nil
}
