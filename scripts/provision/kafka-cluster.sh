#!/usr/bin/env bash
# Kafka for the cluster stack (`stack.sh up --cluster`): three KRaft nodes, each a broker and a controller, run from
# the same Maven Central jars as the single broker (kafka.sh). Sourced after scripts/lib.sh and kafka.sh; functions only.
#
# Node n (1..3) serves clients on KAFKA_PORT + 2(n-1) and its controller on the port after that (defaults 9092/9093,
# 9094/9095, 9096/9097), keeps its data in $SAGA_CACHE/cluster/kafka-n and logs in $SAGA_LOGS/cluster/kafka-n. The
# shared broker settings (replication 3, min.insync.replicas 2, …) come from scripts/provision/cluster/kafka-broker.properties,
# the one place the production compose profile is checked against.

KCLUSTER_NODES=(1 2 3)
KCLUSTER_SETTINGS="$SAGA_ROOT/scripts/provision/cluster/kafka-broker.properties"
KCLUSTER_HEAP="$SAGA_ROOT/scripts/provision/cluster/kafka-heap.opts"

kcluster_port() { echo $((KAFKA_PORT + 2 * ($1 - 1))); }
kcluster_controller_port() { echo $((KAFKA_PORT + 2 * ($1 - 1) + 1)); }
kcluster_brokers() { local n out=(); for n in "${KCLUSTER_NODES[@]}"; do out+=("127.0.0.1:$(kcluster_port "$n")"); done; (IFS=,; echo "${out[*]}"); }
# A value of the shared broker settings, e.g. `kcluster_setting default.replication.factor`.
kcluster_setting() { sed -n "s/^$1=//p" "$KCLUSTER_SETTINGS" | tail -n 1; }
# The brokers' JVM heap flags (the file's last line, shared with the production compose profile).
kcluster_heap() { grep -v '^#' "$KCLUSTER_HEAP" | tail -n 1; }

_kcluster_pidfile() { echo "$SAGA_RUN/cluster/kafka-$1.pid"; }
_kcluster_all_up() { local n; for n in "${KCLUSTER_NODES[@]}"; do port_open "$(kcluster_port "$n")" || return 1; done; }
_kcluster_up_or_dead() {
  _kcluster_all_up && return 0
  local n; for n in "${KCLUSTER_NODES[@]}"; do pid_alive "$(_kcluster_pidfile "$n")" || return 0; done
  return 1
}

_kcluster_java() {
  local n="$1"
  local dir="$SAGA_CACHE/cluster/kafka-$n"
  echo java "$(kcluster_heap)" -XX:+UseG1GC -Djava.awt.headless=true \
    "-Dlog4j.configuration=file:$dir/log4j.properties" "-Dkafka.logs.dir=$SAGA_LOGS/cluster/kafka-$n" -cp "$KAFKA_HOME/libs/*"
}

# Starts the three nodes without waiting for them (kcluster_wait does).
kcluster_start() {
  [[ -f "$KAFKA_HOME/libs/.complete" ]] || die "kafka: jars missing, run kafka_provision first"
  local n voters=()
  for n in "${KCLUSTER_NODES[@]}"; do voters+=("$n@127.0.0.1:$(kcluster_controller_port "$n")"); done
  local idfile="$SAGA_CACHE/cluster/kafka-cluster-id"
  mkdir -p "$SAGA_CACHE/cluster" "$SAGA_RUN/cluster"
  # One cluster id for all three nodes, kept next to their data: formatting again would orphan the metadata.
  [[ -s "$idfile" ]] || kafka_new_cluster_id >"$idfile"

  for n in "${KCLUSTER_NODES[@]}"; do
    local dir="$SAGA_CACHE/cluster/kafka-$n" pidfile port
    pidfile=$(_kcluster_pidfile "$n"); port=$(kcluster_port "$n")
    if pid_alive "$pidfile"; then continue; fi
    port_open "$port" && die "kafka-$n: port :$port is in use (the default stack's broker?); stop it or set KAFKA_PORT"
    port_open "$(kcluster_controller_port "$n")" && die "kafka-$n: controller port :$(kcluster_controller_port "$n") is in use"
    mkdir -p "$dir/data" "$SAGA_LOGS/cluster/kafka-$n"
    _kafka_render "$SAGA_ROOT/scripts/provision/cluster/kafka-node.properties.tmpl" "$dir/server.properties" \
      "NODE_ID=$n" "QUORUM_VOTERS=$(IFS=,; echo "${voters[*]}")" "BROKER_PORT=$port" \
      "CONTROLLER_PORT=$(kcluster_controller_port "$n")" "KAFKA_ADVERTISED_HOST=$KAFKA_ADVERTISED_HOST" "DATA_DIR=$dir/data"
    cat "$KCLUSTER_SETTINGS" >>"$dir/server.properties"
    cp "$KAFKA_TEMPLATES/log4j.properties" "$dir/log4j.properties"
    local -a java
    read -r -a java <<<"$(_kcluster_java "$n")"
    if [[ ! -f "$dir/data/meta.properties" ]]; then
      step "kafka-$n: formatting storage" "$SAGA_LOGS/cluster/kafka-$n-format.log" \
        "${java[@]}" kafka.tools.StorageTool format "--cluster-id=$(<"$idfile")" -c "$dir/server.properties"
    fi
    log "kafka-$n: starting broker on :$port (log: $SAGA_LOGS/cluster/kafka-$n/server.log)"
    # shellcheck disable=SC2016 # $$ and $1 are meant for the inner bash
    setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" \
      "${java[@]}" kafka.Kafka "$dir/server.properties" </dev/null >"$SAGA_LOGS/cluster/kafka-$n.out" 2>&1 &
    wait_for "kafka-$n pid file" 10 test -s "$pidfile" || return 1
  done
}

# Waits for the three brokers started by kcluster_start (meanwhile the caller may start other things).
kcluster_wait() {
  local n start=$SECONDS
  # The nodes elect a controller among themselves, so they come up together.
  wait_for "kafka brokers on :$(kcluster_brokers)" 120 _kcluster_up_or_dead || return 1
  if ! _kcluster_all_up; then
    for n in "${KCLUSTER_NODES[@]}"; do
      pid_alive "$(_kcluster_pidfile "$n")" && continue
      warn "kafka-$n exited during start; last lines of its log:"
      tail -n 20 "$SAGA_LOGS/cluster/kafka-$n.out" "$SAGA_LOGS/cluster/kafka-$n/server.log" >&2 || true
    done
    kcluster_stop
    return 1
  fi
  log "kafka: 3 brokers up on $(kcluster_brokers) (waited $((SECONDS - start))s more)"
}

kcluster_stop() {
  local n
  # All at once: one by one, the last two would wait out the controller's departure.
  for n in "${KCLUSTER_NODES[@]}"; do stop_pidfile "kafka-$n" "$(_kcluster_pidfile "$n")" & done
  wait
}

kcluster_status() {
  local n pidfile
  for n in "${KCLUSTER_NODES[@]}"; do
    pidfile=$(_kcluster_pidfile "$n")
    if pid_alive "$pidfile"; then
      local state=starting; port_open "$(kcluster_port "$n")" && state=up
      echo "kafka-$n: $state on :$(kcluster_port "$n") (pid $(<"$pidfile"))"
    else
      echo "kafka-$n: down"
    fi
  done
}
