#!/usr/bin/env bash
# images.sh - the node's OCI image archives, built locally (no registry exists here) and cached
# under $CACHE/images-<key>/ where the key covers every input's version.
#   pause, busybox (step shell), Tekton's entrypoint/nop/workingdirinit/sidecarlogresults,
#   and a Debian image with git for steps that clone (debootstrap from Debian's mirror, once).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
IMG=$CACHE/images-tekton-$TEKTON_VERSION-debian-$DEBIAN_SUITE
mkdir -p "$IMG"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

img() { # file ref rootfs entrypoint-json
  local f=$IMG/$1.tar
  [ -s "$f" ] && return 0
  "$CLUSTER/scripts/mkimage.sh" "$2" "$3" "$f.tmp" "$4" >/dev/null && mv "$f.tmp" "$f"
  say "image $2"
}

mkdir -p "$tmp/pause"; cp "$CACHE/pause-1/pause" "$tmp/pause/pause"
img pause rigger.local/pause:3.10 "$tmp/pause" '["/pause"]'

# busybox: Tekton's shell image and the default step image of the e2e tests (static, no libc).
bb=$tmp/busybox; mkdir -p "$bb"/{bin,etc,tmp,root,home,var/tmp,workspace}; chmod 1777 "$bb/tmp" "$bb/var/tmp"
cp /bin/busybox "$bb/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$bb/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\nnonroot:x:65532:65532:nonroot:/home:/bin/sh\n' > "$bb/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > "$bb/etc/group"
printf 'hosts: files dns\n' > "$bb/etc/nsswitch.conf"
img busybox rigger.local/busybox:1.35 "$bb" '["/bin/sh"]'

# Tekton's in-pod images in ko's layout: the controller hard-codes /ko-app/<name>.
for c in entrypoint nop workingdirinit sidecarlogresults; do
  d=$tmp/$c; mkdir -p "$d/ko-app" "$d/tmp"; chmod 1777 "$d/tmp"
  cp "$TEKTON_BIN-static/$c" "$d/ko-app/$c"
  img "tekton-$c" "rigger.local/tekton/$c:$TEKTON_VERSION" "$d" "[\"/ko-app/$c\"]"
done

# Debian with git, ca-certificates and make: for steps that clone a repository.
if [ ! -s "$IMG/debian-git.tar" ]; then
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
  debootstrap --variant=minbase --include=ca-certificates,git,make "$DEBIAN_SUITE" "$tmp/debian" \
    "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" > "$tmp/debootstrap.log" 2>&1 \
    || { tail -20 "$tmp/debootstrap.log"; die "debootstrap failed"; }
  rm -rf "$tmp"/debian/var/cache/apt/archives/*.deb "$tmp"/debian/var/lib/apt/lists/*_*
  img debian-git "rigger.local/debian:$DEBIAN_SUITE-git" "$tmp/debian" '["/bin/bash"]'
fi
echo "$IMG"
