"""Starts chat-server on free ports for a test and reads where it listens."""
import re
import shutil
import subprocess
import tempfile
import threading
import time

DEADLINE = 20.0  # seconds for each wait; generous for a loaded machine


class ServerProcess:
    """chat-server on 127.0.0.1 with both listeners on ports the kernel picks.

    Its stderr is read on a thread (so the pipe never fills) and kept in
    `log`; `seed_port` and `irc_port` come from its listening lines.
    """

    def __init__(self, binary, *extra, preexec_fn=None):
        # A store of its own in a fresh directory, as a user's server has,
        # unless the test names one (a restart) or runs without (--no-store).
        self.own_data_dir = None
        if not any(a == "--no-store" or a.startswith("--data-dir") for a in extra):
            self.own_data_dir = tempfile.mkdtemp(prefix="chat-test-data-")
            extra = ("--data-dir", self.own_data_dir, *extra)
        self.proc = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", "0", "--irc-port", "0", "--http-port", "0", "--https-port", "0",
             "--metrics-port", "0", "--threads", "2", *extra],
            preexec_fn=preexec_fn,  # e.g. a lower open-file limit for the server alone
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",  # the log quotes clients; a stray byte must not stop the reader
        )
        self.log = []
        self.ports = {}
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(DEADLINE):
            self.kill()
            raise AssertionError("no listening lines in the log:\n" + "".join(self.log))
        self.seed_port = self.ports.get("seed-compatible")
        self.irc_port = self.ports.get("IRC")
        self.http_port = self.ports.get("HTTP")
        self.metrics_port = self.ports.get("metrics")

    def _read(self):
        for line in self.proc.stderr:
            self.log.append(line)
            m = re.search(r"(seed-compatible|IRC|HTTPS|HTTP|metrics) listener on 127\.0\.0\.1:(\d+)", line)
            if m:
                self.ports[m.group(1)] = int(m.group(2))
            if "running on" in line:  # every listener is open
                self._ready.set()

    def stop(self, sig):
        """Sends `sig` and returns the exit code; a server that does not exit
        in time fails the test with its log, which says how far it got."""
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=DEADLINE)
            self.remove_data()
            return code
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {DEADLINE} s after signal {sig}; its log:\n" + "".join(self.log))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.remove_data()

    def remove_data(self):
        """Removes the data directory made for this server (not one the test named)."""
        if self.own_data_dir and self.proc.poll() is not None:
            shutil.rmtree(self.own_data_dir, ignore_errors=True)
            self.own_data_dir = None

    def saw(self, text, timeout=DEADLINE):
        """True once `text` appears in the log."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(text in line for line in self.log):
                return True
            time.sleep(0.02)
        return False
