package smoke

import (
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	"github.com/rigger-ci/rigger/internal/fakegithub"
)

// TestCloneAndGoTestOnAPVCWorkspace is a CI build as Rigger's users run them: one task clones
// a repository served from the host over HTTP into a PVC workspace, the next runs `go test`
// there. The Go toolchain is the host's, mounted read-only: the same Go as the host's tests,
// with no 1 GB image to build or import.
func TestCloneAndGoTestOnAPVCWorkspace(t *testing.T) {
	c := framework.Connect(t)
	c.RequireRealPods(t)
	ns := c.Namespace(t)

	fake, err := fakegithub.New(fakegithub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Start(net.JoinHostPort(c.PodGateway, "0")); err != nil {
		t.Fatalf("serving git on the pod gateway: %v", err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	repo, err := fake.CreateRepo("acme/adder", "main")
	if err != nil {
		t.Fatal(err)
	}
	sha, err := repo.Commit("main", "adder with a test", map[string]string{
		"go.mod":        "module example.com/adder\n\ngo 1.22\n",
		"adder.go":      "package adder\n\nfunc Add(a, b int) int { return a + b }\n",
		"adder_test.go": "package adder\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal(\"2+3 != 5\")\n\t}\n}\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	goroot := runtime.GOROOT()
	pr := c.CreatePipelineRun(t, ns, `
metadata: {name: ci}
spec:
  workspaces:
  - name: source
    volumeClaimTemplate:
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
  pipelineSpec:
    workspaces: [{name: source}]
    tasks:
    - name: clone
      workspaces: [{name: source, workspace: source}]
      taskSpec:
        workspaces: [{name: source}]
        steps:
        - name: clone
          image: rigger.local/debian:bookworm-git
          script: |
            set -e
            git clone --quiet `+repo.HTMLURL()+` $(workspaces.source.path)/src
            cd $(workspaces.source.path)/src
            git -c advice.detachedHead=false checkout --quiet `+sha+`
            git rev-parse HEAD
    - name: test
      runAfter: [clone]
      workspaces: [{name: source, workspace: source}]
      taskSpec:
        workspaces: [{name: source}]
        volumes:
        - name: goroot
          hostPath: {path: `+goroot+`}
        steps:
        - name: go-test
          image: rigger.local/debian:bookworm-git
          volumeMounts: [{name: goroot, mountPath: /usr/local/go, readOnly: true}]
          env:
          - {name: CGO_ENABLED, value: "0"}
          - {name: GOTOOLCHAIN, value: local}
          - {name: GOCACHE, value: /tmp/gocache}
          - {name: GOPATH, value: /tmp/gopath}
          - {name: GOFLAGS, value: -mod=mod}
          script: |
            set -e
            cd $(workspaces.source.path)/src
            /usr/local/go/bin/go test -v ./...
`)
	done := c.WaitForDone(t, ns, pr.Name, 5*time.Minute)
	if !done.IsSuccessful() {
		t.Fatalf("CI PipelineRun failed: %+v", framework.Succeeded(done))
	}
	if log := c.StepLog(t, ns, done, "clone", "clone"); !strings.Contains(log, sha) {
		t.Errorf("clone step did not check out %s:\n%s", sha, log)
	}
	log := c.StepLog(t, ns, done, "test", "go-test")
	if !strings.Contains(log, "--- PASS: TestAdd") || !strings.Contains(log, "ok  \texample.com/adder") {
		t.Fatalf("go test in the pod did not pass TestAdd:\n%s", log)
	}
}
