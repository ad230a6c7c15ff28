"""SASL EXTERNAL and NickServ CERT end to end: a real chat-server with its
store in a fresh data directory and a TLS listener, and Python ssl clients
with self-signed client certificates made by the openssl command.

usage: external_e2e.py CHAT_SERVER CASE
"""
import base64
import hashlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from server_process import DEADLINE, ServerProcess  # noqa: E402

SERVER = sys.argv[1]
PASSWORD = "correct-horse"  # one word: NickServ REGISTER takes one


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=DEADLINE)


class Cert:
    """A self-signed certificate and its key, as a user makes one for EXTERNAL."""

    def __init__(self, d, name):
        self.key = os.path.join(d, name + ".key")
        self.pem = os.path.join(d, name + ".pem")
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days",
                "2", "-subj", f"/CN={name}", "-keyout", self.key, "-out", self.pem)
        with open(self.pem) as f:
            # What the server must find: SHA-256 of the DER, lowercase hex.
            self.fp = hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


class Server:
    """chat-server with a TLS listener (its own self-signed certificate)."""

    def __init__(self, d, data_dir=None):
        self.cert = Cert(d, "server")
        extra = ["--tls-cert", self.cert.pem, "--tls-key", self.cert.key, "--irc-tls-port", "0",
                 "--flood-rate", "0", "--max-connections-per-ip", "0", "--connect-rate", "0"]
        if data_dir:
            extra = ["--data-dir", data_dir, *extra]
        self.proc = ServerProcess(SERVER, *extra)
        m = re.search(r"IRC over TLS listener on 127\.0\.0\.1:(\d+)", "".join(self.proc.log))
        if not m:
            self.proc.kill()
            raise AssertionError("no TLS listener in the log:\n" + "".join(self.proc.log))
        self.tls_port = int(m.group(1))
        self.irc_port = self.proc.irc_port

    def stop(self):
        self.proc.stop(signal.SIGTERM)


def client_context(cert=None):
    # The server's certificate is self-signed: these tests are about the
    # client's, so the client does not check the server's.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert.pem, cert.key)
    return ctx


class Client:
    """An IRC client over TLS (with a client certificate or none) or plain TCP."""

    def __init__(self, port, nick, cert=None, tls=True, sasl=False, register=True, ctx=None, session=None):
        raw = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        if tls:
            ctx = ctx or client_context(cert)
            self.sock = ctx.wrap_socket(raw, session=session)
        else:
            self.sock = raw
        self.buf = b""
        self.nick = nick
        self.seen = []
        if sasl:
            self.send("CAP LS 302")
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick}")
        if sasl:
            self.send("CAP REQ :sasl")
            self.expect(" ACK ")
        if register:
            self.finish()

    def finish(self):
        """CAP END (harmless without CAP) and the welcome."""
        self.send("CAP END")
        self.expect(" 001 ")
        self.expect(" 376 ", " 422 ")

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("connection closed; last lines:\n" + "\n".join(self.seen[-10:]))
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        text = line.decode("utf-8", "replace")
        self.seen.append(text)
        return text

    def expect(self, *texts, limit=500):
        for _ in range(limit):
            line = self.line()
            if any(t in line for t in texts):
                return line
        raise AssertionError(f"none of {texts!r} in:\n" + "\n".join(self.seen[-30:]))

    def lines_until(self, *texts):
        got = []
        for _ in range(500):
            got.append(self.line())
            if any(t in got[-1] for t in texts):
                return got
        raise AssertionError(f"none of {texts!r} in:\n" + "\n".join(got))

    def external(self, authzid=None):
        """AUTHENTICATE EXTERNAL; the 904 or 903 line (900 comes before 903)."""
        self.send("AUTHENTICATE EXTERNAL")
        self.expect("AUTHENTICATE +")
        self.send("AUTHENTICATE " + (base64.b64encode(authzid.encode()).decode() if authzid else "+"))
        return self.expect(" 903 ", " 904 ")

    def nickserv(self, text, until):
        """NickServ's notices for `text`, up to the one that contains `until`."""
        self.send(f"PRIVMSG NickServ :{text}")
        return [line for line in self.lines_until(until) if "NickServ!" in line]

    def whois(self, nick):
        self.send(f"WHOIS {nick}")
        return self.lines_until(" 318 ")

    def close(self):
        """QUIT, and wait until the server has closed: the nick is free then."""
        try:
            self.send("QUIT :bye")
            while self.sock.recv(65536):
                pass
        except OSError:
            pass
        self.sock.close()


