#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL and Redis on loopback, each in a
# temporary directory, and stops them afterwards:
#
#   scripts/with-databases.sh swift test
#
# The command sees RELAY_TEST_POSTGRES_URL (a superuser on a scratch cluster:
# tests create a database each) and RELAY_TEST_REDIS_URL. Installs
# postgresql and redis-server with apt when they are missing. A server that
# does not start fails the run.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

# A port below the kernel's ephemeral range (which outgoing connections draw
# their source ports from, so a port from bind(0) can be taken again before
# the server binds it), drawn at random and checked bindable.
free_port() {
  python3 -c '
import random, socket
while True:
    port = random.randrange(32000, 32700)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass
    finally:
        s.close()'
}

scratch=$(mktemp -d /tmp/relay-databases.XXXXXX)
chmod 755 "$scratch"
# initdb and postgres refuse to run as root: run them as the postgres user.
as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  as_pg=(runuser -u postgres --)
fi

pg_port=$(free_port)
mkdir -p "$scratch/pg"
[ ${#as_pg[@]} -gt 0 ] && chown postgres "$scratch/pg"
"${as_pg[@]}" "$pgbin/initdb" -D "$scratch/pg/data" -U relay -A trust -E UTF8 --no-instructions >"$scratch/initdb.log" 2>&1 \
  || { cat "$scratch/initdb.log"; exit 1; }

redis_port=$(free_port)

stop() {
  status=$?
  # A failed run shows what PostgreSQL refused (connections, not queries).
  if [ "$status" != 0 ] && [ -f "$scratch/pg/server.log" ]; then
    grep -E 'FATAL|PANIC' "$scratch/pg/server.log" | sed -E 's/^.*(FATAL|PANIC)/\1/' | sort | uniq -c | sort -rn | head -20 || true
  fi
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$scratch/pg/data" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$scratch/redis.pid" ] && kill "$(cat "$scratch/redis.pid")" 2>/dev/null || true
  rm -rf "$scratch"
}
trap stop EXIT

# Durability is not under test here: fsync off keeps a test run fast.
# RELAY_PG_FSYNC=on runs PostgreSQL durable instead (benchmarks measure both);
# RELAY_PG_STATEMENTS=1 loads pg_stat_statements (a profile of the region path).
durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${RELAY_PG_FSYNC:-off}" = on ] && durability="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
[ -n "${RELAY_PG_STATEMENTS:-}" ] && durability="$durability -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$scratch/pg/data" -l "$scratch/pg/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $pg_port -k $scratch/pg $durability -c max_connections=400" \
  start >/dev/null || { cat "$scratch/pg/server.log"; exit 1; }

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$scratch" \
  --daemonize yes --pidfile "$scratch/redis.pid" --logfile "$scratch/redis.log"
for _ in $(seq 50); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$redis_port" ping >/dev/null || { cat "$scratch/redis.log"; exit 1; }

export RELAY_TEST_POSTGRES_URL="postgres://relay@127.0.0.1:$pg_port/postgres"
export RELAY_TEST_REDIS_URL="redis://127.0.0.1:$redis_port"
echo "PostgreSQL at $RELAY_TEST_POSTGRES_URL, Redis at $RELAY_TEST_REDIS_URL"
"$@"
