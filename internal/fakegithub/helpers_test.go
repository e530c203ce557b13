package fakegithub

import (
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
)

// newServer starts a fake on loopback, closed when the test ends.
func newServer(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newClient is a real go-github client pointed at the fake.
func newClient(t *testing.T, s *Server, token string) *github.Client {
	t.Helper()
	c := github.NewClient(nil)
	if token != "" {
		c = c.WithAuthToken(token)
	}
	return withBase(t, s, c)
}

// withBase points c at the fake.
func withBase(t *testing.T, s *Server, c *github.Client) *github.Client {
	t.Helper()
	u, err := url.Parse(s.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

// seedRepo makes acme/widgets with a main branch and a feature branch that
// adds, changes and removes files, and a pull request from it.
func seedRepo(t *testing.T, s *Server) (*Repo, PullRequest) {
	t.Helper()
	repo, err := s.CreateRepo("acme/widgets", "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit("main", "Initial commit", map[string]string{
		"README.md":             "# widgets\n",
		"go.mod":                "module example.com/widgets\n",
		".tekton/pull.yaml":     "kind: PipelineRun\n",
		"docs/guide/intro.md":   "intro\n",
		"old/removed-later.txt": "bye\n",
	}); err != nil {
		t.Fatal(err)
	}
	if err := repo.CreateBranch("feature/x", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit("feature/x", "Change things\n\nWith a body.", map[string]string{
		"README.md":         "# widgets\n\nNow with more.\n",
		"cmd/main.go":       "package main\n",
		".tekton/push.yaml": "kind: PipelineRun\nmetadata: {}\n",
	}, "old/removed-later.txt"); err != nil {
		t.Fatal(err)
	}
	pr, err := repo.OpenPullRequest(PullRequestSpec{Title: "Add things", Head: "feature/x", Author: "contributor", Labels: []string{"kind/feature"}})
	if err != nil {
		t.Fatal(err)
	}
	return repo, pr
}

// gitOut runs git in dir for checks made independently of the fake.
func gitOut(t *testing.T, dir string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}
