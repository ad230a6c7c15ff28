#!/usr/bin/env bash
# Measures a cluster on loopback (#16): fan-out into one channel and light
# load across nodes, against one plain server, with what Redis did for it
# (INFO commandstats and CPU). Every server and Redis start afresh for each
# run, on free ports of 127.0.0.1; flood control and per-address limits are
# off (--flood-rate 0 --max-connections-per-ip 0 --connect-rate 0), nothing
# is stored (--no-store), each server runs one event-loop thread.
#
#   bench/cluster_bench.sh [OUT_DIR]
#
# Environment: REPS (3), DURATION (fan-out seconds, 5), FANOUT_CLIENTS
# (1000), LIGHT_CLIENTS (60), SCENARIOS ("fanout light"), CHAT_SERVER and
# CHAT_BENCH (the release build's). Runs of one scenario alternate between
# configurations (A B C A B C ...). Summary on stdout, raw JSON in OUT_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=${REPS:-3}
DURATION=${DURATION:-5}
FANOUT_CLIENTS=${FANOUT_CLIENTS:-1000}
LIGHT_CLIENTS=${LIGHT_CLIENTS:-60}
SCENARIOS=${SCENARIOS:-fanout light}
CHAT_SERVER=${CHAT_SERVER:-build/release/server/chat-server}
CHAT_BENCH=${CHAT_BENCH:-build/release/bench/chat-bench}
OUT=${1:-$(mktemp -d -t chat-cluster-bench.XXXXXX)}
mkdir -p "$OUT"
REDIS=$(command -v redis-server) || {
  echo "cluster_bench.sh: redis-server is needed" >&2
  exit 1
}
ulimit -n "$(ulimit -Hn)"

free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

DIR=$(mktemp -d -t chat-cluster-run.XXXXXX)
pids=()
stop_all() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; rm -rf "$DIR"' EXIT

REDIS_PORT=
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

start_redis() {
  REDIS_PORT=$(free_port)
  rm -rf "$DIR/redis" && mkdir -p "$DIR/redis"
  "$REDIS" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR/redis" \
    --maxmemory-policy noeviction >"$DIR/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    [ "$(rcli PING 2>/dev/null)" = PONG ] && return 0
    sleep 0.05
  done
  echo "cluster_bench.sh: redis-server did not start" >&2
  exit 1
}

# start_servers N cluster|plain: sets PORTS (comma list) and SPIDS.
PORTS=
SPIDS=
start_servers() {
  local n=$1 kind=$2 ports=() spids=()
  [ "$kind" = cluster ] && start_redis
  for ((i = 0; i < n; i++)); do
    local port log="$DIR/node$i.log" extra=()
    port=$(free_port)
    [ "$kind" = cluster ] && extra=(--cluster "redis://127.0.0.1:$REDIS_PORT" --node-name "node$i")
    "$CHAT_SERVER" --host 127.0.0.1 --irc-port "$port" --no-seed --no-http --no-metrics --no-store \
      --threads 1 --flood-rate 0 --max-connections-per-ip 0 --connect-rate 0 "${extra[@]}" >"$log" 2>&1 &
    pids+=($!)
    spids+=($!)
    ports+=("$port")
  done
  for ((i = 0; i < n; i++)); do
    local want="running on"
    [ "$kind" = cluster ] && want="Redis connected"
    for _ in $(seq 200); do
      grep -q "$want" "$DIR/node$i.log" && break
      sleep 0.05
    done
    grep -q "$want" "$DIR/node$i.log" || {
      echo "cluster_bench.sh: node$i did not start:" >&2
      tail -n 5 "$DIR/node$i.log" >&2
      exit 1
    }
  done
  PORTS=$(IFS=,; echo "${ports[*]}")
  SPIDS=$(IFS=,; echo "${spids[*]}")
}

# Sum of Redis's user and system CPU seconds.
redis_cpu() { rcli INFO cpu | tr -d '\r' | awk -F: '/^used_cpu_(user|sys):/ {s += $2} END {printf "%.3f", s}'; }

# run NAME N KIND SCENARIO ARGS...: one chat-bench run on fresh servers.
run() {
  local name=$1 n=$2 kind=$3 tag=$4
  shift 4
  start_servers "$n" "$kind"
  local cpu0=0
  if [ "$kind" = cluster ]; then
    rcli CONFIG RESETSTAT >/dev/null
    cpu0=$(redis_cpu)
  fi
  local json="$OUT/$tag-$name.json" code=0
  timeout -k 5 120 "$CHAT_BENCH" "$@" --port "$PORTS" --server-pid "$SPIDS" --quiet --json "$json" \
    >"$OUT/$tag-$name.txt" 2>&1 || code=$?
  if [ "$kind" = cluster ]; then
    echo "redis_cpu_seconds $(python3 -c "print(round($(redis_cpu) - $cpu0, 3))")" >>"$OUT/$tag-$name.txt"
    rcli INFO commandstats | tr -d '\r' | grep '^cmdstat_' >>"$OUT/$tag-$name.txt"
  fi
  stop_all
  echo "$tag $name: exit $code" >&2
}

