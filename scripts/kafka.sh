#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft mode, combined broker + controller) on
# 127.0.0.1, for the project's integration tests and demos. Needs only java and mvn.
#
#   bash scripts/kafka.sh fetch           download Kafka's jars with Maven into .cache/kafka/libs
#   bash scripts/kafka.sh up [--fresh]    start a broker (fetching first if needed); keeps the
#                                         data dir of an earlier run on that port unless --fresh.
#                                         Without --fresh, a broker of this script already up on
#                                         the port is fine; with --fresh it is an error (exit 3).
#   bash scripts/kafka.sh down            stop it (SIGTERM, then SIGKILL after a grace period)
#   bash scripts/kafka.sh status          say whether it is up (exit 0 when up, 1 when not)
#   bash scripts/kafka.sh reset           stop it and wipe its data dir, config and log
#   bash scripts/kafka.sh format          (re)format the data dir of KAFKA_PORT with a new cluster id,
#                                         without starting a broker (what `up --fresh` does first)
#
# Environment:
#   KAFKA_PORT             client port (default 9092); every file below is per port
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default: the one used before for this data
#                          dir, else KAFKA_PORT+1000, or KAFKA_PORT-1000 when that is > 65535)
#   KAFKA_HEAP             JVM max heap (default 512m)
#   KAFKA_UP_TIMEOUT       seconds `up` waits for the broker to answer (default 90)
#   KAFKA_STOP_TIMEOUT     seconds `down` waits after SIGTERM before SIGKILL (default 30)
#   KAFKA_CACHE_DIR        where jars, data, logs and pid files live (default <repo>/.cache/kafka)
#   KAFKA_CLUSTER_ID       the cluster id a format uses (default: 16 random bytes, URL-safe base64;
#                          about 1 in 64 of those begins with '-')
#   KAFKA_OWNER_PID        (up) a process that owns the broker, e.g. a test runner: a small
#                          watchdog runs `reset` for this port (stop + wipe) as soon as that process
#                          is gone, so a killed test run leaves no broker behind. The watchdog
#                          survives down/up cycles and ends with `reset`.
#
# Exit codes: 0 ok, 1 failure, 2 usage, 3 the port or the controller port is taken (also when
# another process bound it between our check and the broker's start).
#
# Files (under KAFKA_CACHE_DIR): libs/ (jars), data-<port>/ (log.dirs), server-<port>.properties,
# broker-<port>.log, broker-<port>.pid, log4j.properties.
set -euo pipefail
set +m   # no job control: a background child is then no process-group leader, so setsid execs in place

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/scripts/kafka/pom.xml"
CACHE="${KAFKA_CACHE_DIR:-$ROOT/.cache/kafka}"
LIBS="$CACHE/libs"
PORT="${KAFKA_PORT:-9092}"
HEAP="${KAFKA_HEAP:-512m}"
UP_TIMEOUT="${KAFKA_UP_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
DATA="$CACHE/data-$PORT"
PROPS="$CACHE/server-$PORT.properties"
LOG="$CACHE/broker-$PORT.log"
PIDFILE="$CACHE/broker-$PORT.pid"
LOG4J="$CACHE/log4j.properties"
WATCHFILE="$CACHE/watch-$PORT.pid"
SELF="$ROOT/scripts/kafka.sh"
LOG_START=1

say() { echo "kafka.sh: $*"; }
die() { echo "kafka.sh: error: $*" >&2; exit 1; }
# Exit code 3: the port (or controller port) is taken, so a caller can retry on other ports.
busy() { echo "kafka.sh: error: $*" >&2; exit 3; }

[[ "$PORT" =~ ^[0-9]+$ ]] && (( PORT > 0 && PORT <= 65535 )) || die "KAFKA_PORT must be a port number, got '$PORT'"

need_java() {
  command -v java >/dev/null 2>&1 || die "java is not installed (Java 17+ is needed to run the Kafka broker)"
}
need_mvn() {
  command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is not installed; it is needed to download Kafka's jars into $LIBS"
}

# Serialise commands on the same files (two `up`s at once, or `fetch` from two shells).
with_lock() {
  local name="$1"; shift
  mkdir -p "$CACHE"
  if command -v flock >/dev/null 2>&1; then
    # fd 9; the broker is started with 9>&- so that it does not inherit (and hold) the lock.
    exec 9>"$CACHE/.lock-$name"
    flock 9
  fi
  "$@"
}

# ---------------------------------------------------------------------------------------- fetch
# The stamp records which pom the jars came from, so editing the pom (say, a new Kafka version)
# fetches again, and an unchanged pom returns at once.
pom_stamp() { cksum < "$POM" | tr -d ' \t'; }

