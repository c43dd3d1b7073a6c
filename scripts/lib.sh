#!/usr/bin/env bash
# Shared helpers for the stack scripts: cache location, ports, logging, timed steps, waiting on ports.
# Sourced, never executed. Everything the stack installs or runs lives under $SAGA_CACHE, outside the repo.

set -euo pipefail

SAGA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SAGA_CACHE="${SAGA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/order-saga}"
SAGA_LOGS="$SAGA_CACHE/logs"
SAGA_RUN="$SAGA_CACHE/run"
mkdir -p "$SAGA_CACHE" "$SAGA_LOGS" "$SAGA_RUN"

# A .env in the project root (see .env.example) configures both the scripts and the app; the shell's own
# environment wins over it.
if [[ -f "$SAGA_ROOT/.env" ]]; then
  while IFS= read -r line; do
    line="${line%%#*}"; line="${line%"${line##*[![:space:]]}"}"
    [[ "$line" =~ ^([A-Z_][A-Z0-9_]*)=(.*)$ ]] || continue
    [[ -n "${!BASH_REMATCH[1]+x}" ]] || export "${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"
  done <"$SAGA_ROOT/.env"
fi

PORT="${PORT:-3000}"
PGPORT="${PGPORT:-5432}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"

# A script that sources this file may name itself in its log lines (SAGA_LOG_TAG) and choose die's exit status.
SAGA_LOG_TAG="${SAGA_LOG_TAG:-stack}"
log() { printf '\033[1;34m[%s]\033[0m %s\n' "$SAGA_LOG_TAG" "$*" >&2; }
warn() { printf '\033[1;33m[%s]\033[0m %s\n' "$SAGA_LOG_TAG" "$*" >&2; }
die() { printf '\033[1;31m[%s]\033[0m %s\n' "$SAGA_LOG_TAG" "$*" >&2; exit "${SAGA_DIE_STATUS:-1}"; }

# step "label" logfile cmd...: runs a long command with its output in logfile, printing elapsed time every 10 s
# so a first, cold provisioning never looks hung. On failure, shows the log's tail.
step() {
  local label="$1" logfile="$2"; shift 2
  local start=$SECONDS
  log "$label ... (log: $logfile)"
  "$@" >"$logfile" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    local el=$((SECONDS - start))
    if ((el > 0 && el % 10 == 0)); then log "  $label: ${el}s elapsed"; fi
  done
  if ! wait "$pid"; then
    warn "$label failed after $((SECONDS - start))s; last lines of $logfile:"
    tail -n 30 "$logfile" >&2
    return 1
  fi
  log "$label done in $((SECONDS - start))s"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for "what" seconds test-cmd...: polls a condition with a deadline.
wait_for() {
  local what="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    if ((SECONDS >= deadline)); then warn "$what not ready after ${timeout}s"; return 1; fi
    sleep 0.5
  done
}

# The environment of every app process (node src/main.ts <roles>), exported by the commands that start one (stack.sh
# run and up, cluster.sh) and set in the image (Dockerfile): glibc keeps two malloc arenas instead of one per thread
# (up to 8 per core), and V8's young generation is capped at 8 MiB per semi-space instead of growing to Node's default
# for the machine's memory, and each V8 heap (the main thread's, the workflow thread's) is limited to 1 GiB instead of
# a quarter of the machine's memory, so V8 collects garbage before the heap has grown to several times its live size.
# Together they cut the worker's resident memory by half (docs/performance.md, the worker's memory); tsc, eslint
# and jest keep Node's defaults. Values already in the environment win: each flag is added unless NODE_OPTIONS sets it
# (an app restarted with the environment of an earlier one, as the benchmarks do, gets the flags it lacked).
APP_NODE_OPTIONS=(--max-semi-space-size=8 --max-old-space-size=1024)
app_process_env() {
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
  local flag
  for flag in "${APP_NODE_OPTIONS[@]}"; do
    [[ " ${NODE_OPTIONS:-} " == *" ${flag%%=*}="* ]] || export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }$flag"
  done
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pidfile name pidfile: SIGTERM, wait up to 30 s, then SIGKILL.
stop_pidfile() {
  local name="$1" pidfile="$2"
  if pid_alive "$pidfile"; then
    local pid; pid=$(cat "$pidfile")
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.3; done
    kill -0 "$pid" 2>/dev/null && { warn "$name did not stop, killing"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$pidfile"
}
