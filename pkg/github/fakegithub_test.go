package github_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/github"
)

// TestAgainstFakeGitHub drives every read and write Rigger makes through App auth
// against the fake GitHub's real git repository.
func TestAgainstFakeGitHub(t *testing.T) {
	key, pemBytes, err := fakegithub.NewAppKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := fakegithub.New(fakegithub.Options{App: &fakegithub.App{ID: 7, PublicKey: &key.PublicKey, InstallationID: 42}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	repo, err := s.CreateRepo("acme/widgets", "main")
	if err != nil {
		t.Fatal(err)
	}
	pipeline := "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata:\n  name: pull-request\n"
	if _, err := repo.Commit("main", "Initial", map[string]string{"README.md": "hi\n", ".tekton/pull-request.yaml": pipeline}); err != nil {
		t.Fatal(err)
	}
	if err := repo.CreateBranch("feature", "main"); err != nil {
		t.Fatal(err)
	}
	head, err := repo.Commit("feature", "Change", map[string]string{"src/a.go": "package a\n"}, "README.md")
	if err != nil {
		t.Fatal(err)
	}
	pr, err := repo.OpenPullRequest(fakegithub.PullRequestSpec{Title: "Change", Head: "feature"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPermission("acme/widgets", "octocat", "write"); err != nil {
		t.Fatal(err)
	}

	c, err := github.New(github.Config{
		APIURL:     s.APIURL(),
		AppID:      7,
		PrivateKey: pemBytes,
		Retry:      github.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The fake serves no GET /app yet, so Check is tested in client_test.go.
	ctx := context.Background()

	tree, err := c.Tree(ctx, "acme", "widgets", head)
	if err != nil {
		t.Fatal(err)
	}
	var blobSHA string
	var paths []string
	for _, e := range tree {
		paths = append(paths, e.Path)
		if e.Path == ".tekton/pull-request.yaml" {
			blobSHA = e.SHA
			if e.Type != "blob" {
				t.Errorf("entry %+v is not a blob", e)
			}
		}
	}
	if !slices.Contains(paths, ".tekton") || !slices.Contains(paths, "src/a.go") || slices.Contains(paths, "README.md") {
		t.Errorf("tree paths = %v", paths)
	}
	content, err := c.Blob(ctx, "acme", "widgets", blobSHA)
	if err != nil || string(content) != pipeline {
		t.Errorf("blob = %q, %v", content, err)
	}

	changed, err := c.PullRequestFiles(ctx, "acme", "widgets", pr.Number)
	var files []string
	for _, f := range changed {
		files = append(files, f.Path)
	}
	slices.Sort(files)
	if err != nil || !slices.Equal(files, []string{"README.md", "src/a.go"}) {
		t.Errorf("pull request files = %v, %v", files, err)
	}
	got, err := c.GetPullRequest(ctx, "acme", "widgets", pr.Number)
	if err != nil || got.GetHead().GetSHA() != head {
		t.Errorf("pull request head = %q, %v; want %s", got.GetHead().GetSHA(), err, head)
	}
	for user, want := range map[string]string{"octocat": "write", "stranger": "none"} {
		if perm, err := c.CollaboratorPermission(ctx, "acme", "widgets", user); err != nil || perm != want {
			t.Errorf("permission of %s = %q, %v; want %s", user, perm, err, want)
		}
	}

	id, err := c.CreateComment(ctx, "acme", "widgets", pr.Number, "Rigger started 1 pipeline")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EditComment(ctx, "acme", "widgets", id, "Rigger finished 1 pipeline"); err != nil {
		t.Fatal(err)
	}
	if cs := s.Comments("acme/widgets", pr.Number); len(cs) != 1 || cs[0].Body != "Rigger finished 1 pipeline" {
		t.Errorf("comments = %+v", cs)
	}

	tok, err := c.InstallationToken(ctx, 42)
	if err != nil || !slices.Contains(s.InstallationTokens(), tok) {
		t.Errorf("installation token %q (%v) is not one the fake issued: %v", tok, err, s.InstallationTokens())
	}
	if n := s.Count("POST /app/installations/{id}/access_tokens"); n != 1 {
		t.Errorf("installation token fetched %d times, want 1 (cached)", n)
	}
	if n := s.Count("GET /repos/{owner}/{repo}/installation"); n != 1 {
		t.Errorf("installation looked up %d times, want 1 (cached)", n)
	}
	if int(c.Calls()) != len(s.Calls()) {
		t.Errorf("Calls() = %d, the fake saw %d", c.Calls(), len(s.Calls()))
	}
}
