#!/usr/bin/env bash
# Builds in release mode and runs every relay-bench workload against a fresh
# embedded relay (a child process), the load from this same machine.
# Arguments go to relay-bench (e.g. --json, --pairs 16, --devices 19000).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release
exec .build/release/relay-bench "$@"
