// Command rigger-image writes Rigger's container image as an OCI archive (`make image`). It
// needs no Docker engine and no registry: see internal/imagebuild.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/rigger-ci/rigger/internal/imagebuild"
)

func main() {
	var s imagebuild.Spec
	var out, ref string
	flag.StringVar(&s.Binary, "binary", "bin/linux-amd64/rigger", "static linux/amd64 rigger binary")
	flag.StringVar(&s.CABundle, "ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "PEM root certificates to put in the image")
	flag.StringVar(&s.Version, "version", "dev", "image version label")
	flag.StringVar(&out, "o", "bin/rigger-image.tar", "output archive")
	flag.StringVar(&ref, "ref", "rigger.local/rigger:dev", "image reference recorded in the archive")
	flag.Parse()
	// SOURCE_DATE_EPOCH is the reproducible-builds convention for a fixed timestamp.
	if e := os.Getenv("SOURCE_DATE_EPOCH"); e != "" {
		sec, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			fail(fmt.Errorf("SOURCE_DATE_EPOCH: %w", err))
		}
		s.Created = time.Unix(sec, 0).UTC()
	}
	if err := run(s, out, ref); err != nil {
		fail(err)
	}
}

func run(s imagebuild.Spec, out, ref string) error {
	img, err := imagebuild.Build(s)
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := imagebuild.WriteArchive(w, img, ref); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	var size int64
	layers, _ := img.Layers()
	for _, l := range layers {
		n, _ := l.Size()
		size += n
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Printf("%s %s: %d layers, %.1f MB compressed, archive %s %.1f MB\n", ref, digest, len(layers), float64(size)/1e6, out, float64(st.Size())/1e6)
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rigger-image:", err)
	os.Exit(1)
}
