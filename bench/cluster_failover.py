"""What users of a cluster see when a node dies (#16): the time from a
SIGKILL of one node to the QUITs of its users on another node, which come
when the dead node's lease lapses. Not the time for the dead node's users
to reconnect elsewhere: chat-bench does not reconnect.

Each run starts a fresh redis-server and two nodes on free ports of
127.0.0.1, puts USERS clients on node A and one watcher on node B in one
channel, kills A and waits at most 15 s for every QUIT.

usage: cluster_failover.py CHAT_SERVER [RUNS] [USERS]
"""
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SERVER = sys.argv[1]
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
USERS = int(sys.argv[3]) if len(sys.argv) > 3 else 100
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "cli"))
from server_process import ServerProcess  # noqa: E402

UNTHROTTLED = ("--flood-rate", "0", "--max-connections-per-ip", "0", "--connect-rate", "0")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Irc:
    """A bare IRC client: registers and joins, then reads lines."""

    def __init__(self, port, nick, room):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.buf = b""
        self.sock.sendall(f"NICK {nick}\r\nUSER {nick} 0 * :failover\r\n".encode())
        self.until(lambda line: " 376 " in line or " 422 " in line)
        self.sock.sendall(f"JOIN {room}\r\n".encode())
        self.until(lambda line: " 366 " in line)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        text = line.decode(errors="replace")
        if text.startswith("PING"):
            self.sock.sendall(("PONG" + text[4:] + "\r\n").encode())
        return text

    def until(self, done):
        while True:
            line = self.line()
            if done(line):
                return line


def one_run(i):
    redis_dir = tempfile.mkdtemp(prefix="chat-failover-redis-")
    port = free_port()
    redis = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", redis_dir],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nodes = []
    try:
        url = f"redis://127.0.0.1:{port}"
        for name in ("a", "b"):
            nodes.append(ServerProcess(SERVER, "--no-store", "--cluster", url, "--node-name", name, *UNTHROTTLED))
            assert nodes[-1].saw("Redis connected")
        watcher = Irc(nodes[1].irc_port, f"w{i}", "#fail")
        users = [Irc(nodes[0].irc_port, f"u{i}x{k}", "#fail") for k in range(USERS)]
        # Every user's JOIN has reached the watcher's node.
        seen = 0
        while seen < USERS:
            if " JOIN " in watcher.line():
                seen += 1
        t0 = time.monotonic()
        nodes[0].proc.send_signal(signal.SIGKILL)
        quits = []
        watcher.sock.settimeout(15)
        while len(quits) < USERS and time.monotonic() - t0 < 15:
            line = watcher.line()
            if " QUIT " in line:
                quits.append(time.monotonic() - t0)
        for u in users:
            u.sock.close()
        watcher.sock.close()
        return quits
    finally:
        for n in nodes:
            n.kill()
        redis.kill()
        redis.wait()
        shutil.rmtree(redis_dir, ignore_errors=True)


def main():
    firsts, lasts = [], []
    for i in range(RUNS):
        quits = one_run(i)
        if len(quits) < USERS:
            sys.exit(f"run {i}: only {len(quits)} of {USERS} QUITs within 15 s")
        firsts.append(quits[0])
        lasts.append(quits[-1])
        print(f"run {i}: first QUIT {quits[0]:.3f} s, last {quits[-1]:.3f} s after SIGKILL ({USERS} users)")
    print(f"median: first {statistics.median(firsts):.3f} s, last {statistics.median(lasts):.3f} s; "
          f"range {min(firsts):.3f} to {max(lasts):.3f} s")


if __name__ == "__main__":
    main()
