package framework

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// Paused is a cluster process that a disruptive test stops (SIGSTOP) and resumes
// (SIGCONT), as a machine that hangs would: its connections stay open, nothing answers.
type Paused struct {
	pid     int
	mu      sync.Mutex
	stopped bool
}

// APIServer is the cluster's kube-apiserver, to pause. It stops the apiserver every other
// test uses, so a test that takes it runs alone: it is skipped unless
// RIGGER_E2E_DISRUPTIVE=1 (make e2e-disruptive and make e2e-faults under make test-all set
// it). Whatever happens, the apiserver is resumed when the test ends.
func (c *Cluster) APIServer(t testing.TB) *Paused {
	t.Helper()
	if os.Getenv("RIGGER_E2E_DISRUPTIVE") != "1" {
		t.Skip("stops the apiserver for a while; run alone with RIGGER_E2E_DISRUPTIVE=1 (make test-all does)")
	}
	logs := os.Getenv("RIGGER_E2E_LOGS")
	if logs == "" {
		t.Fatal("RIGGER_E2E_LOGS is not set: run with e2e/cluster/scripts/e2e.sh, which knows the cluster's processes")
	}
	pidFile := filepath.Join(filepath.Dir(logs), "pids", "kube-apiserver.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the apiserver's pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s: %v", pidFile, err)
	}
	p := &Paused{pid: pid}
	t.Cleanup(p.Resume)
	return p
}

// Stop stops the process.
func (p *Paused) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := syscall.Kill(p.pid, syscall.SIGSTOP); err != nil {
		return err
	}
	p.stopped = true
	return nil
}

// Resume lets a stopped process go on; it does nothing to one that is not stopped.
func (p *Paused) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		p.stopped = false
		_ = syscall.Kill(p.pid, syscall.SIGCONT)
	}
}
