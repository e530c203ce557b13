// Package testimage gives tests a container runtime's verdict and a small local image, so
// that container isolation is tested with no registry.
package testimage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

const (
	// RequireEnv, when set, makes a missing container runtime a test failure instead of a
	// skip: CI installs podman and sets it.
	RequireEnv = "RIGGER_REQUIRE_CONTAINERS"
	// RuntimeEnv picks the runtime the tests use (podman, docker or a path); empty: the first
	// that answers.
	RuntimeEnv = "RIGGER_TEST_CONTAINER_RUNTIME"
)

// NeedRuntime ends the test when no runtime was found (err): a skip, or a failure where
// RIGGER_REQUIRE_CONTAINERS is set.
func NeedRuntime(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv(RequireEnv) != "" {
		t.Fatalf("%s is set: %v", RequireEnv, err)
	}
	t.Skipf("container isolation not tested: %v (set %s to make this a failure)", err, RequireEnv)
}

var (
	mu    sync.Mutex
	built = map[string]string{} // runtime path -> image
)

// Busybox is a local image holding the host's static busybox with every applet linked, PATH
// /bin, and an entrypoint that echoes "the image's entrypoint says" and its arguments. It is
// named by the binary's hash, so later runs reuse it.
func Busybox(t testing.TB, runtime string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if ref, ok := built[runtime]; ok {
		return ref
	}
	ref, err := build(runtime)
	if err != nil {
		t.Fatalf("test image: %v", err)
	}
	built[runtime] = ref
	return ref
}

func build(runtime string) (string, error) {
	const busybox = "/bin/busybox"
	bin, err := os.ReadFile(busybox)
	if err != nil {
		return "", fmt.Errorf("%w (install Debian's busybox-static)", err)
	}
	f, err := elf.Open(busybox)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", fmt.Errorf("%s is dynamically linked: install Debian's busybox-static", busybox)
		}
	}
	sum := sha256.Sum256(bin)
	ref := "localhost/rigger-test/busybox:" + hex.EncodeToString(sum[:6])
	if exec.Command(runtime, "image", "inspect", ref).Run() == nil {
		return ref, nil
	}
	applets, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return "", err
	}
	rootfs, err := rootFS(bin, strings.Fields(string(applets)))
	if err != nil {
		return "", err
	}
	cmd := exec.Command(runtime, "import",
		"--change", `ENTRYPOINT ["/bin/echo", "the image's entrypoint says"]`,
		"--change", "ENV PATH=/bin", "-", ref)
	cmd.Stdin = rootfs
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s import: %v: %s", runtime, err, bytes.TrimSpace(out))
	}
	return ref, nil
}

// rootFS is a tar of /bin/busybox, a link per applet, and empty /tmp and /etc.
func rootFS(bin []byte, applets []string) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range []string{"bin/", "tmp/", "etc/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o1777}); err != nil {
			return nil, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	for _, a := range applets {
		if a == "busybox" {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: "bin/" + a, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}); err != nil {
			return nil, err
		}
	}
	return &buf, tw.Close()
}
