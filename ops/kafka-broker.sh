#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, broker+controller in one JVM) for the tests,
# built from Maven Central's jars: no Kafka tarball, no container.
#
#   ops/kafka-broker.sh fetch      copy Kafka's jars into the cache (once; a no-op when cached)
#   ops/kafka-broker.sh start      fresh data, start in the background, wait until it serves
#   ops/kafka-broker.sh stop       SIGTERM, up to 30 s, then SIGKILL
#   ops/kafka-broker.sh status     exit 0 if running
#   ops/kafka-broker.sh bootstrap  print the bootstrap address
#
# Environment:
#   GPULEDGER_CACHE        cache root (default ~/.cache/gpuledger); jars in kafka-$VERSION/libs
#   KAFKA_STATE_DIR        config, data, pid and broker.log (default <repo>/build/kafka)
#   KAFKA_PORT             PLAINTEXT listener on 127.0.0.1 (default 39092)
#   KAFKA_CONTROLLER_PORT  KRaft controller listener on 127.0.0.1 (default 39093)
#   KAFKA_HEAP_OPTS        JVM heap options (default -Xms256m -Xmx512m)
set -euo pipefail

KAFKA_VERSION=4.1.1
SCALA_VERSION=2.13
LOG4J_VERSION=2.24.3
DEPENDENCY_PLUGIN_VERSION=3.8.1

