package server

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pipelines"
)

// shardedModule is a Go module of two packages: broken's TestBroken always fails at
// broken_test.go:6, flaky's TestFlaky fails on its first attempt only (its marker is left in
// RIGGER_FLAKY_DIR).
var shardedModule = map[string]string{
	"go.mod": "module example.com/shardy\n\ngo 1.22\n",
	"broken/broken_test.go": `package broken

import "testing"

func TestBroken(t *testing.T) {
	t.Error("always wrong")
}

func TestFine(t *testing.T) {}
`,
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
}

// shardedDefinition runs the catalog's go-test-sharded in two shards on a pull request.
const shardedDefinition = `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: unit
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  pipelineRef: {name: go-test-sharded}
  params:
    - {name: repo-url, value: "{{ repo_url }}"}
    - {name: revision, value: "{{ revision }}"}
    - {name: shards, value: "2"}
    - {name: shard-indices, value: ["0", "1"]}
  workspaces:
    - name: source
      volumeClaimTemplate:
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
`

// The catalog's sharded pipeline run by Rigger's server on the local executor: the check run
// is red, names the failing test with an annotation at its file:line, and lists the test
// that passed on its retry as flaky, not as a failure.
func TestShardedTestReportOnTheCheckRun(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the steps need go on PATH")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git-clone needs git on PATH")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "rigger"), "github.com/rigger-ci/rigger/cmd/rigger")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("RIGGER_FLAKY_DIR", t.TempDir())

	files := map[string]string{".tekton/unit.yaml": shardedDefinition}
	for _, f := range []string{"tasks/git-clone.yaml", "tasks/go-test-shard.yaml", "tasks/go-test-report.yaml", "pipelines/go-test-sharded.yaml"} {
		data, err := pipelines.FS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		files[".tekton/"+filepath.Base(f)] = string(data)
	}
	h := newHarness(t, files)
	pr := h.openPR(shardedModule)
	h.sendPR(pr.Number, "opened")

	var cr fakegithub.CheckRun
	deadline := time.Now().Add(3 * time.Minute) // two go test runs and their compiles
	for {
		var ok bool
		if cr, ok = h.checkRun("unit", pr.HeadSHA); ok && cr.Status == "completed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no completed check run\n%s", h.dump())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if cr.Conclusion != "failure" || !strings.Contains(cr.Output.Title, "4 tests: 1 failed, 1 flaky, 0 skipped") {
		t.Fatalf("check run %s %q, want failure with the counts\n%s\n%s", cr.Conclusion, cr.Output.Title, cr.Output.Summary, h.dump())
	}
	for _, want := range []string{
		"| `TestBroken` | `example.com/shardy/broken` | `broken_test.go:6` |",
		"- `TestFlaky` in `example.com/shardy/flaky`",
		"| `shard-0` |", "| `shard-1` |",
	} {
		if !strings.Contains(cr.Output.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, cr.Output.Summary)
		}
	}
	if strings.Contains(cr.Output.Summary, "| `TestFlaky` | `example.com/shardy/flaky` | `") {
		t.Errorf("the flaky test is listed as failed:\n%s", cr.Output.Summary)
	}
	want := []fakegithub.Annotation{
		{Path: "broken/broken_test.go", StartLine: 6, EndLine: 6, AnnotationLevel: "failure", Title: "TestBroken failed", Message: "always wrong"},
		{Path: "flaky/flaky_test.go", StartLine: 13, EndLine: 13, AnnotationLevel: "warning", Title: "TestFlaky is flaky: failed, then passed on retry", Message: "first attempt fails"},
	}
	if fmt.Sprint(cr.Output.Annotations) != fmt.Sprint(want) {
		t.Errorf("annotations\n%+v\nwant\n%+v", cr.Output.Annotations, want)
	}
}
