package local

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// A step's process group recorded by an executor that then died (here: its records are
// simply left behind) is killed, background children included, by the next executor on the
// same data directory; a group started after the records is left alone.
func TestLeftoverStepProcessesAreKilledOnRestart(t *testing.T) {
	groups := groupRecords(filepath.Join(t.TempDir(), "groups"))
	pidFile := filepath.Join(t.TempDir(), "child")
	step := exec.Command("/bin/sh", "-c", "sleep 300 & echo $! > "+pidFile+"; wait")
	step.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := step.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-step.Process.Pid, syscall.SIGKILL); _ = step.Wait() })
	groups.add(step.Process.Pid) // never removed: the executor "died"
	var child int
	for deadline := time.Now().Add(5 * time.Second); child == 0; {
		b, _ := os.ReadFile(pidFile)
		child, _ = strconv.Atoi(string(b[:max(0, len(b)-1)]))
		if time.Now().After(deadline) {
			t.Fatal("the step's background child never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	other := exec.Command("sleep", "300")
	other.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })

	killed, err := groups.killLeftovers()
	if err != nil {
		t.Fatal(err)
	}
	if killed != 2 {
		t.Errorf("killed %d processes, want the step's shell and its background sleep", killed)
	}
	if err := step.Wait(); err == nil {
		t.Error("the step's shell ended normally; it should have been killed")
	}
	for deadline := time.Now().Add(5 * time.Second); alive(child); {
		if time.Now().After(deadline) {
			t.Fatalf("the step's background child %d still runs", child)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !alive(other.Process.Pid) {
		t.Error("a process outside the recorded group was killed")
	}
	if left, _ := os.ReadDir(string(groups)); len(left) != 0 {
		t.Errorf("%d records left after the cleanup", len(left))
	}
	if killed, err := groups.killLeftovers(); err != nil || killed != 0 {
		t.Errorf("a second cleanup killed %d (%v), want 0", killed, err)
	}
}

// alive tells whether pid runs (a zombie, killed and not yet reaped, does not).
func alive(pid int) bool {
	_, _, err := procGroupAndStart(pid)
	if err != nil {
		return false
	}
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	i := len(b)
	for j := len(b) - 1; j >= 0; j-- {
		if b[j] == ')' {
			i = j
			break
		}
	}
	return i+2 < len(b) && b[i+2] != 'Z'
}
