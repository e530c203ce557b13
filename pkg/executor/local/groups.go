package local

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// A step runs as a process group of its own (process.go). Its main process dies with the
// executor's process (the parent-death signal), but what it started in the background does
// not, and a step killed that way may have left children mid-write in the workspace. So
// each running group is recorded in the data directory, and an executor that starts on the
// directory again kills whatever a killed predecessor left running before it runs anything:
// the run is already marked interrupted, and nothing of it goes on unseen.
//
// A record holds the boot it was made in and the group leader's start time (clock ticks
// since boot, /proc/PID/stat field 22): a process counts as the group's only if it is in
// that group and started no earlier than its leader, in the same boot, so a record left by
// a reboot or a process ID reused since is not mistaken for a live group.

// groupRecords is the directory of running steps' process group records.
type groupRecords string

func (g groupRecords) path(pgid int) string { return filepath.Join(string(g), strconv.Itoa(pgid)) }

// add records a group whose leader is pgid, and returns what removes the record once the
// group has been killed. A record that cannot be written costs only the cleanup after a
// crash, so it is not an error for the step.
func (g groupRecords) add(pgid int) (remove func()) {
	if g == "" {
		return func() {}
	}
	boot, start, err := procIdentity(pgid)
	if err != nil {
		return func() {}
	}
	if err := os.MkdirAll(string(g), 0o755); err != nil {
		return func() {}
	}
	path := g.path(pgid)
	if err := os.WriteFile(path, []byte(fmt.Sprintf("%s %d\n", boot, start)), 0o644); err != nil {
		return func() {}
	}
	return func() { _ = os.Remove(path) }
}

// killLeftovers kills every process of the recorded groups that is still running, removes
// the records, and returns how many processes it killed.
func (g groupRecords) killLeftovers() (int, error) {
	entries, err := os.ReadDir(string(g))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	boot, err := bootID()
	if err != nil {
		return 0, err
	}
	leaders := map[int]uint64{} // pgid -> the leader's start time
	for _, e := range entries {
		pgid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(string(g), e.Name()))
		if err != nil {
			continue
		}
		var recBoot string
		var start uint64
		if _, err := fmt.Sscanf(string(data), "%s %d", &recBoot, &start); err == nil && recBoot == boot {
			leaders[pgid] = start
		}
	}
	killed := 0
	if len(leaders) > 0 {
		procs, _ := os.ReadDir("/proc")
		for _, p := range procs {
			pid, err := strconv.Atoi(p.Name())
			if err != nil {
				continue
			}
			pgrp, start, err := procGroupAndStart(pid)
			if err != nil {
				continue
			}
			if leaderStart, ok := leaders[pgrp]; ok && start >= leaderStart {
				if syscall.Kill(pid, syscall.SIGKILL) == nil {
					killed++
				}
			}
		}
	}
	for _, e := range entries {
		_ = os.Remove(filepath.Join(string(g), e.Name()))
	}
	return killed, nil
}

func bootID() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// procIdentity is the boot and the start time of process pid.
func procIdentity(pid int) (string, uint64, error) {
	boot, err := bootID()
	if err != nil {
		return "", 0, err
	}
	_, start, err := procGroupAndStart(pid)
	return boot, start, err
}

// procGroupAndStart reads a process's group and start time from /proc/PID/stat.
func procGroupAndStart(pid int) (pgrp int, start uint64, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// "pid (comm) state ppid pgrp ... starttime(22)": comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	// f[0] is field 3 (state): pgrp is field 5, starttime field 22.
	if pgrp, err = strconv.Atoi(f[2]); err != nil {
		return 0, 0, err
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return pgrp, start, err
}
