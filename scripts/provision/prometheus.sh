#!/usr/bin/env bash
# Prometheus for the stack: the binary of Debian's `prometheus` package (2.42 on bookworm), never the Debian service,
# run by us with the repo's configuration: prometheus/stack.yml.tmpl rendered for the stack's ports, the rules in
# prometheus/rules.yml, data under $SAGA_CACHE/prometheus/data. Sourced after scripts/lib.sh; defines functions only.
#
#   prometheus_provision   apt-get install prometheus when the binary is missing (once; as root)
#   prometheus_render DIR  the stack's configuration for the current ports, into DIR/prometheus.yml
#   prometheus_check       promtool: both configurations (stack, docker compose), the rules and their unit tests
#   prometheus_start       render, start on 127.0.0.1:$PROMETHEUS_PORT, wait until ready (running: reload the config)
#   prometheus_stop        stop the Prometheus we started
#   prometheus_status      one line: up or down

PROMETHEUS_HOME="$SAGA_CACHE/prometheus"
# The cluster stack runs a Prometheus of its own: it sets these, PROMETHEUS_HOME and prometheus_render in a subshell.
PROMETHEUS_PIDFILE="$SAGA_RUN/prometheus.pid"
PROMETHEUS_LOG="$SAGA_LOGS/prometheus.log"
PROMETHEUS_REPO_DIR="$SAGA_ROOT/prometheus"
PROMETHEUS_BIN="${PROMETHEUS_BIN:-/usr/bin/prometheus}"
PROMTOOL_BIN="${PROMTOOL_BIN:-/usr/bin/promtool}"

_prometheus_installed() { [[ -x "$PROMETHEUS_BIN" && -x "$PROMTOOL_BIN" ]]; }

# The package's maintainer scripts would start Debian's own service (its config, on :9090). A policy-rc.d answering
# 101 ("action forbidden") keeps them from starting it; container images often ship one, else one is put in place for
# the install only. --no-install-recommends: no node exporter.
_prometheus_apt_install() {
  local policy=/usr/sbin/policy-rc.d added=0 status=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\n# temporary, from order-saga scripts/provision/prometheus.sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    added=1
  fi
  if ! apt-get update || ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus; then
    status=1
  fi
  ((added)) && rm -f "$policy"
  return "$status"
}

# Returns 1 (with a warning) when Prometheus is missing and cannot be installed: the stack then runs without it.
prometheus_provision() {
  _prometheus_installed && return 0
  if [[ $(id -u) -ne 0 ]]; then
    warn "prometheus: $PROMETHEUS_BIN missing and not root: install Debian's 'prometheus' package (or set PROMETHEUS_BIN/PROMTOOL_BIN); running without it"
    return 1
  fi
  step "installing Prometheus (apt-get install prometheus)" "$SAGA_LOGS/prometheus-apt.log" _prometheus_apt_install
  _prometheus_installed || die "prometheus: apt-get finished but $PROMETHEUS_BIN or $PROMTOOL_BIN is missing"
}

# Fills @NAME@ placeholders (as kafka.sh does): pure bash, so paths need no escaping.
prometheus_render() {
  local dir="$1" text
  mkdir -p "$dir"
  text="$(<"$PROMETHEUS_REPO_DIR/stack.yml.tmpl")"
  text="${text//@APP_PORT@/"$PORT"}"
  text="${text//@PROMETHEUS_PORT@/"$PROMETHEUS_PORT"}"
  text="${text//@RULES_FILE@/"$PROMETHEUS_REPO_DIR/rules.yml"}"
  printf '%s\n' "$text" >"$dir/prometheus.yml"
}

prometheus_check() {
  local tmp status=0
  tmp=$(mktemp -d)
  prometheus_render "$tmp"
  "$PROMTOOL_BIN" check config "$tmp/prometheus.yml" || status=1
  "$PROMTOOL_BIN" check config "$PROMETHEUS_REPO_DIR/compose.yml" || status=1
  "$PROMTOOL_BIN" check rules "$PROMETHEUS_REPO_DIR/rules.yml" || status=1
  (cd "$PROMETHEUS_REPO_DIR" && "$PROMTOOL_BIN" test rules rules.test.yml) || status=1
  rm -rf "$tmp"
  return "$status"
}

_prometheus_ready() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"; }
_prometheus_ready_or_dead() { _prometheus_ready || ! pid_alive "$PROMETHEUS_PIDFILE"; }

prometheus_start() {
  local pidfile="$PROMETHEUS_PIDFILE" out="$PROMETHEUS_LOG"
  prometheus_render "$PROMETHEUS_HOME"
  if pid_alive "$pidfile"; then
    # Ours already: pick up a changed port or rule file (SIGHUP reloads the configuration).
    kill -HUP "$(<"$pidfile")"
    log "prometheus already running (pid $(<"$pidfile")) on :$PROMETHEUS_PORT; configuration reloaded"
    return 0
  fi
  port_open "$PROMETHEUS_PORT" && die "prometheus: port :$PROMETHEUS_PORT is taken by another process; stop it or set PROMETHEUS_PORT"
  mkdir -p "$PROMETHEUS_HOME/data"
  rm -f "$pidfile"
  local start=$SECONDS
  log "prometheus: starting on :$PROMETHEUS_PORT (log: $out)"
  # As for Kafka: the inner shell records its pid and execs the server, so the pidfile holds the server's pid.
  # shellcheck disable=SC2016 # $$ and $1 belong to the inner shell
  setsid nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" \
    "$PROMETHEUS_BIN" \
    --config.file="$PROMETHEUS_HOME/prometheus.yml" \
    --storage.tsdb.path="$PROMETHEUS_HOME/data" \
    --storage.tsdb.retention.time=7d \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
    </dev/null >>"$out" 2>&1 &
  wait_for "prometheus pid file" 10 test -s "$pidfile" || return 1
  if ! wait_for "prometheus on :$PROMETHEUS_PORT" 60 _prometheus_ready_or_dead || ! _prometheus_ready; then
    warn "prometheus: did not become ready; last lines of $out:"
    tail -n 20 "$out" >&2 || true
    prometheus_stop
    return 1
  fi
  log "prometheus: ready in $((SECONDS - start))s: http://localhost:$PROMETHEUS_PORT (pid $(<"$pidfile"))"
}

prometheus_stop() { stop_pidfile prometheus "$PROMETHEUS_PIDFILE"; }

prometheus_status() {
  if pid_alive "$PROMETHEUS_PIDFILE"; then
    echo "prometheus: up on http://localhost:$PROMETHEUS_PORT (pid $(<"$PROMETHEUS_PIDFILE")), UI /classic/graph, targets /classic/targets, alerts /classic/alerts"
  elif port_open "$PROMETHEUS_PORT"; then
    echo "prometheus: down (:$PROMETHEUS_PORT is taken by another process)"
  else
    echo "prometheus: down"
  fi
}
