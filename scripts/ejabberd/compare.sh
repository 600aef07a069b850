#!/usr/bin/env bash
# The ejabberd comparison of docs/benchmarks.md ("Against ejabberd"): ejabberd
# from Debian, in a temporary directory, relaying online 1:1 chat messages
# between raw-socket XMPP clients (scripts/ejabberd/xmpp_load.py: SCRAM login,
# no TLS, no archive, no offline storage), interleaved with relay-bench's
# throughput workload on the relay (TLS, every message persisted, receipts).
# Both report the server's CPU per delivered message from /proc.
#
#   scripts/ejabberd/compare.sh [ROUNDS]     (default 3; needs root for apt and setpriv)
#
# Then memory per idle connection, both servers: IDLE (default 2,000) logged-in
# sessions, one per account (ejabberd's registered in-band by the load script),
# that stay quiet, and the growth of the server's RSS divided by them.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}

command -v ejabberdctl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ejabberd; }
# Debian starts a system ejabberd on install: this run uses its own node and port.
[ -x .build/release/relay-bench ] || swift build -c release --product relay-bench
[ -x .build/release/relay ] || swift build -c release --product relay

work=$(mktemp -d /tmp/relay-ejabberd.XXXXXX)
mkdir -p "$work/logs" "$work/spool"
cat >"$work/ejabberd.yml" <<YAML
hosts: [bench.test]
loglevel: warning
listen:
  - { port: 15222, ip: "127.0.0.1", module: ejabberd_c2s, max_stanza_size: 262144, backlog: 1024 }
auth_method: internal
auth_password_format: scram
acl: { local: { user_regexp: "" } }
access_rules: { local: { allow: local }, register: { allow: all } }
registration_timeout: infinity
api_permissions: { "console commands": { from: ejabberd_ctl, who: all, what: "*" } }
modules: { mod_register: { access: register } }
YAML
sed -e "s|^EJABBERD_CONFIG_PATH=.*|EJABBERD_CONFIG_PATH=$work/ejabberd.yml|" \
  -e "s|^EJABBERD_PID_PATH=.*|EJABBERD_PID_PATH=$work/ejabberd.pid|" /etc/ejabberd/ejabberdctl.cfg >"$work/ejabberdctl.cfg"
chown -R ejabberd:ejabberd "$work"
# As the ejabberd user directly (not through su, which would reset the open-files limit).
ctl() {
  (ulimit -n 20000 && HOME=$work setpriv --reuid=ejabberd --regid=ejabberd --init-groups \
    ejabberdctl --ctl-config "$work/ejabberdctl.cfg" --logs "$work/logs" --spool "$work/spool" --node relaybench@localhost "$@")
}
stop() { ctl stop >/dev/null 2>&1 || true; pkill -f "beam.smp.*relaybench@localhost" || true; rm -rf "$work"; }
trap stop EXIT
ctl start
ctl started
for i in $(seq 0 7); do ctl register "s$i" bench.test pw >/dev/null; ctl register "r$i" bench.test pw >/dev/null; done
pid=$(pgrep -f "beam.smp.*relaybench@localhost")

for round in $(seq 1 "$rounds"); do
  echo "round $round"
  python3 scripts/ejabberd/xmpp_load.py --pid "$pid"
  .build/release/relay-bench --workloads throughput 2>/dev/null | grep -A1 '^throughput'
done
# Memory per idle connection: ejabberd's, then the relay's (relay-bench's connections workload).
echo "idle connections"
python3 scripts/ejabberd/xmpp_load.py --pid "$pid" --idle "${IDLE:-2000}"
.build/release/relay-bench --workloads connections --devices "${IDLE:-2000}" 2>/dev/null | grep -A3 '^connections'
