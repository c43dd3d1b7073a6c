#!/usr/bin/env bash
# Temporal for the cluster stack (`stack.sh up --cluster`): a real Temporal server (frontend, history, matching and
# worker in one process) on PostgreSQL, and the Temporal Web UI server in front of it. Sourced after scripts/lib.sh,
# scripts/provision/postgres.sh and scripts/provision/temporal.sh (its CLI registers the namespace); functions only.
#
# Neither has a release binary on a registry reached here, so both are built once from the Go module proxy:
#   go install go.temporal.io/server/cmd/server@v1.30.4 (+ cmd/tools/sql, the schema tool)  3-15 min on 2 cores, cold
#   go install github.com/temporalio/ui-server/v2/cmd/server@v2.54.1 (assets embedded)      a minute or two more
# into $SAGA_CACHE/temporal-server/<version> and $SAGA_CACHE/temporal-ui/<version>, with the server's PostgreSQL schema
# copied from its module. Newer server versions (1.31+) and UI versions (2.56+) need a newer Go than Debian's or the
# machine's 1.26.8. Ports: the frontend on TEMPORAL_PORT and the nine after it (_tsrv_port), the UI on TEMPORAL_UI_PORT.

TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-1.30.4}"
TEMPORAL_UI_SERVER_VERSION="${TEMPORAL_UI_SERVER_VERSION:-2.54.1}"
TEMPORAL_DB_USER="${TEMPORAL_DB_USER:-temporal}"
TEMPORAL_DB_PASSWORD="${TEMPORAL_DB_PASSWORD:-temporal}"
TEMPORAL_DB="temporal"
TEMPORAL_VISIBILITY_DB="temporal_visibility"
TSRV_TEMPLATES="$SAGA_ROOT/scripts/provision/cluster"

_tsrv_home() { echo "$SAGA_CACHE/temporal-server/$TEMPORAL_SERVER_VERSION"; }
_tsrv_ui_home() { echo "$SAGA_CACHE/temporal-ui/$TEMPORAL_UI_SERVER_VERSION"; }
_tsrv_state() { echo "$SAGA_CACHE/cluster/temporal"; }
tsrv_ui_built() { [[ -x "$(_tsrv_ui_home)/bin/server" ]]; }
# Whether the server's build is finished and cached (no run of the cluster shape has to build it first).
tsrv_built() { [[ -f "$(_tsrv_home)/.complete" ]]; }

# The server's ports: TEMPORAL_PORT + offset, in the order of development-postgres12.yaml's services.
_tsrv_port() {
  local -A offset=([frontend]=0 [history]=1 [matching]=2 [worker]=3 [frontend-membership]=4 [history-membership]=5
    [matching-membership]=6 [worker-membership]=7 [http]=8 [metrics]=9)
  echo $((TEMPORAL_PORT + offset[$1]))
}
tsrv_ports() { local p; for p in frontend history matching worker frontend-membership history-membership \
  matching-membership worker-membership http metrics; do _tsrv_port "$p"; done; }

# _tsrv_go_install LABEL LOG GOBIN PKG@VERSION...: go install, saying every 30 s how many packages it has compiled.
_tsrv_go_install() {
  local label="$1" logfile="$2" gobin="$3"; shift 3
  local start=$SECONDS
  log "$label ... (log: $logfile)"
  mkdir -p "$gobin"
  # GOTOOLCHAIN=local: a module that needs a newer Go fails at once instead of fetching a toolchain.
  (cd "$gobin" && GOBIN="$gobin" GOTOOLCHAIN=local exec go install -v "$@") >"$logfile" 2>&1 &
  local pid=$! next=30
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    # A threshold rather than `elapsed % 30`: on a busy machine a round can take more than a second.
    if ((SECONDS - start >= next)); then
      log "  $label: $((SECONDS - start))s elapsed, $(wc -l <"$logfile") packages compiled"
      next=$((next + 30))
    fi
  done
  if ! wait "$pid"; then
    warn "$label failed after $((SECONDS - start))s; last lines of $logfile:"
    tail -n 20 "$logfile" >&2
    return 1
  fi
  log "$label done in $((SECONDS - start))s"
}

