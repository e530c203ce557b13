#!/usr/bin/env bash
# pki.sh <dir> <node-name> - minimal PKI for a single-node cluster (openssl only). Idempotent.
set -euo pipefail
d=${1:?dir} node=${2:-rigger-node}
mkdir -p "$d"; cd "$d"
[ -f ca.crt ] && { echo "pki exists in $d"; exit 0; }

openssl genrsa -out ca.key 2048 2>/dev/null
openssl req -x509 -new -key ca.key -subj "/CN=rigger-e2e-ca" -days 3650 -out ca.crt

# service-account signing key pair
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null

# cert <name> <subject> <extfile-content>
cert() {
  local n=$1 subj=$2 ext=$3
  openssl genrsa -out "$n.key" 2048 2>/dev/null
  openssl req -new -key "$n.key" -subj "$subj" -out "$n.csr"
  printf '%s\n' "$ext" > "$n.ext"
  openssl x509 -req -in "$n.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile "$n.ext" -out "$n.crt" 2>/dev/null
  rm -f "$n.csr" "$n.ext"
}
client='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'

cert apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.96.0.1"
cert admin              "/O=system:masters/CN=rigger-e2e-admin"               "$client"   # kubectl, KCM, scheduler, tekton
cert apiserver-kubelet  "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"   # apiserver -> kubelet (logs/exec)
cert kubelet            "/O=system:nodes/CN=system:node:$node"              "$client"   # kubelet -> apiserver (Node authorizer)
chmod 600 ./*.key
echo "pki created in $d"
