package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
)

// dataDirLabel marks the containers of one data directory, so that a restarted executor
// removes what its predecessor left running and never touches another Rigger's steps.
const dataDirLabel = "rigger.dev/data-dir"

// containerRuntimes are the docker-compatible command-line clients Rigger can drive, in the
// order they are tried.
var containerRuntimes = []string{"podman", "docker"}

// ContainerRuntime is a docker-compatible client (podman or docker) that runs steps in their
// images. Both take the same `run` flags Rigger uses, so one argument builder serves both.
type ContainerRuntime struct {
	Name string // podman or docker
	Path string
}

// DetectContainerRuntime finds a runtime that answers: want names one ("podman", "docker" or
// a path to either); empty tries podman, then docker. A client whose engine does not answer
// (docker without its daemon) does not count, and the error says why each was passed over.
func DetectContainerRuntime(ctx context.Context, want string) (*ContainerRuntime, error) {
	candidates := containerRuntimes
	if want != "" {
		candidates = []string{want}
	}
	var why []string
	for _, c := range candidates {
		path, err := exec.LookPath(c)
		if err != nil {
			why = append(why, c+": not found on PATH")
			continue
		}
		infoCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		out, err := exec.CommandContext(infoCtx, path, "info").CombinedOutput()
		cancel()
		if err != nil {
			why = append(why, fmt.Sprintf("%s: `%s info` failed: %s", c, c, lastLine(out, err)))
			continue
		}
		return &ContainerRuntime{Name: filepath.Base(c), Path: path}, nil
	}
	return nil, fmt.Errorf("no working container runtime (%s)", strings.Join(why, "; "))
}

// containerStep is one step made into a container.
type containerStep struct {
	Name       string // the container's name, unique on the host
	Image      string
	PullPolicy corev1.PullPolicy
	Entrypoint string // empty: the image's
	Args       []string
	Env        []corev1.EnvVar
	WorkingDir string
	Mount      string   // a host directory mounted at the same path
	Volumes    []string // more such directories: the run's persistent volume claims
	DataDirID  string
}

// runArgs is the `run` command line for a step. The host's network and resource limits are
// kept, as a process step would have them; the run directory is mounted at its host path so
// that workspace and result paths mean the same inside and out.
func (c *ContainerRuntime) runArgs(s containerStep) []string {
	args := []string{"run", "--rm", "--name", s.Name, "--label", dataDirLabel + "=" + s.DataDirID,
		"--network", "host", "--pull", pullFlag(s.PullPolicy)}
	args = append(args, ulimitFlags()...)
	args = append(args, "--volume", s.Mount+":"+s.Mount, "--workdir", s.WorkingDir)
	for _, v := range s.Volumes {
		args = append(args, "--volume", v+":"+v)
	}
	for _, e := range s.Env {
		args = append(args, "--env", e.Name+"="+e.Value)
	}
	if s.Entrypoint != "" {
		args = append(args, "--entrypoint", s.Entrypoint)
	}
	args = append(args, s.Image)
	return append(args, s.Args...)
}

// stop ends a step's container: SIGTERM, then SIGKILL after the grace period, then removal
// in case its client was killed before it could remove it.
func (c *ContainerRuntime) stop(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), killGrace+20*time.Second)
	defer cancel()
	_ = exec.CommandContext(ctx, c.Path, "stop", "--time", strconv.Itoa(int(killGrace/time.Second)), name).Run()
	_ = exec.CommandContext(ctx, c.Path, "rm", "--force", name).Run()
}

// removeLeftovers removes the containers a previous executor on the same data directory left
// behind when it was killed; their runs are already marked interrupted.
func (c *ContainerRuntime) removeLeftovers(ctx context.Context, dataDirID string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, c.Path, "ps", "--all", "--quiet", "--filter", "label="+dataDirLabel+"="+dataDirID).Output()
	if err != nil {
		return fmt.Errorf("%s ps: %s", c.Name, lastLine(out, err))
	}
	ids := strings.Fields(string(out))
	if len(ids) == 0 {
		return nil
	}
	// Killed first: a forced removal would give each the full stop timeout.
	_ = exec.CommandContext(ctx, c.Path, append([]string{"kill"}, ids...)...).Run()
	if out, err := exec.CommandContext(ctx, c.Path, append([]string{"rm", "--force"}, ids...)...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s rm: %s", c.Name, lastLine(out, err))
	}
	return nil
}

// pullFlag maps a Kubernetes pull policy to `run --pull`; Kubernetes' default for a tagged
// image is IfNotPresent.
func pullFlag(p corev1.PullPolicy) string {
	switch p {
	case corev1.PullAlways:
		return "always"
	case corev1.PullNever:
		return "never"
	default:
		return "missing"
	}
}

