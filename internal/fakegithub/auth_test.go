package fakegithub

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-github/v62/github"
)

func TestTokenAuth(t *testing.T) {
	s := newServer(t, Options{Tokens: map[string]string{"good": "someone"}})
	seedRepo(t, s)
	ctx := context.Background()
	for tok, want := range map[string]int{"": 401, "wrong": 401, "good": 200} {
		_, resp, err := newClient(t, s, tok).Git.GetTree(ctx, "acme", "widgets", "main", true)
		if resp == nil || resp.StatusCode != want {
			t.Errorf("token %q: %v", tok, err)
		}
		var er *github.ErrorResponse
		if want == 401 && (!errors.As(err, &er) || er.Message == "") {
			t.Errorf("token %q: error %v lacks GitHub's message", tok, err)
		}
	}
	// rate_limit answers without a token, as on GitHub.
	limits, _, err := newClient(t, s, "").RateLimit.Get(ctx)
	if err != nil || limits.GetCore().Limit != 5000 {
		t.Fatalf("rate_limit = %+v, %v", limits, err)
	}
}

func appKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

func TestAppInstallationTokens(t *testing.T) {
	key, keyPEM := appKey(t)
	s := newServer(t, Options{App: &App{ID: 321, PublicKey: &key.PublicKey, InstallationID: 77}})
	_, pr := seedRepo(t, s)
	ctx := context.Background()

	appTr, err := ghinstallation.NewAppsTransport(http.DefaultTransport, 321, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	appTr.BaseURL = s.URL()
	appClient := withBase(t, s, github.NewClient(&http.Client{Transport: appTr}))
	inst, _, err := appClient.Apps.FindRepositoryInstallation(ctx, "acme", "widgets")
	if err != nil || inst.GetID() != 77 || inst.GetAppID() != 321 {
		t.Fatalf("installation = %+v, %v", inst, err)
	}

	itr := ghinstallation.NewFromAppsTransport(appTr, inst.GetID())
	itr.BaseURL = s.URL()
	c := withBase(t, s, github.NewClient(&http.Client{Transport: itr}))
	run, _, err := c.Checks.CreateCheckRun(ctx, "acme", "widgets", github.CreateCheckRunOptions{Name: "rigger", HeadSHA: pr.HeadSHA})
	if err != nil {
		t.Fatal(err)
	}
	if run.GetApp().GetSlug() != "rigger[bot]" {
		t.Errorf("check run app = %s", run.GetApp().GetSlug())
	}
	if calls := s.CallsTo("POST /app/installations/{id}/access_tokens"); len(calls) != 1 {
		t.Fatalf("%d token requests", len(calls))
	}
	toks := s.InstallationTokens()
	if len(toks) != 1 {
		t.Fatalf("issued tokens = %v", toks)
	}
	// The issued token works on its own, as "token X" and "Bearer X".
	if _, _, err := newClient(t, s, toks[0]).Git.GetTree(ctx, "acme", "widgets", "main", false); err != nil {
		t.Fatal(err)
	}
	s.ExpireInstallationTokens()
	if _, resp, _ := newClient(t, s, toks[0]).Git.GetTree(ctx, "acme", "widgets", "main", false); resp.StatusCode != 401 {
		t.Fatalf("expired token: %d", resp.StatusCode)
	}
}

func TestAppJWTRejected(t *testing.T) {
	key, _ := appKey(t)
	other, _ := appKey(t)
	s := newServer(t, Options{App: &App{ID: 321, PublicKey: &key.PublicKey}})
	now := time.Now()
	sign := func(k *rsa.PrivateKey, method jwt.SigningMethod, claims jwt.MapClaims) string {
		var signed string
		var err error
		if method == jwt.SigningMethodHS256 {
			signed, err = jwt.NewWithClaims(method, claims).SignedString([]byte("secret"))
		} else {
			signed, err = jwt.NewWithClaims(method, claims).SignedString(k)
		}
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	good := jwt.MapClaims{"iss": "321", "iat": now.Add(-time.Minute).Unix(), "exp": now.Add(9 * time.Minute).Unix()}
	cases := map[string]string{
		"other key":   sign(other, jwt.SigningMethodRS256, good),
		"hmac":        sign(nil, jwt.SigningMethodHS256, good),
		"wrong app":   sign(key, jwt.SigningMethodRS256, jwt.MapClaims{"iss": "999", "iat": good["iat"], "exp": good["exp"]}),
		"expired":     sign(key, jwt.SigningMethodRS256, jwt.MapClaims{"iss": "321", "iat": now.Add(-20 * time.Minute).Unix(), "exp": now.Add(-10 * time.Minute).Unix()}),
		"too long":    sign(key, jwt.SigningMethodRS256, jwt.MapClaims{"iss": "321", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}),
		"not a token": "abc",
	}
	for name, tok := range cases {
		req, _ := http.NewRequest("POST", s.URL()+"/app/installations/1/access_tokens", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%s: status %d", name, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("POST", s.URL()+"/app/installations/1/access_tokens", nil)
	req.Header.Set("Authorization", "Bearer "+sign(key, jwt.SigningMethodRS256, good))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("good JWT: status %d", resp.StatusCode)
	}
}
