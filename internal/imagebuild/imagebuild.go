// Package imagebuild builds Rigger's container image from Go, with go-containerregistry: no
// Docker engine, no registry, no base image to pull. The image is scratch plus what a static
// Go binary needs at run time: a CA bundle for GitHub's TLS, /etc/passwd naming the non-root
// user it runs as, and writable /tmp and home directories (the Helm chart mounts emptyDirs
// over them when the root filesystem is read-only).
package imagebuild

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The user the image runs as: 65532 is distroless's "nonroot", which clusters' policies and
// Helm charts commonly expect; any non-zero uid would do for runAsNonRoot.
const (
	UID      = 65532
	UserName = "nonroot"
	Home     = "/home/nonroot"
	// BinaryPath is where the rigger binary lives in the image.
	BinaryPath = "/usr/local/bin/rigger"
	// CABundlePath is where Go's crypto/x509 looks first on Linux.
	CABundlePath = "/etc/ssl/certs/ca-certificates.crt"
)

// Spec is what goes into the image.
type Spec struct {
	// Binary is a static linux/amd64 rigger binary (CGO_ENABLED=0): scratch has no libc.
	Binary string
	// CABundle is a PEM bundle of root certificates, e.g. Debian's
	// /etc/ssl/certs/ca-certificates.crt. Go cannot embed its own roots, so the image carries
	// the build host's, and rebuilding the image refreshes them.
	CABundle string
	// Version labels the image (org.opencontainers.image.version).
	Version string
	// Created is the timestamp of the image and of every file in it. The zero value means the
	// Unix epoch, so that the same inputs give the same digest on every machine.
	Created time.Time
}

// Build assembles the image: a base layer (passwd, group, CA bundle, directories) and a layer
// holding only the binary, so a rebuild with a new binary leaves the base layer's digest alone.
func Build(s Spec) (v1.Image, error) {
	bin, err := os.ReadFile(s.Binary)
	if err != nil {
		return nil, err
	}
	if err := checkStatic(s.Binary); err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(s.CABundle)
	if err != nil {
		return nil, fmt.Errorf("CA bundle: %w (on Debian: apt-get install ca-certificates)", err)
	}
	if !bytes.Contains(ca, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", s.CABundle)
	}
	created := s.Created
	if created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}

	u := strconv.Itoa(UID)
	base, err := layer(created, []entry{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/sbin/nologin\n" +
			UserName + ":x:" + u + ":" + u + ":" + UserName + ":" + Home + ":/sbin/nologin\n")},
		{name: "etc/group", mode: 0o644, data: []byte("root:x:0:\n" + UserName + ":x:" + u + ":\n")},
		// Go's resolver reads it to put /etc/hosts before DNS, as glibc does.
		{name: "etc/nsswitch.conf", mode: 0o644, data: []byte("hosts: files dns\n")},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: CABundlePath[1:], mode: 0o644, data: ca},
		{name: "home/", mode: 0o755, dir: true},
		{name: Home[1:] + "/", mode: 0o700, dir: true, uid: UID},
		{name: "tmp/", mode: 0o1777, dir: true},
	})
	if err != nil {
		return nil, err
	}
	binLayer, err := layer(created, []entry{
		{name: "usr/", mode: 0o755, dir: true},
		{name: "usr/local/", mode: 0o755, dir: true},
		{name: "usr/local/bin/", mode: 0o755, dir: true},
		{name: BinaryPath[1:], mode: 0o755, data: bin},
	})
	if err != nil {
		return nil, err
	}

	img, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1),
		mutate.Addendum{Layer: base, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "rigger imagebuild: passwd, CA bundle, /tmp, home", Comment: "base"}},
		mutate.Addendum{Layer: binLayer, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "rigger imagebuild: " + BinaryPath}},
	)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: created}
	cf.Config = v1.Config{
		// Entrypoint is the binary and Cmd its default subcommand, so the image serves by
		// default and `rigger lint` or `rigger version` still run in it without --entrypoint.
		Entrypoint: []string{BinaryPath},
		Cmd:        []string{"serve"},
		User:       u + ":" + u,
		WorkingDir: Home,
		Env: []string{
			"PATH=/usr/local/bin",
			"HOME=" + Home,
			"SSL_CERT_FILE=" + CABundlePath,
		},
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":    "rigger",
			"org.opencontainers.image.source":   "https://github.com/rigger-ci/rigger",
			"org.opencontainers.image.version":  s.Version,
			"org.opencontainers.image.licenses": "Apache-2.0",
		},
	}
	return mutate.ConfigFile(img, cf)
}

// checkStatic refuses a dynamically linked binary: in scratch it would fail at exec with a
// baffling "no such file or directory" for its missing interpreter.
func checkStatic(p string) error {
	f, err := elf.Open(p)
	if err != nil {
		return fmt.Errorf("%s: not a Linux binary: %w", p, err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 {
		return fmt.Errorf("%s: built for %s, the image is linux/amd64 (GOARCH=amd64)", p, f.Machine)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: build it with CGO_ENABLED=0", p)
		}
	}
	return nil
}

type entry struct {
	name string
	mode int64
	data []byte
	dir  bool
	uid  int
}

// layer writes entries as an uncompressed tar with fixed owners and times, sorted, so the
// same inputs give the same bytes; the layer is gzip-compressed for the manifest.
func layer(t time.Time, entries []entry) (v1.Layer, error) {
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{
			Name: e.name, Mode: e.mode, ModTime: t, Uid: e.uid, Gid: e.uid,
			Typeflag: tar.TypeReg, Size: int64(len(e.data)), Format: tar.FormatPAX,
		}
		if e.dir {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if e.uid != 0 {
			h.Uname, h.Gname = UserName, UserName
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
}
