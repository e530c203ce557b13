// Package github is Rigger's GitHub client: App or token authentication, one cached
// go-github client per App installation, retries with backoff that honour GitHub's rate
// limits, and a count of every API call by route.
package github

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v62/github"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Client talks to one GitHub (github.com or an Enterprise server) as one identity.
// It is safe for concurrent use.
type Client struct {
	mode      Mode
	base      *url.URL
	log       *zap.Logger
	m         *metrics
	transport http.RoundTripper // retrying, metered; shared by every installation

	token       string     // token mode
	runToken    string     // token mode: the read-only token runs receive
	tokenClient *gh.Client // token mode

	apps      *ghinstallation.AppsTransport // app mode: signs JWTs
	appClient *gh.Client                    // app mode: speaks as the App itself

	mu            sync.Mutex
	installations map[int64]*Installation
	repoInstalls  map[string]int64 // "owner/repo" -> installation ID
	login         string           // who Rigger is, once asked
}

// New builds a client. reg may be nil (no metrics registered); logger may be nil.
func New(cfg Config, logger *zap.Logger, reg prometheus.Registerer) (*Client, error) {
	mode, err := cfg.Mode()
	if err != nil {
		return nil, err
	}
	base, err := cfg.apiBase()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("github: registering metrics: %w", err)
	}
	var wire http.RoundTripper = http.DefaultTransport
	if t, ok := wire.(*http.Transport); ok {
		t = t.Clone()
		// A GitHub that accepts the connection but never answers must not hang a worker.
		t.ResponseHeaderTimeout = 30 * time.Second
		// Over HTTP/2 (github.com) a burst shares one connection. Over HTTP/1.1 (a GitHub
		// Enterprise Server behind a proxy that speaks no HTTP/2) each of a burst's
		// concurrent requests holds a connection of its own, and the default of two idle
		// ones per host closed the rest after each request, so the next burst dialled (and
		// shook hands) again for every call. As many as GitHub lets run at once stay open.
		t.MaxIdleConnsPerHost = 100
		wire = t
	}
	c := &Client{
		mode: mode,
		base: base,
		log:  logger.Named("github"),
		m:    m,
		transport: &retryTransport{
			next:     &meteredTransport{next: wire, basePath: base.Path, m: m},
			basePath: base.Path,
			policy:   cfg.Retry.withDefaults(),
			log:      logger.Named("github"),
			m:        m,
			now:      time.Now,
		},
		installations: map[int64]*Installation{},
		repoInstalls:  map[string]int64{},
	}
	if mode == ModeToken {
		c.token, c.runToken = cfg.Token, cfg.RunToken
		c.tokenClient = c.goGitHub(c.transport).WithAuthToken(cfg.Token)
		return c, nil
	}
	key := cfg.PrivateKey
	if len(key) == 0 {
		// Read here rather than in ghinstallation so a bad path fails at start with its name.
		if key, err = readKey(cfg.PrivateKeyFile); err != nil {
			return nil, err
		}
	}
	if c.apps, err = ghinstallation.NewAppsTransport(c.transport, cfg.AppID, key); err != nil {
		return nil, fmt.Errorf("github: app %d private key: %w", cfg.AppID, err)
	}
	c.apps.BaseURL = strings.TrimSuffix(base.String(), "/")
	c.appClient = c.goGitHub(c.apps)
	return c, nil
}

func (c *Client) goGitHub(rt http.RoundTripper) *gh.Client {
	g := gh.NewClient(&http.Client{Transport: rt})
	g.BaseURL = c.base
	g.UploadURL = c.base
	g.UserAgent = "rigger"
	return g
}

// Mode tells whether Rigger is a GitHub App (check runs) or uses a token (statuses).
func (c *Client) Mode() Mode { return c.mode }

// Calls is how many requests Rigger has sent to GitHub, retries included.
func (c *Client) Calls() int64 { return c.m.total.Load() }

// Check proves the credentials work, for /readyz: GET /app as the App, or GET /rate_limit
// with the token.
func (c *Client) Check(ctx context.Context) error {
	var err error
	if c.mode == ModeApp {
		_, _, err = c.appClient.Apps.Get(ctx, "")
	} else {
		_, _, err = c.tokenClient.RateLimit.Get(ctx)
	}
	if err != nil {
		return fmt.Errorf("github: credentials check: %w", err)
	}
	return nil
}
