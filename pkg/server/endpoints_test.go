package server

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/config"
	"github.com/rigger-ci/rigger/pkg/executor/local"
	"go.uber.org/zap/zaptest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// With adminListen, /hook alone answers on the listen address, health and metrics on their
// own; a delivery signed with a previous secret is still taken while the secret rotates.
func TestHookAloneFacesTheInternetAndSecretsRotate(t *testing.T) {
	exec, err := local.New(local.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Close()
	hookAddr, adminAddr := freeAddr(t), freeAddr(t)
	cfg := &config.Config{Listen: hookAddr, AdminListen: adminAddr, Executor: config.ExecutorLocal,
		Webhook: config.Webhook{Secret: "new-secret", PreviousSecrets: []string{"old-secret"}},
		GitHub:  config.GitHub{APIURL: "http://127.0.0.1:1/", Token: "t"},
		Queue:   config.Queue{Capacity: 10, Workers: 1}, PullRequests: config.PullRequests{Drafts: "run"}}
	srv, err := New(cfg, zaptest.NewLogger(t), Deps{Executor: exec, ExecutorName: "local"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, nil) }()
	defer func() { cancel(); <-done }()

	get := func(url string) int {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			resp, err := http.Get(url)
			if err == nil {
				resp.Body.Close()
				return resp.StatusCode
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v", url, err)
			}
		}
	}
	if code := get("http://" + adminAddr + "/healthz"); code != 200 {
		t.Errorf("admin /healthz: %d", code)
	}
	if code := get("http://" + adminAddr + "/metrics"); code != 200 {
		t.Errorf("admin /metrics: %d", code)
	}
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		if code := get("http://" + hookAddr + p); code != 404 {
			t.Errorf("%s on the webhook address: %d, want 404", p, code)
		}
	}
	for secret, want := range map[string]int{"new-secret": 200, "old-secret": 200, "other": 401} {
		body := `{"zen":"x","hook_id":1}`
		req, _ := http.NewRequest(http.MethodPost, "http://"+hookAddr+"/hook", strings.NewReader(body))
		req.Header.Set("X-GitHub-Event", "ping")
		req.Header.Set("X-Hub-Signature-256", fakegithub.Sign(secret, []byte(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("ping signed with %q: %d, want %d", secret, resp.StatusCode, want)
		}
	}
}
