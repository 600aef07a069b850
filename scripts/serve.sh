#!/usr/bin/env bash
# The README's run command: builds the relay (scripts/build.sh) and runs
# `relay serve` with the arguments given. With none, the embedded default:
# SQLite in ./relay-data, 127.0.0.1:7443, no config and no servers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --product relay
exec .build/release/relay serve "$@"
