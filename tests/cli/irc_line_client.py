"""A minimal IRC client over a socket, for the CLI tests (loopback only).
Only the standard library."""
import socket

from server_process import DEADLINE


class Irc:
    """A minimal IRC client over a socket."""

    def __init__(self, port, nick):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        self.buf = b""
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick}")

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def expect(self, text):
        seen = []
        while True:
            line = self.line()
            seen.append(line)
            if text in line:
                return line
            if len(seen) > 300:
                raise AssertionError(f"no {text!r} in {seen}")

    def motd(self):
        """The MOTD lines up to 376 (or 422)."""
        lines = []
        while True:
            line = self.line()
            if " 372 " in line:
                lines.append(line.split(" :- ", 1)[1])
            if " 376 " in line or " 422 " in line:
                return lines