def enroll(port, nick, cert):
    """Registers `nick` over TLS with `cert` and adds the certificate (CERT ADD)."""
    c = Client(port, nick, cert=cert)
    c.nickserv(f"REGISTER {PASSWORD}", f"Account {nick} registered.")
    c.expect(" 900 ")
    got = c.nickserv("CERT ADD", cert.fp)
    assert any(f"Certificate {cert.fp} is on {nick}" in line for line in got), got
    return c


def has(lines, text):
    return any(text in line for line in lines)


# ---- cases ---------------------------------------------------------------


def case_login(d):
    a = Cert(d, "a")
    s = Server(d)
    try:
        first = enroll(s.tls_port, "alice", a)
        first.close()
        c = Client(s.tls_port, "alice", cert=a, sasl=True, register=False)
        assert " 903 " in c.external(), c.seen[-5:]
        assert has(c.seen, " alice :You are now logged in as alice"), c.seen[-5:]
        c.finish()
        mine = c.whois("alice")
        assert has(mine, " 330 alice alice alice :is logged in as"), mine
        assert has(mine, f" 276 alice alice :has client certificate fingerprint {a.fp}"), mine
        assert has(mine, " 671 alice alice :is using a secure connection"), mine
        # Someone else (no operator) sees the account but not the fingerprint.
        other = Client(s.irc_port, "bystander", tls=False)
        theirs = other.whois("alice")
        assert has(theirs, " 330 bystander alice alice"), theirs
        assert not has(theirs, " 276 "), theirs
    finally:
        s.stop()


def case_unknown_cert(d):
    a, b = Cert(d, "a"), Cert(d, "b")
    s = Server(d)
    try:
        enroll(s.tls_port, "alice", a).close()
        c = Client(s.tls_port, "mallory", cert=b, sasl=True, register=False)
        line = c.external()
        assert " 904 " in line and "not on any account" in line, line
        # The connection goes on: it may log in another way.
        c.send("AUTHENTICATE PLAIN")
        c.expect("AUTHENTICATE +")
        c.send("AUTHENTICATE " + base64.b64encode(f"alice\0alice\0{PASSWORD}".encode()).decode())
        assert " 903 " in c.expect(" 903 ", " 904 ")
    finally:
        s.stop()


def case_no_cert(d):
    a = Cert(d, "a")
    s = Server(d)
    try:
        enroll(s.tls_port, "alice", a).close()
        c = Client(s.tls_port, "alice2", sasl=True, register=False)
        line = c.external()
        assert " 904 " in line and "no TLS client certificate" in line, line
        plain = Client(s.irc_port, "alice3", tls=False, sasl=True, register=False)
        line = plain.external()
        assert " 904 " in line and "no TLS client certificate" in line, line
    finally:
        s.stop()


def case_wrong_authzid(d):
    a, b = Cert(d, "a"), Cert(d, "b")
    s = Server(d)
    try:
        enroll(s.tls_port, "alice", a).close()
        enroll(s.tls_port, "bob", b).close()
        c = Client(s.tls_port, "alice", cert=a, sasl=True, register=False)
        line = c.external("bob")
        assert " 904 " in line and "not on the account you asked for" in line, line
        line = c.external("nobody")
        assert " 904 " in line, line
        # Its own account, spelled in another case, is fine.
        assert " 903 " in c.external("ALICE"), c.seen[-5:]
        assert has(c.seen, " alice :You are now logged in as alice"), c.seen[-5:]
    finally:
        s.stop()


def case_cert_list(d):
    a, b = Cert(d, "a"), Cert(d, "b")
    s = Server(d)
    try:
        alice = enroll(s.tls_port, "alice", a)
        listed = alice.nickserv("CERT LIST", a.fp)
        assert has(listed, "Certificate fingerprints of alice (1 of at most 16):"), listed
        assert listed[-1].endswith(":" + a.fp), listed
        # Another one by fingerprint, as openssl prints it: kept lower case.
        printed = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", b.pem],
                                 check=True, capture_output=True, text=True, timeout=DEADLINE).stdout
        given = printed.strip().split("=", 1)[1]
        assert ":" in given and given.upper() == given, given
        got = alice.nickserv(f"CERT ADD {given}", "is on alice")
        assert has(got, f"Certificate {b.fp} is on alice"), got
        listed = alice.nickserv("CERT LIST", max(a.fp, b.fp))  # listed in order
        assert has(listed, "(2 of at most 16)"), listed
        assert has(listed, ":" + a.fp) and has(listed, ":" + b.fp), listed
        # Not alice's to give away, and not anyone else's to take.
        carol = Client(s.tls_port, "carol", cert=a)
        carol.nickserv(f"REGISTER {PASSWORD}", "Account carol registered.")
        got = carol.nickserv("CERT ADD", "NickServ!")
        assert has(got, "That certificate is on another account already."), got
        got = carol.nickserv("CERT ADD nonsense", "NickServ!")
        assert has(got, "That is not a certificate fingerprint"), got
        # Logged out: no CERT at all.
        stranger = Client(s.tls_port, "stranger", cert=b)
        got = stranger.nickserv("CERT LIST", "NickServ!")
        assert has(got, "You are not logged in"), got
    finally:
        s.stop()