fetched() {
  [[ -f "$LIBS/.fetched" && "$(cat "$LIBS/.fetched")" == "$(pom_stamp)" ]] && compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null
}

do_fetch() {
  if fetched; then
    say "Kafka jars already in $LIBS"
    return 0
  fi
  need_mvn
  need_java
  local tmp="$CACHE/libs.tmp.$$"
  rm -rf "$tmp"
  say "downloading Kafka's jars (the broker and its dependencies, about 57 jars, 46 MB, plus Maven's own plugins on a cold cache) from Maven Central into $LIBS; this can take a minute or more"
  local started=$SECONDS
  # KAFKA_MVN_ARGS: extra Maven arguments, e.g. -Dmaven.repo.local=/tmp/m2 to try a cold cache.
  # Maven's output goes to a file (shown on failure); every 15 s a line says how far it got.
  local mvnlog="$CACHE/fetch.log"
  : > "$mvnlog"
  (
    while sleep 15 </dev/null >/dev/null 2>&1; do
      say "still downloading: $(grep -c '^\[INFO\] Downloaded from' "$mvnlog" 2>/dev/null || echo 0) files so far, $((SECONDS - started)) s (log: $mvnlog)"
    done
  ) &
  local ticker=$!
  # shellcheck disable=SC2086
  if ! mvn -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" ${KAFKA_MVN_ARGS:-} > "$mvnlog" 2>&1; then
    kill "$ticker" 2>/dev/null || true; wait "$ticker" 2>/dev/null || true
    sed 's/\x1b\[[0-9;]*m//g' "$mvnlog" | tail -n 60 >&2
    rm -rf "$tmp"
    die "Maven could not download Kafka's jars (output above, full log in $mvnlog; Maven Central must be reachable)"
  fi
  kill "$ticker" 2>/dev/null || true; wait "$ticker" 2>/dev/null || true
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || { rm -rf "$tmp"; die "Maven ran but no kafka_2.13 jar was copied into $tmp"; }
  pom_stamp > "$tmp/.fetched"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  say "fetched $(ls "$LIBS" | grep -c '\.jar$') jars in $((SECONDS - started)) s"
}

# ------------------------------------------------------------------------------------- helpers
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Alive and not a zombie (a zombie still answers kill -0 until it is reaped).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  if [[ -r "/proc/$1/stat" ]]; then
    local stat; stat="$(cat "/proc/$1/stat" 2>/dev/null || true)"
    stat="${stat##*) }"
    [[ "${stat%% *}" != Z && -n "$stat" ]] || return 1
  fi
}

# The pid in the pid file, if that process is alive and is our broker (not a recycled pid).
broker_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    local cmdline; cmdline="$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true)"
    [[ "$cmdline" == *"kafka.Kafka $PROPS"* ]] || return 1
  fi
  echo "$pid"
}

# Ask the broker for cluster metadata with a raw Kafka MetadataRequest v0 (no topics = all):
# succeeds when it answers with at least one broker. Uses node when present (this is a Node
# project); without node, the "Kafka Server started" log line checked by `up` has to do.
metadata_ok() {
  command -v node >/dev/null 2>&1 || return 0
  node - "$PORT" <<'JS' 2>/dev/null
const net = require('net');
const port = Number(process.argv[2]);
const clientId = Buffer.from('kafka.sh');
const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4);
let o = 0;
o = body.writeInt16BE(3, o);              // api_key Metadata
o = body.writeInt16BE(0, o);              // api_version 0
o = body.writeInt32BE(42, o);             // correlation_id
o = body.writeInt16BE(clientId.length, o);
o += clientId.copy(body, o);
body.writeInt32BE(0, o);                  // topics: [] (v0: all topics)
const size = Buffer.alloc(4); size.writeInt32BE(body.length);
const sock = net.connect(port, '127.0.0.1', () => sock.write(Buffer.concat([size, body])));
let buf = Buffer.alloc(0);
const fail = () => process.exit(1);
sock.setTimeout(3000, fail); sock.on('error', fail);
sock.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
  const ok = buf.readInt32BE(4) === 42 && buf.readInt32BE(8) >= 1;   // correlation id, #brokers
  process.exit(ok ? 0 : 1);
});
JS
}

log_tail() {
  if [[ -f "$LOG" ]]; then
    echo "---- last 40 lines of $LOG ----" >&2
    tail -n 40 "$LOG" >&2
    echo "----" >&2
  fi
}

