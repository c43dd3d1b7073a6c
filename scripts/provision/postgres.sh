#!/usr/bin/env bash
# PostgreSQL: Debian's server binaries, a project-owned cluster (own data dir) on $PGPORT, or a server that already
# answers there. PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` system user and
# lives under /var/lib/postgresql (root's home is not traversable by that user); otherwise under $SAGA_CACHE.

PG_USER_NAME="${PG_APP_USER:-saga}"
PG_APP_PASSWORD="${PG_APP_PASSWORD:-saga}"
PG_APP_DB="${PG_APP_DB:-order_saga}"
PG_TEST_DB="${PG_TEST_DB:-order_saga_test}"

if [[ $(id -u) -eq 0 ]]; then
  PG_HOME="${SAGA_PG_HOME:-/var/lib/postgresql/order-saga}"
  pg_as() { runuser -u postgres -- "$@"; }
else
  PG_HOME="${SAGA_PG_HOME:-$SAGA_CACHE/postgres}"
  pg_as() { "$@"; }
fi
PG_DATA="$PG_HOME/data"
PG_SOCKET_DIR="$PG_HOME/run"

pg_bindir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do [[ -x "$dir/pg_ctl" ]] && echo "$dir"; done | sort -V | tail -n 1
}

postgres_provision() {
  if [[ -z "$(pg_bindir)" ]]; then
    [[ $(id -u) -eq 0 ]] || die "PostgreSQL server binaries missing: install Debian's 'postgresql' package"
    step "installing PostgreSQL (apt-get)" "$SAGA_LOGS/postgres-apt.log" \
      bash -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql'
  fi
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    mkdir -p "$PG_HOME"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$PG_HOME"
    # Local socket connections are trusted (only this machine's users reach them); TCP needs a password.
    step "creating PostgreSQL cluster in $PG_DATA" "$SAGA_LOGS/postgres-initdb.log" \
      pg_as "$(pg_bindir)/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8
  fi
}

pg_ready() { "$(pg_bindir)/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; }

postgres_start() {
  if pg_ready; then
    log "PostgreSQL already answers on :$PGPORT, reusing it"
  else
    pg_as mkdir -p "$PG_SOCKET_DIR"
    log "starting PostgreSQL on :$PGPORT"
    pg_as "$(pg_bindir)/pg_ctl" -D "$PG_DATA" -l "$PG_HOME/postgres.log" -w -t 60 start \
      -o "-p $PGPORT -k $PG_SOCKET_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=${PG_FSYNC:-on}" \
      >/dev/null || { tail -n 20 "$PG_HOME/postgres.log" >&2; die "PostgreSQL did not start"; }
  fi
  postgres_ensure_databases
}

# Creates the application role and both databases when the cluster is ours (socket access as superuser).
postgres_ensure_databases() {
  [[ -S "$PG_SOCKET_DIR/.s.PGSQL.$PGPORT" ]] || return 0
  local psql=(pg_as psql -h "$PG_SOCKET_DIR" -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
  if [[ -z "$("${psql[@]}" -c "select 1 from pg_roles where rolname = '$PG_USER_NAME'")" ]]; then
    "${psql[@]}" -c "create role $PG_USER_NAME login createdb password '$PG_APP_PASSWORD'"
  fi
  local db
  for db in "$PG_APP_DB" "$PG_TEST_DB"; do
    if [[ -z "$("${psql[@]}" -c "select 1 from pg_database where datname = '$db'")" ]]; then
      "${psql[@]}" -c "create database $db owner $PG_USER_NAME"
    fi
  done
}

postgres_stop() {
  if [[ -f "$PG_DATA/postmaster.pid" ]]; then
    log "stopping PostgreSQL"
    pg_as "$(pg_bindir)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null || warn "pg_ctl stop failed"
  fi
}

postgres_status() {
  if pg_ready; then
    local owner="external"; [[ -f "$PG_DATA/postmaster.pid" ]] && owner="pid $(head -n 1 "$PG_DATA/postmaster.pid")"
    echo "postgres: up on :$PGPORT ($owner)"
  else
    echo "postgres: down"
  fi
}
