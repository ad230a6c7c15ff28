"""The chat-server binary as a user runs it: it starts with port 0, logs
where it listens, serves seed clients, and on SIGTERM or SIGINT tells its
clients, flushes, and exits 0.

usage: server_lifecycle.py CHAT_SERVER SIGNAL
"""
import signal
import socket
import sys

from server_process import DEADLINE, ServerProcess


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
    server = ServerProcess(binary)
    try:
        alice = socket.create_connection(("127.0.0.1", server.seed_port), timeout=DEADLINE)
        alice.sendall(frame("alice"))
        assert read_frame(alice) == "You have joined the chat!"
        bob = socket.create_connection(("127.0.0.1", server.seed_port), timeout=DEADLINE)
        bob.sendall(frame("bob"))
        assert read_frame(bob) == "You have joined the chat!"
        assert read_frame(alice) == "bob has joined the chat!"
        bob.sendall(frame("hello"))
        assert read_frame(alice) == "bob > hello"

        code = server.stop(getattr(signal, signame))
        assert read_frame(alice) == "Server is shutting down"
        assert read_frame(bob) == "Server is shutting down"
        assert code == 0, f"exit code {code}"
        assert server.saw("stopped"), "".join(server.log)
        print(f"ok: {signame} -> goodbye frames, exit 0")
    finally:
        server.kill()


if __name__ == "__main__":
    main()
