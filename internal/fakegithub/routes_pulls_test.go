package fakegithub

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-github/v62/github"
)

func TestPullRequestShape(t *testing.T) {
	s := newServer(t, Options{})
	repo, pr := seedRepo(t, s)
	c := newClient(t, s, "")
	ctx := context.Background()
	got, _, err := c.PullRequests.Get(ctx, "acme", "widgets", pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	mainSHA, _ := repo.BranchSHA("main")
	if got.GetNumber() != pr.Number || got.GetHead().GetSHA() != pr.HeadSHA || got.GetHead().GetRef() != "feature/x" ||
		got.GetBase().GetRef() != "main" || got.GetBase().GetSHA() != mainSHA || got.GetUser().GetLogin() != "contributor" ||
		got.GetState() != "open" || got.GetDraft() || got.GetTitle() != "Add things" {
		t.Fatalf("pull request = %+v", got)
	}
	if len(got.Labels) != 1 || got.Labels[0].GetName() != "kind/feature" {
		t.Fatalf("labels = %v", got.Labels)
	}
	if got.GetHead().GetRepo().GetCloneURL() != repo.CloneURL() || got.GetBase().GetRepo().GetFullName() != "acme/widgets" {
		t.Fatalf("head repo = %+v", got.GetHead().GetRepo())
	}
	if got.GetAuthorAssociation() != "NONE" {
		t.Errorf("author_association = %s", got.GetAuthorAssociation())
	}

	newSHA, err := repo.PushToPullRequest(pr.Number, "more", map[string]string{"x.txt": "x"})
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ = c.PullRequests.Get(ctx, "acme", "widgets", pr.Number)
	if got.GetHead().GetSHA() != newSHA {
		t.Fatalf("head after push = %s, want %s", got.GetHead().GetSHA(), newSHA)
	}
	if p, _ := repo.PullRequest(pr.Number); p.PreviousSHA != pr.HeadSHA {
		t.Errorf("previous sha = %s, want %s", p.PreviousSHA, pr.HeadSHA)
	}

	if _, _, err := c.PullRequests.Get(ctx, "acme", "widgets", 99); err == nil {
		t.Error("missing pull request was found")
	}
}

func TestListPullsByState(t *testing.T) {
	s := newServer(t, Options{})
	repo, first := seedRepo(t, s)
	if err := repo.CreateBranch("second", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit("second", "two", map[string]string{"two.txt": "2"}); err != nil {
		t.Fatal(err)
	}
	second, err := repo.OpenPullRequest(PullRequestSpec{Head: "second", Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	mainBefore, _ := repo.BranchSHA("main")
	mergeSHA, err := repo.MergePullRequest(first.Number)
	if err != nil {
		t.Fatal(err)
	}
	if parents := gitOut(t, repo.Dir(), "", "show", "-s", "--format=%P", mergeSHA); parents != mainBefore+" "+first.HeadSHA {
		t.Fatalf("merge parents %q lack head %s", parents, first.HeadSHA)
	}
	if content, err := repo.ReadFile("main", "cmd/main.go"); err != nil || content != "package main\n" {
		t.Fatalf("main after merge: %q %v", content, err)
	}
	c := newClient(t, s, "")
	open, _, err := c.PullRequests.List(context.Background(), "acme", "widgets", &github.PullRequestListOptions{State: "open"})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].GetNumber() != second.Number || !open[0].GetDraft() {
		t.Fatalf("open = %v", open)
	}
	closed, _, _ := c.PullRequests.List(context.Background(), "acme", "widgets", &github.PullRequestListOptions{State: "closed"})
	if len(closed) != 1 || !closed[0].GetMerged() || closed[0].GetMergeCommitSHA() != mergeSHA {
		t.Fatalf("closed = %v", closed)
	}
}

func TestPullFilesPaginate(t *testing.T) {
	s := newServer(t, Options{})
	repo, pr := seedRepo(t, s)
	files := map[string]string{}
	for i := 0; i < 7; i++ {
		files[fmt.Sprintf("gen/f%d.txt", i)] = fmt.Sprint(i)
	}
	if _, err := repo.PushToPullRequest(pr.Number, "many", files); err != nil {
		t.Fatal(err)
	}
	// Commits landing on main after the fork must not show up in the PR.
	if _, err := repo.Commit("main", "unrelated", map[string]string{"main-only.txt": "m"}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s, "")
	opt := &github.ListOptions{PerPage: 4}
	seen := map[string]string{}
	pages := 0
	for {
		page, resp, err := c.PullRequests.ListFiles(context.Background(), "acme", "widgets", pr.Number, opt)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if pages == 1 && (resp.LastPage != 3 || resp.NextPage != 2) {
			t.Fatalf("first page links: next %d last %d (Link %q)", resp.NextPage, resp.LastPage, resp.Header.Get("Link"))
		}
		for _, f := range page {
			seen[f.GetFilename()] = f.GetStatus()
			if f.GetSHA() == "" && f.GetStatus() != "removed" {
				t.Errorf("%s has no sha", f.GetFilename())
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if pages != 3 || len(seen) != 11 {
		t.Fatalf("%d pages, files %v", pages, seen)
	}
	if seen["old/removed-later.txt"] != "removed" || seen["README.md"] != "modified" || seen["gen/f3.txt"] != "added" {
		t.Errorf("statuses = %v", seen)
	}
	if _, ok := seen["main-only.txt"]; ok {
		t.Error("base-only commit listed as a PR file")
	}
}
