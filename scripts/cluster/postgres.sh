#!/usr/bin/env bash
# PostgreSQL for the local Temporal cluster: Debian's package, our own data directory under
# .data/cluster/pg, listening on 127.0.0.1:$CLUSTER_PG_PORT only. The bootstrap superuser is the
# `temporal` role (as in docker-compose.yml), with a password, scram-sha-256 on every connection.
#
#   postgres.sh install | start | stop | crash | status
#
# `crash` is `pg_ctl stop -m immediate`: the server processes quit without a checkpoint, so the
# next start replays the WAL, as after a power cut (the fault run uses it).
set -euo pipefail
source "$(dirname "$0")/env.sh"

PGDATA_DIR="$CLUSTER_DATA/pg"
PGLOG="$CLUSTER_DATA/logs/postgres.log"

pg_bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

# The server refuses to run as root: as root, run it as the `postgres` user the package creates.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_pg() {
  if pg_bindir >/dev/null; then return; fi
  [ "$(id -u)" = 0 ] || cluster_die "PostgreSQL is not installed: run 'sudo apt-get install postgresql' and try again"
  cluster_log "installing PostgreSQL from the Debian packages (apt-get install postgresql)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  pg_bindir >/dev/null || cluster_die "apt-get installed postgresql but no initdb is under /usr/lib/postgresql/*/bin"
}

init_pg() {
  [ -f "$PGDATA_DIR/PG_VERSION" ] && return
  local bin; bin="$(pg_bindir)"
  cluster_log "initdb $PGDATA_DIR ($("$bin/postgres" --version))"
  mkdir -p "$PGDATA_DIR" "$(dirname "$PGLOG")"
  local pwfile="$CLUSTER_DATA/.pgpass-init"
  printf '%s\n' "$CLUSTER_PG_PASSWORD" >"$pwfile"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$PGDATA_DIR" "$pwfile" "$(dirname "$PGLOG")"; fi
  chmod 700 "$PGDATA_DIR"
  as_pg "$bin/initdb" -D "$PGDATA_DIR" -U "$CLUSTER_PG_USER" --pwfile="$pwfile" \
    --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  # Loopback only; the socket lives in the data directory, so nothing outside .data is touched.
  # Four Temporal processes open up to (10 + 2) connections each, plus the schema tool.
  cat >>"$PGDATA_DIR/postgresql.conf" <<CONF

# Local Temporal cluster (scripts/cluster/postgres.sh)
listen_addresses = '127.0.0.1'
port = $CLUSTER_PG_PORT
unix_socket_directories = '$PGDATA_DIR'
max_connections = 200
CONF
}

running() { as_pg "$(pg_bindir)/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; }

start_pg() {
  install_pg
  init_pg
  if running; then return; fi
  cluster_log "starting PostgreSQL on 127.0.0.1:$CLUSTER_PG_PORT"
  as_pg "$(pg_bindir)/pg_ctl" -D "$PGDATA_DIR" -l "$PGLOG" -w -t 60 start >/dev/null ||
    cluster_die "PostgreSQL did not start; see $PGLOG"
}

case "${1:-}" in
  install) install_pg ;;
  start) start_pg ;;
  stop)
    if pg_bindir >/dev/null && [ -f "$PGDATA_DIR/PG_VERSION" ] && running; then
      cluster_log "stopping PostgreSQL"
      as_pg "$(pg_bindir)/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null
    fi
    ;;
  crash) as_pg "$(pg_bindir)/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null ;;
  status) running ;;
  *) cluster_die "usage: postgres.sh install|start|stop|crash|status" ;;
esac
