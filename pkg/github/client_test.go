package github

import (
	"context"
	"crypto/rsa"
	"fmt"
	"github.com/rigger-ci/rigger/internal/fakegithub"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func newKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, pemBytes, err := fakegithub.NewAppKey()
	if err != nil {
		t.Fatal(err)
	}
	return key, pemBytes
}

// appServer accepts JWTs signed by key for app 7 and installation 42's token.
func appServer(t *testing.T, key *rsa.PrivateKey) *apiServer {
	return newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if jwtStr, ok := strings.CutPrefix(auth, "Bearer "); ok {
			claims := jwt.RegisteredClaims{}
			_, err := jwt.ParseWithClaims(jwtStr, &claims, func(*jwt.Token) (any, error) { return &key.PublicKey, nil })
			if err != nil || claims.Issuer != "7" {
				http.Error(w, `{"message":"A JSON web token could not be decoded"}`, http.StatusUnauthorized)
				return
			}
			switch r.Method + " " + r.URL.Path {
			case "GET /app":
				fmt.Fprint(w, `{"id":7,"slug":"rigger"}`)
			case "GET /repos/acme/widgets/installation":
				fmt.Fprint(w, `{"id":42,"app_id":7}`)
			case "POST /app/installations/42/access_tokens":
				w.WriteHeader(http.StatusCreated)
				fmt.Fprintf(w, `{"token":"ghs_inst42","expires_at":%q}`, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
			default:
				http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			}
			return
		}
		if auth != "token ghs_inst42" {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, blobJSON)
	})
}

func TestAppModeFindsInstallationAndCachesItsToken(t *testing.T) {
	key, keyPEM := newKey(t)
	srv := appServer(t, key)
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{APIURL: srv.URL, AppID: 7, PrivateKeyFile: keyFile, Retry: fastRetry}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode() != ModeApp {
		t.Errorf("mode = %s, want app", c.Mode())
	}
	ctx := context.Background()
	if err := c.Check(ctx); err != nil {
		t.Fatalf("check: %v", err)
	}
	for range 2 {
		if b, err := c.Blob(ctx, "acme", "widgets", "b1"); err != nil || string(b) != "hello" {
			t.Fatalf("blob = %q, %v", b, err)
		}
	}
	tok, err := c.InstallationToken(ctx, 42)
	if err != nil || tok != "ghs_inst42" {
		t.Errorf("installation token = %q, %v", tok, err)
	}
	count := map[string]int{}
	for _, cl := range srv.Calls() {
		count[cl.Method+" "+cl.Path]++
	}
	want := map[string]int{
		"GET /app":                                 1,
		"GET /repos/acme/widgets/installation":     1,
		"POST /app/installations/42/access_tokens": 1,
		"GET /repos/acme/widgets/git/blobs/b1":     2,
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s called %d times, want %d (all: %v)", k, count[k], n, count)
		}
	}
}

func TestTokenModeChecksRateLimitAndHandsOutThePAT(t *testing.T) {
	srv := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer pat-123" {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"resources":{"core":{"limit":5000,"remaining":4999,"reset":1900000000}}}`)
	})
	c, _ := newTokenClient(t, srv.URL)
	if c.Mode() != ModeToken {
		t.Errorf("mode = %s", c.Mode())
	}
	if err := c.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls := srv.Calls(); len(calls) != 1 || calls[0].Path != "/rate_limit" {
		t.Errorf("calls = %+v", calls)
	}
	if tok, _ := c.InstallationToken(context.Background(), 0); tok != "pat-123" {
		t.Errorf("token = %q", tok)
	}

	bad, _ := New(Config{APIURL: srv.URL, Token: "wrong", Retry: fastRetry}, nil, nil)
	if err := bad.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("check with a bad token = %v, want a 401 error", err)
	}
}

func TestNewRejectsIncompleteCredentials(t *testing.T) {
	cases := map[string]Config{
		"none":        {},
		"no key":      {AppID: 7},
		"garbage key": {AppID: 7, PrivateKey: []byte("not a key")},
		"missing key": {AppID: 7, PrivateKeyFile: "/nonexistent/app.pem"},
		"bad url":     {Token: "x", APIURL: "ftp://example"},
	}
	for name, cfg := range cases {
		if _, err := New(cfg, nil, nil); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}
