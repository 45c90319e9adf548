# Sourced (POSIX sh) by `make test`: start the local services some tests use.
#
# * PostgreSQL: a throwaway cluster in a temp dir on a free localhost port, owned by the
#   `postgres` user when we are root (initdb refuses to run as root); installs the Debian
#   `postgresql` package first when no initdb/pg_ctl is found and we are root with apt.
#   Exports PENMOTOR_TEST_POSTGRES_URL (SQLAlchemy URL, psycopg 3 driver).
# * Chromium (headless screenshots of the HTML report): installs the Debian `chromium`
#   package when missing (root + apt). Exports PENMOTOR_TEST_CHROMIUM.
#
# Idempotent and quiet; `apt-get update` runs at most once and only when something must
# be installed. Never fails the caller: without root/apt the variables stay unset and the
# tests that need them skip with a reason (under CI=true those tests fail instead).
# Stop the server with `penmotor_services_stop` (the Makefile traps it on exit).
# Set PENMOTOR_TEST_SERVICES=0 to skip all of this.

_pm_log() { echo "test-services: $*" >&2; }

_pm_apt_install() {
    # _pm_apt_install PKG...: install Debian packages when root with apt-get; quiet.
    [ "$(id -u)" = 0 ] || return 1
    command -v apt-get >/dev/null 2>&1 || return 1
    if [ -z "${_PM_APT_UPDATED:-}" ]; then
        _pm_log "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/tmp/penmotor-apt.log 2>&1 || true
        _PM_APT_UPDATED=1
    fi
    _pm_log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
        >>/tmp/penmotor-apt.log 2>&1
}

_pm_pg_bindir() {
    # Directory holding initdb and pg_ctl (newest Debian version first), or nothing.
    for _d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
        if [ -x "$_d/initdb" ] && [ -x "$_d/pg_ctl" ]; then echo "$_d"; return 0; fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"; return 0
    fi
    return 1
}

_pm_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null
}

_pm_as_pg() {
    # Run a command as the cluster owner (the postgres user when we are root).
    if [ "$(id -u)" = 0 ]; then
        if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"
        else su postgres -s /bin/sh -c '"$0" "$@"' -- "$@"; fi
    else
        "$@"
    fi
}

_pm_start_postgres() {
    [ -n "${PENMOTOR_TEST_POSTGRES_URL:-}" ] && return 0
    _bin=$(_pm_pg_bindir) || {
        _pm_apt_install postgresql || { _pm_log "PostgreSQL not available (not root or no apt): postgres tests will skip"; return 0; }
        _bin=$(_pm_pg_bindir) || { _pm_log "PostgreSQL install failed (see /tmp/penmotor-apt.log)"; return 0; }
    }
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        _pm_log "no 'postgres' user to own the test cluster: postgres tests will skip"; return 0
    fi
    _dir=$(mktemp -d "${TMPDIR:-/tmp}/penmotor-pg.XXXXXX") || return 0
    [ "$(id -u)" = 0 ] && chown postgres "$_dir"
    _port=$(_pm_free_port)
    [ -n "$_port" ] || _port=55432
    if ! _pm_as_pg "$_bin/initdb" -D "$_dir/data" -A trust -U penmotor -E UTF8 --no-sync \
            >"$_dir/initdb.log" 2>&1; then
        _pm_log "initdb failed (see $_dir/initdb.log): postgres tests will skip"; return 0
    fi
    if ! _pm_as_pg "$_bin/pg_ctl" -D "$_dir/data" -l "$_dir/server.log" -w -t 30 \
            -o "-p $_port -k $_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null 2>&1; then
        _pm_log "PostgreSQL did not start (see $_dir/server.log): postgres tests will skip"; return 0
    fi
    PENMOTOR_TEST_POSTGRES_DIR="$_dir"
    PENMOTOR_TEST_POSTGRES_BIN="$_bin"
    PENMOTOR_TEST_POSTGRES_URL="postgresql+psycopg://penmotor@127.0.0.1:$_port/postgres"
    export PENMOTOR_TEST_POSTGRES_URL PENMOTOR_TEST_POSTGRES_DIR PENMOTOR_TEST_POSTGRES_BIN
    _pm_log "PostgreSQL $(basename "$(dirname "$_bin")") on 127.0.0.1:$_port"
}

_pm_find_chromium() {
    for _c in /usr/bin/chromium /usr/bin/chromium-browser "$(command -v chromium 2>/dev/null)"; do
        if [ -n "$_c" ] && [ -x "$_c" ]; then echo "$_c"; return 0; fi
    done
    return 1
}

_pm_setup_chromium() {
    [ -n "${PENMOTOR_TEST_CHROMIUM:-}" ] && return 0
    _chr=$(_pm_find_chromium) || {
        _pm_apt_install chromium fonts-dejavu-core || { _pm_log "chromium not available (not root or no apt): browser tests will skip"; return 0; }
        _chr=$(_pm_find_chromium) || { _pm_log "chromium install failed (see /tmp/penmotor-apt.log)"; return 0; }
    }
    PENMOTOR_TEST_CHROMIUM="$_chr"
    export PENMOTOR_TEST_CHROMIUM
}

penmotor_services_stop() {
    if [ -n "${PENMOTOR_TEST_POSTGRES_DIR:-}" ] && [ -d "$PENMOTOR_TEST_POSTGRES_DIR/data" ]; then
        _pm_as_pg "$PENMOTOR_TEST_POSTGRES_BIN/pg_ctl" -D "$PENMOTOR_TEST_POSTGRES_DIR/data" -m immediate \
            -w stop >/dev/null 2>&1 || true
        rm -rf "$PENMOTOR_TEST_POSTGRES_DIR"
    fi
    return 0
}

if [ "${PENMOTOR_TEST_SERVICES:-1}" != 0 ]; then
    _pm_start_postgres
    _pm_setup_chromium
fi
:
