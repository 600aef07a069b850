#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are missing
# (with sudo when not root). The build itself needs only libsqlite3-dev (GRDB
# links the system SQLite); the tests need more (scripts/test.sh).
set -euo pipefail
need=()
for package in "$@"; do
  dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done
[ ${#need[@]} -gt 0 ] || exit 0
echo "installing: ${need[*]}" >&2
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
# Another apt (an unattended upgrade, a package manager still finishing) may
# hold dpkg's lock for a while: wait for it, up to 10 minutes, instead of failing.
lock=(-o DPkg::Lock::Timeout=600)
"${sudo[@]}" apt-get "${lock[@]}" update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${lock[@]}" install -y -qq "${need[@]}" >/dev/null