def case_cert_del(d):
    a = Cert(d, "a")
    s = Server(d)
    try:
        alice = enroll(s.tls_port, "alice", a)
        got = alice.nickserv(f"CERT DEL {a.fp.upper()}", "NickServ!")
        assert has(got, f"Certificate {a.fp} is no longer on alice."), got
        got = alice.nickserv("CERT LIST", "NickServ!")
        assert has(got, "alice has no certificates."), got
        c = Client(s.tls_port, "alice2", cert=a, sasl=True, register=False)
        line = c.external()
        assert " 904 " in line and "not on any account" in line, line
    finally:
        s.stop()


def case_after_restart(d):
    a = Cert(d, "a")
    data = tempfile.mkdtemp(prefix="chat-external-")
    try:
        s = Server(d, data_dir=data)
        try:
            enroll(s.tls_port, "alice", a).close()
        finally:
            s.stop()
        s = Server(d, data_dir=data)
        try:
            c = Client(s.tls_port, "alice", cert=a, sasl=True, register=False)
            assert " 903 " in c.external(), c.seen[-5:]
        finally:
            s.stop()
    finally:
        shutil.rmtree(data, ignore_errors=True)


def case_resumed_session(d):
    # Asking for client certificates needs a session id context, or OpenSSL
    # refuses to resume: a resumed session must connect, and keep its
    # certificate's fingerprint.
    a = Cert(d, "a")
    s = Server(d)
    try:
        enroll(s.tls_port, "alice", a).close()
        ctx = client_context(a)
        first = Client(s.tls_port, "first", ctx=ctx)
        first.whois("first")  # TLS 1.3 sends its ticket after the handshake
        session = first.sock.session
        assert session is not None
        first.close()
        c = Client(s.tls_port, "alice", ctx=ctx, session=session, sasl=True, register=False)
        assert c.sock.session_reused, "the session was not resumed"
        assert " 903 " in c.external(), c.seen[-5:]
    finally:
        s.stop()


def case_tls_without_cert(d):
    # A client without a certificate connects to the TLS port as before.
    s = Server(d)
    try:
        c = Client(s.tls_port, "nocert")
        assert c.sock.getpeercert(binary_form=True), "no server certificate"
        c.send("JOIN #lobby")
        c.expect(" 366 ")
        mine = c.whois("nocert")
        assert has(mine, " 671 "), mine
        assert not has(mine, " 276 "), mine
        c.nickserv(f"REGISTER {PASSWORD}", "Account nocert registered.")
        c.close()
        again = Client(s.tls_port, "nocert", sasl=True, register=False)
        again.send("AUTHENTICATE PLAIN")
        again.expect("AUTHENTICATE +")
        again.send("AUTHENTICATE " + base64.b64encode(f"nocert\0nocert\0{PASSWORD}".encode()).decode())
        assert " 903 " in again.expect(" 903 ", " 904 ")
        again.finish()
    finally:
        s.stop()


def case_who_is_asked(d):
    # The IRC TLS listener asks for a client certificate; the web listener
    # does not (a browser would prompt its user to pick one).
    s = Server(d)
    try:
        asked = {}
        for name, port in (("irc", s.tls_port), ("https", s.proc.ports["HTTPS"])):
            r = subprocess.run(["openssl", "s_client", "-msg", "-connect", f"127.0.0.1:{port}"], input="",
                               capture_output=True, text=True, timeout=DEADLINE)
            assert ", ServerHello" in r.stdout, r.stdout + r.stderr
            asked[name] = ", CertificateRequest" in r.stdout
        assert asked == {"irc": True, "https": False}, asked
    finally:
        s.stop()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        globals()["case_" + sys.argv[2]](tmp)
    print("ok")
