#!/usr/bin/env bash
# Prints a certificate's identity as Relay computes it: the SHA-256 of its
# public key in DER SubjectPublicKeyInfo form, as 64 lower-case hex digits.
# Usage: certs/fingerprint.sh CERT.pem
set -euo pipefail
openssl x509 -in "${1:?usage: fingerprint.sh CERT.pem}" -noout -pubkey \
  | openssl pkey -pubin -outform DER | openssl dgst -sha256 -hex | sed 's/^.*= //'
