#!/usr/bin/env bash
# A release build on a machine that has only the Swift toolchain: installs
# what the build needs (libsqlite3-dev), then `swift build -c release` with
# any arguments given (for example --product relay).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/packages.sh libsqlite3-dev
swift build -c release "$@"
