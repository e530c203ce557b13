package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	gh "github.com/google/go-github/v62/github"
)

// ChangedFile is one file a pull request changes: its path, GitHub's status (added,
// removed, modified, renamed, copied, changed, unchanged) and, when renamed, where it was.
type ChangedFile struct {
	Path, Status, PreviousPath string
}

// PullRequestFiles lists the files a pull request changes, over every page. (GitHub stops
// listing at 3000 files.)
func (i *Installation) PullRequestFiles(ctx context.Context, owner, repo string, number int) ([]ChangedFile, error) {
	opts := &gh.ListOptions{PerPage: 100}
	var out []ChangedFile
	for {
		files, resp, err := i.gh.PullRequests.ListFiles(ctx, owner, repo, number, opts)
		if err != nil {
			return nil, fmt.Errorf("github: files of %s/%s#%d: %w", owner, repo, number, err)
		}
		for _, f := range files {
			out = append(out, ChangedFile{Path: f.GetFilename(), Status: f.GetStatus(), PreviousPath: f.GetPreviousFilename()})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// GetPullRequest fetches a pull request (for a comment event, which lacks its head).
func (i *Installation) GetPullRequest(ctx context.Context, owner, repo string, number int) (*gh.PullRequest, error) {
	pr, _, err := i.gh.PullRequests.Get(ctx, owner, repo, number)
	if err != nil {
		return nil, fmt.Errorf("github: pull request %s/%s#%d: %w", owner, repo, number, err)
	}
	return pr, nil
}

// CollaboratorPermission is user's permission on the repository: admin, write, read or
// none. A user GitHub does not know has none.
func (i *Installation) CollaboratorPermission(ctx context.Context, owner, repo, user string) (string, error) {
	p, _, err := i.gh.Repositories.GetPermissionLevel(ctx, owner, repo, user)
	if err != nil {
		var er *gh.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
			return "none", nil
		}
		return "", fmt.Errorf("github: permission of %s on %s/%s: %w", user, owner, repo, err)
	}
	return p.GetPermission(), nil
}

// OpenPullRequests lists the open pull requests of a repository, every page asked
// conditionally: changed is false when GitHub answered 304 throughout, which is what a
// repair with nothing to do costs (one call per repository under a hundred open pull
// requests, not counted against the rate limit).
func (i *Installation) OpenPullRequests(ctx context.Context, owner, repo string) (prs []*gh.PullRequest, changed bool, err error) {
	for page := 1; ; page++ {
		u := fmt.Sprintf("repos/%s/%s/pulls?state=open&per_page=100&page=%d", url.PathEscape(owner), url.PathEscape(repo), page)
		var list []*gh.PullRequest
		resp, err := get(ctx, &i.cond, i.gh, u, &list)
		if err != nil {
			return nil, false, fmt.Errorf("github: open pull requests of %s/%s: %w", owner, repo, err)
		}
		changed = changed || resp.StatusCode != http.StatusNotModified
		prs = append(prs, list...)
		if resp.NextPage == 0 || len(list) == 0 {
			return prs, changed, nil
		}
	}
}

// CommitMessage is the message of commit sha.
func (i *Installation) CommitMessage(ctx context.Context, owner, repo, sha string) (string, error) {
	c, _, err := i.gh.Git.GetCommit(ctx, owner, repo, sha)
	if err != nil {
		return "", fmt.Errorf("github: commit %s of %s/%s: %w", sha, owner, repo, err)
	}
	return c.GetMessage(), nil
}
