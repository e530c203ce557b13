package fakegithub

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// gitIdentity is the author and committer of every commit the fake makes,
// fixed so that commit SHAs depend only on content, parents and time.
var gitIdentity = []string{
	"GIT_AUTHOR_NAME=Rigger Test",
	"GIT_AUTHOR_EMAIL=test@rigger.dev",
	"GIT_COMMITTER_NAME=Rigger Test",
	"GIT_COMMITTER_EMAIL=test@rigger.dev",
}

// runGit runs the git CLI in dir with a clean, predictable environment (no
// user or system config, no prompts) and returns its standard output.
func runGit(dir string, stdin []byte, extraEnv []string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"LC_ALL=C",
	)
	cmd.Env = append(cmd.Env, gitIdentity...)
	cmd.Env = append(cmd.Env, extraEnv...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// validObjectName reports whether a ref or SHA given over the network can be
// passed to git as an argument: it must not look like an option and must not
// carry revision syntax that would let a caller walk the object graph.
func validObjectName(s string) bool {
	if s == "" || strings.HasPrefix(s, "-") || len(s) > 255 {
		return false
	}
	return !strings.ContainsAny(s, " \t\n\x00~^:?*[\\") && !strings.Contains(s, "@{") && !strings.Contains(s, "..")
}

// splitNul splits git's -z output into its fields, dropping the empty tail.
func splitNul(b []byte) []string {
	parts := strings.Split(string(b), "\x00")
	if len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}
