#!/usr/bin/env bash
# The project's test command. On a fresh machine it installs what is missing
# (Debian packages the build and the tests need; Python grpcio for the
# interop test, in a virtualenv under .build-python), builds, starts a
# throwaway PostgreSQL and Redis (scripts/with-databases.sh), runs every
# test against them, and stops them.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/packages.sh libsqlite3-dev openssl postgresql redis-server python3-venv

venv=$PWD/.build-python
if ! "$venv/bin/python" -c 'import grpc, grpc_tools, grpc_health, cryptography, h2' 2>/dev/null; then
  echo "installing grpcio, grpcio-tools, grpcio-health-checking, cryptography, h2 into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check grpcio grpcio-tools grpcio-health-checking cryptography h2
fi
export RELAY_PYTHON=$venv/bin/python

# The code as it is checked in: formatted (scripts/format.sh --lint fails on
# anything swift-format would change), and no warning in the package's own
# targets (RELAY_STRICT=1 makes them errors; see Package.swift).
scripts/format.sh --lint
export RELAY_STRICT=1

# RELAY_SWIFT_FLAGS: more flags for swift build and swift test (scripts/tsan.sh
# sets --sanitize=thread and its own build path).
read -r -a swift_flags <<<"${RELAY_SWIFT_FLAGS:-}"
swift build --build-tests ${swift_flags[@]+"${swift_flags[@]}"}

# A phase takes a minute or two; one still running after 8 minutes has
# stalled, and a stall is a failure (a bug in the relay or the harness until
# shown otherwise): first scripts/swift-tasks.py prints where each of the
# test process's tasks is suspended and gdb prints every thread's native
# stack, then the tests that never finished are named and the run fails.
# Nothing is run twice. With no arguments, the federation suites (three relay
# processes per test) run after the rest, on their own; arguments (a
# --filter) go to one run as they are.
phase_limit=${RELAY_TEST_PHASE_SECONDS:-480}

# Where every task and thread of a stalled test process waits.
dump_stalled() {
  local tests
  tests=$(pgrep -f 'relayPackageTests.xctest' | head -1 || true)
  if [ -z "$tests" ]; then
    # The test process is gone (it crashed): something it started still holds its output open.
    echo "the test process has ended, but the run has not; what is left:"
    ps -eo pid,ppid,stat,etime,args | grep -E 'swift-test|relayPackageTests|/debug/relay' | grep -v grep || true
    return 0
  fi
  echo "where the test process's tasks wait (scripts/swift-tasks.py):"
  python3 scripts/swift-tasks.py "$tests" 2>&1 | head -600 || true
  if command -v gdb >/dev/null; then
    echo "every thread's native stack (gdb):"
    timeout 120 gdb -p "$tests" -batch -nx -ex 'set pagination off' -ex 'thread apply all bt 30' 2>&1 \
      | grep -vE '^\[New LWP|^warning: ' | head -1500 || true
  fi
}

# Kills what runs under `pid` (not `pid` itself: scripts/with-databases.sh
# then stops its servers as usual) and every relay or relay-client built
# here, which a crashed test process leaves behind, holding its output open.
kill_phase() {
  local pid=$1 children child
  children=$(pgrep -P "$pid" || true)
  for child in $children; do
    kill_phase "$child"
    kill -KILL "$child" 2>/dev/null || true
  done
  pkill -KILL -f "^$PWD/\.build[^ ]*/debug/relay" || true
}

# Runs the command with its output in $1 (and on the terminal); 124 if it ran
# past the limit, after showing where its tasks and threads wait.
run_watched() {
  local log=$1 waited=0 pid dumped=""
  shift
  "$@" >"$log" 2>&1 &
  pid=$!
  tail -n +1 --pid="$pid" -f "$log" &
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    waited=$((waited + 5))
    # The first test past its time limit: where everything waits, while it is
    # still there (the cancellation that follows may end the wait, or not).
    if [ -z "$dumped" ] && grep -q 'Time limit was exceeded' "$log"; then
      dumped=1
      echo "a test ran past its time limit; where the test process waits now:"
      dump_stalled
    fi
    if [ "$waited" -ge "$phase_limit" ]; then
      echo "the test run is still going after ${phase_limit}s"
      dump_stalled
      kill_phase "$pid"
      wait "$pid" 2>/dev/null || true
      return 124
    fi
  done
  wait "$pid"
}

run_phase() {
  local log status started finished
  log=$(mktemp /tmp/relay-test.XXXXXX.log)
  set +e
  run_watched "$log" scripts/with-databases.sh swift test --skip-build ${swift_flags[@]+"${swift_flags[@]}"} "$@"
  status=$?
  set -e
  if [ "$status" = 124 ]; then
    echo "the test run stalled and was stopped; tests that started and never finished:"
    started=$(grep -oE 'Test "[^"]*" started|Test [A-Za-z]+\([^)]*\) started' "$log" | sed -E 's/ started$//' | sort -u || true)
    finished=$(grep -oE 'Test "[^"]*" (with [0-9]+ test cases )?(passed|failed)|Test [A-Za-z]+\([^)]*\) (with [0-9]+ test cases )?(passed|failed)' "$log" \
      | sed -E 's/ (with [0-9]+ test cases )?(passed|failed)$//' | sort -u || true)
    comm -23 <(echo "$started") <(echo "$finished") || true
  fi
  rm -f "$log"
  return "$status"
}

if [ $# -gt 0 ]; then
  run_phase "$@"
  exit $?
fi
first=0
run_phase --skip FederationSuites --skip HostileTests || first=$?
second=0
run_phase --filter FederationSuites || second=$?
# The hostile clients, on their own: RSS bounds hold only for the relay's own load.
third=0
run_phase --filter HostileTests || third=$?
[ "$first" = 0 ] && [ "$second" = 0 ] && [ "$third" = 0 ] || exit 1

if [ -n "${CI:-}" ] || [ -n "${RELAY_TEST_ALL:-}" ]; then
  # The fuzzers, each for a bounded time from its seed corpus (scripts/fuzz.sh).
  echo "fuzzing each target for ${RELAY_FUZZ_SECONDS:-30}s"
  scripts/fuzz.sh "${RELAY_FUZZ_SECONDS:-30}"
fi
if [ -n "${CI:-}" ] || [ -n "${RELAY_TEST_ALL:-}" ]; then
  # ThreadSanitizer: the unit, storage, end-to-end, client and region suites
  # and the relays they start, built with --sanitize=thread (scripts/tsan.sh).
  scripts/tsan.sh
fi