// ulimitFlags hands the step the open-file and process limits Rigger itself has. Left to
// itself a runtime asks for far higher ones, which fails where the host may not raise them.
// A process limit beyond pid_max means nothing, so it is capped there.
func ulimitFlags() []string {
	var flags []string
	var nofile, nproc syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &nofile) == nil {
		flags = append(flags, "--ulimit", fmt.Sprintf("nofile=%d:%d", nofile.Cur, nofile.Max))
	}
	const rlimitNproc = 6 // RLIMIT_NPROC on Linux; syscall does not name it
	if syscall.Getrlimit(rlimitNproc, &nproc) == nil {
		if b, err := os.ReadFile("/proc/sys/kernel/pid_max"); err == nil {
			if max, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
				nproc.Cur, nproc.Max = min(nproc.Cur, max), min(nproc.Max, max)
			}
		}
		flags = append(flags, "--ulimit", fmt.Sprintf("nproc=%d:%d", nproc.Cur, nproc.Max))
	}
	return flags
}

// dataDirID names a data directory in container labels.
func dataDirID(dataDir string) string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	sum := sha256.Sum256([]byte(abs))
	return hex.EncodeToString(sum[:8])
}

// containerName is a step container's name: readable, and unique per data directory, run,
// task attempt and step.
func containerName(dataDirID, run, task string, attempt int, step string) string {
	name := fmt.Sprintf("rigger-%.8s-%s-%s-%d-%s", dataDirID, run, pathSafe(task), attempt, pathSafe(step))
	if len(name) > 200 {
		sum := sha256.Sum256([]byte(name))
		name = name[:180] + "-" + hex.EncodeToString(sum[:6])
	}
	return name
}

// lastLine is the last non-empty line of a command's output, or its error.
func lastLine(out []byte, err error) string {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	if l := strings.TrimSpace(string(lines[len(lines)-1])); l != "" {
		return l
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return lastLine(ee.Stderr, nil)
	}
	if err != nil {
		return err.Error()
	}
	return "no output"
}

// inContainer turns a process step into the runtime client's command that runs it in the
// step's image. A script is written into the (mounted) run directory and becomes the
// entrypoint; without a shebang it gets Tekton's `#!/bin/sh` and `set -e`.
func (x *execution) inContainer(ps processSpec, step *v1.Step, name string) (processSpec, error) {
	cs := containerStep{
		Name: name, Image: qualifiedImage(step.Image), PullPolicy: step.ImagePullPolicy, Env: step.Env,
		WorkingDir: ps.Dir, Mount: x.runDir, Volumes: x.volumes, DataDirID: x.dataDirID,
	}
	switch {
	case ps.Script != "":
		script := ps.Script
		if !strings.HasPrefix(script, "#!") {
			script = "#!/bin/sh\n" + scriptPreamble + script
		}
		path, err := writeScript(ps.ScriptDir, script)
		if err != nil {
			return ps, err
		}
		cs.Entrypoint, cs.Args = path, ps.Args
	case len(ps.Command) > 0:
		cs.Entrypoint, cs.Args = ps.Command[0], append(append([]string{}, ps.Command[1:]...), ps.Args...)
	default:
		cs.Args = ps.Args // the image's entrypoint
	}
	if strings.HasPrefix(cs.WorkingDir, x.runDir) {
		if err := os.MkdirAll(cs.WorkingDir, 0o755); err != nil {
			return ps, err
		}
	}
	rt := x.containers
	return processSpec{
		Command: append([]string{rt.Path}, rt.runArgs(cs)...),
		Env:     x.env, // the client's, not the step's: the step's go in --env
		Dir:     x.runDir,
		LogPath: ps.LogPath, OnLine: ps.OnLine,
		Stop: func() { rt.stop(name) },
	}, nil
}

// qualifiedImage spells an image reference out in full as Kubernetes reads it: "golang:1.26"
// is docker.io/library/golang:1.26. Podman would otherwise look the short name up in its own
// search list, or refuse to guess without a terminal.
func qualifiedImage(image string) string {
	ref, err := name.ParseReference(image, name.WeakValidation)
	if err != nil {
		return image // the runtime's error will name it
	}
	repo := ref.Context()
	registry := repo.RegistryStr()
	if registry == name.DefaultRegistry {
		registry = "docker.io"
	}
	sep := ":"
	if _, ok := ref.(name.Digest); ok {
		sep = "@"
	}
	return registry + "/" + repo.RepositoryStr() + sep + ref.Identifier()
}
