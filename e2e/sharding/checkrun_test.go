package sharding

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	"github.com/rigger-ci/rigger/internal/fakegithub"
)

// shardy is a Go module of three packages: broken's TestBroken always fails at
// broken_test.go:6, flaky's TestFlaky fails on its first attempt only, steady passes.
var shardy = map[string]string{
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
	"steady/steady_test.go": "package steady\n\nimport \"testing\"\n\nfunc TestOne(t *testing.T) {}\n\nfunc TestTwo(t *testing.T) {}\n",
}

const unitDefinition = `apiVersion: tekton.dev/v1
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
    - {name: go-flags, value: "-count=1"}
    - {name: image, value: "` + podImage + `"}
  workspaces:
    - name: source
      volumeClaimTemplate:
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
`

// A pull request's sharded unit tests on real pods, through Rigger's server: the check run is
// red, names the failing test with an annotation at its line, and lists the test that passed
// on its retry as flaky, not failed.
func TestShardedReportOnTheCheckRun(t *testing.T) {
	c := framework.Connect(t)
	c.RequireRealPods(t)
	ns := c.Namespace(t)
	files := newHostTools(t).tektonFiles(t)
	files[".tekton/unit.yaml"] = unitDefinition
	rig := c.StartRig(t, ns, framework.RigOptions{Files: files})
	pr := rig.OpenPullRequest(t, "feature", "Add packages", shardy)
	d, err := rig.Fake.SendPullRequest(context.Background(), rig.HookURL, rig.Secret, rig.Repo.FullName(), pr.Number, "opened")
	if err != nil || d.Status != http.StatusAccepted {
		t.Fatalf("webhook delivery: status %d, err %v", d.Status, err)
	}
	cr := waitForCheckRun(t, rig, pr.HeadSHA, "Rigger / unit", 8*time.Minute)
	if cr.Conclusion != "failure" || !strings.Contains(cr.Output.Title, "6 tests: 1 failed, 1 flaky, 0 skipped") {
		t.Fatalf("check run %s %q, want failure with the counts\n%s\n%s", cr.Conclusion, cr.Output.Title, cr.Output.Summary, cr.Output.Text)
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
	want := []fakegithub.Annotation{
		{Path: "broken/broken_test.go", StartLine: 6, EndLine: 6, AnnotationLevel: "failure", Title: "TestBroken failed", Message: "always wrong"},
		{Path: "flaky/flaky_test.go", StartLine: 13, EndLine: 13, AnnotationLevel: "warning", Title: "TestFlaky is flaky: failed, then passed on retry", Message: "first attempt fails"},
	}
	if fmt.Sprint(cr.Output.Annotations) != fmt.Sprint(want) {
		t.Errorf("annotations\n%+v\nwant\n%+v", cr.Output.Annotations, want)
	}
	t.Logf("check run %q:\n%s", cr.Output.Title, cr.Output.Summary)
}

func waitForCheckRun(t *testing.T, rig *framework.Rig, sha, name string, limit time.Duration) fakegithub.CheckRun {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		for _, cr := range rig.Fake.CheckRuns(rig.Repo.FullName()) {
			if cr.HeadSHA == sha && cr.Name == name && cr.Status == "completed" {
				return cr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no completed check run %q on %s within %s: %+v", name, sha, limit, rig.Fake.CheckRuns(rig.Repo.FullName()))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