pick_controller_port() {
  if [[ -n "${KAFKA_CONTROLLER_PORT:-}" ]]; then echo "$KAFKA_CONTROLLER_PORT"; return; fi
  if [[ -f "$PROPS" && -f "$DATA/meta.properties" ]]; then
    local prev; prev="$(sed -n 's/^controller\.quorum\.voters=1@127\.0\.0\.1:\([0-9]*\)$/\1/p' "$PROPS")"
    if [[ -n "$prev" ]]; then echo "$prev"; return; fi
  fi
  if (( PORT + 1000 <= 65535 )); then echo $((PORT + 1000)); else echo $((PORT - 1000)); fi
}

# A Kafka cluster id is 16 random bytes in URL-safe base64 without padding (22 characters).
random_cluster_id() {
  head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

write_log4j() {
  cat > "$LOG4J" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.storage.internals.log.LogConfig=WARN
log4j.logger.kafka.server.KafkaConfig=WARN
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.org.apache.kafka.common.utils.AppInfoParser=WARN
EOF
}

write_props() {
  local cport="$1"
  cat > "$PROPS" <<EOF
# Written by scripts/kafka.sh: a single-node KRaft broker + controller for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA

auto.create.topics.enable=true
delete.topic.enable=true
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
num.network.threads=3
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.segment.bytes=67108864
EOF
}

# --------------------------------------------------------------------------------------- format
# The cluster id goes as `--cluster-id=<id>`: a random id may begin with '-', and the tool's
# argument parser reads a separate "-xyz…" argument as an option ("expected one argument").
do_format() {
  local cport="$1"
  need_java
  fetched || ( with_lock fetch do_fetch )
  mkdir -p "$CACHE"
  write_log4j
  rm -rf "$DATA"
  mkdir -p "$DATA"
  write_props "$cport"
  local cid="${KAFKA_CLUSTER_ID:-$(random_cluster_id)}"
  if ! java -Xmx256m -Dlog4j.configuration="file:$LOG4J" -cp "$LIBS/*" kafka.tools.StorageTool \
        format "--cluster-id=$cid" "--config=$PROPS" > "$CACHE/format-$PORT.log" 2>&1; then
    cat "$CACHE/format-$PORT.log" >&2
    die "formatting the storage in $DATA failed (cluster id '$cid')"
  fi
  say "formatted $DATA (cluster id $cid)"
}

do_format_cmd() {
  local pid
  pid="$(broker_pid)" && busy "a broker from this script runs on port $PORT (pid $pid): run \`down\` before formatting its data"
  do_format "$(pick_controller_port)"
}

# ------------------------------------------------------------------------------------------- up
do_up() {
  local fresh="$1" pid
  if pid="$(broker_pid)"; then
    [[ "$fresh" == 1 ]] && busy "a broker from this script already runs on port $PORT (pid $pid); --fresh would wipe its data: run \`down\` first, or use another KAFKA_PORT"
    if port_open "$PORT" && metadata_ok; then
      say "a broker from this script is already up on 127.0.0.1:$PORT (pid $pid)"
      return 0
    fi
    say "broker pid $pid exists but does not answer on port $PORT yet; waiting for it"
    wait_ready "$pid"
    return
  fi
  rm -f "$PIDFILE"
  port_open "$PORT" && busy "port $PORT is already in use by another process (not a broker started by this script); set KAFKA_PORT to a free port"
  need_java
  fetched || ( with_lock fetch do_fetch )

  local cport; cport="$(pick_controller_port)"
  [[ "$cport" =~ ^[0-9]+$ ]] && (( cport > 0 && cport <= 65535 && cport != PORT )) || die "bad controller port '$cport' (set KAFKA_CONTROLLER_PORT)"
  port_open "$cport" && busy "controller port $cport is already in use; set KAFKA_CONTROLLER_PORT to a free port"

  mkdir -p "$CACHE"
  write_log4j
  if [[ "$fresh" == 1 || ! -f "$DATA/meta.properties" ]]; then
    do_format "$cport"
  else
    write_props "$cport"
    say "reusing the data in $DATA"
  fi

  if [[ "$fresh" == 1 ]]; then : > "$LOG"; else echo "==== kafka.sh up $(date '+%F %T') ====" >> "$LOG"; fi
  LOG_START=$(( $(wc -c < "$LOG") + 1 ))   # wait_ready looks only at what this start logs
  say "starting Kafka on 127.0.0.1:$PORT (controller 127.0.0.1:$cport), log $LOG"
  # setsid + redirected stdio: the broker outlives this script and holds none of its pipes open
  # (a caller that captures our output would otherwise wait for the broker to exit).
  local launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  "${launcher[@]}" java -Xmx"$HEAP" -Xms64m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dlog4j.configuration="file:$LOG4J" \
    -cp "$LIBS/*" kafka.Kafka "$PROPS" < /dev/null >> "$LOG" 2>&1 9>&- &
  pid=$!
  echo "$pid" > "$PIDFILE"
  start_watchdog
  wait_ready "$pid"
}

start_watchdog() {
  local owner="${KAFKA_OWNER_PID:-}"
  [[ -n "$owner" ]] || return 0
  [[ "$owner" =~ ^[0-9]+$ ]] || die "KAFKA_OWNER_PID must be a pid, got '$owner'"
  local w; w="$(cat "$WATCHFILE" 2>/dev/null || true)"
  if [[ "$w" =~ ^[0-9]+$ ]] && alive "$w"; then return 0; fi
  local launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  "${launcher[@]}" bash "$SELF" _watch "$owner" < /dev/null > /dev/null 2>&1 9>&- &
}

# The watchdog: while the owner lives, poll; when it is gone, reset this port. It ends quietly
# once the watch file no longer names it (after `reset`, or when a newer watchdog took over).
do_watch() {
  local owner="$1"
  echo "$$" > "$WATCHFILE"
  while alive "$owner"; do
    sleep 1
    [[ "$(cat "$WATCHFILE" 2>/dev/null || true)" == "$$" ]] || exit 0
  done
  [[ "$(cat "$WATCHFILE" 2>/dev/null || true)" == "$$" ]] || exit 0
  with_lock "broker-$PORT" do_reset
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + UP_TIMEOUT)) started=$SECONDS
  while (( SECONDS < deadline )); do
    if ! alive "$pid"; then
      rm -f "$PIDFILE"
      log_tail
      # Another process bound the port between our check and the broker's bind.
      if tail -c "+$LOG_START" "$LOG" 2>/dev/null | grep -q "Address already in use"; then
        busy "the Kafka broker could not bind 127.0.0.1:$PORT or its controller port: already in use (see $LOG)"
      fi
      die "the Kafka broker exited while starting (see $LOG)"
    fi
    if [[ "$(tail -c "+$LOG_START" "$LOG" 2>/dev/null | grep -c "Kafka Server started")" != 0 ]] \
        && port_open "$PORT" && metadata_ok; then
      say "Kafka is up on 127.0.0.1:$PORT (pid $pid) after $((SECONDS - started)) s"
      return 0
    fi
    sleep 0.25
  done
  log_tail
  stop_pid "$pid"
  rm -f "$PIDFILE"
  die "the Kafka broker did not answer on 127.0.0.1:$PORT within ${UP_TIMEOUT} s (stopped it; see $LOG)"
}

