#!/usr/bin/env bash
# Entrypoint of coverage-spy/postgres: initialises a cluster in $PGDATA on first start, then runs postgres in the
# foreground. Environment:
#   POSTGRES_PASSWORD  the superuser's password (required on first start: a secret)
#   POSTGRES_USER      the superuser (default postgres)
#   POSTGRES_DB        a database owned by POSTGRES_USER, created on first start (default: POSTGRES_USER)
# Remote connections need the password (scram-sha-256); local socket connections inside the container are trusted.
# SIGTERM or SIGINT: a fast shutdown (postgres' own SIGTERM is a "smart" one that waits for every client to leave).
# Extra arguments after "postgres" go to postgres (e.g. postgres -c log_statement=all).
set -euo pipefail

POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}

log() { printf 'postgres-entrypoint: %s\n' "$*" >&2; }

init_cluster() {
  [[ -n ${POSTGRES_PASSWORD:-} ]] || { log "POSTGRES_PASSWORD is not set: cannot initialise the cluster"; exit 2; }
  log "initialising a cluster in $PGDATA for user $POSTGRES_USER"
  local pwfile
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  {
    echo "listen_addresses = '*'"
    echo "port = 5432"
    echo "unix_socket_directories = '/var/run/postgresql'"
    echo "log_destination = 'stderr'"
    echo "logging_collector = off"
  } >>"$PGDATA/postgresql.conf"
  {
    echo "host all all 0.0.0.0/0 scram-sha-256"
    echo "host all all ::/0 scram-sha-256"
  } >>"$PGDATA/pg_hba.conf"
  if [[ $POSTGRES_DB != postgres ]]; then
    # Single-user mode: no server, no network, no client needed.
    local name=${POSTGRES_DB//\"/\"\"} owner=${POSTGRES_USER//\"/\"\"}
    echo "CREATE DATABASE \"$name\" OWNER \"$owner\";" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  log "cluster ready"
}

if [[ ${1:-} != postgres ]]; then
  exec "$@" # any other command, e.g. psql or bash
fi
shift
[[ -s $PGDATA/PG_VERSION ]] || init_cluster

postgres -D "$PGDATA" "$@" &
pid=$!
trap 'kill -INT "$pid" 2>/dev/null || true' TERM INT
status=0
wait "$pid" || status=$?
# A trapped signal ends the first wait early (status > 128): wait again for postgres to finish its shutdown.
if ((status > 128)); then
  status=0
  wait "$pid" || status=$?
fi
exit "$status"
