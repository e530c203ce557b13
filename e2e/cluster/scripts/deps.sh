#!/usr/bin/env bash
# deps.sh - install the Debian packages the tests need, only those missing: the e2e
# cluster's, and podman for the local executor's container isolation (DEPS_CONTAINERS=0 skips it).
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
later=()
if [ "${DEPS_CONTAINERS:-1}" = 1 ]; then
  # The container tests import the host's static busybox as their image.
  dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
  # runc first, on its own: podman takes "crun | runc", and crun refuses hybrid cgroups.
  command -v runc >/dev/null || need+=(runc)
  command -v podman >/dev/null || later+=(podman)
fi
[ ${#need[@]} = 0 ] && [ ${#later[@]} = 0 ] && exit 0
[ "$(id -u)" = 0 ] || die "missing Debian packages: ${need[*]} ${later[*]} (run as root, or install them)"
say "installing ${need[*]} ${later[*]}"
apt-get update -qq
for pkgs in "${need[*]}" "${later[*]}"; do
  [ -n "$pkgs" ] || continue
  # shellcheck disable=SC2086 # a list of package names
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
done
