package fakegithub

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
)

func TestTreeFromCommitAndTreeSHA(t *testing.T) {
	s := newServer(t, Options{})
	repo, pr := seedRepo(t, s)
	c := newClient(t, s, "")
	ctx := context.Background()

	wantTree := gitOut(t, repo.Dir(), "", "rev-parse", pr.HeadSHA+"^{tree}")
	byCommit, _, err := c.Git.GetTree(ctx, "acme", "widgets", pr.HeadSHA, true)
	if err != nil {
		t.Fatal(err)
	}
	if byCommit.GetSHA() != wantTree || byCommit.GetTruncated() {
		t.Fatalf("tree sha %s truncated %v, want %s", byCommit.GetSHA(), byCommit.GetTruncated(), wantTree)
	}
	byTree, _, err := c.Git.GetTree(ctx, "acme", "widgets", wantTree, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(byTree.Entries) != len(byCommit.Entries) {
		t.Fatalf("tree by sha has %d entries, by commit %d", len(byTree.Entries), len(byCommit.Entries))
	}
	entries := map[string]*github.TreeEntry{}
	for _, e := range byCommit.Entries {
		entries[e.GetPath()] = e
	}
	if _, ok := entries["old/removed-later.txt"]; ok {
		t.Error("deleted file still in tree")
	}
	if d := entries["docs/guide"]; d == nil || d.GetType() != "tree" || d.GetMode() != "040000" {
		t.Errorf("docs/guide entry = %+v, want a tree", d)
	}
	content := "kind: PipelineRun\nmetadata: {}\n"
	e := entries[".tekton/push.yaml"]
	wantBlob := gitOut(t, t.TempDir(), content, "hash-object", "--stdin")
	if e == nil || e.GetSHA() != wantBlob || e.GetSize() != len(content) || e.GetMode() != "100644" || e.GetType() != "blob" {
		t.Fatalf(".tekton/push.yaml entry = %+v, want blob %s size %d", e, wantBlob, len(content))
	}

	shallow, _, err := c.Git.GetTree(ctx, "acme", "widgets", pr.HeadSHA, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range shallow.Entries {
		if strings.Contains(e.GetPath(), "/") {
			t.Errorf("non-recursive tree lists nested %s", e.GetPath())
		}
	}

	_, resp, err := c.Git.GetTree(ctx, "acme", "widgets", strings.Repeat("ab", 20), true)
	if err == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown tree: err %v", err)
	}
}

func TestBlobAndContents(t *testing.T) {
	s := newServer(t, Options{})
	repo, pr := seedRepo(t, s)
	c := newClient(t, s, "")
	ctx := context.Background()
	// Long enough that GitHub's 60-column base64 wrapping shows up.
	long := strings.Repeat("step: go test ./...\n", 20)
	sha, err := repo.Commit("feature/x", "long file", map[string]string{".tekton/long.yaml": long})
	if err != nil {
		t.Fatal(err)
	}
	blobSHA := gitOut(t, t.TempDir(), long, "hash-object", "--stdin")

	blob, _, err := c.Git.GetBlob(ctx, "acme", "widgets", blobSHA)
	if err != nil {
		t.Fatal(err)
	}
	if blob.GetEncoding() != "base64" || blob.GetSize() != len(long) || blob.GetSHA() != blobSHA {
		t.Fatalf("blob = %+v", blob)
	}
	if !strings.Contains(blob.GetContent(), "\n") {
		t.Error("blob content is not wrapped like GitHub's")
	}
	decoded, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(blob.GetContent(), "\n", ""))
	if err != nil || string(decoded) != long {
		t.Fatalf("blob decodes to %q, %v", decoded, err)
	}
	raw, _, err := c.Git.GetBlobRaw(ctx, "acme", "widgets", blobSHA)
	if err != nil || string(raw) != long {
		t.Fatalf("raw blob = %q, %v", raw, err)
	}
	// A tree is not a blob.
	if _, resp, err := c.Git.GetBlob(ctx, "acme", "widgets", gitOut(t, repo.Dir(), "", "rev-parse", sha+"^{tree}")); err == nil || resp.StatusCode != 404 {
		t.Fatalf("tree as blob: %v", err)
	}

	file, dir, _, err := c.Repositories.GetContents(ctx, "acme", "widgets", ".tekton/long.yaml", &github.RepositoryContentGetOptions{Ref: sha})
	if err != nil || dir != nil {
		t.Fatal(err, dir)
	}
	got, err := file.GetContent()
	if err != nil || got != long || file.GetSHA() != blobSHA || file.GetType() != "file" {
		t.Fatalf("contents = %+v, %q, %v", file, got, err)
	}
	// At main the file does not exist; the default branch is used without ref.
	if _, _, resp, err := c.Repositories.GetContents(ctx, "acme", "widgets", ".tekton/long.yaml", nil); err == nil || resp.StatusCode != 404 {
		t.Fatalf("file on main: %v", err)
	}
	_, listing, _, err := c.Repositories.GetContents(ctx, "acme", "widgets", ".tekton", &github.RepositoryContentGetOptions{Ref: pr.HeadBranch})
	if err != nil || len(listing) != 3 {
		t.Fatalf(".tekton listing = %d entries, %v", len(listing), err)
	}
}

func TestGetCommit(t *testing.T) {
	s := newServer(t, Options{})
	repo, pr := seedRepo(t, s)
	c := newClient(t, s, "")
	commit, _, err := c.Repositories.GetCommit(context.Background(), "acme", "widgets", pr.HeadSHA, nil)
	if err != nil {
		t.Fatal(err)
	}
	if commit.GetSHA() != pr.HeadSHA || commit.GetCommit().GetMessage() != "Change things\n\nWith a body." {
		t.Fatalf("commit %s message %q", commit.GetSHA(), commit.GetCommit().GetMessage())
	}
	mainSHA, _ := repo.BranchSHA("main")
	if len(commit.Parents) != 1 || commit.Parents[0].GetSHA() != mainSHA {
		t.Fatalf("parents = %v, want %s", commit.Parents, mainSHA)
	}
	status := map[string]string{}
	for _, f := range commit.Files {
		status[f.GetFilename()] = f.GetStatus()
	}
	want := map[string]string{"README.md": "modified", "cmd/main.go": "added", ".tekton/push.yaml": "added", "old/removed-later.txt": "removed"}
	for k, v := range want {
		if status[k] != v {
			t.Errorf("%s: status %q, want %q (all: %v)", k, status[k], v, status)
		}
	}
	if len(status) != len(want) {
		t.Errorf("files = %v", status)
	}
	// A branch name works as the ref too, slash and all.
	byBranch, _, err := c.Repositories.GetCommit(context.Background(), "acme", "widgets", "feature/x", nil)
	if err != nil || byBranch.GetSHA() != pr.HeadSHA {
		t.Fatalf("by branch: %v %v", byBranch.GetSHA(), err)
	}
	if _, resp, err := c.Repositories.GetCommit(context.Background(), "acme", "widgets", "--output=x", nil); err == nil || resp.StatusCode != 422 {
		t.Fatalf("option-like ref: %v", err)
	}
}
