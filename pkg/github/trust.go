package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// Comment is a pull request comment, as the trust policy reads it.
type Comment struct {
	ID        int64
	User      string
	Body      string
	CreatedAt time.Time
}

// IssueComments lists the comments of an issue or pull request, oldest first, over every
// page. Each page is asked conditionally: when nothing changed, the listing costs 304s.
func (i *Installation) IssueComments(ctx context.Context, owner, repo string, number int) ([]Comment, error) {
	var out []Comment
	for page := 1; ; page++ {
		u := fmt.Sprintf("repos/%s/%s/issues/%d/comments?per_page=100&page=%d", url.PathEscape(owner), url.PathEscape(repo), number, page)
		var list []*gh.IssueComment
		resp, err := get(ctx, &i.cond, i.gh, u, &list)
		if err != nil {
			return nil, fmt.Errorf("github: comments of %s/%s#%d: %w", owner, repo, number, err)
		}
		for _, c := range list {
			out = append(out, Comment{ID: c.GetID(), User: c.GetUser().GetLogin(), Body: c.GetBody(), CreatedAt: c.GetCreatedAt().Time})
		}
		if resp.NextPage == 0 || len(list) == 0 {
			return out, nil
		}
	}
}

// FileAt returns the content of path at ref (a branch, tag or SHA), or found=false when
// there is no such file. Asked conditionally, so an unchanged file costs a 304.
func (i *Installation) FileAt(ctx context.Context, owner, repo, ref, path string) (content []byte, found bool, err error) {
	u := fmt.Sprintf("repos/%s/%s/contents/%s?ref=%s", url.PathEscape(owner), url.PathEscape(repo), path, url.QueryEscape(ref))
	var fc gh.RepositoryContent
	resp, err := get(ctx, &i.cond, i.gh, u, &fc)
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("github: %s at %s of %s/%s: %w", path, ref, owner, repo, err)
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, false, fmt.Errorf("github: %s at %s of %s/%s: %w", path, ref, owner, repo, err)
	}
	return []byte(s), true, nil
}

// TeamMember tells whether user is an active member of the team org/slug.
func (i *Installation) TeamMember(ctx context.Context, org, slug, user string) (bool, error) {
	m, _, err := i.gh.Teams.GetTeamMembershipBySlug(ctx, org, slug, user)
	if err != nil {
		var er *gh.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
			return false, nil
		}
		return false, fmt.Errorf("github: membership of %s in %s/%s: %w", user, org, slug, err)
	}
	return m.GetState() == "active", nil
}

// CreateReaction reacts to an issue comment ("+1", "eyes", "rocket", ...).
func (i *Installation) CreateReaction(ctx context.Context, owner, repo string, commentID int64, content string) error {
	if _, _, err := i.gh.Reactions.CreateIssueCommentReaction(ctx, owner, repo, commentID, content); err != nil {
		return fmt.Errorf("github: reacting to comment %d on %s/%s: %w", commentID, owner, repo, err)
	}
	return nil
}

// CheckRun is what Rigger reads back of a check run it created.
type CheckRun struct {
	ID         int64
	Name       string
	ExternalID string
	Status     string
	CreatedAt  time.Time
}

// CheckRunsFor lists the check runs named name on ref (newest first, as GitHub lists them).
func (i *Installation) CheckRunsFor(ctx context.Context, owner, repo, ref, name string) ([]CheckRun, error) {
	res, _, err := i.gh.Checks.ListCheckRunsForRef(ctx, owner, repo, ref, &gh.ListCheckRunsOptions{
		CheckName: gh.String(name), Filter: gh.String("all"), ListOptions: gh.ListOptions{PerPage: 100}})
	if err != nil {
		return nil, fmt.Errorf("github: check runs %q of %s on %s/%s: %w", name, ref, owner, repo, err)
	}
	out := make([]CheckRun, 0, len(res.CheckRuns))
	for _, cr := range res.CheckRuns {
		// GitHub sets started_at to the creation time unless told otherwise; Rigger never
		// backdates it, so it is when the check run was made.
		out = append(out, CheckRun{ID: cr.GetID(), Name: cr.GetName(), ExternalID: cr.GetExternalID(), Status: cr.GetStatus(), CreatedAt: cr.GetStartedAt().Time})
	}
	return out, nil
}

// OrgMember tells whether user is a member of the organization org (false when org is a
// user, or GitHub will not say).
func (i *Installation) OrgMember(ctx context.Context, org, user string) (bool, error) {
	ok, resp, err := i.gh.Organizations.IsMember(ctx, org, user)
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden) {
			return false, nil
		}
		return false, fmt.Errorf("github: membership of %s in %s: %w", user, org, err)
	}
	return ok, nil
}
