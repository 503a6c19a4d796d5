#!/usr/bin/env bash
# pool.sh -- a real single-node HTCondor pool (collector, negotiator, two
# schedds, startd, shared_port, master) running in a Debian trixie/sid chroot
# on a Debian bookworm host, reachable from the host on 127.0.0.1:9618
# (CONDOR_POOL_PORT).
#
# Usage:  pool.sh install|start|stop|restart|status|wait|env|token USER|exec [-u USER] CMD...|schedd2 off|on|clean|uninstall
#
#   install     create the chroot and install the "condor" package (idempotent)
#   start       install if missing, start condor_master (or, if running, the second
#               schedd should it be off), wait until the pool is ready
#   stop        stop the pool (SIGTERM = graceful, then SIGQUIT, then SIGKILL)
#   status      exit 0 if the pool is running, print the ads in the collector
#   wait        wait until the pool is ready (collector, negotiator, both schedds, startd, master)
#   env         print shell exports for host-side clients (CONDOR_CONFIG=...)
#   token USER  mint (once) an IDTOKEN for USER@htcondor.test, print its directory
#   exec        run a command inside the chroot (as root, or as USER with -u)
#   schedd2 off|on  stop / start the second schedd alone (the master's condor_off /
#               condor_on -daemon SCHEDD2), for tests of "one schedd down"; returns once
#               its ad has left the collector / it is back in it and answers queries
#   clean       (pool stopped) wipe job queue, history, logs, execute dirs and /tmp/jobs
#   uninstall   stop and delete the chroot
#
# Settings (environment):
#   CONDOR_POOL_ROOT       chroot directory               (default /var/tmp/condor-restd-pool)
#   CONDOR_POOL_PORT       the pool's one TCP port        (default 9618; another root, another port: two pools side by side)
#   CONDOR_POOL_SUITE      Debian suite: sid | trixie     (default sid: condor 25.14.x)
#   CONDOR_POOL_BOOTSTRAP  mmdebstrap | debootstrap       (default mmdebstrap)
#   CONDOR_POOL_MIRROR     Debian mirror URL              (default: derived from the host's apt config)
#   CONDOR_POOL_STATE      host-side client config+tokens (default <root>-client)
#   CONDOR_POOL_CONFIG     condor config for the pool     (default <script dir>/condor_config.pool)
#   CONDOR_POOL_USERS      test users created in chroot   (default "alice bob")
#   CONDOR_POOL_TIMEOUT    seconds to wait for readiness  (default 60)
#   CONDOR_POOL_WAIT_FOR   ad types required for "ready"  (default "Collector Negotiator Scheduler Machine DaemonMaster";
#                          "ready" also needs both schedds' ads, by name, and each schedd answering condor_q)
#
# Two schedds (condor_config.pool): the first is the pool's default schedd, Name
# "<host>" (what Collector().locate(DaemonType.Schedd) and Schedd() find from the
# host), spool /var/spool/condor; the second, "schedd2@<host>" (<host>: the
# chroot's FULL_HOSTNAME, the host's name), has its own spool, job queue and
# history in /var/spool/condor-schedd2 and its log in SchedLog.schedd2; reach it
# with Schedd(Collector().locate(DaemonType.Schedd, "schedd2@<host>")).
# "schedd2 off" is a graceful shutdown: the schedd invalidates its ad, so the
# collector no longer lists it at once (a client still holding its old ad fails
# to connect at once); "schedd2 on" (or the next "start") brings it back.
#
# Needs root (chroot, mount of /proc in a private mount namespace).  No docker,
# no systemd, no cgroups; nothing is mounted in the host's mount namespace.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(realpath -m "${CONDOR_POOL_ROOT:-/var/tmp/condor-restd-pool}")
SUITE=${CONDOR_POOL_SUITE:-sid}
BOOTSTRAP=${CONDOR_POOL_BOOTSTRAP:-mmdebstrap}
STATE=$(realpath -m "${CONDOR_POOL_STATE:-$ROOT-client}")
CONFIG_SRC=${CONDOR_POOL_CONFIG:-$HERE/condor_config.pool}
USERS=${CONDOR_POOL_USERS:-alice bob}
TIMEOUT=${CONDOR_POOL_TIMEOUT:-60}
# Ads that must be in the collector before "ready".  The master sends its first
# ad 5 s after it starts (hard-coded); drop DaemonMaster to be ready in ~2 s.
WAIT_FOR=${CONDOR_POOL_WAIT_FOR:-Collector Negotiator Scheduler Machine DaemonMaster}
UID_DOMAIN=htcondor.test          # must match UID_DOMAIN in condor_config.pool
PORT=${CONDOR_POOL_PORT:-9618}
COLLECTOR=127.0.0.1:$PORT         # COLLECTOR_HOST and SHARED_PORT_PORT of the generated config
STAMP=$ROOT/.condor-pool-installed
PIDFILE=/run/condor/master.pid    # path inside the chroot
SCHEDD2=SCHEDD2                   # the second schedd's entry in DAEMON_LIST (condor_config.pool)
PATH_IN=/usr/sbin:/usr/bin:/sbin:/bin

