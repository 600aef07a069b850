#!/usr/bin/env bash
# The project's test command. On a fresh machine it installs what is missing
# (Debian packages the build and the tests need; Python grpcio for the
# interop test, in a virtualenv under .build-python), builds, starts a
# throwaway PostgreSQL and Redis (scripts/with-databases.sh), runs every
# test against them, and stops them.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for package in libsqlite3-dev libhiredis-dev openssl postgresql redis-server python3-venv; do
  dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

venv=$PWD/.build-python
if ! "$venv/bin/python" -c 'import grpc, grpc_tools, grpc_health, cryptography' 2>/dev/null; then
  echo "installing grpcio, grpcio-tools, grpcio-health-checking, cryptography into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check grpcio grpcio-tools grpcio-health-checking cryptography
fi
export RELAY_PYTHON=$venv/bin/python

swift build --build-tests

# A phase takes a minute or two; one that stalls is stopped after 8 minutes:
# first scripts/swift-tasks.py prints where the test process's tasks are
# suspended, then the tests that never finished are named, and the phase runs
# once more. (On this 2-core Linux machine a run has now and then stopped
# dead: every task suspended, no thread busy; seen before and after the same
# code passed. A test that fails is not run again.) With no arguments, the
# federation suites (three relay processes per test) run after the rest, on
# their own, so neither slows the other's timing-sensitive tests; arguments
# (a --filter) go to one run as they are.
phase_limit=${RELAY_TEST_PHASE_SECONDS:-480}

# Runs the command with its output in $1 (and on the terminal); 124 if it ran
# past the limit, after showing where its tasks wait.
run_watched() {
  local log=$1 waited=0 pid tests
  shift
  "$@" >"$log" 2>&1 &
  pid=$!
  tail -n +1 --pid="$pid" -f "$log" &
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    waited=$((waited + 5))
    if [ "$waited" -ge "$phase_limit" ]; then
      tests=$(pgrep -f 'relayPackageTests.xctest' | head -1 || true)
      if [ -n "$tests" ]; then
        echo "the test run is still going after ${phase_limit}s; where its tasks wait (scripts/swift-tasks.py):"
        python3 scripts/swift-tasks.py "$tests" 2>&1 | head -600 || true
      fi
      pkill -KILL -f relayPackageTests.xctest || true
      wait "$pid" 2>/dev/null || true
      return 124
    fi
  done
  wait "$pid"
}

run_phase() {
  local attempt log status
  for attempt in 1 2; do
    log=$(mktemp /tmp/relay-test.XXXXXX.log)
    set +e
    run_watched "$log" scripts/with-databases.sh swift test --skip-build "$@"
    status=$?
    set -e
    if [ "$status" = 124 ]; then
      echo "the test run stalled and was stopped; tests that started and never finished:"
      started=$(grep -oE 'Test "[^"]*" started|Test [A-Za-z]+\([^)]*\) started' "$log" | sed -E 's/ started$//' | sort -u || true)
      finished=$(grep -oE 'Test "[^"]*" (with [0-9]+ test cases )?(passed|failed)|Test [A-Za-z]+\([^)]*\) (with [0-9]+ test cases )?(passed|failed)' "$log" \
        | sed -E 's/ (with [0-9]+ test cases )?(passed|failed)$//' | sort -u || true)
      comm -23 <(echo "$started") <(echo "$finished") || true
      rm -f "$log"
      if [ "$attempt" = 1 ]; then
        echo "running the stalled phase once more"
        continue
      fi
      return "$status"
    fi
    rm -f "$log"
    return "$status"
  done
}

if [ $# -gt 0 ]; then
  run_phase "$@"
  exit $?
fi
first=0
run_phase --skip FederationSuites || first=$?
second=0
run_phase --filter FederationSuites || second=$?
[ "$first" = 0 ] && [ "$second" = 0 ]
