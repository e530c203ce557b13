package imagebuild

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// WriteArchive writes img as an OCI image-layout tarball (oci-layout, index.json,
// blobs/sha256/...), the format `ctr -n k8s.io images import` reads and the one
// e2e/cluster/scripts/mkimage.sh writes for the harness's other images. The index names the
// image twice: io.containerd.image.name (the full reference, which ctr import uses) and
// org.opencontainers.image.ref.name. Entries are in a fixed order with fixed times, so the
// archive's bytes depend only on the image.
func WriteArchive(w io.Writer, img v1.Image, ref string) error {
	manifest, err := img.RawManifest()
	if err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	index := v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests: []v1.Descriptor{{
			MediaType: types.OCIManifestSchema1,
			Digest:    digest,
			Size:      int64(len(manifest)),
			Platform:  &v1.Platform{Architecture: "amd64", OS: "linux"},
			Annotations: map[string]string{
				"io.containerd.image.name":          ref,
				"org.opencontainers.image.ref.name": ref,
			},
		}},
	}
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return err
	}

	tw := tar.NewWriter(w)
	file := func(name string, size int64, body func(io.Writer) error) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return err
		}
		return body(tw)
	}
	bytesOf := func(b []byte) func(io.Writer) error {
		return func(w io.Writer) error { _, err := w.Write(b); return err }
	}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Mode: 0o755, ModTime: time.Unix(0, 0), Typeflag: tar.TypeDir, Format: tar.FormatPAX}); err != nil {
			return err
		}
	}
	written := map[v1.Hash]bool{}
	blob := func(h v1.Hash, size int64, body func(io.Writer) error) error {
		if written[h] {
			return nil
		}
		written[h] = true
		return file("blobs/sha256/"+h.Hex, size, body)
	}
	if err := blob(cfgName, int64(len(cfg)), bytesOf(cfg)); err != nil {
		return err
	}
	if err := blob(digest, int64(len(manifest)), bytesOf(manifest)); err != nil {
		return err
	}
	for _, l := range layers {
		h, err := l.Digest()
		if err != nil {
			return err
		}
		size, err := l.Size()
		if err != nil {
			return err
		}
		if err := blob(h, size, func(w io.Writer) error {
			rc, err := l.Compressed()
			if err != nil {
				return err
			}
			defer rc.Close()
			n, err := io.Copy(w, rc)
			if err == nil && n != size {
				err = fmt.Errorf("layer %s: wrote %d bytes, the manifest says %d", h, n, size)
			}
			return err
		}); err != nil {
			return err
		}
	}
	if err := file("index.json", int64(len(indexJSON)), bytesOf(indexJSON)); err != nil {
		return err
	}
	layout := []byte(`{"imageLayoutVersion":"1.0.0"}`)
	if err := file("oci-layout", int64(len(layout)), bytesOf(layout)); err != nil {
		return err
	}
	return tw.Close()
}
