// Package fakegithub is a GitHub for Rigger's tests: real git repositories
// on disk behind the REST endpoints go-github calls, with GitHub's JSON
// shapes, headers, errors and rate limits, a git HTTP server to clone from,
// and signed webhooks built from real payloads. It records every call so a
// test can assert on what Rigger did, and can be told to fail the next calls
// to a route so retry paths are tested against the responses GitHub sends.
package fakegithub

import (
	"context"
	"crypto/rsa"
	"errors"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// App configures the GitHub App the fake accepts JWTs for.
type App struct {
	ID             int64
	Slug           string // "rigger" when empty; installation tokens act as "<slug>[bot]"
	PublicKey      *rsa.PublicKey
	InstallationID int64 // 1 when zero
}

// Options configure a Server. The zero value is a server without auth.
type Options struct {
	// Dir holds the bare repositories; a new temporary directory, removed by
	// Close, when empty.
	Dir string
	// Tokens maps accepted tokens to the login they act as. When it is
	// non-empty or App is set, API calls without a valid token get 401.
	Tokens map[string]string
	// App, when set, enables the App endpoints and JWT checks.
	App *App
	// RateLimit is the hourly core limit reported and enforced (5000).
	RateLimit int
	// FixtureDir holds the webhook payloads, <event>/<action>.payload.json;
	// the repository's testdata/github-webhooks when empty.
	FixtureDir string
	// PublicURL overrides URL(), for a server listening on a wildcard address.
	PublicURL string
	// Login is who unauthenticated calls act as when auth is off ("rigger-bot").
	Login string
}

// Server is the fake GitHub. It is an http.Handler; Start serves it on an
// address. All methods are safe for concurrent use.
type Server struct {
	opts    Options
	dir     string
	ownsDir bool
	mux     *http.ServeMux
	client  *http.Client // sends webhooks

	url atomic.Pointer[string] // read under other locks, so not under mu

	mu          sync.Mutex
	httpServer  *http.Server
	testServer  *httptest.Server
	lastID      int64
	repos       map[string]*Repo
	state       map[*Repo]*repoState
	calls       []Call
	faults      map[string][]Fault
	windows     []window
	tokens      map[string]token
	authOn      bool
	orgMembers  map[string]map[string]bool
	teamMembers map[string]map[string]bool // "org/slug" -> logins
	rate        rateWindow
	deliveries  map[string]*Delivery // first delivery of each ID
	deliveryLog []*Delivery
}

// webhookTransport is the webhook sender's: a benchmark's dozens of concurrent deliveries
// reuse their connections rather than dial one each (Go keeps 2 idle per host by default),
// so the dials, which are the sender's cost and not the receiver's, do not load the machine
// the receiver is measured on.
func webhookTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 256
	return t
}

// New makes a Server. Close it to stop serving and remove its repositories.
func New(opts Options) (*Server, error) {
	s := &Server{
		opts:        opts,
		dir:         opts.Dir,
		mux:         http.NewServeMux(),
		client:      &http.Client{Timeout: 30 * time.Second, Transport: webhookTransport()},
		lastID:      1000,
		repos:       map[string]*Repo{},
		state:       map[*Repo]*repoState{},
		faults:      map[string][]Fault{},
		tokens:      map[string]token{},
		orgMembers:  map[string]map[string]bool{},
		teamMembers: map[string]map[string]bool{},
		deliveries:  map[string]*Delivery{},
	}
	if s.opts.RateLimit <= 0 {
		s.opts.RateLimit = 5000
	}
	if s.opts.Login == "" {
		s.opts.Login = "rigger-bot"
	}
	if a := s.opts.App; a != nil {
		app := *a
		if app.Slug == "" {
			app.Slug = "rigger"
		}
		if app.InstallationID == 0 {
			app.InstallationID = 1
		}
		s.opts.App = &app
		s.authOn = true
	}
	for t, login := range opts.Tokens {
		s.tokens[t] = token{login: login}
		s.authOn = true
	}
	s.rate = rateWindow{limit: s.opts.RateLimit, reset: time.Now().Add(time.Hour)}
	if s.dir == "" {
		d, err := os.MkdirTemp("", "fakegithub-")
		if err != nil {
			return nil, err
		}
		s.dir, s.ownsDir = d, true
	}
	s.SetURL(opts.PublicURL)
	s.routes()
	return s, nil
}

// Start serves on addr ("127.0.0.1:0" picks a free port) until Close.
func (s *Server) Start(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	if s.URL() == "" {
		s.SetURL("http://" + l.Addr().String())
	}
	s.mu.Lock()
	s.httpServer = srv
	s.mu.Unlock()
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("fakegithub: serve: %v", err)
		}
	}()
	return nil
}

// StartHTTPTest serves the fake from an httptest.Server on loopback.
func (s *Server) StartHTTPTest() *httptest.Server {
	ts := httptest.NewServer(s)
	if s.URL() == "" {
		s.SetURL(ts.URL)
	}
	s.mu.Lock()
	s.testServer = ts
	s.mu.Unlock()
	return ts
}

// SetURL sets the address the fake reports in URLs, for callers that serve
// it themselves.
func (s *Server) SetURL(u string) {
	u = strings.TrimRight(u, "/")
	s.url.Store(&u)
}

// URL is the server's base URL, like "http://127.0.0.1:41234".
func (s *Server) URL() string {
	if u := s.url.Load(); u != nil {
		return *u
	}
	return ""
}

// APIURL is the base URL for a go-github client (with the trailing slash).
func (s *Server) APIURL() string { return s.URL() + "/" }

// Close stops serving and removes the repositories the server created.
func (s *Server) Close() error {
	s.mu.Lock()
	srv, ts := s.httpServer, s.testServer
	s.httpServer, s.testServer = nil, nil
	s.mu.Unlock()
	s.client.CloseIdleConnections()
	var err error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(ctx)
		cancel()
	}
	if ts != nil {
		ts.Close()
	}
	if s.ownsDir {
		if rmErr := os.RemoveAll(s.dir); err == nil {
			err = rmErr
		}
	}
	return err
}

func (s *Server) newID() int64 {
	s.lastID++
	return s.lastID
}

// logf reports problems that have no caller to return to.
func (s *Server) logf(format string, args ...any) { log.Printf(format, args...) }
