#!/usr/bin/env bash
# Compares our server with two established IRC servers, ngIRCd and InspIRCd
# (Debian's packages), under the same chat-bench scenarios, on loopback only.
#
#   bench/compare.sh                 # SCALE=quick: a few minutes
#   SCALE=full bench/compare.sh      # the standard scenarios (1,000 clients)
#
# Each server runs alone, in the foreground, on a free port of 127.0.0.1:
# ours with --threads N for each N in OURS_THREADS (reported separately),
# then ngircd and inspircd with bench/peers/*.conf (flood protection relaxed
# as far as each allows; bench/peers/README.md says what is left). Every
# scenario writes chat-bench's JSON summary and its output into the results
# directory; bench/compare_table.py prints the table at the end. A peer that
# cannot take a scenario (losses, a timeout, a refused connection) is recorded
# as such in the table; the script goes on, and exits 0 once the table is
# printed whatever the runs' outcome (the table is the result).
#
# Environment (all optional):
#   SCALE         quick (default) or full
#   SCENARIOS     subset of "light fanout latency private capacity joinstorm"
#                 (default: the first four)
#   SERVERS       subset of "ours ngircd inspircd ceiling" (default: the
#                 first three). ceiling is bench/ceiling.cpp, the least
#                 server chat-bench can measure: a yardstick for what this
#                 machine and load generator allow, never a peer in ratios
#   OURS_THREADS  values of --threads for our server (default: "1 2")
#   RESULTS       results directory (default: build/compare/<UTC time>-<scale>)
#   CHAT_SERVER, CHAT_BENCH, CHAT_CEILING   binaries (default: build/release/...; built
#                 with the release preset when missing)
#   LIGHT_ARGS, FANOUT_ARGS, LATENCY_ARGS, PRIVATE_ARGS, CAPACITY_ARGS, JOINSTORM_ARGS
#                 replace the chat-bench arguments of one scenario
#   GRACE         extra seconds each chat-bench run may take beyond its
#                 sending time before it is stopped (default: 40 + 1 per 10
#                 clients, for servers that accept connections slowly)
#   NO_INSTALL=1  never apt-get: a missing peer is reported and skipped
#   NGIRCD_OWN_LISTENER=1  let ngIRCd open its own listener (backlog 10)
#                 instead of handing it one with a backlog of 4096
#
# Scenarios (SCALE=full is the issue's standard set; quick is smaller):
#   light    60 clients in one room, each sending 25 messages at 10/s
#            (open loop: latency --clients 60 --senders 60 --rate 600)
#   fanout   one room, 10 senders, 4 messages in flight each (saturation)
#   latency  one room, 10 senders, 200 messages/s in all (open loop)
#   private  pairs exchanging private messages, 4 in flight each
#            quick: 200 clients, 5 s each; full: 1,000 clients, 10 s each
#   capacity idle clients spread over 100 rooms (source addresses over
#            127.0.0.x): connect-and-join time and server memory per
#            connection; quick: 2,000, full: 10,000. Not in the default
#            SCENARIOS (add it: SCENARIOS="... capacity").
#   joinstorm idle clients all joining one room (capacity --rooms 1): every
#            join is shown to every member already there, so n clients
#            make n^2/2 JOIN notices; time to all joined, the server's CPU
#            seconds over the storm and memory per connection; quick: 2,000,
#            full: 5,000. Not in the default SCENARIOS either.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

SCALE=${SCALE:-quick}
SCENARIOS=${SCENARIOS:-light fanout latency private}
SERVERS=${SERVERS:-ours ngircd inspircd}
OURS_THREADS=${OURS_THREADS:-1 2}
CHAT_SERVER=${CHAT_SERVER:-$ROOT/build/release/server/chat-server}
CHAT_BENCH=${CHAT_BENCH:-$ROOT/build/release/bench/chat-bench}
CHAT_CEILING=${CHAT_CEILING:-$ROOT/build/release/bench/chat-ceiling}
RESULTS=${RESULTS:-$ROOT/build/compare/$(date -u +%Y%m%dT%H%M%SZ)-$SCALE}

