package run_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/cmd/exitcode"
	"github.com/rigger-ci/rigger/pkg/cmd/factory"
	runcmd "github.com/rigger-ci/rigger/pkg/cmd/run"
	"github.com/rigger-ci/rigger/pkg/iostreams"
)

// pipelineRun is a .tekton file: one PipelineRun with Pipelines-as-Code annotations and one
// task whose single step runs script.
func pipelineRun(name, events, branches, extraAnnotations, script string) string {
	return `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: ` + name + `
  annotations:
    pipelinesascode.tekton.dev/on-event: "` + events + `"
    pipelinesascode.tekton.dev/on-target-branch: "` + branches + `"
` + extraAnnotations + `spec:
  params:
    - name: revision
      value: "{{ revision }}"
  pipelineSpec:
    params:
      - name: revision
    tasks:
      - name: main
        params:
          - {name: revision, value: $(params.revision)}
        taskSpec:
          params:
            - name: revision
          steps:
            - name: script
              image: busybox
              script: |
` + indent(script, "                ") + `
`
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n")
}

// gitRepo makes a git repository on branch main with files committed, and returns its path.
func gitRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "--quiet", "--initial-branch=main")
	git(t, dir, "config", "user.name", "Ada Tester")
	git(t, dir, "config", "user.email", "ada@example.test")
	git(t, dir, "config", "commit.gpgsign", "false")
	writeFiles(t, dir, files)
	git(t, dir, "add", ".")
	git(t, dir, "commit", "--quiet", "-m", "initial")
	return dir
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

type result struct {
	out, errOut string
	code        int
	err         error
}

// rigger runs `rigger run` with args, as main would, and returns what the user sees.
func rigger(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := &factory.Factory{IO: ios, ExecutableName: "rigger"}
	cmd := runcmd.NewCmd(f)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(ctx)
	return result{out: out.String(), errOut: errOut.String(), code: codeOf(err), err: err}
}

// codeOf is the exit status main gives an error.
func codeOf(err error) int {
	if err == nil {
		return exitcode.OK
	}
	var coded *exitcode.Error
	if errors.As(err, &coded) {
		return coded.Code
	}
	return exitcode.Usage
}

func (r result) String() string {
	var b bytes.Buffer
	b.WriteString("stdout:\n" + r.out + "\nstderr:\n" + r.errOut)
	if r.err != nil {
		b.WriteString("\nerror: " + r.err.Error())
	}
	return b.String()
}
