#!/usr/bin/env bash
# up.sh - bring up Rigger's e2e cluster: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, the Tekton controller and its admission webhook, all as host processes, plus
#   E2E_NODES=real  a kubelet on Debian's containerd + runc + CNI bridge: pods run for real
#   E2E_NODES=kwok  KWOK simulating $KWOK_NODES nodes and pod lifecycles (for scale and load)
# Everything lives under $E2E_RUN; a crashed earlier run there is cleaned up first.
# Prints the kubeconfig path last. Readiness waits on real signals, with the log tail on failure.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
case "$E2E_NODES" in real|kwok) ;; *) die "E2E_NODES must be real or kwok, not '$E2E_NODES'";; esac
[ "$(id -u)" = 0 ] || [ "$E2E_NODES" = kwok ] || die "E2E_NODES=real needs root (kubelet, containerd, CNI)"

# A previous run that crashed or was never torn down: clean it up, by its own records.
if [ -d "$E2E_RUN" ]; then say "cleaning up an earlier run in $E2E_RUN"; "$CLUSTER/scripts/down.sh" >/dev/null 2>&1 || true; fi
mkdir -p "$PIDS" "$LOGS" "$VAR" "$PKI"
echo "$E2E_NODES" > "$E2E_RUN/flavour"

on_error() {
  echo "e2e-cluster: up failed at line $1. Log tails (all logs in $LOGS):" >&2
  for f in "$LOGS"/*.log; do [ -s "$f" ] && { echo "--- $(basename "$f")" >&2; tail -n 15 "$f" >&2; }; done
  echo "run 'make cluster-down' to clean up" >&2
}
trap 'on_error $LINENO' ERR

start() { # name cmd...   exec'd by nohup directly, so $! is the daemon's own pid
  local n=$1; shift
  nohup "$@" > "$LOGS/$n.log" 2>&1 &
  echo $! > "$PIDS/$n.pid"
}
wait_for() { # desc timeout-seconds logname cmd...
  local d=$1 t=$2 log=$3; shift 3
  local end=$(( $(date +%s) + t ))
  while [ "$(date +%s)" -lt "$end" ]; do
    "$@" >/dev/null 2>&1 && { say "$d"; return 0; }
    if [ -n "$log" ] && [ -f "$PIDS/$log.pid" ] && ! kill -0 "$(cat "$PIDS/$log.pid")" 2>/dev/null; then
      echo "e2e-cluster: $log exited while waiting for: $d" >&2; tail -n 30 "$LOGS/$log.log" >&2; return 1
    fi
    sleep 0.2
  done
  echo "e2e-cluster: timed out after ${t}s waiting for: $d" >&2
  [ -n "$log" ] && tail -n 30 "$LOGS/$log.log" >&2
  return 1
}

# ---- binaries, manifests and (real) images: all cached by version
"$CLUSTER/scripts/build.sh" > "$LOGS/build.log" 2>&1 || { tail -30 "$LOGS/build.log"; die "build failed"; }
[ -d "$TEKTON_MANIFESTS/300-crds" ] || die "no Tekton manifests in $TEKTON_MANIFESTS (make tekton-manifests)"
K="$KUBE_BIN/kubectl --kubeconfig=$KUBECONFIG_OUT"
export KUBECONFIG=$KUBECONFIG_OUT
HOST_IP=${HOST_IP:-$(host_ip)}
[ -n "$HOST_IP" ] || die "cannot tell this machine's non-loopback address (needed for the node and the Tekton webhook)"

"$CLUSTER/scripts/pki.sh" "$PKI" "$NODE_NAME" >/dev/null
for u in admin kubelet; do "$CLUSTER/scripts/kubeconfig.sh" "$PKI" $u "https://127.0.0.1:$API_PORT" > "$E2E_RUN/$u.kubeconfig"; done
cp "$E2E_RUN/admin.kubeconfig" "$KUBECONFIG_OUT"

if [ "$E2E_NODES" = real ]; then
  for c in containerd containerd-shim-runc-v2 runc ctr iptables; do
    command -v $c >/dev/null || die "missing $c (apt-get install containerd containernetworking-plugins iptables)"
  done
  for p in bridge host-local loopback portmap; do [ -x /usr/lib/cni/$p ] || die "missing CNI plugin /usr/lib/cni/$p (apt-get install containernetworking-plugins)"; done
  IMG=$("$CLUSTER/scripts/images.sh" 2> "$LOGS/images.log" | tail -1) || { cat "$LOGS/images.log"; die "building images failed"; }
  sysctl -qw net.ipv4.ip_forward=1
  modprobe br_netfilter 2>/dev/null || true
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] && sysctl -qw net.bridge.bridge-nf-call-iptables=1

  # ---- containerd: private root, state and socket, so a system containerd is never touched
  mkdir -p "$VAR/containerd" "$E2E_RUN/containerd" "$E2E_RUN/cni/net.d"
  MTU=$(cat "/sys/class/net/$(ip -4 route show default | awk '{print $5; exit}')/mtu" 2>/dev/null || echo 1500)
  cat > "$E2E_RUN/cni/net.d/10-rigger.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "rigger-e2e", "plugins": [
  {"type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true, "mtu": $MTU,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_SUBNET", "gateway": "$POD_GW"}]],
            "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$E2E_RUN/cni/ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF
  cat > "$E2E_RUN/containerd.toml" <<EOF
version = 2
root = "$VAR/containerd"
state = "$E2E_RUN/containerd"
oom_score = 0                      # this VM cannot lower oom_score_adj (no CAP_SYS_RESOURCE)
[grpc]
  address = "$SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "rigger.local/pause:3.10"
  netns_mounts_under_state_dir = true
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$E2E_RUN/cni/net.d"
    max_conf_num = 1
[plugins."io.containerd.internal.v1.opt"]
  path = "$VAR/containerd-opt"
EOF
  start containerd containerd --config "$E2E_RUN/containerd.toml"
  CTR="ctr -a $SOCK -n k8s.io"
  wait_for "containerd ready" 30 containerd $CTR version
  ( for f in "$IMG"/*.tar; do $CTR images import "$f" >/dev/null || exit 1; done ) > "$LOGS/import.log" 2>&1 &
  IMPORT_PID=$!
fi

# ---- etcd + kube-apiserver
start etcd "$ETCD_BIN/etcd" --name rigger-e2e --data-dir "$VAR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT+1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT+1))" \
  --initial-cluster "rigger-e2e=http://127.0.0.1:$((ETCD_PORT+1))" --listen-metrics-urls "http://127.0.0.1:$((ETCD_PORT+2))" \
  --unsafe-no-fsync --log-level warn
wait_for "etcd healthy" 30 etcd curl -sf "http://127.0.0.1:$ETCD_PORT/health"
apiserver_flags=()
# KWOK nodes have no node-lifecycle controller behind them to lift the not-ready taint.
[ "$E2E_NODES" = kwok ] && apiserver_flags+=(--disable-admission-plugins=TaintNodesByCondition)
start kube-apiserver "$KUBE_BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" --bind-address=127.0.0.1 --secure-port="$API_PORT" \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" --client-ca-file="$PKI/ca.crt" \
  --service-cluster-ip-range=10.96.0.0/16 --endpoint-reconciler-type=none \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --kubelet-client-certificate="$PKI/apiserver-kubelet.crt" --kubelet-client-key="$PKI/apiserver-kubelet.key" \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  --enable-aggregator-routing=true --allow-privileged=true --profiling=false "${apiserver_flags[@]}"
wait_for "kube-apiserver /readyz" 90 kube-apiserver $K get --raw /readyz

# ---- scheduler (Tekton sets no nodeName), then nodes
start kube-scheduler "$KUBE_BIN/kube-scheduler" --kubeconfig="$KUBECONFIG_OUT" --leader-elect=false --secure-port=0
if [ "$E2E_NODES" = real ]; then
  wait $IMPORT_PID || { cat "$LOGS/import.log"; die "image import failed"; }
  say "images imported: $($CTR images ls -q | grep -c '^rigger.local/')"
  mkdir -p "$VAR/kubelet" "$VAR/log/pods"
  sed -e "s#@RUN@#$E2E_RUN#g" -e "s#@VAR@#$VAR#g" -e "s#@PKI@#$PKI#g" "$CLUSTER/etc/kubelet-config.yaml.in" > "$E2E_RUN/kubelet-config.yaml"
  # kubelet rewrites a few host sysctls; down.sh puts these values back
  sysctl vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops \
    kernel.keys.root_maxkeys kernel.keys.root_maxbytes 2>/dev/null | sed 's/ = /=/' > "$E2E_RUN/sysctl.saved"
  start kubelet "$KUBE_BIN/kubelet" --config="$E2E_RUN/kubelet-config.yaml" --kubeconfig="$E2E_RUN/kubelet.kubeconfig" \
    --hostname-override="$NODE_NAME" --node-ip="$HOST_IP" --root-dir="$VAR/kubelet" --cert-dir="$VAR/kubelet/pki" --v=1
fi

# ---- Tekton CRDs, config and webhook configuration, before KCM so its GC discovers tekton.dev kinds
$K apply --server-side -f "$TEKTON_MANIFESTS/100-namespace/" >/dev/null
$K apply --server-side --force-conflicts -f "$TEKTON_MANIFESTS/300-crds/" >/dev/null
$K apply --server-side $(for f in "$TEKTON_MANIFESTS"/config-*.yaml; do printf -- '-f %s ' "$f"; done) >/dev/null
$K apply --server-side -f "$TEKTON_MANIFESTS/500-webhooks.yaml" >/dev/null
sed -e "s/\${HOST_IP}/$HOST_IP/g" -e "s/\${WEBHOOK_PORT}/$TEKTON_WEBHOOK_PORT/g" "$CLUSTER/manifests/tekton-webhook-endpoint.yaml.in" \
  | $K apply --server-side -f - >/dev/null
$K wait --for=condition=Established crd --all --timeout=60s >/dev/null
$K apply --server-side -f "$CLUSTER/manifests/storageclass-hostpath.yaml" >/dev/null
say "Tekton CRDs, config and webhook configuration applied"

kcm_controllers='*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller'
[ "$E2E_NODES" = kwok ] && kcm_controllers="$kcm_controllers,-node-lifecycle-controller"
start kube-controller-manager "$KUBE_BIN/kube-controller-manager" --kubeconfig="$KUBECONFIG_OUT" \
  --leader-elect=false --secure-port=0 \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" --use-service-account-credentials=false \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --enable-hostpath-provisioner=true --controllers="$kcm_controllers"

if [ "$E2E_NODES" = kwok ]; then
  start kwok "$KWOK_BIN/kwok" --kubeconfig="$KUBECONFIG_OUT" --config="$CLUSTER/manifests/kwok-stages.yaml" \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake
  for i in $(seq 0 $(( ${KWOK_NODES:-4} - 1 ))); do
    sed "s/kwok-node-0/kwok-node-$i/g" "$CLUSTER/manifests/kwok-node.yaml" | $K apply --server-side -f - >/dev/null
  done
  wait_for "KWOK nodes Ready" 60 kwok $K wait --for=condition=Ready node --all --timeout=2s
else
  wait_for "node $NODE_NAME Ready" 120 kubelet $K wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s
  untainted() { [ -z "$($K get node "$NODE_NAME" -o jsonpath='{.spec.taints}')" ]; }
  wait_for "node $NODE_NAME untainted" 60 kube-controller-manager untainted
fi
wait_for "ServiceAccount default/default" 60 kube-controller-manager $K get sa default -n default

# ---- Tekton webhook (validation, defaulting, v1beta1 conversion) and controller, on the host
tekton_env=(SYSTEM_NAMESPACE=tekton-pipelines KUBERNETES_MIN_VERSION=v1.28.0 METRICS_DOMAIN=tekton.dev/pipeline
  CONFIG_LOGGING_NAME=config-logging CONFIG_OBSERVABILITY_NAME=config-observability CONFIG_FEATURE_FLAGS_NAME=feature-flags
  CONFIG_DEFAULTS_NAME=config-defaults CONFIG_SPIRE=config-spire)
start tekton-webhook env "${tekton_env[@]}" CONFIG_LEADERELECTION_NAME=config-leader-election-webhook \
  WEBHOOK_PORT="$TEKTON_WEBHOOK_PORT" WEBHOOK_ADMISSION_CONTROLLER_NAME=webhook.pipeline.tekton.dev \
  WEBHOOK_SERVICE_NAME=tekton-pipelines-webhook WEBHOOK_SECRET_NAME=webhook-certs \
  PROBES_PORT=$((TEKTON_PROBES_PORT+1)) METRICS_PROMETHEUS_PORT=$((TEKTON_PROBES_PORT+1011)) PROFILING_PORT=$((TEKTON_PROBES_PORT+9)) \
  "$TEKTON_BIN/webhook" --kubeconfig="$KUBECONFIG_OUT" --disable-ha
ca_injected() {
  $K get validatingwebhookconfiguration validation.webhook.pipeline.tekton.dev -o jsonpath='{.webhooks[0].clientConfig.caBundle}' | grep -q . &&
  $K get crd pipelineruns.tekton.dev -o jsonpath='{.spec.conversion.webhook.clientConfig.caBundle}' | grep -q .
}
wait_for "Tekton webhook injected its CA" 90 tekton-webhook ca_injected
wait_for "Tekton webhook serving" 60 tekton-webhook curl -sk -o /dev/null "https://$HOST_IP:$TEKTON_WEBHOOK_PORT/"

if [ "$E2E_NODES" = real ]; then
  images=(-entrypoint-image="rigger.local/tekton/entrypoint:$TEKTON_VERSION" -nop-image="rigger.local/tekton/nop:$TEKTON_VERSION"
    -sidecarlogresults-image="rigger.local/tekton/sidecarlogresults:$TEKTON_VERSION"
    -workingdirinit-image="rigger.local/tekton/workingdirinit:$TEKTON_VERSION"
    -shell-image=rigger.local/busybox:1.35 -shell-image-win=rigger.local/busybox:1.35)
else # KWOK never runs an image
  images=(-entrypoint-image=kwok.local/entrypoint -nop-image=kwok.local/nop -sidecarlogresults-image=kwok.local/sidecarlogresults
    -workingdirinit-image=kwok.local/workingdirinit -shell-image=kwok.local/busybox -shell-image-win=kwok.local/busybox)
fi
start tekton-controller env "${tekton_env[@]}" CONFIG_LEADERELECTION_NAME=config-leader-election-controller \
  PROBES_PORT="$TEKTON_PROBES_PORT" METRICS_PROMETHEUS_PORT=$((TEKTON_PROBES_PORT+1010)) PROFILING_PORT=$((TEKTON_PROBES_PORT+8)) \
  "$TEKTON_BIN/controller" --kubeconfig="$KUBECONFIG_OUT" --disable-ha "${images[@]}"

# Tekton's own readiness answers before its informers have synced: the real signal is a
# PipelineRun that the controller picks up and runs to the end.
$K apply --server-side -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: rigger-e2e-ready}
EOF
wait_for "ServiceAccount rigger-e2e-ready/default" 60 kube-controller-manager $K get sa default -n rigger-e2e-ready
$K create -f - >/dev/null <<EOF
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata: {name: ready, namespace: rigger-e2e-ready}
spec:
  pipelineSpec:
    tasks:
    - name: ready
      taskSpec:
        steps:
        - {name: ready, image: rigger.local/busybox:1.35, script: "true"}
EOF
succeeded() { [ "$($K get pipelinerun ready -n rigger-e2e-ready -o jsonpath='{.status.conditions[?(@.type=="Succeeded")].status}')" = True ]; }
wait_for "Tekton controller ran a PipelineRun" 180 tekton-controller succeeded
$K delete namespace rigger-e2e-ready --wait=false >/dev/null
say "UP ($E2E_NODES). export KUBECONFIG=$KUBECONFIG_OUT"
