package fakegithub

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-github/v62/github"
)

func TestCommentsReactionsLabels(t *testing.T) {
	s := newServer(t, Options{Tokens: map[string]string{"bot-token": "rigger[bot]"}})
	_, pr := seedRepo(t, s)
	c := newClient(t, s, "bot-token")
	ctx := context.Background()
	if _, err := s.AddComment("acme/widgets", pr.Number, "contributor", "/test"); err != nil {
		t.Fatal(err)
	}
	mine, resp, err := c.Issues.CreateComment(ctx, "acme", "widgets", pr.Number, &github.IssueComment{Body: github.String("Rigger started 2 pipelines")})
	if err != nil || resp.StatusCode != http.StatusCreated || mine.GetUser().GetLogin() != "rigger[bot]" || mine.GetUser().GetType() != "Bot" {
		t.Fatalf("create = %+v, %v", mine, err)
	}
	if _, _, err := c.Issues.EditComment(ctx, "acme", "widgets", mine.GetID(), &github.IssueComment{Body: github.String("edited")}); err != nil {
		t.Fatal(err)
	}
	list, _, err := c.Issues.ListComments(ctx, "acme", "widgets", pr.Number, nil)
	if err != nil || len(list) != 2 || list[0].GetBody() != "/test" || list[1].GetBody() != "edited" {
		t.Fatalf("list = %v, %v", list, err)
	}
	if _, _, err := c.Reactions.CreateIssueCommentReaction(ctx, "acme", "widgets", list[0].GetID(), "eyes"); err != nil {
		t.Fatal(err)
	}
	if _, resp, err := c.Reactions.CreateIssueCommentReaction(ctx, "acme", "widgets", list[0].GetID(), "smile"); err == nil || resp.StatusCode != 422 {
		t.Fatalf("bad reaction: %v", err)
	}
	comments := s.Comments("acme/widgets", pr.Number)
	if len(comments) != 2 || comments[0].Reactions[0] != "eyes" || comments[1].Edits != 1 || comments[1].User != "rigger[bot]" {
		t.Fatalf("Comments = %+v", comments)
	}
	if _, _, err := c.Issues.CreateComment(ctx, "acme", "widgets", 77, &github.IssueComment{Body: github.String("x")}); err == nil {
		t.Fatal("comment on a missing issue succeeded")
	}

	labels, _, err := c.Issues.AddLabelsToIssue(ctx, "acme", "widgets", pr.Number, []string{"lgtm", "approved"})
	if err != nil || len(labels) != 3 {
		t.Fatalf("add labels = %v, %v", labels, err)
	}
	if _, err := c.Issues.RemoveLabelForIssue(ctx, "acme", "widgets", pr.Number, "lgtm"); err != nil {
		t.Fatal(err)
	}
	if resp, err := c.Issues.RemoveLabelForIssue(ctx, "acme", "widgets", pr.Number, "lgtm"); err == nil || resp.StatusCode != 404 {
		t.Fatalf("removing an absent label: %v", err)
	}
	if got := s.Labels("acme/widgets", pr.Number); len(got) != 2 || got[1] != "approved" {
		t.Fatalf("Labels = %v", got)
	}
	if _, err := c.Issues.RemoveLabelsForIssue(ctx, "acme", "widgets", pr.Number); err != nil {
		t.Fatal(err)
	}
	if got := s.Labels("acme/widgets", pr.Number); len(got) != 0 {
		t.Fatalf("labels after removing all = %v", got)
	}
}

func TestPermissionsAndMembership(t *testing.T) {
	s := newServer(t, Options{})
	seedRepo(t, s)
	c := newClient(t, s, "")
	ctx := context.Background()
	if err := s.SetPermission("acme/widgets", "maintainer", "write"); err != nil {
		t.Fatal(err)
	}
	s.SetOrgMember("acme", "colleague")
	for user, want := range map[string]string{"maintainer": "write", "stranger": "none", "acme": "admin"} {
		p, _, err := c.Repositories.GetPermissionLevel(ctx, "acme", "widgets", user)
		if err != nil || p.GetPermission() != want || p.GetUser().GetLogin() != user {
			t.Errorf("%s: permission %+v, %v; want %s", user, p, err, want)
		}
	}
	if ok, _, err := c.Organizations.IsMember(ctx, "acme", "colleague"); err != nil || !ok {
		t.Errorf("colleague: member %v, %v", ok, err)
	}
	if ok, _, err := c.Organizations.IsMember(ctx, "acme", "stranger"); err != nil || ok {
		t.Errorf("stranger: member %v, %v", ok, err)
	}
}
