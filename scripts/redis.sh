#!/usr/bin/env bash
# A local Redis for the tests and for development (as pool/pool.sh runs the
# pool), for restd.shared:
#
#   scripts/redis.sh start   # starts it (if it is not running); prints its URL, redis://127.0.0.1:PORT/0
#   scripts/redis.sh url     # prints its URL
#   scripts/redis.sh stop    # stops it
#
# REDIS_ROOT (default /var/tmp/restd-redis) holds its pid file, port and log.
# REDIS_PORT chooses the port; by default the one it had before, else a free
# one. It listens on 127.0.0.1 only, keeps nothing on disk, and holds at most
# REDIS_MAXMEMORY (default 256mb), evicting the least recently used keys.
# Debian's redis-server: scripts/test.sh installs it (apt-get install redis-server).
set -euo pipefail
ROOT=${REDIS_ROOT:-/var/tmp/restd-redis}
PIDFILE=$ROOT/redis.pid

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
url() { echo "redis://127.0.0.1:$(cat "$ROOT/port")/0"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

case "${1:-}" in
start)
    command -v redis-server >/dev/null ||
        { echo "redis-server is missing: apt-get install redis-server (scripts/test.sh does)" >&2; exit 1; }
    mkdir -p "$ROOT"
    if ! running; then
        port=${REDIS_PORT:-$(cat "$ROOT/port" 2>/dev/null || free_port)}
        echo "$port" >"$ROOT/port"
        redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --pidfile "$PIDFILE" \
            --logfile "$ROOT/redis.log" --dir "$ROOT" --save "" --appendonly no \
            --maxmemory "${REDIS_MAXMEMORY:-256mb}" --maxmemory-policy allkeys-lru
        for _ in $(seq 100); do
            [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
            sleep 0.1
        done
        [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] ||
            { echo "redis-server did not answer on port $port; see $ROOT/redis.log" >&2; exit 1; }
    fi
    url
    ;;
url)
    url
    ;;
stop)
    if running; then
        pid=$(cat "$PIDFILE")
        kill "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$PIDFILE"
    ;;
*)
    echo "usage: $0 start|url|stop" >&2
    exit 2
    ;;
esac
