#!/usr/bin/env bash
# A local PostgreSQL for the tests and for development (as scripts/redis.sh
# runs Redis), for restd.archive = postgresql://...:
#
#   scripts/postgresql.sh start   # starts it (if it is not running); prints its URL, postgresql://restd@127.0.0.1:PORT/restd
#   scripts/postgresql.sh url     # prints its URL
#   scripts/postgresql.sh stop    # stops it (its data stays: start again finds it)
#   scripts/postgresql.sh dump    # prints pg_dump of its database restd
#
# PG_ROOT (default /var/tmp/restd-postgresql) holds its data, socket, port and
# log. PG_PORT chooses the port; by default the one it had before, else a free
# one. It listens on 127.0.0.1 only and trusts local connections (a test and
# development server: nothing else). As root, the server runs as the user
# postgres (PostgreSQL refuses root). Debian's postgresql: scripts/test.sh
# installs it (apt-get install postgresql).
set -euo pipefail
ROOT=${PG_ROOT:-/var/tmp/restd-postgresql}
DATA=$ROOT/data
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$BIN" ] || { echo "PostgreSQL is missing: apt-get install postgresql (scripts/test.sh does)" >&2; exit 1; }
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
url() { echo "postgresql://restd@127.0.0.1:$(cat "$ROOT/port")/restd"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

case "${1:-}" in
start)
    mkdir -p "$ROOT"
    chmod 755 "$ROOT"
    [ "$(id -u)" = 0 ] && chown postgres "$ROOT"
    if [ ! -f "$DATA/PG_VERSION" ]; then
        as_owner "$BIN/initdb" -D "$DATA" -A trust -U restd --no-sync >"$ROOT/initdb.log" 2>&1 ||
            { echo "initdb failed; see $ROOT/initdb.log" >&2; exit 1; }
    fi
    if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
        port=${PG_PORT:-$(cat "$ROOT/port" 2>/dev/null || free_port)}
        echo "$port" >"$ROOT/port"
        as_owner "$BIN/pg_ctl" -D "$DATA" -l "$ROOT/postgresql.log" -w -t 60 start \
            -o "-p $port -k $ROOT -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" >/dev/null ||
            { echo "PostgreSQL did not start on port $port; see $ROOT/postgresql.log" >&2; exit 1; }
        as_owner "$BIN/psql" -h 127.0.0.1 -p "$port" -U restd -d postgres -qtAc \
            "SELECT 1 FROM pg_database WHERE datname = 'restd'" | grep -q 1 ||
            as_owner "$BIN/createdb" -h 127.0.0.1 -p "$port" -U restd restd
    fi
    url
    ;;
url)
    url
    ;;
dump)
    as_owner "$BIN/pg_dump" -h 127.0.0.1 -p "$(cat "$ROOT/port")" -U restd restd
    ;;
stop)
    as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: $0 start|url|dump|stop" >&2
    exit 2
    ;;
esac
