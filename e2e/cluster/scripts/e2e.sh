#!/usr/bin/env bash
# e2e.sh [go test args] - `make e2e` and `make bench`: bring the cluster up unless it is already
# up, run `go test` against it (default: every e2e test), and tear it down afterwards unless
# KEEP_CLUSTER=1 (or it was up before we started).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$CLUSTER/scripts/deps.sh" || exit 1
is_up() {
  [ "$(cat "$E2E_RUN/flavour" 2>/dev/null)" = "$E2E_NODES" ] &&
    "$KUBE_BIN/kubectl" --kubeconfig="$KUBECONFIG_OUT" --request-timeout=3s get --raw /readyz >/dev/null 2>&1
}
started=0
if is_up; then
  say "cluster ($E2E_NODES) already up; leaving it up"
else
  "$CLUSTER/scripts/up.sh" || { "$CLUSTER/scripts/down.sh"; exit 1; }
  started=1
fi
export KUBECONFIG=$KUBECONFIG_OUT RIGGER_E2E_NODES=$E2E_NODES RIGGER_E2E_LOGS=$LOGS RIGGER_E2E_KUBECTL=$KUBE_BIN/kubectl
export RIGGER_E2E_POD_GATEWAY=$POD_GW
cd "$CLUSTER/../.." || exit 1
[ $# -gt 0 ] || set -- ${E2E_RUN_FILTER:+-run "$E2E_RUN_FILTER"} ./e2e/...
go test -count=1 -timeout "${E2E_TIMEOUT:-30m}" "$@"; rc=$?
if [ "$started" = 1 ] && [ "${KEEP_CLUSTER:-0}" != 1 ]; then "$CLUSTER/scripts/down.sh"; fi
exit $rc
