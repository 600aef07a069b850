#!/usr/bin/env bash
# The region path against the embedded default, interleaved: ROUNDS rounds of
# relay-bench's 1:1 throughput on a region node (a fresh PostgreSQL database
# and an empty Redis each run, from scripts/with-databases.sh) and on the
# embedded default, for every relay binary in RELAYS, one after the other.
#
#   scripts/bench-region.sh                        # 3 rounds, .build/release/relay, PostgreSQL fsync off
#   RELAY_PG_FSYNC=on scripts/bench-region.sh      # PostgreSQL durable
#   RELAY_PG_STATEMENTS=1 scripts/bench-region.sh  # and print pg_stat_statements' top statements per run
#   ROUNDS=4 RELAYS="/tmp/relay-a /tmp/relay-b" scripts/bench-region.sh --pairs 2
#
# Arguments go to relay-bench. Build first: swift build -c release.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${RELAY_TEST_POSTGRES_URL:-}" ]; then exec scripts/with-databases.sh "$0" "$@"; fi

bench=.build/release/relay-bench
rounds=${ROUNDS:-3}
relays=${RELAYS:-.build/release/relay}
base=${RELAY_TEST_POSTGRES_URL%/postgres}
redis_port=${RELAY_TEST_REDIS_URL##*:}
echo "PostgreSQL fsync ${RELAY_PG_FSYNC:-off}; $rounds rounds; relays: $relays" >&2

rate() { sed -n 's/^throughput .* \([0-9][0-9]*\) .*/\1/p' | awk '{print $NF; exit}'; }
cpu() { sed -n 's/.*server CPU µs per message: //p' | head -1; }

run=0
for round in $(seq "$rounds"); do
  for relay in $relays; do
    run=$((run + 1))
    psql "$RELAY_TEST_POSTGRES_URL" -qc "create database bench_$run"
    redis-cli -p "$redis_port" flushall >/dev/null
    [ -n "${RELAY_PG_STATEMENTS:-}" ] && psql "$base/bench_$run" -qc "create extension if not exists pg_stat_statements; select pg_stat_statements_reset()" >/dev/null
    region=$("$bench" --relay "$relay" --workloads throughput --postgres "$base/bench_$run" --redis "$RELAY_TEST_REDIS_URL" "$@" 2>/dev/null)
    if [ -n "${RELAY_PG_STATEMENTS:-}" ]; then
      psql "$base/bench_$run" -c "select calls, round(total_exec_time::numeric, 0) as total_ms,
        round((total_exec_time / calls)::numeric, 3) as mean_ms, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 90) as query
        from pg_stat_statements order by total_exec_time desc limit 12" >&2
    fi
    embedded=$("$bench" --relay "$relay" --workloads throughput "$@" 2>/dev/null)
    r=$(echo "$region" | rate)
    e=$(echo "$embedded" | rate)
    printf '%s round %s: region %s msg/s (%s µs CPU/msg, relay only), embedded %s msg/s (%s µs), region/embedded %s %%\n' \
      "$relay" "$round" "$r" "$(echo "$region" | cpu)" "$e" "$(echo "$embedded" | cpu)" "$(awk -v r="$r" -v e="$e" 'BEGIN{printf "%.1f", 100*r/e}')"
  done
done
