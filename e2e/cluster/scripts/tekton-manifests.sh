#!/usr/bin/env bash
# tekton-manifests.sh - copy Tekton's CRDs, config maps and webhook configuration out of the
# pinned module (never hand-edited) into manifests/tekton-<version>/. `make tekton-manifests`.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
(cd "$CLUSTER/wrappers/tekton" && go mod download github.com/tektoncd/pipeline)
src=$(cd "$CLUSTER/wrappers/tekton" && go list -m -f '{{.Dir}}' github.com/tektoncd/pipeline)/config
[ -d "$src" ] || die "no config/ in the Tekton module at $src"
rm -rf "$TEKTON_MANIFESTS"; mkdir -p "$TEKTON_MANIFESTS"
cp -r "$src/100-namespace" "$src/300-crds" "$src"/config-*.yaml "$src/500-webhooks.yaml" "$TEKTON_MANIFESTS/"
chmod -R u+w "$TEKTON_MANIFESTS"
echo "copied Tekton $TEKTON_VERSION manifests to $TEKTON_MANIFESTS"
