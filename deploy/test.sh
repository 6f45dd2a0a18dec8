#!/usr/bin/env bash
# Run the whole nmirf-bot test suite:   bash deploy/test.sh [pytest args...]
#
# From a fresh clone, idempotently:
#   1. creates .venv (Python 3.11) and installs the project with its [test] extra;
#   2. checks the code: ruff (lint and format), import-linter (who may import whom, contracts in
#      pyproject.toml), mypy (bot/, conversations/, backend/) and the keyword audit
#      (`nmirf i18n keywords --check`); any finding fails the run;
#   3. installs the system packages the tests need (redis-server, PostgreSQL 15, Chromium and
#      fonts for the admin pages' browser tests) if missing;
#   4. starts a throwaway Redis and a throwaway PostgreSQL 15 on free loopback ports (their own
#      for each run: several runs may go at once);
#   5. exports TEST_POSTGRES_URL / TEST_REDIS_URL and runs pytest;
#   6. stops both services on exit and exits with pytest's code
#      (pytest's 5, "no tests collected", is reported as a failure).
#
# Works as root (PostgreSQL is then run as the unprivileged system user
# $NMIRF_PG_OS_USER, created if missing) or as an ordinary user.
set -euo pipefail

export PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VAR="$ROOT/var/test"
VENV="$ROOT/.venv"
VPY="$VENV/bin/python"
PG_OS_USER="${NMIRF_PG_OS_USER:-nmirf-pg}"
PG_DB_USER="postgres"
PG_DB_NAME="nmirf_test"
# Each run has its own services (several runs may go at once): their files carry this run's pid.
RUN_ID="$$"
PG_DATA="$VAR/pg-$RUN_ID"
PG_LOG="$VAR/postgres-$RUN_ID.log"
PG_TMP=""
PG_STARTED=0
PG_BIN=""
REDIS_DIR="$VAR/redis-$RUN_ID"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$VAR/redis-$RUN_ID.log"
REDIS_STARTED=0
APT_UPDATED=0

