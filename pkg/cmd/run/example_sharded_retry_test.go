package run_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestShardedRetriesFailedTestsOnce runs the catalog's go-test-sharded (as examples/sharded
// uses it) on a module with a test that fails once and one that always fails: each shard
// retries its failed tests once, the report calls the first flaky and the second failed, and
// the run fails for the second alone.
func TestShardedRetriesFailedTestsOnce(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the steps need go on PATH")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "rigger"), "github.com/rigger-ci/rigger/cmd/rigger")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	// The flaky test fails when its marker is missing and leaves it behind.
	t.Setenv("RIGGER_FLAKY_DIR", t.TempDir())

	files := map[string]string{
		"go.mod": "module example.com/retry\n\ngo 1.26\n",
		"flaky/flaky_test.go": `package flaky

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFlaky(t *testing.T) {
	marker := filepath.Join(os.Getenv("RIGGER_FLAKY_DIR"), "ran")
	if _, err := os.Stat(marker); err != nil {
		os.WriteFile(marker, nil, 0o644)
		t.Fatal("first attempt fails")
	}
}

func TestSteady(t *testing.T) {}
`,
		"broken/broken_test.go": `package broken

import "testing"

func TestBroken(t *testing.T) {
	t.Error("always wrong")
}
`,
	}
	example := filepath.Join("..", "..", "..", "examples", "sharded", ".tekton")
	entries, err := os.ReadDir(example)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		content, err := os.ReadFile(filepath.Join(example, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[".tekton/"+e.Name()] = string(content)
	}
	dir := gitRepo(t, files)

	res := rigger(t, context.Background(), "-C", dir, "--data-dir", t.TempDir(), "--parallel", "4", "--logs")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1: TestBroken fails on its retry too\n%s", res.code, res)
	}
	for _, want := range []string{
		"retrying the failed tests once",
		"sharded-ci/report/rigger-test-report | tests: 3 run, 2 passed, 1 failed, 0 skipped, 1 flaky",
		"sharded-ci/report/rigger-test-report | FAIL example.com/retry/broken TestBroken",
		"sharded-ci/report/rigger-test-report |     broken_test.go:6: always wrong",
		"sharded-ci/report/rigger-test-report | FLAKY example.com/retry/flaky TestFlaky: failed, then passed on retry",
		// rigger run's own summary after the task table, as the check run would show it
		"\nsharded-ci: go tests of 3 shard(s), from workspace source:\ntests: 3 run, 2 passed, 1 failed, 0 skipped, 1 flaky\n" +
			"FAIL example.com/retry/broken TestBroken (0.00s)\n    broken_test.go:6: always wrong\n",
	} {
		if !strings.Contains(res.out, want) {
			t.Errorf("output lacks %q\n%s", want, res)
		}
	}
	// The flaky test's shard passed, the broken test's shard failed after its retry.
	if n := strings.Count(res.out, "go-test: failed"); n != 1 {
		t.Errorf("%d shard(s) failed, want only TestBroken's\n%s", n, res)
	}
}
