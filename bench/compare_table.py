#!/usr/bin/env python3
"""Prints bench/compare.sh's table from a results directory (standard library only).

    python3 bench/compare_table.py build/compare/<run>

Reads runs.tsv (one line per server and scenario: status, exit code,
chat-bench arguments) and <server>.<scenario>.json (chat-bench --json).
For each of our rows, the ratios compare with the better peer per column:
deliveries/s divided by the peers' highest (above 1: ours delivers more),
latency divided by the peers' lowest (below 1: ours is faster). Only peer
runs that lost nothing count as "better peer"; with none, the ratio is "-".
"""

import csv
import json
import os
import sys

SCENARIO_ORDER = ["light", "fanout", "latency", "private", "capacity", "joinstorm"]
PEERS = ("ngircd", "inspircd")


def load(results):
    runs = []
    with open(os.path.join(results, "runs.tsv"), newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            path = os.path.join(results, f"{row['server']}.{row['scenario']}.json")
            row["json"] = None
            if os.path.exists(path):
                try:
                    with open(path) as j:
                        row["json"] = json.load(j)
                except (OSError, ValueError):
                    pass
            row["why"] = last_error(os.path.join(results, f"{row['server']}.{row['scenario']}.log"))
            runs.append(row)
    return runs


def last_error(path):
    """The last line chat-bench printed about an error, if any."""
    try:
        with open(path, errors="replace") as f:
            lines = [l.strip() for l in f.read().replace("\r", "\n").split("\n") if l.strip()]
    except OSError:
        return ""
    for line in reversed(lines):
        if line.startswith("chat-bench:"):
            return line[len("chat-bench:"):].strip()
    return ""


def describe(row):
    """What the status column says about a run."""
    status, j = row["status"], row["json"]
    parts = []
    if status.startswith("ok"):
        parts.append("ok")
    elif status.startswith("lost") and j:
        bits = []
        if j.get("lost"):
            bits.append(f"lost {j['lost']:,}")
        if j.get("duplicates"):
            bits.append(f"dup {j['duplicates']:,}")
        parts.append(", ".join(bits) or "lost")
    elif status.startswith("timeout"):
        parts.append("TIMEOUT (no result)")
    elif status.startswith("failed"):
        parts.append(f"FAILED (exit {row['exit']})" + (f": {row['why']}" if row["why"] else ""))
    elif status.startswith("killed"):
        sig = int(row["exit"]) - 128 if row["exit"].isdigit() else 0
        parts.append(f"KILLED by signal {sig} from outside the script")
    elif status == "no-start":
        parts.append("server did not start")
    elif status == "not-installed":
        parts.append("not installed")
    else:
        parts.append(status)
    if j and j.get("out_of_order"):
        parts.append(f"{j['out_of_order']:,} out of order")
    if "server-died" in status:
        parts.append("SERVER DIED")
    return "; ".join(parts)


def clean(row):
    return row["status"] == "ok" and row["json"] is not None


def fmt_num(v, digits=0):
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def ratio(v, best):
    if v is None or best is None or best == 0:
        return "-"
    return f"{v / best:.2f}x"


def cpu_per_delivery(j):
    """The server's CPU microseconds per delivery, or None when not measured."""
    v = j.get("server_cpu_us_per_delivery") if j else None
    return v if v is not None and v >= 0 else None


def scenario_title(rows):
    for r in rows:
        if r["args"]:
            return r["args"].split(" --nick-prefix")[0]
    return ""


def server_cpu_seconds(j):
    """The server's CPU seconds over a capacity run, or None when not measured."""
    v = j.get("server_cpu_seconds") if j else None
    return v if v is not None and v >= 0 else None


def print_capacity(rows, scenario):
    """Idle clients (capacity, joinstorm): seconds to connect, register and join all, the server's
    CPU seconds meanwhile, and server memory per connection."""
    print()
    print(f"{scenario}: chat-bench {scenario_title(rows)}")
    header = (f"{'scenario':<9} {'server':<9} {'seconds':>9} {'cpu s':>7} {'bytes/conn':>11} {'xseconds':>9} "
              f"{'xcpu':>7} {'xbytes':>7}  status")
    print(header)
    print("-" * len(header))
    peers = [r for r in rows if r["server"] in PEERS and clean(r)]
    best_s = min((r["json"]["seconds"] for r in peers), default=None)
    best_c = min((server_cpu_seconds(r["json"]) for r in peers if server_cpu_seconds(r["json"]) is not None),
                 default=None)
    best_b = min((r["json"]["bytes_per_connection"] for r in peers if r["json"]["bytes_per_connection"] > 0),
                 default=None)
    for r in rows:
        j = r["json"]
        secs = j["seconds"] if j else None
        cpu = server_cpu_seconds(j)
        per = j["bytes_per_connection"] if j else None
        cmp = ["", "", ""]
        if r["server"].startswith("ours") and j:
            cmp = [ratio(secs, best_s), ratio(cpu, best_c), ratio(per, best_b)]
        print(f"{'':<9} {r['server']:<9} {fmt_num(secs, 2):>9} {fmt_num(cpu, 2):>7} {fmt_num(per):>11} "
              f"{cmp[0]:>9} {cmp[1]:>7} {cmp[2]:>7}  {describe(r)}")
    print(f"{'':<9} (below 1x is better for all three)")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    results = sys.argv[1]
    runs = load(results)
    meta = {}
    try:
        with open(os.path.join(results, "meta.txt")) as f:
            meta = dict(l.rstrip("\n").split("=", 1) for l in f if "=" in l)
    except OSError:
        pass

    scenarios = [s for s in SCENARIO_ORDER if any(r["scenario"] == s for r in runs)]
    scenarios += sorted({r["scenario"] for r in runs} - set(scenarios))

    print()
    print(f"chat-bench comparison, SCALE={meta.get('scale', '?')}, {meta.get('cpus', '?')} CPUs, "
          f"{meta.get('date', '')}")
    for key in ("ours", "ngircd", "inspircd"):
        if key in meta:
            print(f"  {key}: {meta[key]}")
    print("  deliveries/s: chat messages received per second, over all receivers; in the open-loop")
    print("    scenarios (light, latency) it follows the offered load, so only latency tells them apart")
    print("  x...: ours divided by the better peer's value (highest deliveries/s, lowest p50, lowest p99)")
    print("    among the peer runs that lost nothing: above 1x is better for deliveries/s, below 1x for latency")
    if any(r["server"] == "ceiling" for r in runs):
        print("  ceiling: bench/ceiling.cpp, the least server chat-bench can measure (a yardstick, not a peer:")
        print("    it is in no ratio)")
    print("  cpu us: the server's CPU time (user + system, all threads) per delivery while sending; when")
    print("    the load generator is the limit, deliveries/s ties and this column still tells servers apart")
    header = (f"{'scenario':<9} {'server':<9} {'deliveries/s':>13} {'p50 ms':>9} {'p99 ms':>9} "
              f"{'lost':>8} {'cpu us':>7} {'xdeliv/s':>9} {'xp50':>7} {'xp99':>7} {'xcpu':>7}  status")
    for sc in scenarios:
        rows = [r for r in runs if r["scenario"] == sc]
        if sc in ("capacity", "joinstorm"):
            print_capacity(rows, sc)
            continue
        print()
        print(f"{sc}: chat-bench {scenario_title(rows)}")
        print(header)
        print("-" * len(header))
        peers = [r for r in rows if r["server"] in PEERS and clean(r)]
        best_rate = max((r["json"]["deliveries_per_s"] for r in peers), default=None)
        best_p50 = min((r["json"]["latency_ms"]["p50"] for r in peers), default=None)
        best_p99 = min((r["json"]["latency_ms"]["p99"] for r in peers), default=None)
        best_cpu = min((cpu_per_delivery(r["json"]) for r in peers if cpu_per_delivery(r["json"]) is not None),
                       default=None)
        for r in rows:
            j = r["json"]
            rate = j["deliveries_per_s"] if j else None
            p50 = j["latency_ms"]["p50"] if j else None
            p99 = j["latency_ms"]["p99"] if j else None
            lost = j["lost"] if j else None
            cpu = cpu_per_delivery(j)
            cmp = ["", "", "", ""]
            if r["server"].startswith("ours") and j:
                cmp = [ratio(rate, best_rate), ratio(p50, best_p50), ratio(p99, best_p99), ratio(cpu, best_cpu)]
            print(f"{'':<9} {r['server']:<9} {fmt_num(rate):>13} {fmt_num(p50, 3):>9} {fmt_num(p99, 3):>9} "
                  f"{fmt_num(lost):>8} {fmt_num(cpu, 3):>7} {cmp[0]:>9} {cmp[1]:>7} {cmp[2]:>7} {cmp[3]:>7}  "
                  f"{describe(r)}")
        names = []
        for label, best, key in (("deliveries/s", best_rate, lambda j: j["deliveries_per_s"]),
                                 ("p50", best_p50, lambda j: j["latency_ms"]["p50"]),
                                 ("p99", best_p99, lambda j: j["latency_ms"]["p99"]),
                                 ("cpu", best_cpu, cpu_per_delivery)):
            who = [r["server"] for r in peers if best is not None and key(r["json"]) == best]
            names.append(f"{label} {who[0] if who else '-'}")
        print(f"{'':<9} better peer: {', '.join(names)}")
    print()
    print(f"JSON summaries, chat-bench and server logs: {os.path.abspath(results)}")


if __name__ == "__main__":
    main()
