package server

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/apis/rigger/v1alpha1"
	"github.com/rigger-ci/rigger/pkg/config"
	"github.com/rigger-ci/rigger/pkg/executor/local"
	"github.com/rigger-ci/rigger/pkg/github"
	"github.com/rigger-ci/rigger/pkg/reporter"
	"github.com/rigger-ci/rigger/pkg/retry"
	"github.com/rigger-ci/rigger/pkg/run"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// Route templates the tests count, as the fake records them.
const (
	routeTree        = "GET /repos/{owner}/{repo}/git/trees/{sha}"
	routeBlob        = "GET /repos/{owner}/{repo}/git/blobs/{sha}"
	routeCreateCheck = "POST /repos/{owner}/{repo}/check-runs"
	routeUpdateCheck = "PATCH /repos/{owner}/{repo}/check-runs/{id}"
	routeToken       = "POST /app/installations/{id}/access_tokens"
	routePullFiles   = "GET /repos/{owner}/{repo}/pulls/{number}/files"
)

const (
	repoName       = "acme/widgets"
	appID          = 7
	installationID = 42
	webhookSecret  = "it's a secret to everybody"
	// waitLimit bounds every wait: runs here take well under a second, but -race and a busy
	// machine slow everything down.
	waitLimit = 30 * time.Second
)

// appKey is the App's RSA key, generated once: 2048-bit keys take a while.
var appKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, _, err := fakegithub.NewAppKey()
	if err != nil {
		panic(err)
	}
	return k
})

// harness is a running Rigger (the real server with the local executor) in front of a fake
// GitHub in App mode, with one configured repository.
type harness struct {
	t    *testing.T
	gh   *fakegithub.Server
	repo *fakegithub.Repo
	exec *local.Executor
	srv  *Server
	base string // http://127.0.0.1:port of the server

	keyFile, dataDir string
	stopServer       func()
	// repair is repair.interval when the harness (re)starts Rigger; 0, as by default here,
	// runs no repair.
	repair time.Duration
}

// newHarness starts the fake GitHub and Rigger. files are the repository's first commit on
// main; retries of failed events are fast.
func newHarness(t *testing.T, files map[string]string) *harness {
	t.Helper()
	key := appKey()
	fake, err := fakegithub.New(fakegithub.Options{Dir: t.TempDir(),
		App: &fakegithub.App{ID: appID, PublicKey: &key.PublicKey, InstallationID: installationID}})
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	repo, err := fake.CreateRepo(repoName, "main")
	if err != nil {
		t.Fatal(err)
	}
	// Pull requests are opened by octocat unless a test says otherwise: a member of the
	// organization, whom GitHub's payloads say is one, so the trust policy costs no call.
	fake.SetOrgMember("acme", "octocat")
	if _, err := repo.Commit("main", "Initial commit", files); err != nil {
		t.Fatal(err)
	}

	keyFile := filepath.Join(t.TempDir(), "app.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, gh: fake, repo: repo, keyFile: keyFile, dataDir: t.TempDir()}
	h.start()
	t.Cleanup(h.stop)
	return h
}

// start runs Rigger: a local executor on the harness's data directory and a server.
func (h *harness) start() {
	t := h.t
	exec, err := local.New(local.Config{DataDir: h.dataDir, Parallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{
		Listen:   "127.0.0.1:0",
		Executor: config.ExecutorLocal,
		DataDir:  exec.DataDir(),
		Webhook:  config.Webhook{Secret: webhookSecret},
		GitHub:   config.GitHub{APIURL: h.gh.APIURL(), AppID: appID, PrivateKeyFile: h.keyFile},
		Repositories: []config.Repository{{Namespace: "ci-widgets",
			RepositorySpec: v1alpha1.RepositorySpec{URL: h.repo.HTMLURL()}}},
		Log:          config.Log{Level: "debug", Format: "console"},
		Queue:        config.Queue{Capacity: 100, Workers: 2},
		PullRequests: config.PullRequests{Drafts: "skip"},
		Repair:       config.Repair{Interval: h.repair},
	}
	log := zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))
	srv, err := New(cfg, log, Deps{Executor: exec, ExecutorName: "local",
		GitHubRetry: github.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	// Production waits a second, then longer; the tests' outages last milliseconds.
	srv.retries = retry.Policy{BaseDelay: 5 * time.Millisecond, MaxDelay: 200 * time.Millisecond, Deadline: 2 * time.Second}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln) }()
	h.exec, h.srv, h.base = exec, srv, "http://"+ln.Addr().String()
	h.stopServer = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server Run: %v", err)
			}
		case <-time.After(waitLimit):
			t.Errorf("server did not stop within %s", waitLimit)
		}
		_ = exec.Close()
	}
}

