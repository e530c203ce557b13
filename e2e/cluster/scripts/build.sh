#!/usr/bin/env bash
# build.sh - build the cluster's binaries from the Go module proxy, once per version.
# Each component lands in $CACHE/<component>-<version>/ and is marked complete by a .done
# stamp, so a second run builds nothing. Sequential on purpose: a 2-core machine gains
# nothing from parallel links of kube-apiserver and kubelet, and the shared GOCACHE makes
# the later kube binaries cheap.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mkdir -p "$CACHE"
KLD="-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2) -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.buildDate=2026-01-01T00:00:00Z"

# component dir wrapper ldflags name=package... (env CGO_ENABLED may be set by the caller)
build() {
  local dir=$1 wrapper=$2 ld=$3; shift 3
  [ -f "$dir/.done" ] && { say "cached $(basename "$dir")"; return 0; }
  mkdir -p "$dir"
  local spec name pkg t
  for spec in "$@"; do
    name=${spec%%=*} pkg=${spec#*=}
    [ -x "$dir/$name" ] && continue
    t=$(date +%s)
    (cd "$CLUSTER/$wrapper" && go build -trimpath -ldflags "$ld" -o "$dir/$name.tmp" "$pkg") \
      || die "building $name ($pkg) failed"
    mv "$dir/$name.tmp" "$dir/$name"
    say "built $(basename "$dir")/$name in $(( $(date +%s) - t ))s"
  done
  touch "$dir/.done"
}

want_real=1; [ "$E2E_NODES" = kwok ] && want_real=0
build "$ETCD_BIN" wrappers/etcd "-s -w" etcd=go.etcd.io/etcd/server/v3
kube=(kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver
      kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager
      kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler
      kubectl=k8s.io/kubernetes/cmd/kubectl
      kubelet=k8s.io/kubernetes/cmd/kubelet)
build "$KUBE_BIN" wrappers/kube "$KLD" "${kube[@]}"
build "$TEKTON_BIN" wrappers/tekton "-s -w" \
  controller=github.com/tektoncd/pipeline/cmd/controller webhook=github.com/tektoncd/pipeline/cmd/webhook
# Tekton's in-pod binaries are copied into arbitrary step images by `entrypoint init`: static only.
CGO_ENABLED=0 build "$TEKTON_BIN-static" wrappers/tekton "-s -w" \
  entrypoint=github.com/tektoncd/pipeline/cmd/entrypoint nop=github.com/tektoncd/pipeline/cmd/nop \
  workingdirinit=github.com/tektoncd/pipeline/cmd/workingdirinit \
  sidecarlogresults=github.com/tektoncd/pipeline/cmd/sidecarlogresults
CGO_ENABLED=0 build "$CACHE/pause-1" src/pause "-s -w" pause=.
if [ "$want_real" = 0 ] || [ "${BUILD_ALL:-0}" = 1 ]; then
  build "$KWOK_BIN" wrappers/kwok "-s -w" kwok=sigs.k8s.io/kwok/cmd/kwok
fi
say "binaries ready under $CACHE"
