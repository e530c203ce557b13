package fakegithub

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// installationTokenTTL is how long GitHub's installation tokens live.
const installationTokenTTL = time.Hour

type token struct {
	login        string
	expires      time.Time // zero: never
	installation bool
	// repositories and permissions narrow an installation token when its creator asked.
	repositories []string
	permissions  map[string]string
}

// TokenScope is what an installation token was asked for: the repositories it reaches
// (none: every repository of the installation) and its permissions. ok is false for a
// token the fake did not issue.
func (s *Server) TokenScope(tok string) (repositories []string, permissions map[string]string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tok]
	if !ok || !t.installation {
		return nil, nil, false
	}
	perms := map[string]string{}
	for k, v := range t.permissions {
		perms[k] = v
	}
	if len(perms) == 0 {
		for k, v := range installationPermissions() {
			perms[k], _ = v.(string)
		}
	}
	return append([]string(nil), t.repositories...), perms, true
}

// AddToken makes tok valid for API calls as login, and turns auth on.
func (s *Server) AddToken(tok, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = token{login: login}
	s.authOn = true
}

// ExpireInstallationTokens makes every issued installation token expired,
// so a test can see the client fetch a new one.
func (s *Server) ExpireInstallationTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.tokens {
		if t.installation {
			t.expires = time.Now().Add(-time.Second)
			s.tokens[k] = t
		}
	}
}

// InstallationTokens returns the tokens issued so far.
func (s *Server) InstallationTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, t := range s.tokens {
		if t.installation {
			out = append(out, k)
		}
	}
	return out
}

func (s *Server) installationID() int64 {
	if s.opts.App != nil {
		return s.opts.App.InstallationID
	}
	return 0
}

func isAppRoute(route string) bool {
	return strings.Contains(route, " /app/") || strings.HasSuffix(route, " /app") ||
		route == "GET /repos/{owner}/{repo}/installation"
}

// authenticate checks the Authorization header the way GitHub does for the
// route and answers 401 itself when it fails.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, route string) (string, bool) {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	scheme = strings.ToLower(scheme)
	if isAppRoute(route) && s.opts.App != nil {
		if scheme != "bearer" || cred == "" {
			writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
			return "", false
		}
		if msg := s.verifyAppJWT(cred); msg != "" {
			writeError(w, http.StatusUnauthorized, msg)
			return "", false
		}
		return s.opts.App.Slug, true
	}
	s.mu.Lock()
	authOn := s.authOn
	t, known := s.tokens[cred]
	s.mu.Unlock()
	if !authOn {
		return s.opts.Login, true
	}
	if scheme == "" && route == "GET /rate_limit" {
		return "", true
	}
	if scheme == "" {
		writeError(w, http.StatusUnauthorized, "Requires authentication")
		return "", false
	}
	if (scheme != "token" && scheme != "bearer") || !known ||
		(!t.expires.IsZero() && time.Now().After(t.expires)) {
		writeError(w, http.StatusUnauthorized, "Bad credentials")
		return "", false
	}
	return t.login, true
}

// verifyAppJWT checks an App JWT as GitHub does: RS256 by the App's key,
// iss the App ID, and an expiry at most ten minutes ahead. It returns the
// error message, or "" when the token is good.
func (s *Server) verifyAppJWT(raw string) string {
	app := s.opts.App
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return app.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithLeeway(30*time.Second))
	if err != nil {
		return "A JSON web token could not be decoded"
	}
	exp, _ := claims.GetExpirationTime()
	if exp == nil || time.Until(exp.Time) > 10*time.Minute+30*time.Second {
		return "'Expiration time' claim ('exp') is too far in the future"
	}
	var iss string
	switch v := claims["iss"].(type) {
	case string:
		iss = v
	case float64:
		iss = strconv.FormatInt(int64(v), 10)
	}
	if iss != strconv.FormatInt(app.ID, 10) {
		return "'Issuer' claim ('iss') must be an Integer"
	}
	return ""
}