// stop stops Rigger, as a shutdown does; start brings it back on the same data.
func (h *harness) stop() {
	if h.stopServer != nil {
		h.stopServer()
		h.stopServer = nil
	}
}

func (h *harness) hookURL() string { return h.base + "/hook" }

// openPR branches "feature" off main, commits files there and opens a pull request, without
// sending its webhook.
func (h *harness) openPR(files map[string]string) fakegithub.PullRequest {
	h.t.Helper()
	if err := h.repo.CreateBranch("feature", "main"); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.repo.Commit("feature", "Change things", files); err != nil {
		h.t.Fatal(err)
	}
	pr, err := h.repo.OpenPullRequest(fakegithub.PullRequestSpec{Title: "Change things", Head: "feature", Author: "octocat"})
	if err != nil {
		h.t.Fatal(err)
	}
	return pr
}

// sendPR sends a pull_request webhook and requires Rigger to accept it.
func (h *harness) sendPR(number int, action string) fakegithub.Delivery {
	h.t.Helper()
	d, err := h.gh.SendPullRequest(context.Background(), h.hookURL(), webhookSecret, repoName, number, action)
	h.accepted(d, err)
	return d
}

// sendPush sends a push webhook for branch's tip and requires Rigger to accept it.
func (h *harness) sendPush(branch string) fakegithub.Delivery {
	h.t.Helper()
	d, err := h.gh.SendPush(context.Background(), h.hookURL(), webhookSecret, repoName, branch, "")
	h.accepted(d, err)
	return d
}

func (h *harness) accepted(d fakegithub.Delivery, err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
	if d.Status != http.StatusAccepted {
		h.t.Fatalf("%s %s delivery %s: status %d, body %s; want 202", d.Event, d.Action, d.ID, d.Status, d.ResponseBody)
	}
}

// handled is how many events of kind the trigger finished with result.
func (h *harness) handled(kind, result string) int {
	return int(testutil.ToFloat64(h.srv.m.handled.WithLabelValues(kind, result)))
}

// waitHandled waits until n events of kind were handled with result.
func (h *harness) waitHandled(kind, result string, n int) {
	h.t.Helper()
	h.waitFor(fmt.Sprintf("%d %s events handled as %s", n, kind, result), func() bool { return h.handled(kind, result) >= n })
	if got := h.handled(kind, result); got != n {
		h.t.Fatalf("%d %s events handled as %s, want %d\n%s", got, kind, result, n, h.dump())
	}
}

// checkRun finds the check run Rigger reports for definition on sha.
func (h *harness) checkRun(definition, sha string) (fakegithub.CheckRun, bool) {
	for _, cr := range h.gh.CheckRuns(repoName) {
		if cr.Name == reporter.CheckName(definition) && cr.HeadSHA == sha {
			return cr, true
		}
	}
	return fakegithub.CheckRun{}, false
}

// waitCheck waits for definition's check run on sha to reach status.
func (h *harness) waitCheck(definition, sha, status string) fakegithub.CheckRun {
	h.t.Helper()
	var cr fakegithub.CheckRun
	h.waitFor(fmt.Sprintf("check run %q on %.12s to be %s", reporter.CheckName(definition), sha, status), func() bool {
		var ok bool
		cr, ok = h.checkRun(definition, sha)
		return ok && cr.Status == status
	})
	return cr
}

