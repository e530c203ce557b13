package run_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// examplesHello is the README's first example, from this package's directory.
func examplesHello(t *testing.T) string {
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "examples", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the example's steps need go on PATH")
	}
	return dir
}

var exampleTasks = []string{"fetch", "vet", "test", "build", "summary"}

func TestExampleHelloRunsGreen(t *testing.T) {
	dir := examplesHello(t)
	res := rigger(t, context.Background(), "-C", dir, "--data-dir", t.TempDir(), "--logs")
	if res.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", res.code, res)
	}
	for _, task := range exampleTasks {
		if !regexp.MustCompile(`(?m)^hello-ci\s+` + task + `\s+succeeded`).MatchString(res.out) {
			t.Errorf("summary lacks task %s succeeded\n%s", task, res)
		}
	}
	// The build's results reach the finally task: the version is the commit (or "local").
	if !regexp.MustCompile(`hello-ci/summary/report \| hello \S+: \d+ bytes`).MatchString(res.out) ||
		!strings.Contains(res.out, "hello-ci/build/go-build | Hello, Rigger!") {
		t.Errorf("the build's output or results are missing\n%s", res)
	}
}

func TestExampleHelloWithTheBinary(t *testing.T) {
	dir := examplesHello(t)
	bin := filepath.Join(t.TempDir(), "rigger")
	build := exec.Command("go", "build", "-o", bin, "github.com/rigger-ci/rigger/cmd/rigger")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "run", "-C", dir, "--data-dir", t.TempDir())
	cmd.Dir = t.TempDir() // -C, not the working directory, says where the checkout is
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rigger run -C examples/hello: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^hello-ci\s+\(pipeline\)\s+succeeded`).Match(out) ||
		!strings.Contains(string(out), "1 pipeline run(s) succeeded.") {
		t.Errorf("no green summary\n%s", out)
	}
}
