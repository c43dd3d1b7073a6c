#!/usr/bin/env bash
# The cluster stack, `stack.sh up|run|down|status|smoke --cluster`: the production shape on one machine, without Docker.
# The same app against a Temporal server on PostgreSQL (temporal-server.sh), three Kafka brokers with replication 3
# and min.insync.replicas 2 (kafka-cluster.sh) and the stack's PostgreSQL, each role a process of its own, two of
# each but the reconciler. Sourced by scripts/stack.sh after every provisioning script; functions only.
#
# Its pid files are in $SAGA_RUN/cluster, logs in $SAGA_LOGS/cluster, data in $SAGA_CACHE/cluster and the app's own
# database is order_saga_cluster, so it never mixes with the default stack's state. It uses the default stack's ports
# (PORT, KAFKA_PORT, TEMPORAL_PORT, …) and so refuses to start beside it unless those are moved (docs/production.md).

# role:instance for every app process, in the start order of `node src/main.ts all`.
CLUSTER_PROCESSES=(worker:1 worker:2 notifier:1 notifier:2 bridge:1 bridge:2 relay:1 relay:2 api:1 api:2 reconciler:1)
CLUSTER_METRICS_PORT="${CLUSTER_METRICS_PORT:-9464}"
CLUSTER_APP_DB="${CLUSTER_APP_DB:-order_saga_cluster}"