// statusHistory is every status (and conclusion) the check run was given, in order, read
// from the writes the fake recorded.
func (h *harness) statusHistory(cr fakegithub.CheckRun) []string {
	var out []string
	add := func(body any) {
		m, _ := body.(map[string]any)
		s, _ := m["status"].(string)
		if c, _ := m["conclusion"].(string); c != "" {
			s += "/" + c
		}
		out = append(out, s)
		if o, _ := m["output"].(map[string]any); o != nil {
			h.t.Logf("check run %q: %s, title %q", cr.Name, s, o["title"])
		}
	}
	for _, c := range h.gh.Calls() {
		switch {
		case c.Route == routeCreateCheck && c.Status == http.StatusCreated:
			m, _ := c.Body.(map[string]any)
			if m["name"] == cr.Name && m["head_sha"] == cr.HeadSHA {
				add(c.Body)
			}
		case c.Route == routeUpdateCheck && c.Status == http.StatusOK && strings.HasSuffix(c.Path, fmt.Sprintf("/check-runs/%d", cr.ID)):
			add(c.Body)
		}
	}
	return out
}

// runs lists the local executor's runs.
func (h *harness) runs() []*run.Run {
	h.t.Helper()
	rs, err := h.exec.All()
	if err != nil {
		h.t.Fatal(err)
	}
	return rs
}

// waitFor polls cond and fails the test with what the fake saw when it stays false.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %s waiting for %s\n%s", waitLimit, what, h.dump())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dump is what the fake GitHub and the executor hold, for failure messages.
func (h *harness) dump() string {
	var b strings.Builder
	b.WriteString("check runs:\n")
	for _, cr := range h.gh.CheckRuns(repoName) {
		fmt.Fprintf(&b, "  #%d %q on %.12s: %s %s, title %q, %d updates\n", cr.ID, cr.Name, cr.HeadSHA,
			cr.Status, cr.Conclusion, cr.Output.Title, cr.Updates)
	}
	b.WriteString("deliveries:\n")
	for _, d := range h.gh.Deliveries() {
		fmt.Fprintf(&b, "  %s %s %s redelivery=%v -> %d %s\n", d.ID, d.Event, d.Action, d.Redelivery, d.Status, strings.TrimSpace(d.ResponseBody))
	}
	b.WriteString("GitHub calls:\n")
	for _, c := range h.gh.Calls() {
		fault := ""
		if c.Fault {
			fault = " (injected fault)"
		}
		fmt.Fprintf(&b, "  %s %s -> %d%s\n", c.Method, c.Path, c.Status, fault)
	}
	b.WriteString("runs:\n")
	if rs, err := h.exec.All(); err != nil {
		fmt.Fprintf(&b, "  listing runs: %v\n", err)
	} else {
		for _, r := range rs {
			fmt.Fprintf(&b, "  %s %s@%.12s: %s %s %s\n", r.Name, r.Definition, r.SHA, r.State, r.Reason, r.Message)
		}
	}
	return b.String()
}

// get fetches a path of the server and returns its status and body.
func (h *harness) get(path string) (int, string) {
	h.t.Helper()
	resp, err := http.Get(h.base + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		h.t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// pipelineRun is a .tekton PipelineRun file with Pipelines-as-Code compatible annotations
// and one task whose one step runs script.
func pipelineRun(name, onEvent, onTargetBranch, script string) string {
	var indented strings.Builder
	for _, line := range strings.Split(strings.TrimRight(script, "\n"), "\n") {
		indented.WriteString("                " + line + "\n")
	}
	return fmt.Sprintf(`apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: %s
  annotations:
    pipelinesascode.tekton.dev/on-event: "%s"
    pipelinesascode.tekton.dev/on-target-branch: "%s"
spec:
  pipelineSpec:
    tasks:
      - name: build
        taskSpec:
          steps:
            - name: compile
              image: docker.io/library/alpine:3
              script: |
%s`, name, onEvent, onTargetBranch, indented.String())
}