func (s *Server) installationJSON() obj {
	app := s.opts.App
	return obj{
		"id":                   app.InstallationID,
		"app_id":               app.ID,
		"app_slug":             app.Slug,
		"target_type":          "Organization",
		"account":              userJSON(s.URL(), "rigger-ci"),
		"access_tokens_url":    fmt.Sprintf("%s/app/installations/%d/access_tokens", s.URL(), app.InstallationID),
		"repositories_url":     s.URL() + "/installation/repositories",
		"html_url":             fmt.Sprintf("%s/settings/installations/%d", s.URL(), app.InstallationID),
		"repository_selection": "all",
		"permissions":          installationPermissions(),
		"events":               []string{"check_run", "check_suite", "issue_comment", "pull_request", "push"},
		"created_at":           "2024-01-01T00:00:00Z",
		"updated_at":           "2024-01-01T00:00:00Z",
		"single_file_name":     nil,
		"suspended_at":         nil,
	}
}

func installationPermissions() obj {
	return obj{"checks": "write", "contents": "read", "issues": "write", "metadata": "read",
		"members": "read", "pull_requests": "write", "statuses": "write"}
}

// getApp is GET /app: the App the JWT authenticates, which clients call to prove their
// App credentials work (Rigger's /readyz does).
func (s *Server) getApp(w http.ResponseWriter, r *http.Request) {
	app := s.opts.App
	if app == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, obj{
		"id":          app.ID,
		"slug":        app.Slug,
		"node_id":     fmt.Sprintf("A_%d", app.ID),
		"name":        app.Slug,
		"owner":       userJSON(s.URL(), "rigger-ci"),
		"html_url":    s.URL() + "/apps/" + app.Slug,
		"permissions": installationPermissions(),
		"events":      []string{"check_run", "check_suite", "issue_comment", "pull_request", "push"},
		"created_at":  "2024-01-01T00:00:00Z",
		"updated_at":  "2024-01-01T00:00:00Z",
	})
}

func (s *Server) getRepoInstallation(w http.ResponseWriter, r *http.Request) {
	if s.opts.App == nil || s.repoOf(r) == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, s.installationJSON())
}

func (s *Server) createAccessToken(w http.ResponseWriter, r *http.Request) {
	if s.opts.App == nil || r.PathValue("id") != strconv.FormatInt(s.opts.App.InstallationID, 10) {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	var opts struct {
		Repositories []string          `json:"repositories"`
		Permissions  map[string]string `json:"permissions"`
	}
	if !decodeBody(w, r, &opts) {
		return
	}
	tok := "ghs_" + randomAlnum(36)
	expires := time.Now().Add(installationTokenTTL).UTC().Truncate(time.Second)
	s.mu.Lock()
	s.tokens[tok] = token{login: s.opts.App.Slug + "[bot]", expires: expires, installation: true,
		repositories: opts.Repositories, permissions: opts.Permissions}
	s.mu.Unlock()
	perms := installationPermissions()
	if len(opts.Permissions) > 0 {
		perms = obj{}
		for k, v := range opts.Permissions {
			perms[k] = v
		}
	}
	out := obj{
		"token":                tok,
		"expires_at":           expires.Format(time.RFC3339),
		"permissions":          perms,
		"repository_selection": "all",
	}
	if len(opts.Repositories) > 0 {
		out["repository_selection"] = "selected"
		repos := []obj{}
		s.mu.Lock()
		var named []*Repo
		for _, repo := range s.repos {
			if slices.Contains(opts.Repositories, repo.Name) {
				named = append(named, repo)
			}
		}
		s.mu.Unlock()
		for _, repo := range named {
			repos = append(repos, repo.repoJSON())
		}
		out["repositories"] = repos
	}
	writeJSON(w, http.StatusCreated, out)
}

func randomAlnum(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}
