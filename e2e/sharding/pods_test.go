// Package sharding runs the pipelines/ catalog's go-test-sharded on real pods: Rigger's
// server reports the merged test report on the check run, and the wall time of one suite
// unsharded and sharded is measured.
//
// The cluster has no registry, so the catalog's images are swapped for the locally built ones
// (rigger.local/debian:bookworm-git, rigger.local/busybox:1.35), and the steps that need Go
// and rigger get them from the host: its GOROOT mounted read-only and a rigger binary built
// here (CGO_ENABLED=0) into a directory mounted beside it. The scripts run as they are.
package sharding

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pipelines"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// images the catalog names, and what stands for them on the e2e cluster.
var localImages = strings.NewReplacer(
	"alpine/git:2.47.2", "rigger.local/debian:bookworm-git",
	"busybox:1.37", "rigger.local/busybox:1.35",
)

// podImage is the image of the Go steps: Go and rigger come from the host's mounts.
const podImage = "rigger.local/debian:bookworm-git"

// hostTools are the host directories the Go steps mount.
type hostTools struct {
	goroot   string // the host's Go, read-only
	riggerIn string // holds a rigger binary, read-only
	gocache  string // a build cache shared by the test's pods: only the first compiles std
}

func newHostTools(t testing.TB) hostTools {
	t.Helper()
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "rigger"), "github.com/rigger-ci/rigger/cmd/rigger")
	// Static: the pod's libc is Debian's, not necessarily the host's.
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building rigger for the pods: %v\n%s", err, out)
	}
	cache := t.TempDir()
	// Pods write as root; the directory must be theirs to write whoever runs the test.
	if err := os.Chmod(cache, 0o777); err != nil {
		t.Fatal(err)
	}
	return hostTools{goroot: runtime.GOROOT(), riggerIn: bin, gocache: cache}
}

// withTools gives a catalog Task's steps Go and rigger from the host.
func (h hostTools) withTools(task *pipelinev1.Task) {
	dir := corev1.HostPathDirectory
	task.Spec.Volumes = append(task.Spec.Volumes,
		corev1.Volume{Name: "host-go", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: h.goroot, Type: &dir}}},
		corev1.Volume{Name: "host-rigger", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: h.riggerIn, Type: &dir}}},
		corev1.Volume{Name: "host-gocache", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: h.gocache, Type: &dir}}},
	)
	task.Spec.StepTemplate = &pipelinev1.StepTemplate{
		VolumeMounts: []corev1.VolumeMount{
			{Name: "host-go", MountPath: "/usr/local/go", ReadOnly: true},
			{Name: "host-rigger", MountPath: "/opt/rigger/bin", ReadOnly: true},
			{Name: "host-gocache", MountPath: "/gocache"},
		},
		Env: []corev1.EnvVar{
			{Name: "PATH", Value: "/usr/local/go/bin:/opt/rigger/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			{Name: "CGO_ENABLED", Value: "0"},
			{Name: "GOTOOLCHAIN", Value: "local"},
			{Name: "GOCACHE", Value: "/gocache"},
			{Name: "GOPATH", Value: "/tmp/gopath"},
			{Name: "GOPROXY", Value: "off"},
			{Name: "GOFLAGS", Value: "-mod=mod"},
			// Where the flaky test leaves its marker: the pod's own /tmp, so the retry in the
			// same step finds it and the next run's pod does not.
			{Name: "RIGGER_FLAKY_DIR", Value: "/tmp"},
		},
	}
}

// catalog returns the catalog's Tasks and Pipelines as this cluster can run them.
func (h hostTools) catalog(t testing.TB) (tasks []*pipelinev1.Task, pipes []*pipelinev1.Pipeline) {
	t.Helper()
	err := fs.WalkDir(pipelines.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := fs.ReadFile(pipelines.FS, p)
		if err != nil {
			return err
		}
		data = []byte(localImages.Replace(string(data)))
		switch {
		case strings.HasPrefix(p, "tasks/"):
			var task pipelinev1.Task
			if err := yaml.UnmarshalStrict(data, &task); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if task.Name == "go-test-shard" || task.Name == "go-test-report" {
				h.withTools(&task)
			}
			tasks = append(tasks, &task)
		case strings.HasPrefix(p, "pipelines/"):
			var pipe pipelinev1.Pipeline
			if err := yaml.UnmarshalStrict(data, &pipe); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			pipes = append(pipes, &pipe)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tasks, pipes
}

// tektonFiles is the catalog as .tekton/ files of a repository.
func (h hostTools) tektonFiles(t testing.TB) map[string]string {
	t.Helper()
	files := map[string]string{}
	tasks, pipes := h.catalog(t)
	add := func(name string, obj any) {
		data, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		files[".tekton/"+name+".yaml"] = string(data)
	}
	for _, task := range tasks {
		task.APIVersion, task.Kind = "tekton.dev/v1", "Task"
		add(task.Name, task)
	}
	for _, p := range pipes {
		p.APIVersion, p.Kind = "tekton.dev/v1", "Pipeline"
		add(p.Name, p)
	}
	return files
}