# ----------------------------------------------------------------------------------------- down
stop_pid() {
  local pid="$1" deadline=$((SECONDS + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || return 0
  while alive "$pid" && (( SECONDS < deadline )); do sleep 0.2; done
  if alive "$pid"; then
    say "broker pid $pid did not stop within ${STOP_TIMEOUT} s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.1; done
  fi
}

do_down() {
  local pid
  if pid="$(broker_pid)"; then
    say "stopping Kafka on 127.0.0.1:$PORT (pid $pid)"
    stop_pid "$pid"
    rm -f "$PIDFILE"
    say "stopped"
  else
    rm -f "$PIDFILE"
    say "no broker from this script is running on port $PORT"
  fi
}

do_status() {
  local pid
  if pid="$(broker_pid)"; then
    if port_open "$PORT" && metadata_ok; then
      echo "up: 127.0.0.1:$PORT (pid $pid)"
      return 0
    fi
    echo "starting or unhealthy: pid $pid runs but 127.0.0.1:$PORT does not answer"
    return 1
  fi
  echo "down: no broker from this script on port $PORT"
  return 1
}

do_reset() {
  do_down
  rm -rf "$DATA" "$PROPS" "$LOG" "$CACHE/format-$PORT.log" "$WATCHFILE"
  say "wiped $DATA"
}

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

cmd="${1:-}"; shift || true
fresh=0
watch_owner=""
if [[ "$cmd" == _watch ]]; then
  watch_owner="${1:-}"
else
  for arg in "$@"; do
    case "$arg" in
      --fresh) fresh=1 ;;
      *) die "unknown option '$arg'" ;;
    esac
  done
fi

case "$cmd" in
  fetch)  with_lock fetch do_fetch ;;
  up)     with_lock "broker-$PORT" do_up "$fresh" ;;
  down)   with_lock "broker-$PORT" do_down ;;
  status) do_status ;;
  reset)  with_lock "broker-$PORT" do_reset ;;
  format) with_lock "broker-$PORT" do_format_cmd ;;
  _watch) do_watch "$watch_owner" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
