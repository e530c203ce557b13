package framework

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// BuildRigger builds cmd/rigger into dir and returns the binary's path: the Rigger a
// test runs as a process of its own, so that it can be killed as a machine or an OOM
// killer would kill it.
func BuildRigger(dir string) (string, error) {
	bin := filepath.Join(dir, "rigger")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/rigger-ci/rigger/cmd/rigger")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/rigger: %w\n%s", err, out)
	}
	return bin, nil
}

// ProcessOptions tune StartProcess.
type ProcessOptions struct {
	// Config holds more of rigger.yaml (repair, retry, queue, ...); its top-level keys
	// replace the ones StartProcess writes.
	Config map[string]any
	// Leader makes the process elect a leader with a Lease in the namespace, as replicas
	// do, with the short timings of RigOptions.Leader.
	Leader bool
}

// Process is `rigger serve --executor tekton` running as a process, configured against
// the cluster and a fake GitHub App, serving one repository in one namespace.
type Process struct {
	// URL is where it listens (http://127.0.0.1:port); HookURL its webhook endpoint.
	URL, HookURL string
	// Log is its log file (console format), kept across restarts.
	Log string

	t      testing.TB
	bin    string
	config string
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartProcess starts `rigger serve` from bin for gh's repository, running its builds in
// ns. It waits until the process is ready (its GitHub credentials work, the cluster
// answers and its watch has loaded the runs), and kills it when the test ends.
func (c *Cluster) StartProcess(t testing.TB, bin string, gh *GitHubApp, ns string, o ProcessOptions) *Process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	cfg := map[string]any{
		"listen":       addr,
		"executor":     "tekton",
		"kubeconfig":   c.Kubeconfig,
		"webhook":      map[string]any{"secret": gh.Secret},
		"github":       map[string]any{"apiURL": gh.Fake.APIURL(), "appID": gh.AppID, "privateKeyFile": gh.KeyFile},
		"repositories": []any{map[string]any{"url": gh.Repo.HTMLURL(), "namespace": ns}},
		"log":          map[string]any{"level": "info", "format": "console"},
		"pullRequests": map[string]any{"drafts": "skip"},
	}
	if o.Leader {
		cfg["leaderElection"] = map[string]any{"enabled": true, "namespace": ns, "name": "rigger",
			"leaseDuration": LeaseDuration.String(), "renewDeadline": "3s", "retryPeriod": "500ms"}
	}
	maps.Copy(cfg, o.Config)
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := &Process{URL: "http://" + addr, HookURL: "http://" + addr + "/hook", Log: filepath.Join(dir, "rigger.log"),
		t: t, bin: bin, config: filepath.Join(dir, "rigger.yaml")}
	if err := os.WriteFile(p.config, b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("rigger serve's log (%s), last lines:\n%s", p.Log, p.LogTail(80))
		}
	})
	p.Start()
	return p
}

// Start starts the process (again, after Kill), on the same address with the same
// configuration, and waits until it is ready.
func (p *Process) Start() {
	p.t.Helper()
	log, err := os.OpenFile(p.Log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	defer log.Close()
	fmt.Fprintf(log, "---- rigger serve starts at %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.bin, "serve", "--config", p.config)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(p.exited)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		select {
		case <-p.exited:
			p.t.Fatalf("rigger serve exited at start:\n%s", p.LogTail(40))
		default:
		}
		if resp, err := http.Get(p.URL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("rigger serve was not ready within 60s:\n%s", p.LogTail(40))
		}
	}
}

// Kill sends SIGKILL and waits for the process to be gone: nothing it held in memory
// survives. Killing a process that is not running does nothing.
func (p *Process) Kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	p.cmd = nil
}

// Running tells whether the process has been started and not killed.
func (p *Process) Running() bool { return p.cmd != nil }

// LogTail is the last n lines of the log.
func (p *Process) LogTail(n int) string {
	b, _ := os.ReadFile(p.Log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// LogCount is how many lines of the log, over every start, contain s.
func (p *Process) LogCount(s string) int {
	b, _ := os.ReadFile(p.Log)
	return strings.Count(string(b), s)
}

// Ready is whether /readyz answers 200 now.
func (p *Process) Ready(ctx context.Context) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
