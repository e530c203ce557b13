package run_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/pkg/executor/local"
)

// TestExampleShardedRunsShardsInParallel runs examples/sharded, whose .tekton/ uses the
// catalog's go-test-sharded pipeline, twice: the three shards run at the same time, every
// test runs once across them, the final task merges their reports, and the second run plans
// from the timing history the first one recorded in its persistent claim.
func TestExampleShardedRunsShardsInParallel(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "examples", "sharded"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the example's steps need go on PATH")
	}
	// The shards' steps call rigger, as they would in an image that has it.
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "rigger"), "github.com/rigger-ci/rigger/cmd/rigger")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	data := t.TempDir()

	for attempt, history := range []string{"no timing history yet", "timing history: sharded-ci"} {
		res := rigger(t, context.Background(), "-C", dir, "--data-dir", data, "--parallel", "4", "--logs")
		if res.code != 0 {
			t.Fatalf("run %d: exit %d, want 0\n%s", attempt, res.code, res)
		}
		for _, task := range []string{`test\[0\]`, `test\[1\]`, `test\[2\]`, "report"} {
			if !regexp.MustCompile(`(?m)^sharded-ci\s+` + task + `\s+succeeded`).MatchString(res.out) {
				t.Errorf("run %d: summary lacks task %s succeeded\n%s", attempt, task, res)
			}
		}
		if !strings.Contains(res.out, "sharded-ci/timings/copy-history | "+history) {
			t.Errorf("run %d: want %q\n%s", attempt, history, res)
		}
		// The merged report: every test of the module once (26 in roman, 2 in each other).
		if !strings.Contains(res.out, "sharded-ci/report/rigger-test-report | tests: 30 run, 30 passed, 0 failed, 0 skipped, 0 flaky") {
			t.Errorf("run %d: no merged summary of 30 tests\n%s", attempt, res)
		}
		if !strings.Contains(res.out, "\nsharded-ci: go tests of 3 shard(s), from workspace source:\ntests: 30 run, 30 passed,") {
			t.Errorf("run %d: rigger run's own test summary is missing\n%s", attempt, res)
		}
		if n := regexp.MustCompile(`(?m)^sharded-ci/report/rigger-test-report \|\s+\S+s\s+shard-[0-2]$`).FindAllStringIndex(res.out, -1); len(n) != 3 {
			t.Errorf("run %d: %d shard wall times in the report, want 3\n%s", attempt, len(n), res)
		}
	}

	// The shards of each run overlapped in time: each started before every other ended.
	e, err := local.New(local.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// The runs' names are their directories (the layout pkg/executor/local documents).
	dirs, err := os.ReadDir(filepath.Join(data, "runs"))
	if err != nil || len(dirs) != 2 {
		t.Fatalf("%d runs stored (%v), want 2", len(dirs), err)
	}
	for _, d := range dirs {
		r, err := e.Get(context.Background(), "", d.Name())
		if err != nil || r == nil {
			t.Fatalf("run %s: %v", d.Name(), err)
		}
		var latestStart, earliestEnd time.Time
		shards := 0
		for _, task := range r.Tasks {
			if !strings.HasPrefix(task.Name, "test[") {
				continue
			}
			shards++
			if task.StartTime.After(latestStart) {
				latestStart = task.StartTime
			}
			if earliestEnd.IsZero() || task.CompletionTime.Before(earliestEnd) {
				earliestEnd = task.CompletionTime
			}
		}
		if shards != 3 || !latestStart.Before(earliestEnd) {
			t.Errorf("run %s: %d shards; the last started at %v, after the first ended at %v: not in parallel",
				r.Name, shards, latestStart, earliestEnd)
		}
	}
}