log() { printf '%s pool.sh: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

[ "$(id -u)" = 0 ] || die "must run as root (chroot + mount namespace)"
case "$ROOT" in /|/tmp|/var|/usr|/home|/root|/opt) die "refusing CONDOR_POOL_ROOT=$ROOT" ;; esac

# Run a command inside the chroot with a clean environment.  Never touch
# chroot paths from the host side when they may contain absolute symlinks
# (/var/run -> /run, /var/lock -> /run/lock would resolve on the HOST).
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=$PATH_IN HOME=/root LANG=C.UTF-8 "$@"; }

# ----------------------------------------------------------------- install --

# The Debian mirror the host's apt uses (deb822 or one-line format alike).
mirror() {
    if [ -n "${CONDOR_POOL_MIRROR:-}" ]; then echo "${CONDOR_POOL_MIRROR%/}"; return; fi
    local m
    m=$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 'Identifier: Packages' 2>/dev/null |
        awk '$1 !~ /-/ { print $2; exit }')
    [ -n "$m" ] || die "cannot derive a Debian mirror from the apt configuration; set CONDOR_POOL_MIRROR"
    echo "${m%/}"
}

# Acquire:: settings of the host's apt that the chroot's apt must share
# (e.g. Check-Valid-Until "false" for snapshot mirrors, proxies).
host_aptopts() {
    apt-config dump 2>/dev/null |
        grep -E '^Acquire::(Check-Valid-Until|Check-Date|Retries|ForceIPv4|https?::Proxy) ' || true
}

ensure_tool() {  # ensure_tool <command> <package>
    command -v "$1" >/dev/null 2>&1 && return 0
    log "installing $2 on the host"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" >/dev/null; }
}

mounts_under_root() { awk -v r="$ROOT" '$2 == r || index($2, r "/") == 1' /proc/mounts; }

install_pool() {
    if [ -f "$STAMP" ] && grep -qx "suite=$SUITE" "$STAMP"; then return 0; fi
    [ -z "$(mounts_under_root)" ] || die "something is mounted under $ROOT; refusing to (re)install"
    if is_running; then die "pool in $ROOT is running; stop it before reinstalling"; fi
    local t0 m; t0=$(now); m=$(mirror)
    log "installing condor from Debian $SUITE ($m) into $ROOT with $BOOTSTRAP"
    rm -rf --one-file-system "$ROOT"
    mkdir -p "$(dirname "$ROOT")"
    local -a aptopt=() dpkgopt=(
        'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/locale/*'
        'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright')
    local o; while IFS= read -r o; do aptopt+=("$o"); done < <(host_aptopts)
    case "$BOOTSTRAP" in
    mmdebstrap)
        ensure_tool mmdebstrap mmdebstrap
        local -a args=(--mode=root --variant=essential --include=condor)
        for o in "${aptopt[@]}"; do args+=(--aptopt="$o"); done
        for o in "${dpkgopt[@]}"; do args+=(--dpkgopt="$o"); done
        mmdebstrap "${args[@]}" "$SUITE" "$ROOT" "$m" >"$ROOT.install.log" 2>&1 ||
            die "mmdebstrap failed, see $ROOT.install.log"
        ;;
    debootstrap)
        ensure_tool debootstrap debootstrap
        debootstrap --variant=minbase "$SUITE" "$ROOT" "$m" >"$ROOT.install.log" 2>&1 ||
            die "debootstrap failed, see $ROOT.install.log"
        printf '%s\n' "${aptopt[@]}" > "$ROOT/etc/apt/apt.conf.d/99condor-pool"
        for o in "${dpkgopt[@]}"; do echo "$o"; done > "$ROOT/etc/dpkg/dpkg.cfg.d/99condor-pool"
        # Maintainer scripts (systemd-tmpfiles) need /proc: mount it in a
        # private mount namespace so that nothing leaks into the host.
        unshare --mount --propagation private -- sh -c '
            mount -t proc proc "$1/proc" &&
            exec chroot "$1" /usr/bin/env -i PATH='"$PATH_IN"' DEBIAN_FRONTEND=noninteractive \
                sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends condor && apt-get clean"
        ' sh "$ROOT" >>"$ROOT.install.log" 2>&1 || die "apt-get install condor failed, see $ROOT.install.log"
        ;;
    *) die "unknown CONDOR_POOL_BOOTSTRAP=$BOOTSTRAP" ;;
    esac
    printf 'suite=%s\nversion=%s\nbootstrap=%s\n' "$SUITE" \
        "$(in_root condor_version | head -n1)" "$BOOTSTRAP" > "$STAMP"
    log "installed $(in_root condor_version | head -n1) in $(since "$t0") ($(du -sh --one-file-system "$ROOT" | cut -f1))"
}

