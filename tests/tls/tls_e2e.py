"""TLS end to end: both listeners, the client's verification, reload, and
openssl s_client (a TLS client nobody here wrote).

Usage: tls_e2e.py CHAT_SERVER CHAT_CLIENT TEST_NAME
A throwaway CA and certificates are made with the openssl command for each run.
"""
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
sys.path.insert(0, os.path.join(HERE, "..", "client"))
from driver import Client  # noqa: E402
from server_process import DEADLINE, ServerProcess  # noqa: E402

SERVER, CLIENT = sys.argv[1], sys.argv[2]


def openssl(*args, **kw):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=DEADLINE, **kw)


class Pki:
    """A CA, and certificates it signs, in a temporary directory."""

    def __init__(self, d):
        self.d = d
        self.ca = os.path.join(d, "ca.pem")
        self.ca_key = os.path.join(d, "ca.key")
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.ca_key, "-out", self.ca,
                "-days", "2", "-subj", "/CN=chat test CA")

    def issue(self, name, san="DNS:localhost,IP:127.0.0.1"):
        key, csr, cert = (os.path.join(self.d, name + ext) for ext in (".key", ".csr", ".pem"))
        ext = os.path.join(self.d, name + ".ext")
        with open(ext, "w") as f:
            f.write(f"subjectAltName={san}\n")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={name}")
        openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key, "-CAcreateserial", "-out",
                cert, "-days", "2", "-extfile", ext)
        return cert, key


def start(cert, key, *extra):
    server = ServerProcess(SERVER, "--tls-cert", cert, "--tls-key", key, "--irc-tls-port", "0",
                           "--seed-tls-port", "0", *extra)
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        text = "".join(server.log)
        irc = re.search(r"IRC over TLS listener on 127\.0\.0\.1:(\d+)", text)
        seed = re.search(r"seed-compatible over TLS listener on 127\.0\.0\.1:(\d+)", text)
        if irc and seed:
            server.irc_tls_port, server.seed_tls_port = int(irc.group(1)), int(seed.group(1))
            return server
        time.sleep(0.02)
    server.kill()
    raise AssertionError("no TLS listeners in the log:\n" + "".join(server.log))


def tls_context(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


class Conn:
    """Lines or frames over a plain or TLS socket."""

    def __init__(self, port, ctx=None, server_hostname="localhost"):
        raw = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        self.sock = ctx.wrap_socket(raw, server_hostname=server_hostname) if ctx else raw
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("closed")
            self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill(len(self.buf) + 1)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def expect(self, text):
        for _ in range(500):
            line = self.line()
            if text in line:
                return line
        raise AssertionError(text)

    def frame(self):
        self._fill(10)
        n = int(self.buf[:10])
        self._fill(10 + n)
        payload, self.buf = self.buf[10:10 + n], self.buf[10 + n:]
        return payload.decode()


def frame(text):
    data = text.encode()
    return str(len(data)).ljust(10).encode() + data


def irc_register(conn, nick):
    conn.send(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\nJOIN #lobby\r\n".encode())
    conn.expect(" 366 ")


def test_both_listeners(pki):
    cert, key = pki.issue("server")
    server = start(cert, key)
    try:
        ctx = tls_context(pki.ca)
        ann = Conn(server.irc_tls_port, ctx)
        irc_register(ann, "ann")
        assert ann.sock.version() in ("TLSv1.2", "TLSv1.3"), ann.sock.version()
        sam = Conn(server.seed_tls_port, ctx)
        sam.send(frame("sam"))
        assert sam.frame() == "You have joined the chat!"
        plain = Conn(server.seed_port)
        plain.send(frame("pat"))
        assert plain.frame() == "You have joined the chat!"
        ann.expect("JOIN #lobby")
        # TLS IRC -> plain and TLS seed; TLS seed -> TLS IRC and plain seed.
        ann.send(b"PRIVMSG #lobby :secret over tls\r\n")
        for c in (sam, plain):
            got = c.frame()
            while got.endswith("has joined the chat!"):
                got = c.frame()
            assert got == "ann > secret over tls", got
        sam.send(frame("!msg ann a private word"))
        assert ann.expect("PRIVMSG ann").endswith("PRIVMSG ann :a private word")
        sam.send(frame("to everyone"))
        assert ann.expect("PRIVMSG #lobby").endswith(":to everyone")
        assert plain.frame() == "sam > to everyone"
        # A clean end: QUIT gets ERROR, then close_notify and EOF.
        ann.send(b"QUIT :done\r\n")
        assert "Quit: done" in ann.expect("ERROR")
        assert ann.sock.recv(100) == b""

        # Only TLS 1.2 and later: an old protocol is refused by the server.
        old = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{server.irc_tls_port}", "-tls1_1", "-cipher",
             "DEFAULT@SECLEVEL=0"], input=b"", capture_output=True, timeout=DEADLINE)
        assert old.returncode != 0 and b"protocol version" in old.stdout + old.stderr, old
    finally:
        server.kill()


