package github

import (
	"context"
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
