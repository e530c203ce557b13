# common.sh - paths, versions and small helpers shared by the e2e cluster scripts. Sourced, not run.
#
# Three places, kept apart on purpose:
#   CACHE     built binaries and image archives, keyed by component and version; survives cluster-down
#   E2E_RUN   all state of one running cluster (etcd, containerd root, kubelet, CNI, pids, logs); wiped by down
#   CLUSTER   this directory: scripts, wrapper modules, manifests (read-only at run time)
CLUSTER=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../versions.env
. "$CLUSTER/versions.env"
E2E_NODES=${E2E_NODES:-real}
CACHE=${RIGGER_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rigger-e2e}
E2E_RUN=${E2E_RUN:-/var/tmp/rigger-e2e}
PIDS=$E2E_RUN/pids LOGS=$E2E_RUN/logs VAR=$E2E_RUN/var PKI=$E2E_RUN/pki
SOCK=$E2E_RUN/containerd/containerd.sock
KUBECONFIG_OUT=$E2E_RUN/kubeconfig
ETCD_PORT=${ETCD_PORT:-12379}
API_PORT=${API_PORT:-16443}
TEKTON_WEBHOOK_PORT=${TEKTON_WEBHOOK_PORT:-18443}
TEKTON_PROBES_PORT=${TEKTON_PROBES_PORT:-18080}
POD_SUBNET=${POD_SUBNET:-10.88.0.0/16} POD_GW=${POD_GW:-10.88.0.1} BRIDGE=${BRIDGE:-rgr0}
NODE_NAME=rigger-node

KUBE_BIN=$CACHE/kubernetes-$KUBERNETES_VERSION
ETCD_BIN=$CACHE/etcd-$ETCD_VERSION
TEKTON_BIN=$CACHE/tekton-$TEKTON_VERSION
KWOK_BIN=$CACHE/kwok-$KWOK_VERSION
TEKTON_MANIFESTS=$CLUSTER/manifests/tekton-$TEKTON_VERSION

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

T0=${T0:-$(date +%s.%N)}
say() { echo "[$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%6.2fs", b-a}')] $*"; }
die() { echo "e2e-cluster: $*" >&2; exit 1; }

# host_ip: this machine's own non-loopback address (the node IP; the Tekton webhook endpoint).
# Read from the routing table only: nothing is sent anywhere.
host_ip() {
  local dev
  dev=$(ip -4 route show default 2>/dev/null | awk '{for(i=1;i<NF;i++) if($i=="dev"){print $(i+1); exit}}')
  if [ -n "$dev" ]; then ip -4 -o addr show dev "$dev" | awk '{split($4,a,"/"); print a[1]; exit}'; return; fi
  ip -4 -o addr show scope global | awk '{split($4,a,"/"); print a[1]; exit}'
}

# import_rigger_image [archive]: load Rigger's own image (`make image`, bin/rigger-image.tar by
# default) into the running cluster's containerd, so a Deployment can run it with
# imagePullPolicy: Never or IfNotPresent. Prints the image reference the archive names.
import_rigger_image() {
  local archive=${1:-$CLUSTER/../../bin/rigger-image.tar}
  [ -s "$archive" ] || die "no image archive at $archive (make image)"
  [ -S "$SOCK" ] || die "no containerd at $SOCK: is the cluster up with E2E_NODES=real?"
  ctr -a "$SOCK" -n k8s.io images import "$archive" >&2 || die "ctr import of $archive failed"
  tar -xOf "$archive" index.json | jq -r '.manifests[0].annotations["io.containerd.image.name"]'
}