log() { printf '[compare] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

case $SCALE in
  quick) N=200; SECS=5; CAP=2000; STORM=2000 ;;
  full) N=1000; SECS=10; CAP=10000; STORM=5000 ;;
  *) die "SCALE must be quick or full, not '$SCALE'" ;;
esac

# chat-bench arguments of each scenario. All IRC rooms are chat-bench's
# defaults (#bench; private: #bench-pairs), which InspIRCd's configuration
# joins every client to (see bench/peers/README.md).
scenario_args() {
  case $1 in
    light) echo "${LIGHT_ARGS:-latency --clients 60 --senders 60 --rate 600 --duration 2.5}" ;;
    fanout) echo "${FANOUT_ARGS:-fanout --clients $N --senders 10 --window 4 --duration $SECS}" ;;
    latency) echo "${LATENCY_ARGS:-latency --clients $N --senders 10 --rate 200 --duration $SECS}" ;;
    private) echo "${PRIVATE_ARGS:-private --clients $N --window 4 --duration $SECS}" ;;
    capacity) echo "${CAPACITY_ARGS:-capacity --clients $CAP --rooms 100}" ;;
    joinstorm) echo "${JOINSTORM_ARGS:-capacity --clients $STORM --rooms 1 --room #storm}" ;;
    *) die "unknown scenario '$1' (light, fanout, latency, private, capacity, joinstorm)" ;;
  esac
}
# Nick prefixes differ between scenarios, so that a nick still being
# released by a server after one scenario cannot collide in the next.
scenario_prefix() {
  case $1 in
    light) echo l ;; fanout) echo f ;; latency) echo t ;; private) echo p ;; capacity) echo c ;; joinstorm) echo j ;;
  esac
}
for s in $SCENARIOS; do scenario_args "$s" >/dev/null; done

# ---- Prerequisites -----------------------------------------------------------

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else return 1
  fi
}

peer_binary() { case $1 in ngircd) echo ngircd ;; inspircd) echo inspircd ;; esac; }

# Installs the peers that are missing. Debian's packages try to start their
# service; one that did is stopped again so that it holds no port.
install_peers() {
  local missing=()
  for s in $SERVERS; do
    case $s in ngircd | inspircd) command -v "$(peer_binary "$s")" >/dev/null || missing+=("$s") ;; esac
  done
  command -v gnuplot >/dev/null || missing+=(gnuplot-nox) # for the latency plots
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "${NO_INSTALL:-0}" = 1 ]; then
    log "not installing ${missing[*]} (NO_INSTALL=1)"
    return 0
  fi
  log "installing ${missing[*]} with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || log "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
    log "apt-get install ${missing[*]} failed"
  for p in "${missing[@]}"; do
    [ "$p" = gnuplot-nox ] && continue
    as_root service "$p" stop >/dev/null 2>&1 || true
    as_root systemctl disable --now "$p" >/dev/null 2>&1 || true
  done
}

build_ours() {
  if [ ! -x "$CHAT_SERVER" ] || [ ! -x "$CHAT_BENCH" ] || [ ! -x "$CHAT_CEILING" ]; then
    log "building chat-server, chat-bench and chat-ceiling (release preset)"
    cmake --preset release >/dev/null
    cmake --build --preset release --target chat-server chat-bench chat-ceiling -j1
  fi
  [ -x "$CHAT_SERVER" ] || die "no $CHAT_SERVER"
  [ -x "$CHAT_BENCH" ] || die "no $CHAT_BENCH"
}

install_peers
build_ours
command -v python3 >/dev/null || die "python3 is needed for the port, the probe and the table"
command -v timeout >/dev/null || die "timeout (coreutils) is needed"

# Every process started below gets as many descriptors as it may have.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/chat-compare.XXXXXX")
chmod 755 "$WORK"

# The peers run unprivileged: as root, they are started as nobody (InspIRCd
# refuses root without --runasroot, ngIRCd would switch users by itself).
DROP=()
if [ "$(id -u)" -eq 0 ]; then
  if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
    DROP=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
  else
    log "no setpriv: the peers run as root"
  fi
fi

