"""The chat-server binary as a user runs it: it starts with --port 0, logs
where it listens, serves a seed client, and on SIGTERM or SIGINT tells its
clients, flushes, and exits 0.

usage: server_lifecycle.py CHAT_SERVER SIGNAL
"""
import re
import signal
import socket
import subprocess
import sys
import time

DEADLINE = 20.0  # seconds for each wait; generous for a loaded machine


def frame(text):
    data = text.encode()
    return f"{len(data):<10}".encode() + data


def read_frame(sock):
    def exactly(n):
        out = b""
        while len(out) < n:
            chunk = sock.recv(n - len(out))
            if not chunk:
                raise EOFError("connection closed")
            out += chunk
        return out

    return exactly(int(exactly(10).strip())).decode()


def main():
    binary, signame = sys.argv[1], sys.argv[2]
    server = subprocess.Popen(
        [binary, "--host", "127.0.0.1", "--port", "0", "--irc-port", "0", "--threads", "2"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = None
        start = time.monotonic()
        log = []
        while port is None and time.monotonic() - start < DEADLINE:
            line = server.stderr.readline()
            if not line:
                break
            log.append(line)
            m = re.search(r"seed-compatible listener on 127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
        assert port, "no listening line in the log:\n" + "".join(log)

        alice = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        alice.sendall(frame("alice"))
        assert read_frame(alice) == "You have joined the chat!"
        bob = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        bob.sendall(frame("bob"))
        assert read_frame(bob) == "You have joined the chat!"
        assert read_frame(alice) == "bob has joined the chat!"
        bob.sendall(frame("hello"))
        assert read_frame(alice) == "bob > hello"

        server.send_signal(getattr(signal, signame))
        assert read_frame(alice) == "Server is shutting down"
        assert read_frame(bob) == "Server is shutting down"
        code = server.wait(timeout=DEADLINE)
        assert code == 0, f"exit code {code}"
        rest = server.stderr.read()
        assert "stopped" in rest, rest
        print(f"ok: {signame} -> goodbye frames, exit 0")
    finally:
        if server.poll() is None:
            server.kill()


if __name__ == "__main__":
    main()
