#!/usr/bin/env bash
# Start a throw-away local PostgreSQL for tests and benchmarks (Debian's package; installed if missing).
# Prints the DATABASE_URL on stdout; everything else goes to stderr.
#   scripts/postgres.sh start   (default)  |  scripts/postgres.sh stop
set -euo pipefail
PGPORT="${LEADFLOW_PG_PORT:-54329}"
PGDIR="${LEADFLOW_PG_DIR:-/tmp/leadflow-pg}"
URL="postgresql://leadflow:leadflow@127.0.0.1:${PGPORT}/leadflow"

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_postgres() {
  if [ "$(id -u)" = "0" ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

if [ "${1:-start}" = "stop" ]; then
  BIN="$(bindir)"
  [ -n "$BIN" ] && [ -d "$PGDIR" ] && as_postgres "'$BIN/pg_ctl' -D '$PGDIR' -m fast stop" >&2 || true
  exit 0
fi

if [ -z "$(bindir)" ]; then
  echo "installing PostgreSQL from Debian's packages..." >&2
  if [ "$(id -u)" != "0" ]; then echo "need root to apt-get install postgresql" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN="$(bindir)"

if ! [ -f "$PGDIR/PG_VERSION" ]; then
  mkdir -p "$PGDIR"
  [ "$(id -u)" = "0" ] && chown postgres:postgres "$PGDIR"
  as_postgres "'$BIN/initdb' -D '$PGDIR' -A trust -U postgres -E UTF8 --locale=C.UTF-8" >&2
fi

if ! as_postgres "'$BIN/pg_ctl' -D '$PGDIR' status" >/dev/null 2>&1; then
  # fsync off: a throw-away cluster for tests; durability is not what is measured here.
  as_postgres "'$BIN/pg_ctl' -D '$PGDIR' -l '$PGDIR/server.log' -w -o \"-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200\" start" >&2
fi

PSQL="$BIN/psql -h 127.0.0.1 -p $PGPORT -U postgres -v ON_ERROR_STOP=1 -q"
if ! $PSQL -tAc "SELECT 1 FROM pg_roles WHERE rolname='leadflow'" postgres | grep -q 1; then
  $PSQL -c "CREATE ROLE leadflow LOGIN SUPERUSER PASSWORD 'leadflow'" postgres >&2
fi
if ! $PSQL -tAc "SELECT 1 FROM pg_database WHERE datname='leadflow'" postgres | grep -q 1; then
  $PSQL -c "CREATE DATABASE leadflow OWNER leadflow" postgres >&2
fi
echo "$URL"
