package fakegithub

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCloneAndCheckoutPullRequestHead(t *testing.T) {
	s := newServer(t, Options{Tokens: map[string]string{"t": "u"}})
	repo, pr := seedRepo(t, s)
	dir := filepath.Join(t.TempDir(), "clone")
	gitOut(t, "", "", "clone", "--quiet", repo.CloneURL(), dir)
	if b, err := os.ReadFile(filepath.Join(dir, "README.md")); err != nil || string(b) != "# widgets\n" {
		t.Fatalf("README on main = %q, %v", b, err)
	}
	// The way CI clones a PR: fetch exactly the head SHA, then check it out.
	gitOut(t, dir, "", "fetch", "--quiet", "origin", pr.HeadSHA)
	gitOut(t, dir, "", "-c", "advice.detachedHead=false", "checkout", "--quiet", pr.HeadSHA)
	if got := gitOut(t, dir, "", "rev-parse", "HEAD"); got != pr.HeadSHA {
		t.Fatalf("HEAD = %s, want %s", got, pr.HeadSHA)
	}
	if _, err := os.Stat(filepath.Join(dir, "cmd/main.go")); err != nil {
		t.Fatal(err)
	}
	gitOut(t, dir, "", "fetch", "--quiet", "origin", "pull/1/head:pr1")
	if got := gitOut(t, dir, "", "rev-parse", "pr1"); got != pr.HeadSHA {
		t.Fatalf("pull/1/head = %s", got)
	}
	if len(s.Calls()) != 0 {
		t.Errorf("git traffic was recorded as API calls: %v", s.Calls())
	}
	// Unknown repositories and pushes are refused.
	cmd := []string{"ls-remote", s.URL() + "/git/acme/nope.git"}
	if out, err := runGit(t.TempDir(), nil, nil, cmd...); err == nil {
		t.Fatalf("ls-remote of a missing repo worked: %s", out)
	}
	gitOut(t, dir, "", "-c", "user.name=x", "-c", "user.email=x@x", "commit", "--quiet", "--allow-empty", "-m", "x")
	if _, err := runGit(dir, nil, nil, "push", "origin", "HEAD:refs/heads/evil"); err == nil {
		t.Fatal("push over HTTP was accepted")
	}
}

func TestWebAddressClonesLikeGitHub(t *testing.T) {
	s := newServer(t, Options{Tokens: map[string]string{"t": "u"}})
	repo, pr := seedRepo(t, s)
	for _, url := range []string{repo.HTMLURL(), repo.HTMLURL() + ".git"} {
		dir := filepath.Join(t.TempDir(), "clone")
		gitOut(t, "", "", "clone", "--quiet", url, dir)
		gitOut(t, dir, "", "fetch", "--quiet", "origin", pr.HeadSHA)
		if got := gitOut(t, dir, "", "rev-parse", "FETCH_HEAD"); got != pr.HeadSHA {
			t.Fatalf("clone of %s: FETCH_HEAD = %s, want %s", url, got, pr.HeadSHA)
		}
	}
	if len(s.Calls()) != 0 {
		t.Errorf("git traffic was recorded as API calls: %v", s.Calls())
	}
}
