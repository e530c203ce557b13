package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/rigger-ci/rigger/pkg/definition"
)

// Checkout is the local directory `rigger run` and `rigger lint` work on: the directory
// holding .tekton/, and what git knows about it when it is a git working tree.
type Checkout struct {
	// Root is the directory holding .tekton/ (or the git top level when there is none).
	Root string
	// Git is false when git is not installed or Root is not in a git working tree.
	Git bool
	// Revision is HEAD's commit, or "local" without git.
	Revision string
	// Branch is the current branch; empty when detached or without git.
	Branch string
	// Owner and Name identify the repository: from the origin remote when it has one, else
	// "local" and the directory's name.
	Owner, Name string
	// URL is the repository's web address (from origin), else a file:// URL of Root.
	URL string
	// Sender is who runs: git's user.name, else $USER.
	Sender string
	// HeadMessage is HEAD's commit message, for [skip ci] markers.
	HeadMessage string
}

// FullName is "owner/name".
func (c *Checkout) FullName() string { return c.Owner + "/" + c.Name }

// OpenCheckout finds the checkout dir belongs to: the nearest directory at or above dir that
// holds .tekton/, else the nearest that holds .git.
func OpenCheckout(ctx context.Context, dir string) (*Checkout, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if info, err := os.Stat(abs); err != nil {
		return nil, err
	} else if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	root := findUp(abs, definition.Dir)
	if root == "" {
		root = findUp(abs, ".git")
	}
	if root == "" {
		return nil, fmt.Errorf("no %s/ directory in %s or above it", definition.Dir, abs)
	}
	c := &Checkout{Root: root, Revision: "local", Owner: "local", Name: filepath.Base(root),
		URL: (&url.URL{Scheme: "file", Path: filepath.ToSlash(root)}).String()}
	c.Sender = os.Getenv("USER")
	if sha, err := c.git(ctx, "rev-parse", "HEAD"); err == nil && sha != "" {
		c.Git, c.Revision = true, sha
	}
	if !c.Git {
		return c, nil
	}
	if b, err := c.git(ctx, "symbolic-ref", "--quiet", "--short", "HEAD"); err == nil {
		c.Branch = b
	}
	if name, err := c.git(ctx, "config", "user.name"); err == nil && name != "" {
		c.Sender = name
	}
	if msg, err := c.git(ctx, "log", "-1", "--format=%B"); err == nil {
		c.HeadMessage = msg
	}
	if origin, err := c.git(ctx, "remote", "get-url", "origin"); err == nil && origin != "" {
		if owner, name, web, ok := parseRemote(origin); ok {
			c.Owner, c.Name, c.URL = owner, name, web
		}
	}
	return c, nil
}

// ChangedFiles lists the files that differ between the target branch and the working tree:
// what the branch's commits change since it forked from target, and what is not committed
// yet, since a local run builds the working tree. Paths are relative to Root.
func (c *Checkout) ChangedFiles(ctx context.Context, target string) ([]string, error) {
	if !c.Git {
		return nil, errors.New("not a git checkout: pass --changed-files")
	}
	var base string
	for _, ref := range []string{target, "origin/" + target} {
		if b, err := c.git(ctx, "merge-base", ref, "HEAD"); err == nil && b != "" {
			base = b
			break
		}
	}
	if base == "" {
		return nil, fmt.Errorf("no branch %q (nor origin/%s) to compare with: pass --changed-files", target, target)
	}
	// --relative: paths relative to Root, and only those under it, as .tekton paths are.
	out, err := c.git(ctx, "diff", "--name-only", "--relative", base)
	if err != nil {
		return nil, err
	}
	untracked, err := c.git(ctx, "ls-files", "--others", "--exclude-standard")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var files []string
	for _, f := range strings.Split(out+"\n"+untracked, "\n") {
		if f = strings.TrimSpace(f); f != "" && !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	return files, nil
}

func (c *Checkout) git(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = c.Root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

func findUp(dir, marker string) string {
	for {
		if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// parseRemote reads owner, name and web address from a git remote: https://host/o/n(.git),
// git@host:o/n(.git) or ssh://git@host/o/n(.git).
func parseRemote(remote string) (owner, name, web string, ok bool) {
	host, path := "", ""
	if u, err := url.Parse(remote); err == nil && u.Host != "" {
		host, path = u.Hostname(), u.Path
	} else if at, rest, found := strings.Cut(remote, "@"); found && !strings.Contains(at, "/") {
		host, path, _ = strings.Cut(rest, ":")
	} else {
		return "", "", "", false
	}
	path = strings.TrimSuffix(strings.Trim(path, "/"), ".git")
	i := strings.LastIndex(path, "/")
	if host == "" || i <= 0 || i == len(path)-1 {
		return "", "", "", false
	}
	return path[:i], path[i+1:], "https://" + host + "/" + path, true
}
