#!/usr/bin/env python3
"""CHATHISTORY LATEST <target> * 100 round trips against a running chat-server,
timed from the request to the end of its batch (loopback only).

  bench/history_latency.py PORT [--target '#channel-001'] [--queries 1000]

Prints p50, p99 and max in milliseconds. Python's own parsing is included,
so the figures are an upper bound on the server's."""
import argparse
import socket
import statistics
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--target", default="#channel-001")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--limit", type=int, default=100)
    a = ap.parse_args()
    s = socket.create_connection(("127.0.0.1", a.port), timeout=30)
    buf = b""

    def lines():
        nonlocal buf
        while True:
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                yield line
            chunk = s.recv(1 << 20)
            if not chunk:
                raise SystemExit("connection closed")
            buf += chunk

    it = lines()
    s.sendall(b"CAP REQ :batch server-time message-tags draft/chathistory\r\nNICK histbench\r\n"
              b"USER h 0 * :h\r\nCAP END\r\n" + f"JOIN {a.target}\r\n".encode())
    for line in it:
        if b" 366 " in line:
            break
    samples = []
    got = 0
    for _ in range(a.queries):
        t0 = time.perf_counter()
        s.sendall(f"CHATHISTORY LATEST {a.target} * {a.limit}\r\n".encode())
        got = 0
        for line in it:
            if b"BATCH -" in line:
                break
            if b"PRIVMSG" in line:
                got += 1
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    print(f"queries={len(samples)} lines_per_reply={got} p50_ms={statistics.median(samples):.2f} "
          f"p99_ms={samples[int(len(samples) * 0.99) - 1]:.2f} max_ms={samples[-1]:.2f}")


if __name__ == "__main__":
    main()
