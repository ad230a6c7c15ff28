"""Runs every chat-bench scenario briefly against a real chat-server: a smoke
test of the harness and the server under load, never a timing gate. A
scenario passes when chat-bench exits 0 (nothing lost or duplicated).
Given CHAT_CEILING, the yardstick server (bench/ceiling.cpp) takes the
fanout and private scenarios too, as bench/compare.sh runs it.

usage: bench_smoke.py CHAT_SERVER CHAT_BENCH [CHAT_CEILING]
"""
import re
import signal
import socket
import subprocess
import sys

from server_process import ServerProcess


def main():
    server_bin, bench_bin = sys.argv[1], sys.argv[2]
    # A load generator floods by design, all from one address.
    server = ServerProcess(server_bin, "--flood-rate", "0", "--max-connections-per-ip", "0", "--connect-rate", "0")
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
            cmd = [bench_bin, *args, "--quiet", "--nick-prefix", f"s{i}n"]
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            print(" ".join(args[:1] + args[1:3]), "->", out.returncode)
            print(out.stdout)
            if out.returncode != 0:
                print(out.stderr)
                sys.exit(f"chat-bench {' '.join(args)} failed with {out.returncode}")
        assert server.stop(signal.SIGTERM) == 0
    finally:
        server.kill()
    if len(sys.argv) > 3:
        smoke_ceiling(sys.argv[3], bench_bin)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
