"""Drives chat-client binaries through pipes, and fakes servers, for the tests."""
import os
import queue
import socket
import subprocess
import threading
import time

DEADLINE = 20.0  # seconds for each wait; generous for a loaded machine


def free_port():
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """chat-client with its stdin and stdout on pipes (plain line mode)."""

    def __init__(self, binary, *args, env=None):
        full_env = dict(os.environ)
        full_env.pop("NO_COLOR", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [binary, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
        )
        self.raw = bytearray()  # every byte written to stdout
        self.lines = queue.Queue()
        self.seen = []  # lines consumed by expect, for error messages
        self.err = bytearray()
        self._readers = [threading.Thread(target=self._read, daemon=True),
                         threading.Thread(target=self._read_err, daemon=True)]
        for t in self._readers:
            t.start()

    def _read(self):
        pending = b""
        while True:
            chunk = self.proc.stdout.read1(65536)
            if not chunk:
                break
            self.raw += chunk
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for line in complete:
                self.lines.put(line.decode("utf-8", "replace"))
        if pending:
            self.lines.put(pending.decode("utf-8", "replace"))
        self.lines.put(None)

    def _read_err(self):
        for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):
            self.err += chunk

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def close_input(self):
        self.proc.stdin.close()

    def expect(self, text, timeout=DEADLINE):
        """The first output line (after those already consumed) containing `text`."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                self.lines.put(None)
                break
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(
            f"no line containing {text!r}; lines so far:\n  " + "\n  ".join(self.seen[-40:])
            + "\nstderr: " + self.err.decode("utf-8", "replace")
        )

    def quiet_for(self, seconds, text):
        """True if no line containing `text` arrives within `seconds`."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                return True
            if line is None:
                self.lines.put(None)
                return True
            self.seen.append(line)
            if text in line:
                return False
        return True

    def wait(self, timeout=DEADLINE):
        """The exit status, once the process has exited and its output is all
        read (the readers drain the pipes after the exit: without the join, a
        loaded machine showed an empty `err`)."""
        status = self.proc.wait(timeout=timeout)
        for t in self._readers:
            t.join(timeout)
        return status

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class FakeServer:
    """A one-connection TCP server on 127.0.0.1 that the test scripts by hand."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.conn = None
        self.buffer = b""

    def accept(self):
        self.listener.settimeout(DEADLINE)
        self.conn, _ = self.listener.accept()
        self.conn.settimeout(DEADLINE)

    def send(self, data):
        self.conn.sendall(data)

    def read_line(self):
        while b"\n" not in self.buffer:
            chunk = self.conn.recv(4096)
            if not chunk:
                raise AssertionError("the client closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.rstrip(b"\r").decode()

    def read_until(self, prefix):
        while True:
            line = self.read_line()
            if line.startswith(prefix):
                return line

    def close(self):
        if self.conn:
            self.conn.close()
        self.listener.close()


def run_named_test(namespace, name, server):
    """Runs test_<name> from `namespace` against `server`, then stops the server."""
    try:
        namespace["test_" + name](server)
    finally:
        server.kill()
    print(f"ok: {name}")