_cluster_pidfile() { echo "$SAGA_RUN/cluster/$1.pid"; }
_cluster_name() { echo "${1%%:*}-${1#*:}"; }
# The port a process answers on: the API's PORT (+1 for the second), the others' METRICS_PORT, one each.
_cluster_port() {
  local proc="$1" role="${1%%:*}" i=0 p
  if [[ "$role" == api ]]; then echo $((PORT + ${proc#*:} - 1)); return; fi
  for p in "${CLUSTER_PROCESSES[@]}"; do
    [[ "${p%%:*}" == api ]] && continue
    [[ "$p" == "$proc" ]] && { echo $((CLUSTER_METRICS_PORT + i)); return; }
    i=$((i + 1))
  done
}
_cluster_ready_path() { [[ "${1%%:*}" == api ]] && echo /ready || echo /health/ready; }
cluster_api_urls() { local p out=(); for p in "${CLUSTER_PROCESSES[@]}"; do [[ "${p%%:*}" == api ]] && out+=("http://127.0.0.1:$(_cluster_port "$p")"); done; (IFS=,; echo "${out[*]}"); }

# Runs "$@" (prometheus_start, _stop, _status) with prometheus.sh pointed at the cluster stack's own Prometheus: its
# configuration (prometheus/cluster.yml.tmpl) scrapes every app process and the Temporal server, with the same rules.
_cluster_prometheus() {
  (
    PROMETHEUS_HOME="$SAGA_CACHE/cluster/prometheus"
    PROMETHEUS_PIDFILE="$SAGA_RUN/cluster/prometheus.pid"
    PROMETHEUS_LOG="$SAGA_LOGS/cluster/prometheus.log"
    prometheus_render() { _cluster_prometheus_render "$1"; }
    "$@"
  )
}
_cluster_prometheus_render() {
  local dir="$1" text targets="" p nl=$'\n'
  mkdir -p "$dir"
  for p in "${CLUSTER_PROCESSES[@]}"; do
    targets+="      - targets: ['127.0.0.1:$(_cluster_port "$p")']${nl}        labels:${nl}          role: ${p%%:*}${nl}"
  done
  text="$(<"$PROMETHEUS_REPO_DIR/cluster.yml.tmpl")"
  text="${text//@APP_TARGETS@/"${targets%"$nl"}"}"
  text="${text//@TEMPORAL_METRICS_PORT@/"$(_tsrv_port metrics)"}"
  text="${text//@PROMETHEUS_PORT@/"$PROMETHEUS_PORT"}"
  text="${text//@RULES_FILE@/"$PROMETHEUS_REPO_DIR/rules.yml"}"
  printf '%s\n' "$text" >"$dir/prometheus.yml"
}
# promtool on the cluster stack's Prometheus configuration (stack.sh prometheus-check).
cluster_prometheus_check() {
  local tmp status=0
  tmp=$(mktemp -d)
  _cluster_prometheus_render "$tmp"
  "$PROMTOOL_BIN" check config "$tmp/prometheus.yml" || status=1
  rm -rf "$tmp"
  return "$status"
}

# True when any part of the cluster stack runs (its pid files are the record).
cluster_running() {
  local f
  for f in "$SAGA_RUN"/cluster/*.pid; do pid_alive "$f" && return 0; done
  return 1
}
_default_stack_running() {
  local f
  for f in app temporal kafka; do pid_alive "$SAGA_RUN/$f.pid" && return 0; done
  return 1
}

# Every port the cluster stack listens on, to refuse a start that would collide (mostly: the default stack).
_cluster_check_ports() {
  local p port n
  for port in $(tsrv_ports) "$TEMPORAL_UI_PORT"; do
    port_open "$port" && ! pid_alive "$SAGA_RUN/cluster/temporal-server.pid" &&
      die "port :$port (Temporal) is in use: is the default stack up (npm run stack:status)? Stop it or move TEMPORAL_PORT / TEMPORAL_UI_PORT"
  done
  for n in "${KCLUSTER_NODES[@]}"; do
    for port in "$(kcluster_port "$n")" "$(kcluster_controller_port "$n")"; do
      port_open "$port" && ! pid_alive "$SAGA_RUN/cluster/kafka-$n.pid" &&
        die "port :$port (Kafka) is in use: is the default stack up (npm run stack:status)? Stop it or move KAFKA_PORT"
    done
  done
  port_open "$PROMETHEUS_PORT" && ! pid_alive "$SAGA_RUN/cluster/prometheus.pid" &&
    die "port :$PROMETHEUS_PORT (Prometheus) is in use: is the default stack up (npm run stack:status)? Stop it or move PROMETHEUS_PORT"
  for p in "${CLUSTER_PROCESSES[@]}"; do
    port=$(_cluster_port "$p")
    port_open "$port" && ! pid_alive "$(_cluster_pidfile "$(_cluster_name "$p")")" &&
      die "port :$port ($(_cluster_name "$p")) is in use; stop that or move PORT / CLUSTER_METRICS_PORT"
  done
  return 0
}

# The production settings every process gets; only METRICS_PORT / PORT differ between them.
_cluster_app_env() {
  local secret="$SAGA_CACHE/cluster/jwt-secret"
  # NODE_ENV=production refuses the built-in secret: one of our own, made once, unless the environment has one.
  [[ -s "$secret" ]] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=' >"$secret")
  export NODE_ENV=production HOST=127.0.0.1
  export JWT_SECRET="${JWT_SECRET:-$(<"$secret")}"
  export DATABASE_URL="postgres://$PG_USER_NAME:$PG_APP_PASSWORD@127.0.0.1:$PGPORT/$CLUSTER_APP_DB"
  export KAFKA_BROKERS; KAFKA_BROKERS=$(kcluster_brokers)
  # The topics the app creates follow the brokers' own settings (one file, kafka-broker.properties).
  export KAFKA_REPLICATION_FACTOR KAFKA_MIN_INSYNC_REPLICAS KAFKA_PARTITIONS
  KAFKA_REPLICATION_FACTOR=$(kcluster_setting default.replication.factor)
  KAFKA_MIN_INSYNC_REPLICAS=$(kcluster_setting min.insync.replicas)
  KAFKA_PARTITIONS=$(kcluster_setting num.partitions)
  export TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT" TEMPORAL_UI_URL="http://localhost:$TEMPORAL_UI_PORT"
  # The demo users and products, so the README's "Try it" works here too; SEED_DEMO_DATA=false for an empty start.
  export SEED_DEMO_DATA="${SEED_DEMO_DATA:-true}"
  app_process_env
  # Eleven processes share one PostgreSQL with Temporal: smaller pools than one process's default 20.
  export DB_POOL_MAX="${DB_POOL_MAX:-8}"
}

_cluster_ensure_database() {
  [[ -S "$PG_SOCKET_DIR/.s.PGSQL.$PGPORT" ]] || die "cluster: needs the stack's own PostgreSQL on :$PGPORT"
  if [[ -z "$(_tsrv_psql -c "select 1 from pg_database where datname = '$CLUSTER_APP_DB'")" ]]; then
    _tsrv_psql -c "create database $CLUSTER_APP_DB owner $PG_USER_NAME"
  fi
}

# Migrations once, before the roles start (as compose's prod-migrate does): eleven processes racing for the
# migration lock at once would work, but slowly on two cores.
_cluster_migrate_once() { (_cluster_app_env && exec node "$SAGA_ROOT/src/main.ts" migrate); }
_cluster_migrate() { step "app: migrating database $CLUSTER_APP_DB" "$SAGA_LOGS/cluster/migrate.log" _cluster_migrate_once; }

_cluster_start_app() {
  local p name pidfile port
  mkdir -p "$SAGA_LOGS/cluster"
  for p in "${CLUSTER_PROCESSES[@]}"; do
    name=$(_cluster_name "$p"); pidfile=$(_cluster_pidfile "$name"); port=$(_cluster_port "$p")
    pid_alive "$pidfile" && continue
    (
      _cluster_app_env
      if [[ "${p%%:*}" == api ]]; then export PORT="$port"; unset METRICS_PORT; else export METRICS_PORT="$port"; fi
      # shellcheck disable=SC2016 # $$ and "$@" belong to the inner shell
      setsid nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" \
        node --no-warnings=TimeoutNegativeWarning "$SAGA_ROOT/src/main.ts" "${p%%:*}" \
        >>"$SAGA_LOGS/cluster/$name.log" 2>&1 </dev/null &
    )
  done
  log "app: ${#CLUSTER_PROCESSES[@]} processes starting (logs: $SAGA_LOGS/cluster/<role>-<n>.log)"
}

# The ports and places this start used, for status, down and smoke run later without the same environment
# (stack.sh sources the file for --cluster commands while the cluster stack runs).
_cluster_record_settings() {
  local v
  for v in PORT PGPORT SAGA_PG_HOME KAFKA_PORT TEMPORAL_PORT TEMPORAL_UI_PORT PROMETHEUS_PORT CLUSTER_METRICS_PORT CLUSTER_APP_DB; do
    [[ "$v" == SAGA_PG_HOME ]] && { printf 'SAGA_PG_HOME=%q\n' "$PG_HOME"; continue; }
    printf '%s=%q\n' "$v" "${!v}"
  done >"$SAGA_RUN/cluster/settings"
}

_cluster_process_ready() { curl -fs -o /dev/null --max-time 5 "http://127.0.0.1:$(_cluster_port "$1")$(_cluster_ready_path "$1")"; }
# Every process ready, or one of them dead (a crash at start fails at once rather than at the deadline).
_cluster_app_settled() {
  local p all=0
  for p in "${CLUSTER_PROCESSES[@]}"; do
    pid_alive "$(_cluster_pidfile "$(_cluster_name "$p")")" || return 0
    _cluster_process_ready "$p" || all=1
  done
  return "$all"
}

cluster_up() {
  local start=$SECONDS
  mkdir -p "$SAGA_RUN/cluster"
  cluster_running && log "the cluster stack is (partly) running; starting what is missing"
  # Before the long first build: a port clash (the default stack, usually) fails at once.
  _cluster_check_ports
  provision
  tsrv_provision
  # Recorded so that cluster_down stops only a PostgreSQL it started.
  pg_ready || touch "$SAGA_RUN/cluster/postgres.started"
  postgres_start
  _cluster_ensure_database
  # The brokers' JVMs boot while the schema, the Temporal server and the migrations get ready.
  kcluster_start
  tsrv_start
  _cluster_migrate
  kcluster_wait
  _cluster_start_app
  _cluster_record_settings
  if prometheus_provision; then _cluster_prometheus prometheus_start || warn "prometheus: not started; the cluster stack runs without it"; fi
  wait_for "app processes" 180 _cluster_app_settled || true
  local p bad=()
  for p in "${CLUSTER_PROCESSES[@]}"; do _cluster_process_ready "$p" || bad+=("$(_cluster_name "$p")"); done
  if ((${#bad[@]})); then
    for p in "${bad[@]}"; do warn "$p is not ready; last lines of $SAGA_LOGS/cluster/$p.log:"; tail -n 10 "$SAGA_LOGS/cluster/$p.log" >&2; done
    die "the cluster stack did not become ready (npm run stack:down stops it)"
  fi
  log "cluster stack healthy in $((SECONDS - start))s"
  cluster_status
}

cluster_down() {
  local p pids=()
  # The app first (it drains in flight work), all processes at once, then the engines.
  for p in "${CLUSTER_PROCESSES[@]}"; do stop_pidfile "$(_cluster_name "$p")" "$(_cluster_pidfile "$(_cluster_name "$p")")" & pids+=($!); done
  wait "${pids[@]}"
  _cluster_prometheus prometheus_stop
  tsrv_stop
  kcluster_stop
  if [[ -f "$SAGA_RUN/cluster/postgres.started" ]]; then
    # With everything of ours stopped, any client still connected is someone else's (the default stack's app, say).
    local others
    others=$(_tsrv_psql -c "select count(*) from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()" 2>/dev/null || echo 0)
    if ((others > 0)); then log "PostgreSQL stays up: $others other client connection(s)"; else postgres_stop; fi
    rm -f "$SAGA_RUN/cluster/postgres.started"
  fi
}

cluster_status() {
  echo "shape: cluster (production shape: Temporal server on PostgreSQL, 3 Kafka brokers, one process per role)"
  postgres_status
  kcluster_status
  tsrv_status
  _cluster_prometheus prometheus_status
  local p name
  for p in "${CLUSTER_PROCESSES[@]}"; do
    name=$(_cluster_name "$p")
    if pid_alive "$(_cluster_pidfile "$name")"; then
      local state=starting; _cluster_process_ready "$p" && state=ready
      local where="metrics/health :$(_cluster_port "$p")"; [[ "${p%%:*}" == api ]] && where="http://localhost:$(_cluster_port "$p")"
      echo "$name: $state, $where (pid $(<"$(_cluster_pidfile "$name")"))"
    else
      echo "$name: down"
    fi
  done
}

# Foreground: up, then the app's logs until Ctrl-C, then down (the whole cluster stack: it is one unit).
cluster_run() {
  export LOG_PRETTY="${LOG_PRETTY:-true}"
  cluster_up
  log "Temporal Web UI: http://localhost:$TEMPORAL_UI_PORT   API: $(cluster_api_urls)   logs: $SAGA_LOGS/cluster (Ctrl-C stops the cluster stack)"
  local logs=()
  for p in "${CLUSTER_PROCESSES[@]}"; do logs+=("$SAGA_LOGS/cluster/$(_cluster_name "$p").log"); done
  trap 'true' INT
  tail -n 0 -F "${logs[@]}" || true
  trap - INT
  cluster_down
}

# End to end through the running cluster stack, and its shape (scripts/smoke.ts).
cluster_smoke() {
  cluster_running || die "the cluster stack is not running: npm run stack:up -- --cluster"
  (
    _cluster_app_env
    CLUSTER=true API_URLS=$(cluster_api_urls) exec node --no-warnings=TimeoutNegativeWarning "$SAGA_ROOT/scripts/smoke.ts"
  )
}
