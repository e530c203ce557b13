#!/usr/bin/env bash
# kubeconfig.sh <pki-dir> <name> <server-url> > file   - kubeconfig using <pki-dir>/<name>.{crt,key}
set -euo pipefail
pki=$1 name=$2 server=$3
cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: rigger-e2e
  cluster:
    server: $server
    certificate-authority: $pki/ca.crt
users:
- name: $name
  user:
    client-certificate: $pki/$name.crt
    client-key: $pki/$name.key
contexts:
- name: rigger-e2e
  context: {cluster: rigger-e2e, user: $name}
current-context: rigger-e2e
EOF
