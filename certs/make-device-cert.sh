#!/usr/bin/env bash
# Makes a device identity: a fresh P-256 key and a self-signed certificate for
# it (DIR/device-key.pem, DIR/device-cert.pem). The device's identity is the
# printed fingerprint: the SHA-256 of the key (DER SubjectPublicKeyInfo).
# Usage: certs/make-device-cert.sh NAME DIR
set -euo pipefail
name=${1:?usage: make-device-cert.sh NAME DIR}
dir=${2:?usage: make-device-cert.sh NAME DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/device-key.pem.tmp"
openssl pkcs8 -topk8 -nocrypt -in "$dir/device-key.pem.tmp" -out "$dir/device-key.pem" && rm "$dir/device-key.pem.tmp"
chmod 600 "$dir/device-key.pem"
openssl req -x509 -new -key "$dir/device-key.pem" -sha256 -days 3650 -subj "/CN=$name" \
  -addext "extendedKeyUsage=clientAuth" -out "$dir/device-cert.pem"
echo "certificate: $dir/device-cert.pem"
echo "fingerprint: $("$here/fingerprint.sh" "$dir/device-cert.pem")"
