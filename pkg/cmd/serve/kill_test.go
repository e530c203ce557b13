package serve_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/internal/fakegithub"
)

const killSecret = "kill-test-secret"

// riggerProcess is `rigger serve` as a process of its own, so that it can be killed as a
// machine or an OOM killer would kill it.
type riggerProcess struct {
	cmd *exec.Cmd
	url string
}

func startRigger(t *testing.T, bin, config, addr, logFile string) *riggerProcess {
	t.Helper()
	log, err := os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	cmd := exec.Command(bin, "serve", "--config", config)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), "RIGGER_LOG_FORMAT=console")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &riggerProcess{cmd: cmd, url: "http://" + addr}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := http.Get(p.url + "/healthz"); err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logFile)
			t.Fatalf("rigger serve did not come up:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Rigger killed with SIGKILL in the middle of a burst of pull requests, then started again:
// every pull request head ends with exactly one check run for its definition, in its run's
// final state. Nothing the kill interrupted is lost, nothing is done twice: events queued
// but not handled, and deliveries refused while Rigger was down, are made good by repair;
// a check run created just before the kill is adopted, not left queued beside a second one;
// runs the kill interrupted are reported as such.
func TestKillNineMidBurstLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a burst")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "rigger")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/rigger-ci/rigger/cmd/rigger").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	key, pemBytes, err := fakegithub.NewAppKey()
	if err != nil {
		t.Fatal(err)
	}
	fake, err := fakegithub.New(fakegithub.Options{Dir: t.TempDir(), App: &fakegithub.App{ID: 5, PublicKey: &key.PublicKey, InstallationID: 55}})
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	repo, err := fake.CreateRepo("acme/widgets", "main")
	if err != nil {
		t.Fatal(err)
	}
	fake.SetOrgMember("acme", "octocat")
	definition := `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: pull-request
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  pipelineSpec:
    tasks:
    - name: build
      taskSpec:
        steps:
        - name: build
          image: busybox
          script: sleep 299.25 & sleep 0.2; echo built
`
	if _, err := repo.Commit("main", "CI", map[string]string{".tekton/pull-request.yaml": definition}); err != nil {
		t.Fatal(err)
	}
	const prs = 60
	heads := map[int]string{}
	for i := range prs {
		branch := fmt.Sprintf("pr-%d", i)
		if err := repo.CreateBranch(branch, "main"); err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Commit(branch, "change", map[string]string{branch + ".txt": "x"}); err != nil {
			t.Fatal(err)
		}
		pr, err := repo.OpenPullRequest(fakegithub.PullRequestSpec{Head: branch})
		if err != nil {
			t.Fatal(err)
		}
		heads[pr.Number] = pr.HeadSHA
	}

	keyFile := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	config := filepath.Join(dir, "rigger.yaml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`listen: %q
executor: local
dataDir: %q
webhook: {secret: %q}
github: {apiURL: %q, appID: 5, privateKeyFile: %q}
repositories:
- {url: %q, namespace: ci-widgets}
queue: {workers: 8}
repair: {interval: 2s}
local: {parallel: 4}
log: {level: info}
`, addr, filepath.Join(dir, "data"), killSecret, fake.APIURL(), keyFile, repo.HTMLURL())), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "rigger.log")
	p := startRigger(t, bin, config, addr, logFile)

	// The burst: every pull request's opened event at once; SIGKILL once a third is in.
	var accepted atomic.Int32
	var once sync.Once
	var wg sync.WaitGroup
	for number := range heads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := fake.SendPullRequest(context.Background(), p.url+"/hook", killSecret, "acme/widgets", number, "opened")
			if err == nil && d.Status == http.StatusAccepted && accepted.Add(1) == prs/3 {
				once.Do(func() { _ = p.cmd.Process.Kill() })
			}
		}()
	}
	wg.Wait()
	once.Do(func() { _ = p.cmd.Process.Kill() })
	_ = p.cmd.Wait()
	t.Logf("%d of %d deliveries accepted before and while the kill landed", accepted.Load(), prs)

	startRigger(t, bin, config, addr, logFile)
	var problems []string
	for deadline := time.Now().Add(90 * time.Second); ; {
		problems = nil
		byHead := map[string][]fakegithub.CheckRun{}
		for _, cr := range fake.CheckRuns("acme/widgets") {
			if cr.Name == "Rigger / pull-request" {
				byHead[cr.HeadSHA] = append(byHead[cr.HeadSHA], cr)
			}
		}
		for number, sha := range heads {
			crs := byHead[sha]
			switch {
			case len(crs) != 1:
				problems = append(problems, fmt.Sprintf("#%d: %d check runs", number, len(crs)))
			case crs[0].Status != "completed":
				problems = append(problems, fmt.Sprintf("#%d: check run %s", number, crs[0].Status))
			case crs[0].Conclusion != "success" && !strings.Contains(crs[0].Output.Title+crs[0].Output.Summary, "nterrupted"):
				problems = append(problems, fmt.Sprintf("#%d: concluded %s: %s", number, crs[0].Conclusion, crs[0].Output.Title))
			}
		}
		if len(problems) == 0 {
			interrupted := 0
			for _, crs := range byHead {
				if crs[0].Conclusion != "success" {
					interrupted++
				}
			}
			t.Logf("every head has one check run, completed: %d succeeded, %d interrupted by the kill", len(heads)-interrupted, interrupted)
			// Each step leaves a process in the background, which the end of its step kills,
			// as the end of its container would. The steps the kill interrupted left theirs
			// too: the restarted Rigger stops them, and says so.
			if n := processesRunning("sleep\x00299.25\x00"); n > 0 {
				t.Errorf("%d step processes of the killed Rigger still run", n)
			}
			if out, _ := os.ReadFile(logFile); interrupted > 0 && !strings.Contains(string(out), "their step processes were stopped") {
				t.Error("the restarted Rigger did not say it stopped the killed one's step processes")
			}
			return
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logFile)
			t.Fatalf("%d pull requests are not right after the restart: %v\nlog tail:\n%s", len(problems), problems, tail(string(out), 60))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// processesRunning counts the live processes whose command line is cmdline (NUL-separated).
func processesRunning(cmdline string) int {
	n := 0
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		b, err := os.ReadFile("/proc/" + p.Name() + "/cmdline")
		if err == nil && string(b) == cmdline {
			n++
		}
	}
	return n
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