# ------------------------------------------------------------- run / stop --

# alive PID: exists and is not a zombie (a slow-reaping init keeps zombies around)
alive() {
    local s
    s=$(sed -n 's/^State:[[:space:]]*\([A-Za-z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$s" ] && [ "$s" != Z ]
}

master_pid() {
    local p
    p=$(cat "$ROOT/run/condor/master.pid" 2>/dev/null) || return 1
    [ -n "$p" ] && alive "$p" && [ "$(readlink "/proc/$p/root" 2>/dev/null)" = "$ROOT" ] &&
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = condor_master ] && echo "$p"
}

is_running() { master_pid >/dev/null 2>&1; }

# All processes whose root directory is the chroot (i.e. started by this pool).
pids_in_root() {
    local d
    for d in /proc/[0-9]*; do
        [ "$(readlink "$d/root" 2>/dev/null)" = "$ROOT" ] && echo "${d#/proc/}"
    done
    return 0
}

configure_pool() {
    # Test users with fixed uids (jobs run as these users).
    local uid=2001 u rel spool2
    for u in $USERS; do
        in_root getent passwd "$u" >/dev/null || in_root useradd -u "$uid" -m -s /bin/sh "$u"
        uid=$((uid + 1))
    done
    # Make host paths under $ROOT valid inside the chroot too: inside the chroot
    # "$ROOT" is a symlink to "/" (relative, so on the host it points back to
    # $ROOT itself).  Used by FS authentication (FS_LOCAL_DIR) and lets
    # host-submitted jobs use initialdir=$ROOT/tmp/jobs.
    rel=$(dirname "$ROOT" | sed -e 's#/[^/]*#../#g' -e 's#/$##')
    in_root mkdir -p "$(dirname "$ROOT")"
    [ "$(in_root readlink "$ROOT" 2>/dev/null)" = "$rel" ] || in_root ln -sfn "$rel" "$ROOT"
    in_root install -d -m 1777 /tmp/jobs
    in_root sh -c 'cat > /etc/hosts' <<EOF
127.0.0.1	$(uname -n) localhost
EOF
    install -m 0644 "$CONFIG_SRC" "$ROOT/etc/condor/config.d/99-pool.conf"
    cat > "$ROOT/etc/condor/config.d/99-pool-generated.conf" <<EOF
# generated by pool.sh -- FS authentication files go to a directory whose
# path is the same on the host and inside the chroot (see configure_pool)
FS_LOCAL_DIR = $ROOT/tmp
# every daemon behind the shared port, on this pool's port
COLLECTOR_HOST = $COLLECTOR
SHARED_PORT_PORT = $PORT
EOF
    # Normally created by systemd-tmpfiles at boot.
    in_root install -d -o condor -g condor -m 0775 /run/condor /run/lock/condor
    # The second schedd's spool (the package creates only the first's).
    spool2=$(schedd2_spool)
    in_root install -d -o condor -g condor -m 0755 "$spool2"
    in_root rm -f "$PIDFILE"
}

