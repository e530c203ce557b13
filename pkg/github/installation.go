package github

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v62/github"
)

// Installation speaks for Rigger in the repositories of one App installation (or, in
// token mode, wherever the token reaches). Every repository method lives here; the
// Client's methods of the same names find the right Installation by repository.
type Installation struct {
	id    int64
	gh    *gh.Client
	token func(ctx context.Context) (string, error)
	cond  conditional
}

// ID is the App installation's ID (0 in token mode).
func (i *Installation) ID() int64 { return i.id }

// Token is a short-lived installation token (in token mode, the token itself), to hand a
// run for cloning through git_auth_secret.
func (i *Installation) Token(ctx context.Context) (string, error) { return i.token(ctx) }

// Installation returns the cached handle of an App installation. In token mode the ID is
// ignored and the token's handle is returned.
func (c *Client) Installation(id int64) *Installation {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mode == ModeToken {
		id = 0
	}
	if inst, ok := c.installations[id]; ok {
		return inst
	}
	var inst *Installation
	if c.mode == ModeToken {
		inst = &Installation{gh: c.tokenClient, token: func(context.Context) (string, error) { return c.token, nil }}
	} else {
		// The transport caches the installation token and renews it before it expires.
		tr := ghinstallation.NewFromAppsTransport(c.apps, id)
		inst = &Installation{id: id, gh: c.goGitHub(tr), token: tr.Token}
	}
	c.installations[id] = inst
	return inst
}

// RememberInstallation records which installation covers a repository (webhook events
// carry it), sparing the lookup ForRepo would make.
func (c *Client) RememberInstallation(owner, repo string, id int64) {
	if id == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.repoInstalls[owner+"/"+repo] = id
}

// ForRepo returns the Installation covering owner/repo, asking GitHub once per repository
// when no webhook told us.
func (c *Client) ForRepo(ctx context.Context, owner, repo string) (*Installation, error) {
	if c.mode == ModeToken {
		return c.Installation(0), nil
	}
	c.mu.Lock()
	id, ok := c.repoInstalls[owner+"/"+repo]
	c.mu.Unlock()
	if !ok {
		inst, _, err := c.appClient.Apps.FindRepositoryInstallation(ctx, owner, repo)
		if err != nil {
			return nil, fmt.Errorf("github: finding the App installation of %s/%s: %w", owner, repo, err)
		}
		id = inst.GetID()
		c.RememberInstallation(owner, repo, id)
	}
	return c.Installation(id), nil
}

// InstallationToken is a short-lived token of an installation (the PAT in token mode).
func (c *Client) InstallationToken(ctx context.Context, installationID int64) (string, error) {
	tok, err := c.Installation(installationID).Token(ctx)
	if err != nil {
		return "", fmt.Errorf("github: token of installation %d: %w", installationID, err)
	}
	return tok, nil
}

// ErrNoRunToken says that token mode has no token a run may receive: Rigger's own token is
// never handed to a run, and github.gitAuthToken is not set.
var ErrNoRunToken = errors.New("github: no token for runs: in token mode {{ git_auth_secret }} needs github.gitAuthToken (RIGGER_GITHUB_GIT_AUTH_TOKEN), a read-only token of its own")

// RunToken is the token one run receives for git credentials: in App mode a fresh
// installation token that reaches only the repository owner/name and may only read its
// contents, never the token Rigger acts with; in token mode the separate read-only token
// of the configuration, or ErrNoRunToken.
func (c *Client) RunToken(ctx context.Context, installationID int64, owner, repo string) (string, error) {
	if c.mode == ModeToken {
		if c.runToken == "" {
			return "", ErrNoRunToken
		}
		return c.runToken, nil
	}
	if installationID == 0 {
		i, err := c.ForRepo(ctx, owner, repo)
		if err != nil {
			return "", err
		}
		installationID = i.ID()
	}
	tok, _, err := c.appClient.Apps.CreateInstallationToken(ctx, installationID, &gh.InstallationTokenOptions{
		Repositories: []string{repo},
		Permissions:  &gh.InstallationPermissions{Contents: gh.String("read")},
	})
	if err != nil {
		return "", fmt.Errorf("github: a token for a run of %s/%s: %w", owner, repo, err)
	}
	return tok.GetToken(), nil
}

// Login is who Rigger is on GitHub: the App's bot user ("<slug>[bot]") or the token's user.
// Asked once, then remembered.
func (c *Client) Login(ctx context.Context) (string, error) {
	c.mu.Lock()
	login := c.login
	c.mu.Unlock()
	if login != "" {
		return login, nil
	}
	if c.mode == ModeApp {
		app, _, err := c.appClient.Apps.Get(ctx, "")
		if err != nil {
			return "", fmt.Errorf("github: who the App is: %w", err)
		}
		login = app.GetSlug() + "[bot]"
	} else {
		u, _, err := c.tokenClient.Users.Get(ctx, "")
		if err != nil {
			return "", fmt.Errorf("github: who the token is: %w", err)
		}
		login = u.GetLogin()
	}
	c.mu.Lock()
	c.login = login
	c.mu.Unlock()
	return login, nil
}

func readKey(path string) ([]byte, error) {
	if path == "" {
		return nil, fmt.Errorf("github: no private key")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("github: reading private key: %w", err)
	}
	return b, nil
}