def test_client_verifies(pki):
    cert, key = pki.issue("server")
    wrong_cert, wrong_key = pki.issue("elsewhere", san="DNS:elsewhere.example")
    server = start(cert, key)
    wrong = start(wrong_cert, wrong_key)
    try:
        port = str(server.irc_tls_port)
        good = Client(CLIENT, "--tls", "--tls-ca", pki.ca, "--port", port, "--nick", "ok")
        good.expect("You have joined #lobby")
        good.send("over tls")
        good.expect("ok > over tls")
        good.send("!logout")
        assert good.wait() == 0

        # Not trusted: the system's CAs do not know our private CA.
        c = Client(CLIENT, "--tls", "--port", port, "--nick", "x")
        assert c.wait() != 0
        err = c.err.decode()
        assert err.count("\n") == 1 and "not trusted" in err, err

        # Trusted, but for another name.
        c = Client(CLIENT, "--tls", "--tls-ca", pki.ca, "--port", str(wrong.irc_tls_port), "--nick", "x")
        assert c.wait() != 0
        err = c.err.decode()
        assert err.count("\n") == 1 and "not for 127.0.0.1" in err, err

        # --insecure connects anyway, and says what that means.
        c = Client(CLIENT, "--tls", "--insecure", "--port", str(wrong.irc_tls_port), "--nick", "brave")
        c.expect("You have joined #lobby")
        c.send("!logout")
        assert c.wait() == 0
        assert "warning: --insecure" in c.err.decode()

        # --seed --tls.
        s = Client(CLIENT, "--seed", "--tls", "--tls-ca", pki.ca, "--port", str(server.seed_tls_port), "--nick",
                   "seedtls")
        s.expect("You have joined the chat!")
        s.send("!logout")
        assert s.wait() == 0
    finally:
        server.kill()
        wrong.kill()


def peer_serial(port, ca):
    conn = Conn(port, tls_context(ca))
    serial = conn.sock.getpeercert()["serialNumber"]
    conn.sock.close()
    return serial


def test_reload_keeps_clients(pki):
    cert, key = pki.issue("server")
    live_cert = os.path.join(pki.d, "live.pem")
    live_key = os.path.join(pki.d, "live.key")
    for src, dst in ((cert, live_cert), (key, live_key)):
        with open(src, "rb") as f, open(dst, "wb") as g:
            g.write(f.read())
    server = start(live_cert, live_key)
    try:
        first_serial = peer_serial(server.irc_tls_port, pki.ca)
        ann = Conn(server.irc_tls_port, tls_context(pki.ca))
        irc_register(ann, "ann")

        # New files, SIGHUP: new connections get the new certificate; ann stays.
        cert2, key2 = pki.issue("server2")
        for src, dst in ((cert2, live_cert), (key2, live_key)):
            with open(src, "rb") as f, open(dst, "wb") as g:
                g.write(f.read())
        server.proc.send_signal(signal.SIGHUP)
        assert server.saw("configuration reloaded"), "".join(server.log)
        second_serial = peer_serial(server.irc_tls_port, pki.ca)
        assert second_serial != first_serial
        ann.send(b"PING :still-here\r\n")
        ann.expect("PONG")

        # A broken certificate at reload: reported, the working one kept.
        with open(live_cert, "w") as f:
            f.write("not a certificate\n")
        server.proc.send_signal(signal.SIGHUP)
        assert server.saw("reload failed"), "".join(server.log)
        assert peer_serial(server.irc_tls_port, pki.ca) == second_serial
        ann.send(b"PING :still-here-2\r\n")
        ann.expect("PONG")
    finally:
        server.kill()


def test_openssl_s_client(pki):
    cert, key = pki.issue("server")
    server = start(cert, key)
    try:
        watcher = Conn(server.irc_port)
        irc_register(watcher, "watcher")
        s_client = subprocess.Popen(
            ["openssl", "s_client", "-quiet", "-verify_return_error", "-CAfile", pki.ca, "-connect",
             f"127.0.0.1:{server.irc_tls_port}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        s_client.stdin.write(b"NICK stranger\r\nUSER s 0 * :s\r\nJOIN #lobby\r\n"
                             b"PRIVMSG #lobby :hello from openssl\r\n")
        s_client.stdin.flush()
        line = watcher.expect("PRIVMSG #lobby")
        assert line.startswith(":stranger!") and line.endswith(":hello from openssl"), line
        s_client.stdin.write(b"QUIT :bye\r\n")
        s_client.stdin.close()
        out = s_client.stdout.read()
        s_client.wait(timeout=DEADLINE)
        assert b" 001 stranger " in out and b"ERROR :Closing Link" in out, out
    finally:
        server.kill()


TESTS = {name[5:]: fn for name, fn in globals().items() if name.startswith("test_")}

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d:
        TESTS[sys.argv[3]](Pki(d))
    print("ok:", sys.argv[3])
