#!/usr/bin/env bash
# Kafka for the stack: a single-node KRaft broker run straight from Maven Central jars (no Docker, no tarball
# download is possible here). Sourced after scripts/lib.sh; defines functions only.
#
#   kafka_provision   resolve the broker jars into $SAGA_CACHE/kafka/libs (once)
#   kafka_start       render config, format storage (once), start the broker, wait for its port
#   kafka_stop        stop the broker we started
#   kafka_status      one line: up or down

KAFKA_HOME="$SAGA_CACHE/kafka"
KAFKA_TEMPLATES="$SAGA_ROOT/scripts/provision/kafka"
KAFKA_ADVERTISED_HOST="${KAFKA_ADVERTISED_HOST:-127.0.0.1}"

kafka_provision() {
  local libs="$KAFKA_HOME/libs"
  [[ -f "$libs/.complete" ]] && return 0
  command -v mvn >/dev/null || die "kafka: mvn not found (needed to fetch the broker jars)"
  command -v java >/dev/null || die "kafka: java not found"
  # A half-finished copy from an interrupted run could mix versions; start clean.
  rm -rf "$libs"
  mkdir -p "$libs"
  step "kafka: resolving broker jars from Maven Central" "$SAGA_LOGS/kafka-provision.log" \
    mvn -q -B -f "$KAFKA_TEMPLATES/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs"
  touch "$libs/.complete"
}

# Fill @NAME@ placeholders in a template from the given NAME=value pairs. Pure bash, so values
# containing / or | (paths) need no escaping.
_kafka_render() {
  local src="$1" dst="$2"; shift 2
  local text kv
  text="$(<"$src")"
  # The quoted replacement keeps bash 5.2 from expanding a literal & in a value to the matched text.
  for kv in "$@"; do text="${text//@${kv%%=*}@/"${kv#*=}"}"; done
  printf '%s\n' "$text" >"$dst"
}

# Ready when the port answers; "dead" also ends the wait so a broker that crashed on start fails fast
# instead of sitting out the whole deadline.
# A new Kafka cluster id: 16 random bytes in unpadded base64url (what `kafka-storage random-uuid` prints), never
# starting with '-', which the format tool would read as an option (Kafka's own generator skips those too).
kafka_new_cluster_id() {
  local id
  while id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'); [[ $id == -* ]]; do :; done
  echo "$id"
}

_kafka_up_or_dead() { port_open "$KAFKA_PORT" || ! pid_alive "$SAGA_RUN/kafka.pid"; }

kafka_start() {
  local pidfile="$SAGA_RUN/kafka.pid"
  if port_open "$KAFKA_PORT"; then
    log "kafka: something already answers on :$KAFKA_PORT, reusing it"
    return 0
  fi
  if pid_alive "$pidfile"; then
    # Ours, still starting (or wedged): wait on it rather than launch a second one that cannot bind.
    log "kafka: broker already running (pid $(<"$pidfile")), waiting for :$KAFKA_PORT"
    wait_for "kafka on :$KAFKA_PORT" 90 port_open "$KAFKA_PORT"
    return
  fi
  [[ -f "$KAFKA_HOME/libs/.complete" ]] || die "kafka: jars missing, run kafka_provision first"
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    die "kafka: controller port :$KAFKA_CONTROLLER_PORT is taken by something else"
  fi

  local config="$KAFKA_HOME/config" data="$KAFKA_HOME/data"
  local -a java=(java -Xmx512m -Xms256m -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j.configuration="file:$config/log4j.properties"
    -Dkafka.logs.dir="$SAGA_LOGS/kafka"
    -cp "$KAFKA_HOME/libs/*")
  mkdir -p "$config" "$data" "$SAGA_LOGS/kafka"
  # Rendered on every start, so a changed port or template takes effect on the next start.
  _kafka_render "$KAFKA_TEMPLATES/server.properties.tmpl" "$config/server.properties" \
    "KAFKA_PORT=$KAFKA_PORT" "KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT" \
    "KAFKA_ADVERTISED_HOST=$KAFKA_ADVERTISED_HOST" "KAFKA_DATA_DIR=$data"
  cp "$KAFKA_TEMPLATES/log4j.properties" "$config/log4j.properties"

  # KRaft refuses to start on an unformatted log dir, and formatting again would orphan the existing
  # metadata, so format exactly once with a cluster id that is kept next to the data.
  if [[ ! -f "$data/meta.properties" ]]; then
    local idfile="$KAFKA_HOME/cluster-id"
    if [[ ! -s "$idfile" ]]; then
      kafka_new_cluster_id >"$idfile"
    fi
    step "kafka: formatting storage" "$SAGA_LOGS/kafka-format.log" \
      "${java[@]}" kafka.tools.StorageTool format "--cluster-id=$(<"$idfile")" -c "$config/server.properties"
  fi

  # setsid puts the broker in its own session, so a Ctrl-C or the end of the calling shell does not take
  # it down. setsid may fork (when the caller has job control), so $! is not always the java pid: the
  # wrapper records its own pid and then execs java under it.
  rm -f "$pidfile"
  local start=$SECONDS
  log "kafka: starting broker on :$KAFKA_PORT (log: $SAGA_LOGS/kafka.out)"
  # shellcheck disable=SC2016 # $$ and $1 are meant for the inner bash
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" \
    "${java[@]}" kafka.Kafka "$config/server.properties" </dev/null >"$SAGA_LOGS/kafka.out" 2>&1 &

  wait_for "kafka pid file" 10 test -s "$pidfile" || return 1
  wait_for "kafka on :$KAFKA_PORT" 90 _kafka_up_or_dead || return 1
  if ! port_open "$KAFKA_PORT"; then
    warn "kafka: broker exited during start; last lines of $SAGA_LOGS/kafka.out and server.log:"
    tail -n 20 "$SAGA_LOGS/kafka.out" >&2 || true
    tail -n 30 "$SAGA_LOGS/kafka/server.log" >&2 || true
    rm -f "$pidfile"
    return 1
  fi
  log "kafka: up on :$KAFKA_PORT in $((SECONDS - start))s (pid $(<"$pidfile"))"
}

kafka_stop() { stop_pidfile kafka "$SAGA_RUN/kafka.pid"; }

kafka_status() {
  if port_open "$KAFKA_PORT"; then
    local pid="not ours"
    pid_alive "$SAGA_RUN/kafka.pid" && pid="pid $(<"$SAGA_RUN/kafka.pid")"
    echo "kafka: up on :$KAFKA_PORT ($pid)"
  else
    echo "kafka: down"
  fi
}