write_client_config() {
    mkdir -p "$STATE"
    cat > "$STATE/condor_config.client" <<EOF
# Host-side client config for the pool in $ROOT (export CONDOR_CONFIG=<this file>).
CONDOR_HOST = 127.0.0.1
COLLECTOR_HOST = $COLLECTOR
UID_DOMAIN = $UID_DOMAIN
TRUST_DOMAIN = 127.0.0.1
# Identity: alice's IDTOKEN; host root falls back to FS (mapped to "condor",
# the pool admin); CLAIMTOBE honours SEC_CLAIMTOBE_USER.
SEC_CLIENT_AUTHENTICATION_METHODS = IDTOKENS, FS, CLAIMTOBE
SEC_TOKEN_DIRECTORY = $STATE/tokens/${USERS%% *}
EOF
}

make_token() {  # make_token USER -> prints the token directory
    local u=$1 dir="$STATE/tokens/$1"
    if [ ! -s "$dir/token" ]; then
        mkdir -p "$dir"; chmod 700 "$STATE/tokens" "$dir"
        ( umask 077; in_root condor_token_create -identity "$u@$UID_DOMAIN" > "$dir/token.tmp" ) &&
            mv "$dir/token.tmp" "$dir/token" || die "condor_token_create failed for $u"
    fi
    echo "$dir"
}

# The two schedds' names in the collector: "<host>" and "schedd2@<host>".
schedd_names() {
    local host; host=$(in_root condor_config_val FULL_HOSTNAME)
    echo "$host" "schedd2@$host"
}
schedd2_spool() {
    local d; d=$(in_root condor_config_val "$SCHEDD2.SPOOL" 2>/dev/null) || true
    case "$d" in /?*/?*) echo "$d" ;; *) die "no $SCHEDD2.SPOOL in the pool's config (got '$d')" ;; esac
}

# ads_in_collector: one "MyType Name" line per ad
ads_in_collector() { in_root condor_status -pool "$COLLECTOR" -any -af MyType Name 2>/dev/null || true; }

# schedd_up NAME: its ad is in the collector and it answers a query at the
# address in that ad (as host clients reach it; "condor_q -name <host>" would
# not do: inside the chroot it cannot resolve the bare host name)
schedd_up() {
    local addr
    addr=$(in_root condor_status -pool "$COLLECTOR" -schedd -constraint "Name == \"$1\"" -af MyAddress 2>/dev/null) &&
        [ -n "$addr" ] && in_root condor_q -addr "$addr" -totals >/dev/null 2>&1
}

wait_ready() {
    local t0=$1 deadline types t ok s
    deadline=$(( $(date +%s) + TIMEOUT ))
    while :; do
        types=" $(ads_in_collector | cut -d' ' -f1 | sort -u | tr '\n' ' ')"
        ok=1
        for t in $WAIT_FOR; do [[ $types == *" $t "* ]] || ok=0; done
        if [ "$ok" = 1 ]; then  # and both schedds, by name
            for s in $(schedd_names); do schedd_up "$s" || { ok=0; break; }; done
        fi
        if [ "$ok" = 1 ]; then
            log "pool ready in $(since "$t0")"
            return 0
        fi
        is_running || die "condor_master died; see $ROOT/var/log/condor/MasterLog"
        [ "$(date +%s)" -lt "$deadline" ] || die "pool not ready after ${TIMEOUT}s (have:$types); see $ROOT/var/log/condor"
        sleep 0.2
    done
}

start_pool() {
    install_pool
    local t0; t0=$(now)
    if is_running; then
        log "already running (master pid $(master_pid))"
        # a test may have left the second schedd off: "start" turns it back on
        # (a no-op when it runs)
        in_root condor_on -daemon "$SCHEDD2" >/dev/null 2>&1 || true
    else
        [ -z "$(pids_in_root)" ] || die "stray processes in $ROOT: $(pids_in_root | tr '\n' ' ')- run '$0 stop'"
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
            die "$COLLECTOR is already in use (another HTCondor?)"
        fi
        configure_pool
        # Private mount namespace: /proc is mounted for the daemons only and
        # disappears with the last daemon; condor_master daemonizes itself.
        unshare --mount --propagation private -- sh -c '
            mount -t proc proc "$1/proc" &&
            exec chroot "$1" /usr/bin/env -i PATH='"$PATH_IN"' LANG=C.UTF-8 \
                /usr/sbin/condor_master -pidfile '"$PIDFILE"'
        ' sh "$ROOT" || die "could not start condor_master"
        local i; for i in $(seq 50); do is_running && break; sleep 0.1; done
        log "condor_master started (pid $(master_pid || echo '?'))"
    fi
    wait_ready "$t0"
    local u; for u in $USERS condor; do make_token "$u" >/dev/null; done
    write_client_config
}

