#!/usr/bin/env bash
# deps.sh - install the Debian packages the e2e cluster needs, only those missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
need=()
command -v git >/dev/null || need+=(git)
command -v curl >/dev/null || need+=(curl)
command -v jq >/dev/null || need+=(jq)
command -v openssl >/dev/null || need+=(openssl)
if [ "$E2E_NODES" = real ]; then
  command -v containerd >/dev/null || need+=(containerd)
  command -v runc >/dev/null || need+=(runc)
  [ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
  command -v iptables >/dev/null || need+=(iptables)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  # the step shell image is a static busybox (Debian's plain busybox needs a libc)
  dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
  command -v ip >/dev/null || need+=(iproute2)
fi
[ ${#need[@]} = 0 ] && exit 0
[ "$(id -u)" = 0 ] || die "missing Debian packages: ${need[*]} (run as root, or install them)"
say "installing ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