SERVER_PID=""
PORT=""
cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# python3 -c "$LISTEN_FD_WRAPPER" PORT COMMAND...: listens on 127.0.0.1:PORT
# (backlog 4096) and executes COMMAND with that socket as descriptor 3 and
# LISTEN_PID/LISTEN_FDS set, as systemd's socket activation does. The
# process keeps its id through the exec, so LISTEN_PID names the server.
LISTEN_FD_WRAPPER='
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(4096)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDS"] = "1"
os.execvp(sys.argv[2], sys.argv[2:])
'

free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Waits until the server on $PORT registers an IRC client (001), or gives up
# after $1 seconds or when the process has gone.
wait_ready() {
  local deadline=$((SECONDS + $1))
  while [ $SECONDS -lt $deadline ]; do
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    if python3 - "$PORT" <<'EOF' 2>/dev/null; then return 0; fi
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(b"NICK zprobe\r\nUSER zprobe 0 * :probe\r\n")
buf, end = b"", time.time() + 3
while b" 001 " not in buf and time.time() < end:
    data = s.recv(4096)
    if not data:
        break
    buf += data
s.sendall(b"QUIT :probe\r\n")
sys.exit(0 if b" 001 " in buf else 1)
EOF
    sleep 0.3
  done
  return 1
}

# start_server NAME: starts one server in the foreground of a background job;
# sets SERVER_PID and PORT. Returns non-zero if it does not become ready.
start_server() {
  local name=$1 dir="$WORK/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  PORT=$(free_port)
  case $name in
    ours-t*)
      # Only the IRC listener: builds with a web listener would bind 8080.
      WEB_FLAGS=""
      if "$CHAT_SERVER" --help | grep -q -- --no-http; then WEB_FLAGS="--no-http --no-metrics"; fi
      # Flood control and per-address limits off, as far as the peers allow theirs.
      "$CHAT_SERVER" --host 127.0.0.1 --irc-port "$PORT" --no-seed $WEB_FLAGS --threads "${name#ours-t}" --flood-rate 0 \
        --max-connections-per-ip 0 --connect-rate 0 \
        --log-level warn >"$dir/server.log" 2>&1 &
      ;;
    ceiling)
      "$CHAT_CEILING" "$PORT" >"$dir/server.log" 2>&1 &
      ;;
    ngircd)
      mkdir -p "$dir/ngircd.conf.d"
      sed -e "s|@PORT@|$PORT|g" -e "s|@RUNDIR@|$dir|g" "$ROOT/bench/peers/ngircd.conf" >"$dir/ngircd.conf"
      [ ${#DROP[@]} -gt 0 ] && chown -R nobody "$dir"
      if [ "${NGIRCD_OWN_LISTENER:-0}" = 1 ]; then
        "${DROP[@]}" ngircd -n -f "$dir/ngircd.conf" >"$dir/server.log" 2>&1 &
      else
        # ngIRCd's own listener has a backlog of 10, hard-coded: connecting
        # hundreds of clients then waits on SYN retransmissions for up to a
        # minute. It is handed a listening socket with a backlog of 4096
        # instead, the way systemd's socket activation does (LISTEN_FDS).
        python3 -c "$LISTEN_FD_WRAPPER" "$PORT" "${DROP[@]}" ngircd -n -f "$dir/ngircd.conf" \
          >"$dir/server.log" 2>&1 &
      fi
      ;;
    inspircd)
      sed -e "s|@PORT@|$PORT|g" -e "s|@RUNDIR@|$dir|g" "$ROOT/bench/peers/inspircd.conf" >"$dir/inspircd.conf"
      cp "$ROOT/bench/peers/inspircd.motd" "$dir/"
      local extra=()
      if [ ${#DROP[@]} -gt 0 ]; then chown -R nobody "$dir"
      elif [ "$(id -u)" -eq 0 ]; then extra=(--runasroot)
      fi
      "${DROP[@]}" inspircd --nofork --nopid --config "$dir/inspircd.conf" "${extra[@]}" >"$dir/server.log" 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  if ! wait_ready 20; then
    log "$name did not come up on 127.0.0.1:$PORT; its output:"
    tail -n 20 "$dir/server.log" >&2 || true
    stop_server
    return 1
  fi
  log "$name ready on 127.0.0.1:$PORT (pid $SERVER_PID)"
}

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# ---- Runs ----------------------------------------------------------------------

RUNS="$RESULTS/runs.tsv"
printf 'server\tscenario\tstatus\texit\targs\n' >"$RUNS"
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RUNS"; }

# Seconds a run may take: sending time, chat-bench's 5 s drain, then GRACE.
run_limit() {
  python3 - "$@" <<'EOF'
import os, sys
args = sys.argv[1:]
def opt(name, default):
    return float(args[args.index(name) + 1]) if name in args else default
grace = os.environ.get("GRACE")
clients = opt("--clients", 100)
extra = float(grace) if grace else 40 + clients / 10
print(int(opt("--duration", 10) + 5 + extra))
EOF
}

run_scenario() {
  local server=$1 scenario=$2 args limit rc status
  args="$(scenario_args "$scenario") --nick-prefix $(scenario_prefix "$scenario")"
  local out="$RESULTS/$server.$scenario"
  rm -f "$out.json"
  # shellcheck disable=SC2086
  limit=$(run_limit $args)
  log "$server / $scenario: chat-bench $args (at most ${limit}s)"
  set +e
  # shellcheck disable=SC2086
  # --server-pid: chat-bench reads the server's CPU time (and, for capacity,
  # its memory) from /proc, so that servers compare on cost per delivery too.
  timeout -k 5 "$limit" "$CHAT_BENCH" $args --port "$PORT" --server-pid "$SERVER_PID" --quiet --json "$out.json" \
    --latencies "$out.lat" >"$out.log" 2>&1
  rc=$?
  set -e
  case $rc in
    0) status=ok ;;
    2) status=lost ;;
    124 | 137) status=timeout ;;
    12[5-7]) status=failed ;;
    1[2-9][0-9]) status=killed ;; # a signal from outside this script
    *) status=failed ;;
  esac
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then status="$status,server-died"; fi
  record "$server" "$scenario" "$status" "$rc" "$args"
  log "$server / $scenario: $status (exit $rc)"
}

