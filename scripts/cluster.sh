#!/usr/bin/env bash
# Runs a local cluster to try: one redis-server (a temp dir, loopback, no
# persistence) and NODES chat-server nodes over it on loopback, built with
# the release preset first as scripts/serve.sh does. Ctrl-C stops them all.
#
#   scripts/cluster.sh                        # 3 nodes: IRC 6667, 6668, 6669
#   NODES=2 REDIS_PORT=6390 scripts/cluster.sh --log-level debug
#
# Node i (from 0) listens on IRC_PORT+i, SEED_PORT+i, HTTP_PORT+i and
# METRICS_PORT+i; Redis on REDIS_PORT, or a free port. Arguments go to every
# node. Each node keeps its accounts and history in the temp dir, which is
# removed on the way out.
set -euo pipefail
cd "$(dirname "$0")/.."

NODES=${NODES:-3}
IRC_PORT=${IRC_PORT:-6667}
SEED_PORT=${SEED_PORT:-1234}
HTTP_PORT=${HTTP_PORT:-8080}
METRICS_PORT=${METRICS_PORT:-9464}
REDIS_PORT=${REDIS_PORT:-}

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

[[ $NODES =~ ^[1-9][0-9]?$ ]] || die "NODES must be 1 to 99, not '$NODES'"

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target chat-server chat-client
SERVER=build/release/server/chat-server
REDIS=$(command -v redis-server) || die "redis-server is not installed (apt-get install redis-server)"

if [ -z "$REDIS_PORT" ]; then
  REDIS_PORT=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi

DIR=$(mktemp -d -t chat-cluster.XXXXXX)
pids=()
stop_all() {
  trap - INT TERM EXIT
  # Nodes first (they say goodbye in Redis), then Redis.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap stop_all EXIT
trap 'echo; echo "stopping..."; exit 0' INT TERM

# No RDB, no AOF: the nodes write their state again whenever they reconnect.
"$REDIS" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" \
  --maxmemory-policy noeviction --daemonize no >"$DIR/redis.log" 2>&1 &
pids+=($!)
redis_up() { (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" && printf 'PING\r\n' >&3 && read -r -t 1 reply <&3 &&
  [[ $reply == +PONG* ]]) 2>/dev/null; }
for _ in $(seq 100); do
  redis_up && break
  kill -0 "${pids[0]}" 2>/dev/null || die "redis-server did not start: $(tail -n 5 "$DIR/redis.log")"
  sleep 0.1
done
redis_up || die "redis-server on port $REDIS_PORT does not answer"

for ((i = 0; i < NODES; i++)); do
  name="node$((i + 1))"
  mkdir -p "$DIR/$name"
  "$SERVER" --host 127.0.0.1 --cluster "redis://127.0.0.1:$REDIS_PORT" --node-name "$name" \
    --server-name "$name.chat.local" --data-dir "$DIR/$name" \
    --irc-port $((IRC_PORT + i)) --port $((SEED_PORT + i)) --http-port $((HTTP_PORT + i)) \
    --metrics-port $((METRICS_PORT + i)) "$@" >"$DIR/$name.log" 2>&1 &
  pids+=($!)
done

# Each node is ready once every listener is open.
for ((i = 0; i < NODES; i++)); do
  name="node$((i + 1))"
  for _ in $(seq 200); do
    grep -q "running on" "$DIR/$name.log" && break
    kill -0 "${pids[i + 1]}" 2>/dev/null || die "$name did not start: $(tail -n 5 "$DIR/$name.log")"
    sleep 0.1
  done
  grep -q "running on" "$DIR/$name.log" || die "$name did not open its listeners: $(tail -n 5 "$DIR/$name.log")"
done

echo
echo "Redis    127.0.0.1:$REDIS_PORT (no persistence, in $DIR)"
printf '%-8s %-6s %-6s %-6s %-8s %s\n' node IRC seed HTTP metrics log
for ((i = 0; i < NODES; i++)); do
  name="node$((i + 1))"
  printf '%-8s %-6s %-6s %-6s %-8s %s\n' "$name" $((IRC_PORT + i)) $((SEED_PORT + i)) $((HTTP_PORT + i)) \
    $((METRICS_PORT + i)) "$DIR/$name.log"
done
echo
echo "Try: build/release/client/chat-client --port $IRC_PORT --nick alice   (and --port $((IRC_PORT + 1)) --nick bob)"
echo "     http://127.0.0.1:$HTTP_PORT/ in a browser. Ctrl-C stops everything."

# Until Ctrl-C, or until one of them exits by itself.
while true; do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
      if [ "$i" -eq 0 ]; then who=redis-server; else who="node$i"; fi
      echo "cluster.sh: $who exited; stopping the others" >&2
      tail -n 5 "$DIR/$([ "$i" -eq 0 ] && echo redis || echo "node$i").log" >&2 || true
      exit 1
    fi
  done
  sleep 1
done
