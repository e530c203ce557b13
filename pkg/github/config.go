package github

import (
	"fmt"
	"github.com/rigger-ci/rigger/pkg/retry"
	"net/url"
	"strings"
	"time"
)

// DefaultAPIURL is github.com's REST API.
const DefaultAPIURL = "https://api.github.com/"

// Mode says how Rigger authenticates, and so how it reports: a GitHub App may write check
// runs, a personal access token only commit statuses.
type Mode string

const (
	ModeApp   Mode = "app"
	ModeToken Mode = "token"
)

// Config says where GitHub is and who Rigger is there. Set either Token, or AppID with
// PrivateKeyFile or PrivateKey; with both, the App wins.
type Config struct {
	// APIURL is the REST API's base, e.g. https://ghe.example.com/api/v3/ for GitHub
	// Enterprise or a test server's URL. Empty means DefaultAPIURL.
	APIURL string
	// Token is a personal access token.
	Token string
	// RunToken is, in token mode, the separate read-only token a run receives for git
	// credentials (see Client.RunToken).
	RunToken string
	// AppID and the App's PEM private key (from a file or given inline).
	AppID          int64
	PrivateKeyFile string
	PrivateKey     []byte
	// Retry bounds how hard Rigger insists when GitHub fails or rate-limits it.
	Retry RetryPolicy
}

// RetryPolicy bounds retries. Zero fields take the defaults of DefaultRetryPolicy.
type RetryPolicy struct {
	// MaxAttempts, when set, also bounds the tries (the first counts); tests use it to
	// count. Production leaves it to the deadline.
	MaxAttempts int
	// BaseDelay is the first backoff; each retry doubles it, up to MaxDelay, with jitter.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// RateLimitWait is how long to wait on a secondary rate limit that names no time
	// (GitHub asks for at least a minute).
	RateLimitWait time.Duration
	// Deadline is how long after the first try of a request the last may start. A rate
	// limit that asks for a longer wait than is left is returned to the caller at once, so
	// that it can requeue the work rather than hold a worker.
	Deadline time.Duration
}

// backoff is the policy's waits, as Rigger's other retries wait.
func (p RetryPolicy) backoff() retry.Policy {
	return retry.Policy{BaseDelay: p.BaseDelay, MaxDelay: p.MaxDelay, Deadline: p.Deadline}
}

// DefaultRetryPolicy is what production uses.
var DefaultRetryPolicy = RetryPolicy{
	BaseDelay:     500 * time.Millisecond,
	MaxDelay:      30 * time.Second,
	RateLimitWait: time.Minute,
	Deadline:      2 * time.Minute,
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	if p.MaxAttempts > 0 {
		d.MaxAttempts = p.MaxAttempts
	}
	if p.BaseDelay > 0 {
		d.BaseDelay = p.BaseDelay
	}
	if p.MaxDelay > 0 {
		d.MaxDelay = p.MaxDelay
	}
	if p.RateLimitWait > 0 {
		d.RateLimitWait = p.RateLimitWait
	}
	if p.Deadline > 0 {
		d.Deadline = p.Deadline
	}
	return d
}

// Mode tells which credentials the config carries.
func (c Config) Mode() (Mode, error) {
	switch {
	case c.AppID != 0:
		if c.PrivateKeyFile == "" && len(c.PrivateKey) == 0 {
			return "", fmt.Errorf("github: appID %d needs a private key (privateKeyFile)", c.AppID)
		}
		return ModeApp, nil
	case c.Token != "":
		return ModeToken, nil
	default:
		return "", fmt.Errorf("github: no credentials: set a token, or an appID with a private key")
	}
}

// apiBase parses APIURL and makes sure it ends in a slash, as go-github requires.
func (c Config) apiBase() (*url.URL, error) {
	raw := c.APIURL
	if raw == "" {
		raw = DefaultAPIURL
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("github: apiURL %q: %w", c.APIURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("github: apiURL %q: want an http(s) URL", c.APIURL)
	}
	return u, nil
}
