#!/usr/bin/env bash
# Same-sitting A/B of two builds of our server: runs each scenario against
# server A and server B in turn (A B A B ...), REPS times, with one chat-bench,
# and prints the median of each figure per build and the median of the B/A
# ratios taken pair by pair, so that the comparison holds while the machine's
# speed drifts. Flood control and per-address limits are off for both, as in
# bench/compare.sh. Loopback only.
#
#   bench/ab.sh OLD/chat-server NEW/chat-server           # fanout, private, capacity
#   REPS=5 SCENARIOS="fanout" bench/ab.sh A B
#
# Environment (all optional):
#   SCENARIOS   subset of "fanout private capacity joinstorm light latency" (default: the first three)
#   REPS        pairs per scenario (default 3)
#   THREADS     --threads of both servers (default 1)
#   SCALE       quick or full, as in compare.sh (default full)
#   CHAT_BENCH  the load generator (default build/release/bench/chat-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

[ $# -eq 2 ] || { echo "usage: bench/ab.sh SERVER_A SERVER_B" >&2; exit 2; }
A=$(realpath "$1")
B=$(realpath "$2")
SCENARIOS=${SCENARIOS:-fanout private capacity}
REPS=${REPS:-3}
THREADS=${THREADS:-1}
SCALE=${SCALE:-full}
OUT=${OUT:-$ROOT/build/ab/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"

for rep in $(seq 1 "$REPS"); do
  for side in A B; do
    bin=$A
    [ $side = B ] && bin=$B
    # compare.sh runs one server alone per scenario and writes its JSON.
    CHAT_SERVER=$bin SERVERS=ours OURS_THREADS=$THREADS SCALE=$SCALE SCENARIOS=$SCENARIOS NO_INSTALL=1 \
      RESULTS="$OUT/$side-$rep" bash bench/compare.sh >"$OUT/$side-$rep.log" 2>&1 ||
      echo "ab.sh: run $side-$rep failed (see $OUT/$side-$rep.log)" >&2
  done
done

python3 - "$OUT" "$REPS" "$THREADS" "$SCENARIOS" <<'PY'
import json, os, statistics, sys
out, reps, threads, scenarios = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split()
figures = {
    "fanout": [("deliveries/s", lambda j: j["deliveries_per_s"]), ("p99 ms", lambda j: j["latency_ms"]["p99"]),
               ("server CPU us/delivery", lambda j: j.get("server_cpu_us_per_delivery"))],
    "private": [("messages/s", lambda j: j["deliveries_per_s"]), ("p99 ms", lambda j: j["latency_ms"]["p99"]),
                ("server CPU us/message", lambda j: j.get("server_cpu_us_per_delivery"))],
    "light": [("p50 ms", lambda j: j["latency_ms"]["p50"]), ("p99 ms", lambda j: j["latency_ms"]["p99"])],
    "latency": [("p50 ms", lambda j: j["latency_ms"]["p50"]), ("p99 ms", lambda j: j["latency_ms"]["p99"])],
    "capacity": [("seconds to all joined", lambda j: j["seconds"]),
                 ("bytes per connection", lambda j: j["bytes_per_connection"])],
    "joinstorm": [("seconds to all joined", lambda j: j["seconds"]),
                  ("server CPU s", lambda j: j.get("server_cpu_seconds")),
                  ("bytes per connection", lambda j: j["bytes_per_connection"])],
}
def load(side, rep, scenario):
    p = os.path.join(out, f"{side}-{rep}", f"ours-t{threads}.{scenario}.json")
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
print(f"A/B, {reps} pairs each, --threads {threads}; results in {out}")
print(f"| scenario | figure | A median | B median | B/A median of pairs |")
print(f"|---|---|---|---|---|")
for s in scenarios:
    for name, get in figures.get(s, []):
        a, b, r = [], [], []
        for rep in range(1, reps + 1):
            ja, jb = load("A", rep, s), load("B", rep, s)
            va = get(ja) if ja else None
            vb = get(jb) if jb else None
            if va is not None: a.append(va)
            if vb is not None: b.append(vb)
            if va and vb: r.append(vb / va)
        fmt = lambda xs: f"{statistics.median(xs):,.3f}" if xs else "-"
        print(f"| {s} | {name} | {fmt(a)} | {fmt(b)} | {fmt(r)} |")
PY
