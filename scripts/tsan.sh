#!/usr/bin/env bash
# The ThreadSanitizer phase (the last phase of CI: see docs/decisions.md): builds
# everything with --sanitize=thread in .build-tsan and runs the unit,
# storage, end-to-end, client and region suites under it (the federation
# and hostile phases stay out: the first triples CI's time, the second
# measures RSS). Relays the tests start are the sanitized builds too, and a
# report in any of them fails its test (exit status 66).
#
# First it checks its own tool: scripts/tsan-suppressions.txt names the one
# blind spot it suppresses, and Sources/CThreadSanitizer shows TSan the lock
# hand-overs of a contended Synchronization.Mutex. Tests/ThreadSanitizer/
# MutexCheck.swift proves that wrapper sound on every run: a counter under a
# contended Mutex gives no report, an unlocked one still does.
set -euo pipefail
cd "$(dirname "$0")/.."

export TSAN_OPTIONS="halt_on_error=0 suppressions=$PWD/scripts/tsan-suppressions.txt"
check=$(mktemp -d /tmp/relay-tsan-check.XXXXXX)
trap 'rm -rf "$check"' EXIT
clang=$(dirname "$(readlink -f "$(command -v swiftc)")")/clang
"$clang" -fsanitize=thread -c Sources/CThreadSanitizer/CThreadSanitizer.c \
  -I Sources/CThreadSanitizer/include -o "$check/wrapper.o"
swiftc -sanitize=thread Tests/ThreadSanitizer/MutexCheck.swift "$check/wrapper.o" -o "$check/mutex-check"
if ! "$check/mutex-check" >"$check/locked.log" 2>&1 || grep -q 'WARNING: ThreadSanitizer' "$check/locked.log"; then
  cat "$check/locked.log"
  echo "tsan self-check: a counter under a contended Mutex was reported (or the check failed)"
  exit 1
fi
"$check/mutex-check" racy >"$check/racy.log" 2>&1 || true
if ! grep -q 'WARNING: ThreadSanitizer: data race' "$check/racy.log"; then
  cat "$check/racy.log"
  echo "tsan self-check: an unlocked counter was not reported"
  exit 1
fi
echo "tsan self-check: a contended Mutex is quiet, an unlocked counter is reported"

# scripts/test.sh builds with these flags, then runs the phase under its watch.
# TSan runs everything 5-15 times slower: the tests wait 4 times longer for
# their events (Tests/RelayTestSupport/Patience.swift); what they expect is unchanged.
# The time limits of suites scale the same way (Patience.minutes), and so
# does the watch on the whole phase (scripts/test.sh).
export RELAY_TEST_TIME_SCALE=4
export RELAY_TEST_PHASE_SECONDS=${RELAY_TEST_PHASE_SECONDS:-960}
# Two test cases at a time, not the default four (twice the cores): a starved
# region test waited 120 s for its first sync batch in one CI run.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-2}
RELAY_SWIFT_FLAGS="--sanitize=thread --build-path .build-tsan" \
  scripts/test.sh --skip FederationSuites --skip HostileTests