stop_pool() {
    local p t0 i; t0=$(now)
    if p=$(master_pid); then
        log "stopping condor_master (pid $p)"
        kill -TERM "$p"                                    # graceful shutdown
        for i in $(seq 300); do alive "$p" || break; sleep 0.1; done
        if alive "$p"; then log "graceful shutdown timed out, sending SIGQUIT"; kill -QUIT "$p" 2>/dev/null || true; fi
        for i in $(seq 100); do alive "$p" || break; sleep 0.1; done
    fi
    local left; left=$(pids_in_root)
    if [ -n "$left" ]; then
        log "killing leftover processes in $ROOT: $(echo $left)"
        kill -KILL $left 2>/dev/null || true
        sleep 0.2
    fi
    log "stopped in $(since "$t0")"
}

# schedd2 off|on: stop / start the second schedd alone and wait until the
# collector shows it gone / it is back and answers.
schedd2_switch() {
    local name deadline t0; t0=$(now)
    name=$(schedd_names | cut -d' ' -f2)
    deadline=$(( $(date +%s) + TIMEOUT ))
    case "$1" in
    off)
        in_root condor_off -daemon "$SCHEDD2" >/dev/null || die "condor_off -daemon $SCHEDD2 failed"
        while ads_in_collector | grep -qxF "Scheduler $name"; do
            [ "$(date +%s)" -lt "$deadline" ] || die "$name still in the collector after ${TIMEOUT}s"
            sleep 0.1
        done ;;
    on)
        in_root condor_on -daemon "$SCHEDD2" >/dev/null || die "condor_on -daemon $SCHEDD2 failed"
        until schedd_up "$name"; do
            [ "$(date +%s)" -lt "$deadline" ] || die "$name not back after ${TIMEOUT}s; see $ROOT/var/log/condor/SchedLog.schedd2"
            sleep 0.1
        done ;;
    *) die "usage: $0 schedd2 off|on" ;;
    esac
    log "$name $1 in $(since "$t0")"
}

status_pool() {
    if is_running; then
        echo "running: condor_master pid $(master_pid), root $ROOT, $(head -n2 "$STAMP" | tr '\n' ' ')"
        in_root condor_status -pool "$COLLECTOR" -any -af MyType Name 2>/dev/null || true
    else
        echo "stopped (root $ROOT$( [ -f "$STAMP" ] && echo ", installed: $(head -n2 "$STAMP" | tr '\n' ' ')" || echo ', not installed'))"
        return 1
    fi
}

cmd=${1:-}; shift || true
case "$cmd" in
install)   install_pool ;;
start)     start_pool ;;
stop)      stop_pool ;;
restart)   stop_pool; start_pool ;;
status)    status_pool ;;
wait)      is_running || die "not running"; wait_ready "$(now)" ;;
env)       echo "export CONDOR_CONFIG=$STATE/condor_config.client" ;;
schedd2)   [ $# -eq 1 ] || die "usage: $0 schedd2 off|on"; is_running || die "not running"; schedd2_switch "$1" ;;
token)     [ $# -eq 1 ] || die "usage: $0 token USER"; is_running || die "not running"; make_token "$1" ;;
exec)
    user=root
    if [ "${1:-}" = -u ]; then user=$2; shift 2; fi
    [ $# -gt 0 ] || die "usage: $0 exec [-u USER] CMD..."
    exec chroot --userspec="$user:$user" "$ROOT" /usr/bin/env -i PATH=$PATH_IN LANG=C.UTF-8 \
        HOME="$(in_root getent passwd "$user" | cut -d: -f6)" USER="$user" "$@" ;;
clean)
    is_running && die "stop the pool first"
    [ -f "$STAMP" ] || die "not installed"
    spool2=$(schedd2_spool)  # not inline: a failed $(...) in an argument would not stop the script
    in_root sh -c 'rm -rf /var/spool/condor/* "$1"/* /var/log/condor/* /var/log/condor/.[!.]* /var/lib/condor/execute/* /tmp/jobs/*' \
        sh "$spool2"
    log "cleaned job queue, history and logs" ;;
uninstall) stop_pool; [ -z "$(mounts_under_root)" ] || die "mounts under $ROOT"; rm -rf --one-file-system "$ROOT" "$ROOT.install.log" "$STATE" ;;
*) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; [ -z "$cmd" ] || exit 2 ;;
esac
