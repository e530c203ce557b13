#!/usr/bin/env bash
# down.sh - stop the e2e cluster and wipe its state. Idempotent; safe after a crash or a
# half-finished up.sh. Stops only the processes whose PIDs up.sh recorded (after checking their
# command line against PID reuse) and the shims of our own containerd socket; cleans pods,
# mounts, the CNI bridge, CNI-/KUBE- iptables chains and kubepods cgroups; restores the sysctls
# kubelet changed. Built binaries and images in $CACHE are kept.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ -d "$E2E_RUN" ] || { say "nothing to stop ($E2E_RUN does not exist)"; exit 0; }
K="$KUBE_BIN/kubectl --kubeconfig=$KUBECONFIG_OUT --request-timeout=5s"
CTR="ctr -a $SOCK -n k8s.io"

running() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
# ours: the process was started from our cache or with our run dir (guards against PID reuse)
ours() { tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -qE -- "($CACHE|$E2E_RUN)"; }
pid_of() { [ -f "$PIDS/$1.pid" ] && cat "$PIDS/$1.pid"; }
alive() { local p; p=$(pid_of "$1") && running "$p" && ours "$p"; }
stop() { # name... : SIGTERM all, wait up to 10 s, then SIGKILL what is left
  local n p
  for n in "$@"; do alive "$n" && kill -TERM "$(pid_of "$n")" 2>/dev/null; done
  for n in "$@"; do
    p=$(pid_of "$n") || continue
    for _ in $(seq 1 100); do running "$p" || break; sleep 0.1; done
    if running "$p" && ours "$p"; then kill -KILL "$p" 2>/dev/null; say "killed $n ($p)"; fi
    rm -f "$PIDS/$n.pid"
  done
}

# 1. pods through the API while kubelet still runs, so it unmounts volumes and runs CNI DEL
if alive kube-apiserver && alive kubelet; then
  stop tekton-controller tekton-webhook
  $K delete pods --all -A --grace-period=1 --wait=false >/dev/null 2>&1
  for _ in $(seq 1 150); do [ -z "$($K get pods -A -o name 2>/dev/null)" ] && break; sleep 0.2; done
  say "pods deleted"
fi

# 2. processes, in reverse start order
stop tekton-controller tekton-webhook kwok kube-controller-manager kube-scheduler kubelet

# 3. whatever is left in our containerd, then containerd and its shims (found by our socket)
if alive containerd; then
  for id in $($CTR tasks ls -q 2>/dev/null); do $CTR tasks kill -s SIGKILL "$id" >/dev/null 2>&1; done
  sleep 0.5
  for id in $($CTR tasks ls -q 2>/dev/null); do $CTR tasks delete -f "$id" >/dev/null 2>&1; done
  for id in $($CTR containers ls -q 2>/dev/null); do $CTR containers rm "$id" >/dev/null 2>&1; done
fi
stop containerd
for p in $(pgrep -f -- "-address $SOCK" 2>/dev/null); do kill -KILL "$p" 2>/dev/null && say "killed shim $p"; done
stop kube-apiserver etcd

# 4. mounts under our run dir (overlay rootfs, shm, netns, secret/projected tmpfs), deepest first
for _ in 1 2 3; do
  m=$(awk -v a="$E2E_RUN" 'index($2, a) == 1 {print $2}' /proc/mounts | sort -r)
  [ -z "$m" ] && break
  for x in $m; do umount "$x" 2>/dev/null || umount -l "$x" 2>/dev/null; done
done

# 5. network: our bridge, and the CNI-/KUBE- chains that CNI and kubelet added
if [ "$(cat "$E2E_RUN/flavour" 2>/dev/null)" = real ]; then
  ip link del "$BRIDGE" 2>/dev/null && say "deleted bridge $BRIDGE"
  for t in nat filter mangle; do
    iptables -t $t -S 2>/dev/null | grep -E '^-A (POSTROUTING|PREROUTING|OUTPUT|INPUT|FORWARD)( .*)? -j (CNI-|KUBE-)' |
      sed 's/^-A/-D/' | while read -r r; do eval iptables -t $t "$r"; done
    for c in $(iptables -t $t -S 2>/dev/null | awk '/^-N (CNI-|KUBE-)/{print $2}'); do iptables -t $t -F "$c"; done
    for c in $(iptables -t $t -S 2>/dev/null | awk '/^-N (CNI-|KUBE-)/{print $2}'); do iptables -t $t -X "$c" 2>/dev/null; done
  done
  # 6. cgroups kubelet made (cgroupfs driver)
  for s in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$s" ] && find "$s" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  # 7. sysctls kubelet changed
  [ -s "$E2E_RUN/sysctl.saved" ] && sysctl -q -p "$E2E_RUN/sysctl.saved" && say "sysctls restored"
  rm -rf /tmp/hostpath_pv   # PVs of KCM's hostPath provisioner (its path is fixed)
fi

left=$(awk -v a="$E2E_RUN" 'index($2, a) == 1' /proc/mounts | wc -l)
if [ "$left" = 0 ]; then rm -rf "$E2E_RUN"; say "down"; else say "down, but $left mounts are left under $E2E_RUN"; exit 1; fi
