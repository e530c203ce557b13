package local

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/internal/testimage"
	"github.com/rigger-ci/rigger/pkg/run"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// containerRuntime is the runtime the container tests use; without one they skip, or fail
// where RIGGER_REQUIRE_CONTAINERS says one must be there.
func containerRuntime(t *testing.T) *ContainerRuntime {
	t.Helper()
	rt, err := DetectContainerRuntime(context.Background(), os.Getenv(testimage.RuntimeEnv))
	testimage.NeedRuntime(t, err)
	return rt
}

func testImage(t *testing.T, rt *ContainerRuntime) string { return testimage.Busybox(t, rt.Path) }

// useImage makes every step of pr run in image.
func useImage(pr *v1.PipelineRun, image string) {
	ps := pr.Spec.PipelineSpec
	for _, tasks := range [][]v1.PipelineTask{ps.Tasks, ps.Finally} {
		for i := range tasks {
			ts := tasks[i].TaskSpec
			if ts == nil {
				continue
			}
			for j := range ts.Steps {
				ts.Steps[j].Image = image
			}
		}
	}
}

// assertNoContainers checks that nothing of the data directory's runs is left in the runtime.
func assertNoContainers(t *testing.T, rt *ContainerRuntime, dataDir string) {
	t.Helper()
	var out []byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		out, err = exec.Command(rt.Path, "ps", "--all", "--format", "{{.Names}}", "--filter", "label="+dataDirLabel+"="+dataDirID(dataDir)).Output()
		if err != nil {
			t.Fatalf("%s ps: %v", rt.Name, err)
		}
		if len(bytes.TrimSpace(out)) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("containers left behind: %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestContainerStepsSeeTheirImageNotTheHost(t *testing.T) {
	rt := containerRuntime(t)
	t.Setenv("RIGGER_HOST_ONLY", "leaked")
	e := newExecutor(t, Config{Isolation: IsolationContainer, ContainerRuntime: rt.Path})
	pr := loadPR(t, "container.yaml")
	useImage(pr, testImage(t, rt))
	r := runToEnd(t, e, pr)
	if r.State != run.Succeeded {
		t.Fatalf("run %s (%s: %s), want succeeded; log tail:\n%s", r.State, r.Reason, r.Message, r.LogTail)
	}
	// The image has busybox alone: a host file such as /etc/os-release is not there, and the
	// host's environment stays outside while the step's own comes in.
	want := "no os-release\nhost env: \nstep env: from-step\n"
	if got := workspaceFile(t, e, r, "shared", "inside"); got != want {
		t.Errorf("the step saw %q, want %q", got, want)
	}
	tail, err := e.LogTail(context.Background(), r, "look", "entrypoint", 5)
	if err != nil || strings.TrimSpace(tail) != "the image's entrypoint says hello" {
		t.Errorf("a step without command ran %q (%v), want the image's entrypoint with the step's args", tail, err)
	}
	assertNoContainers(t, rt, e.DataDir())
}

func TestContainerLeftoversAreRemovedAtStart(t *testing.T) {
	rt := containerRuntime(t)
	dir := t.TempDir()
	image := testImage(t, rt)
	name := containerName(dataDirID(dir), "left-running", "build", 0, "compile")
	args := append([]string{"run", "--detach", "--name", name, "--label", dataDirLabel + "=" + dataDirID(dir), "--network", "host"}, ulimitFlags()...)
	out, err := exec.Command(rt.Path, append(args, "--entrypoint", "/bin/sleep", image, "600")...).CombinedOutput()
	if err != nil {
		t.Fatalf("start a leftover container: %s", lastLine(out, err))
	}
	t.Cleanup(func() { _ = exec.Command(rt.Path, "rm", "--force", name).Run() })

	newExecutor(t, Config{DataDir: dir, Isolation: IsolationContainer, ContainerRuntime: rt.Path})
	assertNoContainers(t, rt, dir)
}

func TestNoContainerRuntimeIsAClearError(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := New(Config{DataDir: t.TempDir(), Isolation: IsolationContainer})
	if err == nil || !strings.Contains(err.Error(), "podman: not found on PATH") || !strings.Contains(err.Error(), "docker: not found on PATH") {
		t.Errorf("New without a runtime: %v, want an error naming podman and docker", err)
	}

	// A client whose engine does not answer, as docker without its daemon.
	bin := t.TempDir()
	script := "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = New(Config{DataDir: t.TempDir(), Isolation: IsolationContainer, ContainerRuntime: filepath.Join(bin, "docker")})
	if err == nil || !strings.Contains(err.Error(), "Cannot connect to the Docker daemon") {
		t.Errorf("New with a dead engine: %v, want the client's own complaint", err)
	}
}

func TestQualifiedImage(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                               "docker.io/library/busybox:latest",
		"golang:1.26":                           "docker.io/library/golang:1.26",
		"ghcr.io/octo/tool:v1":                  "ghcr.io/octo/tool:v1",
		"localhost/rigger-test/bb:1":            "localhost/rigger-test/bb:1",
		"registry:5000/team/img":                "registry:5000/team/img:latest",
		"alpine@sha256:" + hex64("a"):           "docker.io/library/alpine@sha256:" + hex64("a"),
		"quay.io/org/name@sha256:" + hex64("b"): "quay.io/org/name@sha256:" + hex64("b"),
	} {
		if got := qualifiedImage(in); got != want {
			t.Errorf("qualifiedImage(%q) = %q, want %q", in, got, want)
		}
	}
}

func hex64(c string) string { return strings.Repeat(c, 64) }