for s in $SCENARIOS; do
  for ((r = 1; r <= REPS; r++)); do
    case $s in
      fanout)
        for cfg in "plain1 1 plain" "cluster1 1 cluster" "cluster3 3 cluster"; do
          # shellcheck disable=SC2086
          set -- $cfg
          run "$1" "$2" "$3" "fanout-r$r" fanout --clients "$FANOUT_CLIENTS" --senders 10 --window 4 \
            --duration "$DURATION"
        done
        ;;
      light)
        # 60 clients, each sending 25 messages at 10 a second (600/s in all),
        # every one delivered to the 59 others, on every node.
        for cfg in "plain1 1 plain" "cluster2 2 cluster" "cluster3 3 cluster"; do
          # shellcheck disable=SC2086
          set -- $cfg
          run "$1" "$2" "$3" "light-r$r" latency --clients "$LIGHT_CLIENTS" --senders "$LIGHT_CLIENTS" \
            --rate $((LIGHT_CLIENTS * 10)) --duration 2.5
        done
        ;;
      connect)
        # The baseline of Redis commands: clients come, join and go, no message.
        run cluster3 3 cluster "connect-r$r" latency --clients "$LIGHT_CLIENTS" --senders 1 --rate 1 \
          --duration 0.001
        ;;
    esac
  done
done

python3 - "$OUT" <<'EOF'
import glob, json, os, re, statistics, sys
out = sys.argv[1]
rows = {}
for path in sorted(glob.glob(os.path.join(out, "*-r*-*.json"))):
    base = os.path.basename(path)[:-5]
    scenario, rep, name = re.match(r"(\w+)-r(\d+)-(\w+)", base).groups()
    j = json.load(open(path))
    extra = {}
    txt = open(path[:-5] + ".txt").read()
    m = re.search(r"redis_cpu_seconds ([\d.]+)", txt)
    if m:
        extra["redis_cpu"] = float(m.group(1))
    for cmd in ("evalsha", "eval", "publish", "set", "mget", "hset", "hdel"):
        m = re.search(rf"cmdstat_{cmd}:calls=(\d+)", txt)
        extra[cmd] = int(m.group(1)) if m else 0
    rows.setdefault((scenario, name), []).append((j, extra))
print(f"{'run':<18} {'n':>2} {'deliveries/s':>13} {'p50 ms':>8} {'p99 ms':>8} {'lost':>6} "
      f"{'srv us/deliv':>12} {'sent':>8} {'EVAL/msg':>9} {'PUB/msg':>8} {'redis us/msg':>12}")
for (scenario, name), runs in sorted(rows.items()):
    med = lambda f: statistics.median(f(j, e) for j, e in runs)
    sent = med(lambda j, e: j["sent"])
    per = lambda key: med(lambda j, e: e.get(key, 0) / j["sent"] if j["sent"] else 0)
    print(f"{scenario + ' ' + name:<18} {len(runs):>2} {med(lambda j, e: j['deliveries_per_s']):>13,.0f} "
          f"{med(lambda j, e: j['latency_ms']['p50']):>8.3f} {med(lambda j, e: j['latency_ms']['p99']):>8.3f} "
          f"{med(lambda j, e: j['lost']):>6.0f} {med(lambda j, e: j['server_cpu_us_per_delivery']):>12.3f} "
          f"{sent:>8,.0f} {per('eval'):>9.3f} {per('publish'):>8.3f} {per('redis_cpu') * 1e6:>12.2f}")
    print("    runs: deliveries/s " + ", ".join(f"{j['deliveries_per_s']:,.0f}" for j, e in runs) +
          "; p99 " + ", ".join(f"{j['latency_ms']['p99']:.3f}" for j, e in runs) +
          (("; EVAL " + ", ".join(str(e["eval"]) for j, e in runs) + "; PUBLISH " +
            ", ".join(str(e["publish"]) for j, e in runs) + "; redis CPU s " +
            ", ".join(str(e.get("redis_cpu", "")) for j, e in runs)) if "redis_cpu" in runs[0][1] else ""))
EOF
echo "raw results in $OUT" >&2
