#!/usr/bin/env bash
# Makes a development CA (P-256): DIR/ca-key.pem, DIR/ca-cert.pem.
# Use it to sign relay certificates (make-relay-cert.sh --ca DIR) that clients
# and peer relays trust by CA instead of pinning each key.
# Usage: certs/make-dev-ca.sh DIR [NAME]
set -euo pipefail
dir=${1:?usage: make-dev-ca.sh DIR [NAME]}
name=${2:-Relay development CA}
mkdir -p "$dir"
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca-key.pem.tmp"
openssl pkcs8 -topk8 -nocrypt -in "$dir/ca-key.pem.tmp" -out "$dir/ca-key.pem" && rm "$dir/ca-key.pem.tmp"
chmod 600 "$dir/ca-key.pem"
openssl req -x509 -new -key "$dir/ca-key.pem" -sha256 -days 3650 -subj "/CN=$name" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$dir/ca-cert.pem"
echo "CA: $dir/ca-cert.pem"
