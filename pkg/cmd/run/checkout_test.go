package run

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestParseRemote(t *testing.T) {
	for remote, want := range map[string][3]string{
		"https://github.com/rigger-ci/rigger.git":        {"rigger-ci", "rigger", "https://github.com/rigger-ci/rigger"},
		"https://github.com/rigger-ci/rigger":            {"rigger-ci", "rigger", "https://github.com/rigger-ci/rigger"},
		"git@github.com:octo/hello.git":                  {"octo", "hello", "https://github.com/octo/hello"},
		"ssh://git@ghe.example.test:2222/team/app.git":   {"team", "app", "https://ghe.example.test/team/app"},
		"https://user:token@github.com/octo/private.git": {"octo", "private", "https://github.com/octo/private"},
	} {
		owner, name, web, ok := parseRemote(remote)
		if !ok || [3]string{owner, name, web} != want {
			t.Errorf("parseRemote(%q) = %q %q %q %v, want %q", remote, owner, name, web, ok, want)
		}
	}
	for _, bad := range []string{"/srv/git/repo", "https://github.com/onlyowner", "file:///tmp/x"} {
		if _, _, _, ok := parseRemote(bad); ok {
			t.Errorf("parseRemote(%q) ok, want not", bad)
		}
	}
}

func TestCheckoutReadsOrigin(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"init", "--quiet", "--initial-branch=trunk"},
		{"config", "user.name", "Grace"},
		{"remote", "add", "origin", "git@github.com:octo/hello.git"},
		{"-c", "user.email=g@example.test", "-c", "commit.gpgsign=false", "commit", "--quiet", "--allow-empty", "-m", "first [skip ci]"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	c, err := OpenCheckout(context.Background(), filepath.Join(dir, "."))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Git || len(c.Revision) != 40 || c.Branch != "trunk" || c.FullName() != "octo/hello" ||
		c.URL != "https://github.com/octo/hello" || c.Sender != "Grace" || c.HeadMessage != "first [skip ci]" {
		t.Errorf("checkout %+v", c)
	}
}

func TestParseParamsLastValueWins(t *testing.T) {
	ps, err := ParseParams([]string{"a=1", "b=x=y", "a=2"})
	if err != nil || len(ps) != 2 || ps[0] != (Param{"a", "2"}) || ps[1] != (Param{"b", "x=y"}) {
		t.Errorf("params %v", ps)
	}
}
