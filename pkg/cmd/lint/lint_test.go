package lint_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/cmd/exitcode"
	"github.com/rigger-ci/rigger/pkg/cmd/factory"
	"github.com/rigger-ci/rigger/pkg/cmd/lint"
	"github.com/rigger-ci/rigger/pkg/iostreams"
)

const good = `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: unit
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  params:
    - {name: revision, value: "{{ revision }}"}
  pipelineRef:
    name: ci
---
apiVersion: tekton.dev/v1
kind: Pipeline
metadata:
  name: ci
spec:
  params:
    - name: revision
  tasks:
    - name: test
      taskRef: {name: go-test}
---
apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: go-test
spec:
  steps:
    - image: golang
      script: go test ./...
`

func write(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runLint(t *testing.T, args ...string) (string, int, error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	cmd := lint.NewCmd(&factory.Factory{IO: ios, ExecutableName: "rigger"})
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(out)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	code := exitcode.OK
	var coded *exitcode.Error
	switch {
	case errors.As(err, &coded):
		code = coded.Code
	case err != nil:
		code = exitcode.Usage
	}
	return out.String(), code, err
}

func TestLintValid(t *testing.T) {
	dir := write(t, map[string]string{
		".tekton/ci.yaml":    good,
		".tekton/other.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n",
	})
	out, code, err := runLint(t, "-C", dir)
	if code != 0 {
		t.Fatalf("exit %d (%v), want 0\n%s", code, err, out)
	}
	if !strings.Contains(out, "OK: 1 PipelineRun(s), 1 Pipeline(s), 1 Task(s) in 2 file(s)") {
		t.Errorf("no OK summary\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^\.tekton/other\.yaml:1: warning: .*ConfigMap.*ignored`).MatchString(out) {
		t.Errorf("the ignored ConfigMap is not reported as a warning\n%s", out)
	}
}

func TestLintReportsEveryBrokenFileWithItsLine(t *testing.T) {
	badTask := strings.Replace(good, "taskRef: {name: go-test}", "taskRef: {name: go-test}\n      runAfter: [nowhere]", 1)
	missingParam := `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: needs
spec:
  pipelineSpec:
    params:
      - name: go_version
    tasks:
      - name: t
        taskSpec: {steps: [{image: busybox, script: "true"}]}
`
	dir := write(t, map[string]string{
		".tekton/a-syntax.yaml": "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata:\n  name: [oops\n",
		".tekton/b-graph.yaml":  badTask,
		".tekton/c-param.yaml":  missingParam,
	})
	out, code, err := runLint(t, "--dir", dir)
	if code != 1 {
		t.Fatalf("exit %d (%v), want 1\n%s", code, err, out)
	}
	for _, file := range []string{"a-syntax", "b-graph", "c-param"} {
		if !regexp.MustCompile(`(?m)^\.tekton/` + file + `\.yaml:\d+: \S`).MatchString(out) {
			t.Errorf("no file:line error for %s\n%s", file, out)
		}
	}
	if !strings.Contains(out, "go_version") || strings.Contains(out, "OK:") {
		t.Errorf("output\n%s", out)
	}
	// The graph error points into the Pipeline document, at the runAfter line, not at the run.
	if !regexp.MustCompile(`\.tekton/b-graph\.yaml:(2[0-9]|1[5-9]): `).MatchString(out) {
		t.Errorf("the runAfter error does not point at the Pipeline's line\n%s", out)
	}
}

func TestLintWithoutDefinitions(t *testing.T) {
	dir := write(t, map[string]string{".tekton/README.md": "docs"})
	out, code, _ := runLint(t, "-C", dir)
	if code != 0 || !strings.Contains(out, "OK: no definition files") {
		t.Errorf("exit %d\n%s", code, out)
	}
	_, code, err := runLint(t, "-C", t.TempDir())
	if code != 2 || !strings.Contains(err.Error(), "no .tekton/ directory") {
		t.Errorf("no .tekton: exit %d, %v", code, err)
	}
}