REPO="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${GPULEDGER_CACHE:-$HOME/.cache/gpuledger}"
KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_HOME/libs"
MARKER="$KAFKA_HOME/.fetched"
STATE="${KAFKA_STATE_DIR:-$REPO/build/kafka}"
case "$STATE" in /*) ;; *) STATE="$PWD/$STATE" ;; esac  # absolute: matched in /proc/PID/cmdline
[ ! -d "$STATE" ] || STATE="$(cd "$STATE" && pwd)"
PORT="${KAFKA_PORT:-39092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-39093}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
PIDFILE="$STATE/broker.pid"
START_TIMEOUT=60
STOP_TIMEOUT=30

log() { echo "kafka-broker: $*"; }
die() { echo "kafka-broker: $*" >&2; exit 1; }

need() {
  command -v "$1" >/dev/null || die "'$1' not found (Debian package $2; ops/install-deps.sh installs it)"
}

cmd_fetch() {
  if [ -f "$MARKER" ]; then
    log "Kafka $KAFKA_VERSION jars cached in $LIBS"
    return 0
  fi
  mkdir -p "$KAFKA_HOME"
  # One fetch at a time per cache (two test runs may start together); the lock's fd is
  # closed when the subshell ends, so the broker never inherits it.
  (
    flock 9
    fetch_locked
  ) 9>"$KAFKA_HOME/.lock"
}

fetch_locked() {
  if [ -f "$MARKER" ]; then
    log "Kafka $KAFKA_VERSION jars cached in $LIBS"
    return 0
  fi
  need java default-jdk-headless
  need mvn maven
  # A pom whose only purpose is its dependency list: the broker and the slf4j 1.7 -> log4j2
  # binding it logs through (Kafka's distribution ships these; its pom leaves them out).
  cat >"$KAFKA_HOME/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>gpuledger.ops</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_$SCALA_VERSION</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>$DEPENDENCY_PLUGIN_VERSION</version>
      </plugin>
    </plugins>
  </build>
</project>
EOF
  local tmp="$KAFKA_HOME/libs.tmp.$$"
  rm -rf "$tmp"
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIBS"
  if ! mvn -B -q -f "$KAFKA_HOME/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >"$KAFKA_HOME/mvn.log" 2>&1; then
    tail -n 40 "$KAFKA_HOME/mvn.log" >&2 || true
    rm -rf "$tmp"
    die "mvn could not fetch Kafka's jars (full log: $KAFKA_HOME/mvn.log)"
  fi
  [ -f "$tmp/kafka_$SCALA_VERSION-$KAFKA_VERSION.jar" ] || die "kafka_$SCALA_VERSION-$KAFKA_VERSION.jar missing after mvn"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  date -u +%FT%TZ >"$MARKER"
  log "cached $(find "$LIBS" -name '*.jar' | wc -l) jars in $LIBS"
}

# Prints the pid of this state dir's broker if it is running, else fails.
running_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  # The pid must still be our java (pids get reused): kafka.Kafka with this state dir's config.
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $STATE/server.properties" || return 1
  echo "$pid"
}

# kill -0 is true for a zombie (our own child that exited): look at the process state too.
alive() {
  local _pid _comm st
  read -r _pid _comm st _ 2>/dev/null <"/proc/$1/stat" || return 1
  [ "$st" != Z ] && [ "$st" != X ]
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Kafka's cluster id: 16 random bytes, base64url without padding, not starting with '-'
# (the format kafka.tools.StorageTool random-uuid prints, without a JVM start).
random_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [ "${id:0:1}" != "-" ] && [ "${#id}" -eq 22 ] && break
  done
  echo "$id"
}

serves() {
  if command -v kcat >/dev/null; then
    # Metadata for all topics (no topic named: nothing gets auto-created).
    kcat -b "127.0.0.1:$PORT" -L -m 2 >/dev/null 2>&1
  else
    grep -q "Kafka Server started" "$STATE/broker.log" 2>/dev/null && port_in_use "$PORT"
  fi
}

cmd_start() {
  cmd_fetch
  need java default-jdk-headless
  mkdir -p "$STATE"
  STATE="$(cd "$STATE" && pwd)"
  PIDFILE="$STATE/broker.pid"
  if running_pid >/dev/null; then
    log "a broker from $STATE is running; stopping it first"
    cmd_stop
  fi
  for p in "$PORT" "$CONTROLLER_PORT"; do
    if port_in_use "$p"; then
      die "port 127.0.0.1:$p is taken by another process (set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
    fi
  done

  rm -rf "$STATE/data" "$STATE/broker.log" "$STATE/broker.out" "$STATE/format.log" "$PIDFILE"
  cat >"$STATE/server.properties" <<EOF
# Written by ops/kafka-broker.sh: one KRaft node, broker and controller, loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$STATE/data
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  cat >"$STATE/log4j2.properties" <<EOF
# Written by ops/kafka-broker.sh: everything to broker.log, nothing on stdout.
status = warn
# Keep logging while Kafka's own shutdown hook runs (SIGTERM), to the last line.
shutdownHook = disable
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $STATE/broker.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.org_apache_kafka.name = org.apache.kafka
logger.org_apache_kafka.level = INFO
EOF
  local jvm_opts=(-Djava.awt.headless=true "-Dlog4j2.configurationFile=$STATE/log4j2.properties"
                  -cp "$LIBS/*")
  if ! java -Xmx256m "${jvm_opts[@]}" kafka.tools.StorageTool format \
      -t "$(random_cluster_id)" -c "$STATE/server.properties" >"$STATE/format.log" 2>&1; then
    cat "$STATE/format.log" >&2
    die "formatting the storage in $STATE/data failed"
  fi

  # Own session, no tie to the caller's stdout/stderr (CTest waits for those to close).
  # shellcheck disable=SC2086  # HEAP_OPTS is a list of options
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    java $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 "${jvm_opts[@]}" \
    kafka.Kafka "$STATE/server.properties" \
    </dev/null >"$STATE/broker.out" 2>&1 &
  local t0=$SECONDS pid=""
  while [ -z "$pid" ] && [ $((SECONDS - t0)) -lt 5 ]; do
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [ -n "$pid" ] || sleep 0.1
  done
  [ -n "$pid" ] || die "the broker process did not start"

  while ! serves; do
    if ! alive "$pid"; then
      tail -n 50 "$STATE/broker.log" >&2 2>/dev/null || true
      cat "$STATE/broker.out" >&2 2>/dev/null || true
      rm -f "$PIDFILE"
      die "the broker exited during startup (log: $STATE/broker.log)"
    fi
    if [ $((SECONDS - t0)) -ge "$START_TIMEOUT" ]; then
      tail -n 50 "$STATE/broker.log" >&2 2>/dev/null || true
      cmd_stop >&2 || true
      die "the broker did not serve on 127.0.0.1:$PORT within ${START_TIMEOUT}s (log: $STATE/broker.log)"
    fi
    sleep 0.5
  done
  log "Kafka $KAFKA_VERSION (pid $pid) serves after $((SECONDS - t0))s; log $STATE/broker.log"
  echo "127.0.0.1:$PORT"
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PIDFILE"
    log "no broker from $STATE is running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local t0=$SECONDS
  while alive "$pid"; do
    if [ $((SECONDS - t0)) -ge "$STOP_TIMEOUT" ]; then
      log "pid $pid still running after ${STOP_TIMEOUT}s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  rm -f "$PIDFILE"
  log "stopped pid $pid after $((SECONDS - t0))s"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    log "running: pid $pid, 127.0.0.1:$PORT, state $STATE"
  else
    log "not running (state $STATE)"
    return 1
  fi
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  bootstrap) echo "127.0.0.1:$PORT" ;;
  *) echo "usage: $0 fetch|start|stop|status|bootstrap" >&2; exit 2 ;;
esac