# Builds the server, the schema tool and the UI once (a stamp file marks a finished build), under a lock so two
# concurrent starts do not build twice.
tsrv_provision() {
  local home; home=$(_tsrv_home)
  if [[ ! -f "$home/.complete" ]]; then
    command -v go >/dev/null || die "temporal server: go not found (Go >= 1.25 builds the server from the Go module proxy)"
    mkdir -p "$home"
    local lockfd
    exec {lockfd}>"$home/.provision.lock"
    flock "$lockfd"
    if [[ ! -f "$home/.complete" ]]; then
      log "temporal server $TEMPORAL_SERVER_VERSION: first run, building it from source (3 to 15 min on 2 cores, with the load; once)"
      _tsrv_go_install "temporal server: go install" "$SAGA_LOGS/temporal-server-build.log" "$home/bin" \
        "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" \
        "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION" || { exec {lockfd}>&-; return 1; }
      # The versioned schema ships in the module, which go install left in the module cache.
      local dir
      dir=$(cd "$home" && GOTOOLCHAIN=local go mod download -json "go.temporal.io/server@v$TEMPORAL_SERVER_VERSION" |
        sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
      [[ -d "$dir/schema/postgresql/v12" ]] || { exec {lockfd}>&-; die "temporal server: no schema in module dir '$dir'"; }
      rm -rf "$home/schema" && cp -R "$dir/schema/postgresql/v12" "$home/schema" && chmod -R u+w "$home/schema"
      touch "$home/.complete"
    fi
    exec {lockfd}>&-
  fi
  # The Web UI is a convenience: without it, the `temporal` CLI inspects workflows (docs/production.md).
  tsrv_ui_built || _tsrv_go_install "temporal web ui $TEMPORAL_UI_SERVER_VERSION: go install" \
    "$SAGA_LOGS/temporal-ui-build.log" "$(_tsrv_ui_home)/bin" \
    "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_SERVER_VERSION" ||
    warn "temporal web ui: build failed; inspect workflows with the temporal CLI instead"
}

_tsrv_psql() { pg_as psql -h "$PG_SOCKET_DIR" -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
_tsrv_sql_tool() {
  local db="$1"; shift
  "$(_tsrv_home)/bin/sql" --plugin postgres12 --ep 127.0.0.1 -p "$PGPORT" -u "$TEMPORAL_DB_USER" \
    --pw "$TEMPORAL_DB_PASSWORD" --db "$db" "$@"
}
# The newest schema version of a store (temporal | visibility), from its versioned/vX.Y folders.
_tsrv_schema_target() { find "$(_tsrv_home)/schema/$1/versioned" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sed 's/^v//' | sort -V | tail -n 1; }

# Temporal's role and two databases, created and brought to this server's schema version with temporal-sql-tool
# (create-database, setup-schema -v 0.0, update-schema); quick when already current.
tsrv_schema() {
  [[ -S "$PG_SOCKET_DIR/.s.PGSQL.$PGPORT" ]] || die "temporal server: needs the stack's own PostgreSQL on :$PGPORT (socket in $PG_SOCKET_DIR)"
  if [[ -z "$(_tsrv_psql -c "select 1 from pg_roles where rolname = '$TEMPORAL_DB_USER'")" ]]; then
    _tsrv_psql -c "create role $TEMPORAL_DB_USER login createdb password '$TEMPORAL_DB_PASSWORD'"
  fi
  local db store target current
  for db in "$TEMPORAL_DB" "$TEMPORAL_VISIBILITY_DB"; do
    store=temporal; [[ "$db" == "$TEMPORAL_VISIBILITY_DB" ]] && store=visibility
    target=$(_tsrv_schema_target "$store")
    if [[ -z "$(_tsrv_psql -c "select 1 from pg_database where datname = '$db'")" ]]; then
      _tsrv_sql_tool "$db" create-database >>"$SAGA_LOGS/cluster/temporal-schema.log" 2>&1 ||
        { tail -n 20 "$SAGA_LOGS/cluster/temporal-schema.log" >&2; die "temporal server: create-database $db failed"; }
    fi
    current=$(_tsrv_psql -d "$db" -c "select curr_version from schema_version" 2>/dev/null || true)
    [[ "$current" == "$target" ]] && continue
    # setup-schema -v 0.0 only on an empty database; update-schema applies every versioned step after the current one.
    step "temporal server: schema of $db to $target" "$SAGA_LOGS/cluster/temporal-schema-$store.log" bash -c '
      set -e; db="$1"; dir="$2"; fresh="$3"; shift 3
      [[ "$fresh" == 0 ]] || "$@" --db "$db" setup-schema -v 0.0
      "$@" --db "$db" update-schema -d "$dir"' _ "$db" "$(_tsrv_home)/schema/$store/versioned" "$([[ -z "$current" ]] && echo 1 || echo 0)" \
      "$(_tsrv_home)/bin/sql" --plugin postgres12 --ep 127.0.0.1 -p "$PGPORT" -u "$TEMPORAL_DB_USER" \
      --pw "$TEMPORAL_DB_PASSWORD" || die "temporal server: schema of $db failed"
  done
}

_tsrv_render() {
  local src="$1" dst="$2"; shift 2
  local text kv
  text="$(<"$src")"
  for kv in "$@"; do text="${text//@${kv%%=*}@/"${kv#*=}"}"; done
  printf '%s\n' "$text" >"$dst"
}

_tsrv_cli() { "$(_temporal_cli)" "$@" --address "127.0.0.1:$TEMPORAL_PORT" --disable-config-file --disable-config-env --command-timeout 10s; }
_tsrv_healthy() { _tsrv_cli operator cluster health 2>/dev/null | grep -q SERVING; }
_tsrv_ready_or_dead() { _tsrv_healthy || ! pid_alive "$SAGA_RUN/cluster/temporal-server.pid"; }
_tsrv_namespace_ready() { _tsrv_cli workflow list --namespace default --limit 1 >/dev/null 2>&1; }

_tsrv_spawn() {
  local pidfile="$1" out="$2"; shift 2
  # shellcheck disable=SC2016 # $$ and "$@" belong to the inner shell
  setsid nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" "$@" </dev/null >"$out" 2>&1 &
  wait_for "$(basename "$pidfile") pid file" 10 test -s "$pidfile"
}

tsrv_start() {
  local state pidfile out start=$SECONDS
  state=$(_tsrv_state); pidfile="$SAGA_RUN/cluster/temporal-server.pid"; out="$SAGA_LOGS/cluster/temporal-server.log"
  mkdir -p "$state" "$SAGA_RUN/cluster" "$SAGA_LOGS/cluster"
  if pid_alive "$pidfile"; then
    log "temporal server already running (pid $(<"$pidfile"))"
  else
    tsrv_schema
    _tsrv_render "$TSRV_TEMPLATES/temporal-server.yaml.tmpl" "$state/server.yaml" \
      "PGPORT=$PGPORT" "TEMPORAL_DB=$TEMPORAL_DB" "TEMPORAL_VISIBILITY_DB=$TEMPORAL_VISIBILITY_DB" \
      "TEMPORAL_DB_USER=$TEMPORAL_DB_USER" "TEMPORAL_DB_PASSWORD=$TEMPORAL_DB_PASSWORD" \
      "TEMPORAL_PORT=$TEMPORAL_PORT" "TEMPORAL_HISTORY_PORT=$(_tsrv_port history)" \
      "TEMPORAL_MATCHING_PORT=$(_tsrv_port matching)" "TEMPORAL_WORKER_PORT=$(_tsrv_port worker)" \
      "TEMPORAL_FRONTEND_MEMBERSHIP_PORT=$(_tsrv_port frontend-membership)" \
      "TEMPORAL_HISTORY_MEMBERSHIP_PORT=$(_tsrv_port history-membership)" \
      "TEMPORAL_MATCHING_MEMBERSHIP_PORT=$(_tsrv_port matching-membership)" \
      "TEMPORAL_WORKER_MEMBERSHIP_PORT=$(_tsrv_port worker-membership)" \
      "TEMPORAL_HTTP_PORT=$(_tsrv_port http)" "TEMPORAL_METRICS_PORT=$(_tsrv_port metrics)" \
      "DYNAMIC_CONFIG_FILE=$TSRV_TEMPLATES/temporal-dynamicconfig.yaml"
    log "temporal server: starting on :$TEMPORAL_PORT (PostgreSQL :$PGPORT; log: $out)"
    _tsrv_spawn "$pidfile" "$out" "$(_tsrv_home)/bin/server" --config-file "$state/server.yaml" --allow-no-auth start
  fi
  if ! wait_for "temporal server" 120 _tsrv_ready_or_dead || ! _tsrv_healthy; then
    warn "temporal server failed to become healthy; last lines of $out:"
    tail -n 30 "$out" >&2 || true
    stop_pidfile temporal-server "$pidfile"
    return 1
  fi
  tsrv_namespace
  log "temporal server: healthy in $((SECONDS - start))s on :$TEMPORAL_PORT"
  tsrv_ui_start
}

# The namespace and the workflow's custom search attributes (scripts/search-attributes.ts reads their definition).
tsrv_namespace() {
  if ! _tsrv_cli operator namespace describe --namespace default >/dev/null 2>&1; then
    log "temporal server: registering namespace default (retention 7 days)"
    _tsrv_cli operator namespace create --namespace default --retention 7d >/dev/null
  fi
  # A new namespace is known to the frontend once its namespace cache refreshed (a few seconds).
  wait_for "namespace default" 60 _tsrv_namespace_ready || return 1
  local -a sa_flags=()
  _temporal_search_attribute_flags sa_flags || return 1
  local existing i pair
  existing=$(_tsrv_cli operator search-attribute list --namespace default) || return 1
  for ((i = 1; i < ${#sa_flags[@]}; i += 2)); do
    pair="${sa_flags[i]}"
    grep -qw "${pair%%=*}" <<<"$existing" && continue
    log "temporal server: adding search attribute ${pair%%=*} (${pair#*=})"
    _tsrv_cli operator search-attribute create --namespace default --name "${pair%%=*}" --type "${pair#*=}" >/dev/null
  done
}

_tsrv_ui_ready() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$TEMPORAL_UI_PORT/"; }
tsrv_ui_start() {
  tsrv_ui_built || { warn "temporal web ui not built; inspect workflows with: $(_temporal_cli) workflow list --address 127.0.0.1:$TEMPORAL_PORT"; return 0; }
  local pidfile="$SAGA_RUN/cluster/temporal-ui.pid" dir
  pid_alive "$pidfile" && return 0
  port_open "$TEMPORAL_UI_PORT" && die "temporal web ui: port :$TEMPORAL_UI_PORT is in use; stop that or set TEMPORAL_UI_PORT"
  dir="$(_tsrv_state)/ui"
  mkdir -p "$dir/config"
  _tsrv_render "$TSRV_TEMPLATES/temporal-ui.yaml.tmpl" "$dir/config/cluster.yaml" \
    "TEMPORAL_PORT=$TEMPORAL_PORT" "TEMPORAL_UI_PORT=$TEMPORAL_UI_PORT"
  _tsrv_spawn "$pidfile" "$SAGA_LOGS/cluster/temporal-ui.log" \
    "$(_tsrv_ui_home)/bin/server" --root "$dir" --config config --env cluster start
  wait_for "temporal web ui on :$TEMPORAL_UI_PORT" 30 _tsrv_ui_ready ||
    { tail -n 20 "$SAGA_LOGS/cluster/temporal-ui.log" >&2; warn "temporal web ui did not start"; return 0; }
  log "temporal web ui: http://localhost:$TEMPORAL_UI_PORT"
}

tsrv_stop() {
  stop_pidfile temporal-ui "$SAGA_RUN/cluster/temporal-ui.pid"
  stop_pidfile temporal-server "$SAGA_RUN/cluster/temporal-server.pid"
}

tsrv_status() {
  if pid_alive "$SAGA_RUN/cluster/temporal-server.pid"; then
    local health=starting; _tsrv_healthy && health=SERVING
    echo "temporal server $TEMPORAL_SERVER_VERSION (PostgreSQL): $health on :$TEMPORAL_PORT (pid $(<"$SAGA_RUN/cluster/temporal-server.pid"))"
  else
    echo "temporal server: down"
  fi
  if pid_alive "$SAGA_RUN/cluster/temporal-ui.pid"; then
    echo "temporal web ui: up on http://localhost:$TEMPORAL_UI_PORT (pid $(<"$SAGA_RUN/cluster/temporal-ui.pid"))"
  else
    echo "temporal web ui: down"
  fi
}
