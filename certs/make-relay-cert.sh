#!/usr/bin/env bash
# Makes a relay's key and certificate: DIR/relay-key.pem, DIR/relay-cert.pem.
# SANs: DOMAIN, localhost, 127.0.0.1, ::1. Signed by the CA in CA_DIR when
# given (--ca CA_DIR), else self-signed. Prints the key's fingerprint.
# Usage: certs/make-relay-cert.sh DOMAIN DIR [--ca CA_DIR]
set -euo pipefail
domain=${1:?usage: make-relay-cert.sh DOMAIN DIR [--ca CA_DIR]}
dir=${2:?usage: make-relay-cert.sh DOMAIN DIR [--ca CA_DIR]}
ca=""
[ "${3:-}" = "--ca" ] && ca=${4:?--ca needs a directory}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/relay-key.pem.tmp"
openssl pkcs8 -topk8 -nocrypt -in "$dir/relay-key.pem.tmp" -out "$dir/relay-key.pem" && rm "$dir/relay-key.pem.tmp"
chmod 600 "$dir/relay-key.pem"
san="subjectAltName=DNS:$domain,DNS:localhost,IP:127.0.0.1,IP:::1"
if [ -n "$ca" ]; then
  openssl req -new -key "$dir/relay-key.pem" -subj "/CN=$domain" -out "$dir/relay.csr"
  printf '%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" > "$dir/relay.ext"
  openssl x509 -req -in "$dir/relay.csr" -CA "$ca/ca-cert.pem" -CAkey "$ca/ca-key.pem" -CAcreateserial \
    -days 825 -sha256 -extfile "$dir/relay.ext" -out "$dir/relay-cert.pem" 2>/dev/null
  rm -f "$dir/relay.csr" "$dir/relay.ext"
else
  # Self-signed and pinned: marked CA:TRUE, as BoringSSL-based clients refuse a CA:FALSE trust anchor.
  openssl req -x509 -new -key "$dir/relay-key.pem" -sha256 -days 3650 -subj "/CN=$domain" -addext "$san" \
    -addext "extendedKeyUsage=serverAuth,clientAuth" -out "$dir/relay-cert.pem"
fi
echo "certificate: $dir/relay-cert.pem"
echo "fingerprint: $("$here/fingerprint.sh" "$dir/relay-cert.pem")"