server_list=()
for s in $SERVERS; do
  case $s in
    ours) for t in $OURS_THREADS; do server_list+=("ours-t$t"); done ;;
    ngircd | inspircd | ceiling) server_list+=("$s") ;;
    *) die "unknown server '$s' (ours, ngircd, inspircd, ceiling)" ;;
  esac
done

{
  echo "scale=$SCALE"
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpus=$(nproc)"
  echo "ours=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
  command -v ngircd >/dev/null && echo "ngircd=$(ngircd --version 2>/dev/null | head -n 1)"
  command -v inspircd >/dev/null && echo "inspircd=$(inspircd --version 2>/dev/null | head -n 1)"
} >"$RESULTS/meta.txt"

log "results in $RESULTS"
for server in "${server_list[@]}"; do
  case $server in
    ngircd | inspircd)
      if ! command -v "$(peer_binary "$server")" >/dev/null; then
        for sc in $SCENARIOS; do record "$server" "$sc" not-installed "" ""; done
        continue
      fi
      ;;
  esac
  started=0
  for sc in $SCENARIOS; do
    # A server that died in the previous scenario is started again.
    if [ -z "$SERVER_PID" ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
      stop_server
      if ! start_server "$server"; then
        record "$server" "$sc" no-start "" ""
        continue
      fi
      started=1
    fi
    run_scenario "$server" "$sc"
    sleep 1 # the server lets the last scenario's clients go
  done
  stop_server
  if [ "$started" = 1 ]; then cp "$WORK/$server/server.log" "$RESULTS/$server.server.log" 2>/dev/null || true; fi
done

python3 "$ROOT/bench/compare_table.py" "$RESULTS" | tee "$RESULTS/table.txt"
if command -v gnuplot >/dev/null; then
  python3 "$ROOT/bench/plot_latency.py" "$RESULTS" || log "plotting failed"
else
  log "gnuplot is not installed: no latency plots (apt-get install gnuplot-nox)"
fi
