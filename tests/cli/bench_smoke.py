"""Runs every chat-bench scenario briefly against a real chat-server: a smoke
test of the harness and the server under load, never a timing gate. A
scenario passes when chat-bench exits 0 (nothing lost or duplicated).
Given CHAT_CEILING, the yardstick server (bench/ceiling.cpp) takes the
fanout and private scenarios too, as bench/compare.sh runs it.
With --cluster, the scenarios that spread clients over several servers
run instead, against two nodes over a real redis-server: every message
crosses from one node to the other.

usage: bench_smoke.py CHAT_SERVER CHAT_BENCH [CHAT_CEILING]
       bench_smoke.py --cluster CHAT_SERVER CHAT_BENCH
"""
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

from server_process import ServerProcess


# A load generator floods by design, all from one address.
UNTHROTTLED = ("--flood-rate", "0", "--max-connections-per-ip", "0", "--connect-rate", "0")


def run_bench(bench_bin, args, prefix):
    """Runs one chat-bench scenario; fails the test unless it exits 0."""
    cmd = [bench_bin, *args, "--quiet", "--nick-prefix", prefix]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    print(" ".join(args[:1] + args[1:3]), "->", out.returncode)
    print(out.stdout)
    if out.returncode != 0:
        print(out.stderr)
        sys.exit(f"chat-bench {' '.join(args)} failed with {out.returncode}")
    return out.stdout


def main():
    if sys.argv[1] == "--cluster":
        smoke_cluster(sys.argv[2], sys.argv[3])
        return
    server_bin, bench_bin = sys.argv[1], sys.argv[2]
    server = ServerProcess(server_bin, *UNTHROTTLED)
    try:
        runs = [
            ["fanout", "--port", str(server.irc_port), "--clients", "50", "--senders", "5", "--duration", "1"],
            ["latency", "--port", str(server.irc_port), "--clients", "50", "--rate", "200", "--duration", "1"],
            ["private", "--port", str(server.irc_port), "--clients", "40", "--duration", "1"],
            ["fanout", "--ws", "--port", str(server.http_port), "--clients", "30", "--senders", "3", "--duration", "1"],
            ["fanout", "--protocol", "seed", "--port", str(server.seed_port), "--clients", "30", "--duration", "1"],
            ["seed", "--protocol", "seed", "--port", str(server.seed_port), "--clients", "10", "--messages", "5",
             "--stagger", "0"],
        ]
        for i, args in enumerate(runs):
            run_bench(bench_bin, args, f"s{i}n")
        assert server.stop(signal.SIGTERM) == 0
    finally:
        server.kill()
    if len(sys.argv) > 3:
        smoke_ceiling(sys.argv[3], bench_bin)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smoke_cluster(server_bin, bench_bin):
    """Two nodes over one redis-server; clients alternate between them."""
    redis_bin = shutil.which("redis-server") or "/usr/bin/redis-server"
    redis_dir = tempfile.mkdtemp(prefix="chat-test-redis-")
    redis_port = free_port()
    redis = subprocess.Popen(
        [redis_bin, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", redis_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nodes = []
    try:
        url = f"redis://127.0.0.1:{redis_port}"
        for name in ("east", "west"):
            nodes.append(ServerProcess(server_bin, "--no-store", "--cluster", url, "--node-name", name,
                                       "--server-name", f"{name}.test", *UNTHROTTLED))
        for n in nodes:
            assert n.saw("Redis connected"), "".join(n.log)
        irc = f"{nodes[0].irc_port},{nodes[1].irc_port}"
        pids = f"{nodes[0].proc.pid},{nodes[1].proc.pid}"
        runs = [
            ["fanout", "--port", irc, "--clients", "40", "--senders", "4", "--duration", "1", "--server-pid", pids],
            ["latency", "--port", irc, "--clients", "40", "--rate", "100", "--duration", "1"],
            # Repeated --port is the same as a list; partners are on different nodes.
            ["private", "--port", str(nodes[0].irc_port), "--port", str(nodes[1].irc_port), "--clients", "20",
             "--duration", "1"],
            ["seed", "--protocol", "seed", "--port", f"{nodes[0].seed_port},{nodes[1].seed_port}", "--clients",
             "6", "--messages", "5", "--stagger", "0"],
        ]
        for i, args in enumerate(runs):
            out = run_bench(bench_bin, args, f"k{i}n")
            assert "over 2 servers" in out, out
            delivered = re.search(r"delivered\s+(\d+)", out)
            assert delivered and int(delivered.group(1)) > 0, out
        for n in nodes:
            assert n.stop(signal.SIGTERM) == 0
    finally:
        for n in nodes:
            n.kill()
        redis.kill()
        redis.wait()
        shutil.rmtree(redis_dir, ignore_errors=True)


def smoke_ceiling(ceiling_bin, bench_bin):
    port = free_port()
    ceiling = subprocess.Popen([ceiling_bin, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert ceiling.stdout.readline().startswith(f"chat-ceiling listening on 127.0.0.1:{port}")
        for i, args in enumerate([["fanout", "--clients", "50", "--senders", "5"], ["private", "--clients", "40"]]):
            cmd = [bench_bin, *args, "--port", str(port), "--duration", "1", "--quiet", "--nick-prefix", f"c{i}n"]
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            print("ceiling", args[0], "->", out.returncode)
            print(out.stdout)
            if out.returncode != 0:
                print(out.stderr)
                sys.exit(f"chat-bench {' '.join(args)} against chat-ceiling failed with {out.returncode}")
            delivered = re.search(r"delivered\s+(\d+)", out.stdout)
            assert delivered and int(delivered.group(1)) > 0, out.stdout
        assert ceiling.poll() is None, "chat-ceiling exited during the runs"
    finally:
        ceiling.kill()
        ceiling.wait()


if __name__ == "__main__":
    main()
