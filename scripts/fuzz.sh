#!/usr/bin/env bash
# Fuzzes every decoder reachable from outside the relay with libFuzzer:
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Builds `relay-fuzz` with -sanitize=fuzzer,address (in .build-fuzz), then
# runs each target (all by default; `relay-fuzz list` names them) for the
# given time (60 s by default) from its committed seed corpus in
# Tests/Fuzz/corpus, in a scratch copy. New inputs it finds stay in the
# scratch copy (FUZZ_KEEP=DIR keeps them there); a crash, a leak or a
# timeout fails the run and leaves the input under .build-fuzz/artifacts.
# Prints each target's executions per second.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true

# lld: gold fails on libFuzzer's objects beside SwiftPM's renamed entry point.
swift build --scratch-path .build-fuzz --product relay-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld >/dev/null
binary=.build-fuzz/debug/relay-fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(client-frame replication-batch resp config sealed-envelope codes upload-chunk fetched-chunk)
fi

artifacts=$PWD/.build-fuzz/artifacts
mkdir -p "$artifacts"
failed=0
for target in "${targets[@]}"; do
  work=${FUZZ_KEEP:-$(mktemp -d /tmp/relay-fuzz.XXXXXX)}/$target
  mkdir -p "$work"
  log=$(mktemp /tmp/relay-fuzz-log.XXXXXX)
  set +e
  RELAY_FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=0 "$binary" "$work" "Tests/Fuzz/corpus/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
    -artifact_prefix="$artifacts/$target-" -print_final_stats=1 >"$log" 2>&1
  status=$?
  set -e
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
  corpus=$(ls "$work" | wc -l)
  if [ "$status" = 0 ]; then
    echo "$target: ok, $runs runs in ${seconds}s ($rate/s), corpus $corpus"
  else
    echo "$target: FAILED (exit $status); the input is under $artifacts:"
    grep -E 'ERROR|SUMMARY|Fatal error|panic|==[0-9]+==' "$log" | head -20 || true
    tail -40 "$log"
    failed=1
  fi
  rm -f "$log"
done
exit "$failed"
