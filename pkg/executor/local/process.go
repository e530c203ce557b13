package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// scriptPreamble is what Tekton puts before a script that has no shebang.
const scriptPreamble = "set -e\n"

// killGrace is how long a cancelled step's process group has between SIGTERM and SIGKILL.
const killGrace = 2 * time.Second

// processSpec is one step made concrete: what to execute, where and with which environment.
type processSpec struct {
	Script    string   // run as a script when set; a shebang picks the interpreter
	Command   []string // otherwise command and args
	Args      []string
	Env       []string // complete environment
	Dir       string
	ScriptDir string // where a shebang script is written
	LogPath   string
	// OnLine, when set, receives each output line as it is written.
	OnLine func(line string)
	// Stop, when set, is how a cancelled step is stopped before its process group is
	// signalled: a container outlives the client process that started it.
	Stop func()
	// Groups, when set, records the step's process group while it runs, so that a
	// restarted executor can kill what a killed one left (groups.go).
	Groups groupRecords
}

// processResult is how a step process ended.
type processResult struct {
	ExitCode int32
	// Killed is set when the process was stopped because ctx ended.
	Killed bool
}

// runProcess runs one step as a process group and waits for it. When ctx ends the whole
// group gets SIGTERM, then SIGKILL; when the main process exits, whatever it left behind in
// its group is killed too, as a container's end would. An error means the step could not
// be started at all.
func runProcess(ctx context.Context, ps processSpec) (processResult, error) {
	name, args, err := commandLine(ps)
	if err != nil {
		return processResult{ExitCode: -1}, err
	}
	if err := os.MkdirAll(filepath.Dir(ps.LogPath), 0o755); err != nil {
		return processResult{ExitCode: -1}, err
	}
	logFile, err := os.OpenFile(ps.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return processResult{ExitCode: -1}, err
	}
	defer logFile.Close()

	cmd := exec.Command(name, args...)
	cmd.Env = ps.Env
	cmd.Dir = ps.Dir
	// The step's main process dies with this one (SIGKILL, OOM) rather than run on unseen;
	// what it started in the background is killed by the next executor (groups.go).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var pipeR, pipeW *os.File
	if ps.OnLine == nil {
		// Writing straight to the file keeps a step to one fork/exec and no copying.
		cmd.Stdout, cmd.Stderr = logFile, logFile
	} else {
		if pipeR, pipeW, err = os.Pipe(); err != nil {
			return processResult{ExitCode: -1}, err
		}
		cmd.Stdout, cmd.Stderr = pipeW, pipeW
	}
	if err := startRetryingBusy(cmd); err != nil {
		if pipeW != nil {
			pipeR.Close()
			pipeW.Close()
		}
		return processResult{ExitCode: -1}, fmt.Errorf("start %s: %w", name, err)
	}
	copied := make(chan struct{})
	if pipeW != nil {
		pipeW.Close() // the child holds its own copy
		go func() {
			defer close(copied)
			copyLines(pipeR, logFile, ps.OnLine)
			pipeR.Close()
		}()
	} else {
		close(copied)
	}

	pgid := cmd.Process.Pid
	forget := ps.Groups.add(pgid)
	exited := make(chan struct{})
	killed := make(chan bool, 1)
	go func() {
		select {
		case <-exited:
			killed <- false
		case <-ctx.Done():
			if ps.Stop != nil {
				ps.Stop()
			}
			_ = syscall.Kill(-pgid, syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(killGrace):
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
			}
			killed <- true
		}
	}()
	waitErr := cmd.Wait()
	close(exited)
	// Leftover background processes die with the step, as they would with its container.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	forget()
	res := processResult{Killed: <-killed}
	select {
	case <-copied:
	case <-time.After(time.Second): // a child escaped the group and holds the pipe
	}
	res.ExitCode = exitCode(waitErr)
	if res.Killed && res.ExitCode == 0 {
		res.ExitCode = 128 + int32(syscall.SIGTERM)
	}
	return res, nil
}

// commandLine is the program and arguments that run a step.
func commandLine(ps processSpec) (string, []string, error) {
	if ps.Script != "" {
		if !strings.HasPrefix(ps.Script, "#!") {
			return "/bin/sh", []string{"-c", scriptPreamble + ps.Script}, nil
		}
		// The kernel honours the shebang when the script is executed as a file.
		path, err := writeScript(ps.ScriptDir, ps.Script)
		return path, nil, err
	}
	if len(ps.Command) == 0 {
		return "", nil, errors.New("step has neither script nor command")
	}
	return ps.Command[0], append(append([]string{}, ps.Command[1:]...), ps.Args...), nil
}

// startRetryingBusy starts cmd, trying again while the kernel says its file is busy. A
// script is written, closed, then executed; but a step starting at the same time in another
// goroutine forks with every open file, and until that child has exec'd it holds the
// script's write handle, so executing the script fails with ETXTBSY for a moment (seen under
// load with a matrix's parallel steps). Go's own test runner retries the same way.
func startRetryingBusy(cmd *exec.Cmd) error {
	var err error
	for wait := time.Millisecond; ; wait *= 2 {
		if err = cmd.Start(); !errors.Is(err, syscall.ETXTBSY) || wait > time.Second {
			return err
		}
		time.Sleep(wait)
		// A failed Start leaves the Cmd used; copy what made it.
		next := exec.Command(cmd.Path, cmd.Args[1:]...)
		next.Env, next.Dir, next.SysProcAttr = cmd.Env, cmd.Dir, cmd.SysProcAttr
		next.Stdin, next.Stdout, next.Stderr = cmd.Stdin, cmd.Stdout, cmd.Stderr
		*cmd = *next
	}
}

// writeScript writes an executable script file into dir and returns its path.
func writeScript(dir, script string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "script-*")
	if err != nil {
		return "", err
	}
	_, werr := f.WriteString(script)
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(f.Name(), 0o755)); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// exitCode maps a Wait error to a shell-style exit code (128+signal when signalled).
func exitCode(err error) int32 {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int32(ws.Signal())
		}
		return int32(ee.ExitCode())
	}
	return -1
}

// copyLines copies output to the log and hands each line to onLine.
func copyLines(r io.Reader, log io.Writer, onLine func(string)) {
	br := bufio.NewReaderSize(r, 64*1024)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			_, _ = io.WriteString(log, line)
			onLine(strings.TrimRight(line, "\r\n"))
		}
		if err != nil {
			return
		}
	}
}