step() { echo "[test.sh] $*"; }
die() {
    echo "[test.sh] ERROR: $*" >&2
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as the unprivileged PostgreSQL OS user (from "/", so an
# unreadable current directory does not bother postgres).
as_pg() {
    if is_root; then
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

# ---------------------------------------------------------------- cleanup
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [ "$REDIS_STARTED" = 1 ]; then
        step "stopping redis"
        stop_redis
    fi
    if [ "$PG_STARTED" = 1 ]; then
        step "stopping postgres"
        stop_pg
    fi
    if [ -n "$PG_TMP" ] && [ -d "$PG_TMP" ]; then
        rm -rf "$PG_TMP"
    fi
    rm -rf "$REDIS_DIR" "$VAR/pg-$RUN_ID"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stop_redis() {
    local pid i
    pid="$(cat "$REDIS_PID" 2>/dev/null || true)"
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    echo "[test.sh] redis (pid $pid) did not stop, killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

stop_pg() {
    local pid
    [ -f "$PG_DATA/postmaster.pid" ] || return 0
    pid="$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 30 >>"$PG_LOG" 2>&1 && return 0
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m immediate -w -t 10 >>"$PG_LOG" 2>&1 && return 0
    if [ -n "$pid" ]; then
        echo "[test.sh] postgres (pid $pid) did not stop, killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

# ---------------------------------------------------------------- helpers
apt_install() {
    step "installing system packages: $*"
    if ! is_root; then
        command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: $*"
    fi
    local sudo="" added_policy=0 log="$VAR/apt.log"
    is_root || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    # Do not let the packages start their system-wide services (e.g. a redis on 6379).
    if is_root && [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        added_policy=1
    fi
    local ok=1
    if [ "$APT_UPDATED" = 0 ]; then
        if $sudo apt-get update -qq </dev/null >"$log" 2>&1; then
            APT_UPDATED=1
        else
            ok=0
        fi
    fi
    if [ "$ok" = 1 ]; then
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" </dev/null >>"$log" 2>&1 || ok=0
    fi
    [ "$added_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
    if [ "$ok" != 1 ]; then
        cat "$log" >&2
        die "apt-get failed installing: $*"
    fi
}

# Print a python that is 3.11.
find_python311() {
    local c p
    for c in python3.11 /usr/bin/python3.11 /usr/local/bin/python3.11 python3; do
        p="$(command -v "$c" 2>/dev/null)" || continue
        if "$p" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' >/dev/null 2>&1; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# Is 127.0.0.1:$1 free to listen on?
port_free() {
    "$VPY" - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

pick_port() {
    local p
    for p in $(seq "$1" $(($1 + 200))); do
        if port_free "$p"; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

find_pg_bin() {
    local c d
    for c in "$(command -v postgres 2>/dev/null || true)" /usr/local/bin/postgres /usr/lib/postgresql/15/bin/postgres; do
        [ -n "$c" ] && [ -x "$c" ] || continue
        d="$(dirname "$(readlink -f "$c")")"
        if [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] \
            && "$d/postgres" --version 2>/dev/null | grep -q ' 15\.'; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

mkdir -p "$VAR"

# ---------------------------------------------------------------- 1. venv
if [ -x "$VPY" ] && "$VPY" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)' >/dev/null 2>&1; then
    step "using existing virtualenv $VENV ($("$VPY" --version 2>&1))"
else
    PY="$(find_python311 || true)"
    if [ -z "$PY" ]; then
        apt_install python3.11 python3.11-venv
        PY="$(find_python311)" || die "no python3.11 even after installing it"
    fi
    step "creating virtualenv $VENV with $PY"
    rm -rf "$VENV"
    if ! "$PY" -m venv "$VENV" >"$VAR/venv.log" 2>&1; then
        # Debian's own python needs python3.11-venv for ensurepip.
        if [ "$PY" = /usr/bin/python3.11 ] || [ "$(readlink -f "$PY")" = /usr/bin/python3.11 ]; then
            apt_install python3.11-venv
            rm -rf "$VENV"
            "$PY" -m venv "$VENV" >"$VAR/venv.log" 2>&1 || { cat "$VAR/venv.log" >&2; die "cannot create $VENV"; }
        else
            cat "$VAR/venv.log" >&2
            die "cannot create $VENV"
        fi
    fi
fi

STAMP="$VENV/.nmirf-test-install"
WANT_STAMP="$(sha256sum pyproject.toml | cut -d' ' -f1) $("$VPY" --version 2>&1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" = "$WANT_STAMP" ] \
    && "$VPY" -c 'import pytest, psycopg, redis' >/dev/null 2>&1; then
    step "project already installed in .venv (pyproject.toml unchanged)"
else
    step "installing the project into .venv: pip install -e '.[test]'"
    rm -f "$STAMP"
    if ! "$VPY" -m pip install -q --disable-pip-version-check -e '.[test]' </dev/null >"$VAR/pip.log" 2>&1; then
        cat "$VAR/pip.log" >&2
        die "pip install -e '.[test]' failed (log above, also in $VAR/pip.log)"
    fi
    echo "$WANT_STAMP" >"$STAMP"
fi

# ---------------------------------------------------------------- 2. guards
# NMIRF_SKIP_GUARDS=1 skips them (e.g. while iterating on one test); CI never sets it.
if [ "${NMIRF_SKIP_GUARDS:-0}" != 1 ]; then
    step "guards: ruff check, ruff format --check, lint-imports, mypy, the keyword audit"
    guard_failed=0
    "$VENV/bin/ruff" check --quiet . || guard_failed=1
    "$VENV/bin/ruff" format --check --quiet . || { echo "[test.sh] run: .venv/bin/ruff format ." >&2; guard_failed=1; }
    "$VENV/bin/lint-imports" --no-cache >"$VAR/lint-imports.log" 2>&1 || { cat "$VAR/lint-imports.log" >&2; guard_failed=1; }
    "$VENV/bin/mypy" --no-incremental >"$VAR/mypy.log" 2>&1 || { cat "$VAR/mypy.log" >&2; guard_failed=1; }
    "$VENV/bin/nmirf" i18n keywords --check >"$VAR/keywords.log" 2>&1 || { cat "$VAR/keywords.log" >&2; guard_failed=1; }
    [ "$guard_failed" = 0 ] || die "a guard failed (above); the tests were not run"
fi

# ---------------------------------------------------------------- 3. system packages
step "checking system packages"
NEED=()
command -v redis-server >/dev/null 2>&1 || NEED+=(redis-server)
PG_BIN="$(find_pg_bin || true)"
[ -n "$PG_BIN" ] || NEED+=(postgresql-15)
# The admin pages' browser tests: Debian's Chromium (Playwright drives it through
# executable_path; its own browser download is not used), and fonts for non-Latin scripts.
[ -x /usr/bin/chromium ] || NEED+=(chromium)
dpkg-query -W -f='${Status}' fonts-noto-core 2>/dev/null | grep -q 'ok installed' || NEED+=(fonts-noto-core)
if [ "${#NEED[@]}" -gt 0 ]; then
    apt_install "${NEED[@]}"
fi
command -v redis-server >/dev/null 2>&1 || die "redis-server not found"
[ -x /usr/bin/chromium ] || die "chromium not found at /usr/bin/chromium"
export NMIRF_CHROMIUM=/usr/bin/chromium
PG_BIN="${PG_BIN:-$(find_pg_bin || true)}"
[ -n "$PG_BIN" ] || die "PostgreSQL 15 binaries (postgres, initdb, pg_ctl) not found"
step "redis: $(command -v redis-server) ($(redis-server --version | awk '{print $3}' | sed 's/^v=//')); postgres: $PG_BIN"

# ---------------------------------------------------------------- 4a. redis
# Runs killed with SIGKILL may have left their services behind: stop those whose run is gone
# (a run still going keeps its own).
for dir in "$VAR"/redis-* "$VAR"/pg-*; do
    [ -d "$dir" ] || continue
    owner="${dir##*-}"
    kill -0 "$owner" 2>/dev/null && continue
    if [ -f "$dir/redis.pid" ]; then
        old="$(cat "$dir/redis.pid" 2>/dev/null || true)"
        if [ -n "$old" ] && tr '\0' ' ' <"/proc/$old/cmdline" 2>/dev/null | grep -q redis-server; then
            step "stopping leftover redis (pid $old) of an earlier run"
            kill -KILL "$old" 2>/dev/null || true
        fi
    fi
    if [ -f "$dir/postmaster.pid" ]; then
        old="$(head -n1 "$dir/postmaster.pid" 2>/dev/null || true)"
        if [ -n "$old" ] && tr '\0' ' ' <"/proc/$old/cmdline" 2>/dev/null | grep -q postgres; then
            step "stopping leftover postgres (pid $old) of an earlier run"
            kill -KILL "$old" 2>/dev/null || true
        fi
    fi
    rm -rf "$dir" "$VAR/redis-$owner.log" "$VAR/postgres-$owner.log"
done
rm -rf "$REDIS_DIR"
mkdir -p "$REDIS_DIR"
REDIS_PORT="$(pick_port "${NMIRF_TEST_REDIS_PORT:-6390}")" || die "no free port for redis"
step "starting redis on 127.0.0.1:$REDIS_PORT (data dir $REDIS_DIR, log $REDIS_LOG)"
: >"$REDIS_LOG"
REDIS_STARTED=1
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
    --save '' --appendonly no --dir "$REDIS_DIR" \
    --daemonize yes --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" </dev/null >>"$REDIS_LOG" 2>&1 \
    || { cat "$REDIS_LOG" >&2; die "redis-server failed to start"; }
ok=0
for i in $(seq 1 100); do
    if "$VPY" -c "import redis, sys; sys.exit(0 if redis.Redis(host='127.0.0.1', port=$REDIS_PORT, socket_timeout=1).ping() else 1)" >/dev/null 2>&1; then
        ok=1
        break
    fi
    sleep 0.1
done
if [ "$ok" != 1 ]; then
    echo "----- $REDIS_LOG -----" >&2
    cat "$REDIS_LOG" >&2
    die "redis did not answer PING on 127.0.0.1:$REDIS_PORT"
fi
step "redis is up"

# ---------------------------------------------------------------- 4b. postgres
if is_root; then
    if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
        step "creating system user $PG_OS_USER to run postgres"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$PG_OS_USER"
    fi
    PG_OS_GROUP="$(id -gn "$PG_OS_USER")"
fi

rm -rf "$PG_DATA"
mkdir -p "$PG_DATA"
chmod 700 "$PG_DATA"
if is_root; then
    chown "$PG_OS_USER:$PG_OS_GROUP" "$PG_DATA"
    if ! as_pg test -w "$PG_DATA" -a -x "$PG_DATA"; then
        rm -rf "$PG_DATA"
        PG_TMP="$(mktemp -d /tmp/nmirf-test-pg.XXXXXX)"
        chown "$PG_OS_USER:$PG_OS_GROUP" "$PG_TMP"
        PG_DATA="$PG_TMP/data"
        step "$VAR is not accessible to $PG_OS_USER; using $PG_DATA for the cluster"
    fi
fi
PG_PORT="$(pick_port "${NMIRF_TEST_PG_PORT:-55432}")" || die "no free port for postgres"

if is_root; then PG_RUN_AS="$PG_OS_USER"; else PG_RUN_AS="$(id -un)"; fi
step "initdb into $PG_DATA (as $PG_RUN_AS)"
: >"$PG_LOG"
if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_DB_USER" --auth=trust -E UTF8 --no-locale --no-sync \
    </dev/null >>"$PG_LOG" 2>&1; then
    echo "----- $PG_LOG -----" >&2
    cat "$PG_LOG" >&2
    die "initdb failed"
fi
cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- throwaway test cluster (deploy/test.sh) ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

step "starting postgres on 127.0.0.1:$PG_PORT (log $PG_LOG)"
PG_STARTED=1
# Without -l, the server logs to pg_ctl's stdout: our root-owned log file.
if ! as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -w -t 60 </dev/null >>"$PG_LOG" 2>&1; then
    echo "----- $PG_LOG -----" >&2
    cat "$PG_LOG" >&2
    die "postgres failed to start"
fi

step "creating database $PG_DB_NAME"
if ! "$VPY" - "$PG_PORT" "$PG_DB_USER" "$PG_DB_NAME" <<'EOF'
import sys, psycopg
port, user, db = sys.argv[1:]
with psycopg.connect(host="127.0.0.1", port=int(port), user=user, dbname="postgres",
                     autocommit=True, connect_timeout=10) as conn:
    conn.execute(f'CREATE DATABASE "{db}"')
EOF
then
    echo "----- $PG_LOG -----" >&2
    cat "$PG_LOG" >&2
    die "could not create database $PG_DB_NAME"
fi
step "postgres is up"

# ---------------------------------------------------------------- 5. pytest
export TEST_POSTGRES_URL="postgresql+psycopg://$PG_DB_USER@127.0.0.1:$PG_PORT/$PG_DB_NAME"
export TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
step "TEST_POSTGRES_URL=$TEST_POSTGRES_URL"
step "TEST_REDIS_URL=$TEST_REDIS_URL"
step "running: .venv/bin/python -m pytest $*"
set +e
"$VPY" -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "[test.sh] ERROR: pytest collected no tests (exit code 5)." >&2
    echo "[test.sh] ERROR: a suite that runs no test is a broken suite; failing." >&2
    exit 5
fi
step "pytest exited with code $rc"
exit "$rc"
