package imagebuild

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// tinyBinary builds a static linux/amd64 program, standing in for rigger to keep the test fast.
func tinyBinary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\nfunc main() { println(\"hi\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "rigger")
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go") // go test found it, though PATH did not
	}
	cmd := exec.Command(gobin, "build", "-o", bin, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=", "GO111MODULE=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func caBundle(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.crt")
	pem := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	if err := os.WriteFile(p, []byte(pem), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// files lists every path in the image's flattened filesystem with its header.
func files(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	got := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got["/"+strings.TrimSuffix(h.Name, "/")] = h
		if h.Name == "etc/passwd" {
			b, _ := io.ReadAll(tr)
			h.PAXRecords = map[string]string{"content": string(b)}
		}
	}
}

func TestBuildImage(t *testing.T) {
	spec := Spec{Binary: tinyBinary(t), CABundle: caBundle(t), Version: "v0.0.0-test"}
	img, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" {
		t.Errorf("User = %q, want 65532:65532 (non-root)", c.User)
	}
	if strings.Join(c.Entrypoint, " ")+" "+strings.Join(c.Cmd, " ") != "/usr/local/bin/rigger serve" {
		t.Errorf("Entrypoint %q Cmd %q, want the image to run `rigger serve`", c.Entrypoint, c.Cmd)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
	if got := cf.Created.Unix(); got != 0 {
		t.Errorf("created %v, want the epoch for a reproducible digest", cf.Created)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 2 {
		t.Fatalf("%d layers, want 2 (base, binary)", len(layers))
	}

	fs := files(t, img)
	for _, p := range []string{"/bin/sh", "/bin/bash", "/bin/busybox", "/usr/bin/env"} {
		if _, ok := fs[p]; ok {
			t.Errorf("%s is in the image: it should hold no shell", p)
		}
	}
	if h := fs[BinaryPath]; h == nil || h.Mode&0o111 == 0 {
		t.Errorf("%s missing or not executable: %+v", BinaryPath, h)
	}
	if fs[CABundlePath] == nil {
		t.Errorf("no CA bundle at %s", CABundlePath)
	}
	if h := fs["/tmp"]; h == nil || h.Mode&0o1777 != 0o1777 {
		t.Errorf("/tmp missing or not 1777: %+v", h)
	}
	if h := fs[Home]; h == nil || h.Uid != UID {
		t.Errorf("%s missing or not owned by %d: %+v", Home, UID, h)
	}
	if h := fs["/etc/passwd"]; h == nil || !strings.Contains(h.PAXRecords["content"], "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd has no entry for uid 65532")
	}
	for p, h := range fs {
		if h.ModTime.Unix() != 0 {
			t.Errorf("%s has mtime %v, want the epoch", p, h.ModTime)
		}
	}

	// The same inputs give the same digest: a rebuild on another machine is the same image.
	again, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two builds of the same inputs differ: %s, %s", d1, d2)
	}
}

func TestBuildRefusesDynamicBinary(t *testing.T) {
	// Debian's /bin/true is dynamically linked: in scratch it could never start.
	_, err := Build(Spec{Binary: "/bin/true", CABundle: caBundle(t)})
	if err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Fatalf("Build(/bin/true) = %v, want an error naming CGO_ENABLED=0", err)
	}
}

// The archive reads back as an OCI image layout holding the same image under its reference,
// which is what ctr import needs.
func TestWriteArchive(t *testing.T) {
	img, err := Build(Spec{Binary: tinyBinary(t), CABundle: caBundle(t)})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	const ref = "rigger.local/rigger:test"
	if err := WriteArchive(&buf, img, ref); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, h.Name)
		if h.Typeflag == tar.TypeDir {
			os.MkdirAll(p, 0o755)
			continue
		}
		b, _ := io.ReadAll(tr)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Annotations["io.containerd.image.name"] != ref {
		t.Fatalf("index %+v, want one manifest named %s for ctr import", im.Manifests, ref)
	}
	want, _ := img.Digest()
	back, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Digest()
	if err != nil || got != want {
		t.Fatalf("read back %s (%v), wrote %s", got, err, want)
	}
	// Every blob is present and matches its digest.
	layers, err := back.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
}
