"""chat-client's login (--account, --password-file) and history against a
real chat-server with its own store (a real SQLite file in a fresh data
directory): SCRAM-SHA-256 and PLAIN, a wrong password, a room's history on
joining, and after a server restart only what was missed.

Some tests put a relay between the two: a transparent TCP relay that writes
down every line each way (to check the SASL exchange and the CHATHISTORY
asked for on the wire), can hide SCRAM-SHA-256 from the client (so that the
real server's PLAIN is tried), can hold new connections back, and follows
the server to its new port after a restart. With TLS it ends the client's
TLS (a self-signed certificate the client is told to trust) and speaks TLS
to the server's TLS listener, so that it still sees the lines.

PLAIN sends the password itself: the client uses it over TLS only, and
over plain TCP says why it does not log in.

Usage: client_accounts.py CHAT_CLIENT CHAT_SERVER TEST_NAME
Each test name is one ctest test (see tests/CMakeLists.txt).
"""
import base64
import datetime
import hashlib
import hmac
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "cli"))

from driver import DEADLINE, Client  # noqa: E402
from server_process import ServerProcess  # noqa: E402

CLIENT, SERVER = sys.argv[1], sys.argv[2]
PASSWORD = "correct horse battery"


# ---- helpers ---------------------------------------------------------------


def parse(line):
    """(tags, source, command, params) of an IRC line."""
    tags, source = {}, ""
    if line.startswith("@"):
        raw, line = line[1:].split(" ", 1)
        for item in raw.split(";"):
            key, _, value = item.partition("=")
            tags[key] = value
    if line.startswith(":"):
        source, line = line[1:].split(" ", 1)
    trailing = None
    if " :" in line:
        line, trailing = line.split(" :", 1)
    params = line.split()
    command = params.pop(0) if params else ""
    if trailing is not None:
        params.append(trailing)
    return tags, source, command, params


class Raw:
    """An IRC client over a plain socket: another user, or a tool of the test."""

    CAPS = ("batch", "server-time", "message-tags", "echo-message", "draft/chathistory")

    def __init__(self, port, nick, caps=CAPS):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        self.buf = b""
        self.seen = []
        self.send("CAP LS 302")
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick}")
        self.send("CAP REQ :" + " ".join(caps))
        self.expect(" ACK ")
        self.send("CAP END")
        self.expect(" 001 ")
        self.expect(" 376 ", " 422 ")

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("connection closed; last lines:\n  " + "\n  ".join(self.seen[-10:]))
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        text = line.decode("utf-8", "replace")
        self.seen.append(text)
        if text.startswith("PING "):
            self.send("PONG " + text[5:])
        return text

    def expect(self, *texts, limit=500):
        for _ in range(limit):
            line = self.line()
            if any(t in line for t in texts):
                return line
        raise AssertionError(f"none of {texts!r} in:\n  " + "\n  ".join(self.seen[-30:]))

    def say(self, target, text):
        """Sends a PRIVMSG and returns the (time, msgid) tags of its echo."""
        self.send(f"PRIVMSG {target} :{text}")
        while True:
            tags, _, command, params = parse(self.expect(f"PRIVMSG {target} "))
            if command == "PRIVMSG" and params[-1] == text:
                return tags["time"], tags["msgid"]

    def history_has(self, target, text):
        """True if the store already gives `text` back (CHATHISTORY LATEST)."""
        self.send(f"CHATHISTORY LATEST {target} * 50")
        self.expect("BATCH +")
        found = False
        while True:
            line = self.line()
            if "BATCH -" in line:
                return found
            found = found or parse(line)[3][-1] == text

    def close(self):
        """QUIT, and wait until the server has closed."""
        try:
            self.send("QUIT :bye")
            while self.sock.recv(65536):
                pass
        except OSError:
            pass
        self.sock.close()


class Relay:
    """A TCP relay on 127.0.0.1 from chat-client to chat-server.

    `log` holds (connection number, ">" client to server or "<" server to
    client, line) in the order the relay saw them: a line that answers
    another comes after it. `hide_scram` leaves only PLAIN in the
    server's CAP LS. `hold()` keeps new connections waiting (accepted, their
    lines unread) until `release()`; `upstream_port` may change between
    connections (a restarted server).
    """

    def __init__(self, upstream_port, hide_scram=False, tls=None):
        self.upstream_port = upstream_port
        self.hide_scram = hide_scram
        self.tls = tls  # a Certificate: TLS on both sides
        self.log = []
        self.connections = 0
        self._open = threading.Event()
        self._open.set()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def hold(self):
        self._open.clear()

    def release(self):
        self._open.set()

    def lines(self, connection, direction=None):
        return [text for n, d, text in self.log if n == connection and direction in (None, d)]

    def _accept(self):
        while True:
            try:
                down, _ = self.listener.accept()
            except OSError:
                return
            # Held: the client's lines wait in the socket, unread. Bounded,
            # so a test that forgets to release still ends.
            self._open.wait(4 * DEADLINE)
            self.connections += 1
            number = self.connections
            try:
                up = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=DEADLINE)
            except OSError:
                down.close()
                continue
            if self.tls:
                try:
                    down = self.tls.server_context().wrap_socket(down, server_side=True)
                    up = self.tls.client_context().wrap_socket(up)
                except OSError:
                    down.close()
                    up.close()
                    continue
            up.settimeout(None)
            threading.Thread(target=self._pump, args=(down, up, number, ">"), daemon=True).start()
            threading.Thread(target=self._pump, args=(up, down, number, "<"), daemon=True).start()

    def _pump(self, src, dst, number, direction):
        pending = b""
        try:
            while True:
                chunk = src.recv(65536)
                if not chunk:
                    break
                pending += chunk
                *complete, pending = pending.split(b"\n")
                out = b""
                for raw in complete:
                    text = raw.rstrip(b"\r").decode("utf-8", "replace")
                    self.log.append((number, direction, text))
                    if direction == "<" and self.hide_scram and " CAP " in text and " LS " in text:
                        raw = raw.replace(b"sasl=PLAIN,EXTERNAL,SCRAM-SHA-256", b"sasl=PLAIN")
                    out += raw + b"\n"
                dst.sendall(out)
            if pending:
                dst.sendall(pending)
        except OSError:
            pass
        # Either side gone: both go, as a direct connection would.
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.listener.close()


class Certificate:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""

    def __init__(self, directory):
        self.cert = os.path.join(directory, "cert.pem")
        self.key = os.path.join(directory, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.key, "-out",
                        self.cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                        "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=DEADLINE)

    def server_context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    @staticmethod
    def client_context():
        # The relay's side towards our own server: nothing to verify there.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx


def add_account(data_dir, name, password=PASSWORD):
    """`chat-server account add`, the password on stdin, before the server starts."""
    done = subprocess.run([SERVER, "account", "add", name, "--data-dir", data_dir], input=password + "\n",
                          capture_output=True, text=True, timeout=DEADLINE)
    assert done.returncode == 0, (done.returncode, done.stderr)


def register_account(port, name, password=PASSWORD):
    """REGISTER over a raw socket (draft/account-registration) on a running server."""
    c = Raw(port, name, caps=("draft/account-registration",))
    c.send(f"REGISTER * * :{password}")
    c.expect("REGISTER SUCCESS")
    c.expect(" 900 ")
    c.close()


def start_server(data_dir, tls=None):
    """chat-server on `data_dir`; with a Certificate, also an IRC over TLS
    listener, whose port is `irc_tls_port`."""
    extra = ("--tls-cert", tls.cert, "--tls-key", tls.key, "--irc-tls-port", "0") if tls else ()
    server = ServerProcess(SERVER, "--data-dir", data_dir, "--flood-rate", "0", "--max-connections-per-ip", "0",
                           "--connect-rate", "0", *extra)
    if tls:
        end = time.monotonic() + DEADLINE
        while not (m := re.search(r"IRC over TLS listener on 127\.0\.0\.1:(\d+)", "".join(server.log))):
            if time.monotonic() > end:
                server.kill()
                raise AssertionError("no IRC over TLS listener in the log:\n" + "".join(server.log))
            time.sleep(0.02)
        server.irc_tls_port = int(m.group(1))
    return server


def tls_flags(tls):
    """What makes the client speak TLS to 127.0.0.1 and trust `tls` (a Certificate)."""
    return ("--host", "127.0.0.1", "--tls", "--tls-ca", tls.cert) if tls else ()


def password_file(data_dir, password):
    """The password in a file beside the data directory (not in it)."""
    path = os.path.join(os.path.dirname(data_dir), "password")
    with open(path, "w") as f:
        f.write(password + "\n")
    os.chmod(path, 0o600)
    return path


def logged_in_client(port, account, pw_file, *extra):
    return Client(CLIENT, "--port", str(port), "--account", account, "--password-file", pw_file, "--colour", "never",
                  *extra, env={"TZ": "UTC"})


def shown_time(stamp):
    """How the client (TZ=UTC) shows a history line's server-time: the time
    today, the date and minute before."""
    when = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    today = when.date() == datetime.datetime.now(datetime.timezone.utc).date()
    return when.strftime("%H:%M:%S" if today else "%Y-%m-%d %H:%M")


def sasl_exchange(relay, connection):
    """The AUTHENTICATE lines, 90x numerics and CAP END of a connection, in
    order, as ("> " or "< ") + command and parameters."""
    got = []
    for n, d, text in relay.log:
        if n != connection:
            continue
        _, _, command, params = parse(text)
        if command == "AUTHENTICATE" or re.fullmatch(r"90\d", command) or (command == "CAP" and params[-1:] == ["END"]):
            got.append((d, command, params[-1] if params else ""))
    return got


def b64(text):
    return base64.b64decode(text).decode()


def assert_never_shown(client, secret):
    out = bytes(client.raw) + bytes(client.err)
    assert secret.encode() not in out, out


# ---- tests -----------------------------------------------------------------


def test_login_scram(data_dir):
    """An account made with `chat-server account add`: the client logs in
    with SCRAM-SHA-256 (the server offers sasl=PLAIN,EXTERNAL,SCRAM-SHA-256), and the
    server's finish is what the client expects: the server-final message in
    an AUTHENTICATE line, the client's `AUTHENTICATE +`, then 900 and 903."""
    add_account(data_dir, "alice")
    server = start_server(data_dir)
    relay = Relay(server.irc_port)
    try:
        c = logged_in_client(relay.port, "alice", password_file(data_dir, PASSWORD))
        line = c.expect("Logged in as alice")
        assert "did not prove" not in line, line
        c.expect("Connected as alice")
        c.expect("You have joined #lobby")
        assert server.saw('alice logged in as "alice"'), "".join(server.log)

        caps = next(t for t in relay.lines(1, "<") if " CAP " in t and " LS " in t)
        assert "sasl=PLAIN,EXTERNAL,SCRAM-SHA-256" in caps, caps
        ex = sasl_exchange(relay, 1)
        assert [(d, cmd) for d, cmd, _ in ex] == [(">", "AUTHENTICATE"), ("<", "AUTHENTICATE"),
                                                  (">", "AUTHENTICATE"), ("<", "AUTHENTICATE"),
                                                  (">", "AUTHENTICATE"), ("<", "AUTHENTICATE"),
                                                  (">", "AUTHENTICATE"), ("<", "900"), ("<", "903"),
                                                  (">", "CAP")], ex
        assert ex[0][2] == "SCRAM-SHA-256" and ex[1][2] == "+", ex
        client_first, server_first, client_final = b64(ex[2][2]), b64(ex[3][2]), b64(ex[4][2])
        server_final = b64(ex[5][2])
        assert client_first.startswith("n,,n=alice,r="), client_first
        fields = dict(kv.split("=", 1) for kv in server_first.split(","))
        assert fields["r"].startswith(client_first.split("r=", 1)[1]), (client_first, server_first)
        assert client_final.startswith(f"c=biws,r={fields['r']},p="), client_final
        # The server's signature, worked out here from the password: it is
        # the real proof, not just something the client took.
        salted = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
        auth = ",".join([client_first[3:], server_first, client_final.rsplit(",p=", 1)[0]]).encode()
        server_key = hmac.new(salted, b"Server Key", "sha256").digest()
        assert server_final == "v=" + base64.b64encode(hmac.new(server_key, auth, "sha256").digest()).decode(), \
            server_final
        assert ex[6][2] == "+", ex  # the client accepts the server's proof
        assert ex[7][2].endswith("logged in as alice"), ex

        # The server agrees: alice is logged in.
        other = Raw(server.irc_port, "watcher")
        other.send("WHOIS alice")
        assert "is logged in as" in other.expect(" 330 ", " 318 "), other.seen[-3:]
        other.close()
        c.send("!logout")
        assert c.wait() == 0
        assert_never_shown(c, PASSWORD)
    finally:
        relay.close()
        server.kill()


PLAIN_REFUSED = ("Login failed: the server offers only PLAIN, which would send the password in the clear; "
                 "use --tls. Connected as a guest.")


def test_plain_refused_over_tcp(data_dir):
    """An account made with REGISTER on the running server; the server's
    SCRAM-SHA-256 hidden, over plain TCP: the client does not send the
    password in the clear. It says why and goes on as a guest, as after a
    wrong password."""
    server = start_server(data_dir)
    relay = Relay(server.irc_port, hide_scram=True)
    try:
        register_account(server.irc_port, "bob")
        c = logged_in_client(relay.port, "bob", password_file(data_dir, PASSWORD))
        line = c.expect("Login failed")
        assert line.endswith(PLAIN_REFUSED), line
        c.expect("Connected as bob")
        c.expect("You have joined #lobby")
        ex = sasl_exchange(relay, 1)
        assert ex == [(">", "CAP", "END")], ex  # not even AUTHENTICATE PLAIN
        wire = "\n".join(relay.lines(1, ">"))
        assert base64.b64encode(f"bob\0bob\0{PASSWORD}".encode()).decode() not in wire, wire
        other = Raw(server.irc_port, "watcher")
        other.send("WHOIS bob")
        assert " 330 " not in other.expect(" 330 ", " 318 "), other.seen[-3:]  # a guest
        other.close()
        c.send("hello as a guest")
        c.expect("bob > hello as a guest")
        c.send("!logout")
        assert c.wait() == 0
        assert_never_shown(c, PASSWORD)
    finally:
        relay.close()
        server.kill()


def test_login_plain_over_tls(data_dir):
    """The same over TLS (the server's TLS listener, a self-signed
    certificate the client trusts with --tls-ca): PLAIN is used."""
    tls = Certificate(os.path.dirname(data_dir))
    server = start_server(data_dir, tls)
    relay = Relay(server.irc_tls_port, hide_scram=True, tls=tls)
    try:
        register_account(server.irc_port, "bob")
        c = logged_in_client(relay.port, "bob", password_file(data_dir, PASSWORD), *tls_flags(tls))
        c.expect("Logged in as bob")
        c.expect("You have joined #lobby")
        assert server.saw('bob logged in as "bob"'), "".join(server.log)
        ex = sasl_exchange(relay, 1)
        assert [(d, cmd) for d, cmd, _ in ex] == [(">", "AUTHENTICATE"), ("<", "AUTHENTICATE"),
                                                  (">", "AUTHENTICATE"), ("<", "900"), ("<", "903"),
                                                  (">", "CAP")], ex
        assert ex[0][2] == "PLAIN" and ex[1][2] == "+", ex
        assert b64(ex[2][2]) == f"bob\0bob\0{PASSWORD}", ex
        c.send("!logout")
        assert c.wait() == 0
        assert_never_shown(c, PASSWORD)
    finally:
        relay.close()
        server.kill()


def wrong_password(data_dir, hide_scram):
    """A wrong password: the client says so and goes on as a guest; the
    server logs the failure and no login. PLAIN (SCRAM hidden) over TLS."""
    add_account(data_dir, "carol")
    tls = Certificate(os.path.dirname(data_dir)) if hide_scram else None
    server = start_server(data_dir, tls)
    relay = Relay(server.irc_tls_port if tls else server.irc_port, hide_scram=hide_scram, tls=tls)
    wrong = "not the password"
    try:
        c = logged_in_client(relay.port, "carol", password_file(data_dir, wrong), *tls_flags(tls))
        line = c.expect("Login failed")
        assert line.endswith("Login failed: wrong account or password. Connected as a guest."), line
        c.expect("Connected as carol")
        c.expect("You have joined #lobby")
        assert server.saw("carol failed SASL: wrong password"), "".join(server.log)
        assert not any("logged in as" in x for x in server.log), "".join(server.log)
        ex = sasl_exchange(relay, 1)
        assert ex[0] == (">", "AUTHENTICATE", "PLAIN" if hide_scram else "SCRAM-SHA-256"), ex
        assert ("<", "904") in [(d, cmd) for d, cmd, _ in ex] and ("<", "903") not in [(d, cmd) for d, cmd, _ in ex]
        assert ex[-1] == (">", "CAP", "END"), ex
        other = Raw(server.irc_port, "watcher")
        other.send("WHOIS carol")
        assert " 330 " not in other.expect(" 330 ", " 318 "), other.seen[-3:]  # a guest
        other.close()
        c.send("hello as a guest")
        c.expect("carol > hello as a guest")
        c.send("!logout")
        assert c.wait() == 0
        assert_never_shown(c, wrong)
    finally:
        relay.close()
        server.kill()


def test_wrong_password_scram(data_dir):
    wrong_password(data_dir, hide_scram=False)


def test_wrong_password_plain(data_dir):
    wrong_password(data_dir, hide_scram=True)


def expect_history(c, said):
    """The client shows each (text, time) of `said`, in order, at its own
    time, then the end of the history."""
    for text, stamp in said:
        line = c.expect(text)
        assert line == f"{shown_time(stamp)} dave > {text}", (line, stamp)
    c.expect("-- end of history --")


def test_history_on_join(data_dir):
    """What another user said in #lobby before the client came is shown on
    joining, each line at the time it was said, then the end of the history,
    then the live lines."""
    server = start_server(data_dir)
    try:
        dave = Raw(server.irc_port, "dave")
        dave.send("JOIN #lobby")
        dave.expect(" 366 ")
        said = []
        for i in range(3):
            stamp, _ = dave.say("#lobby", f"earlier line {i}")
            said.append((f"earlier line {i}", stamp))
        end = time.monotonic() + DEADLINE
        while not dave.history_has("#lobby", "earlier line 2"):  # stored
            assert time.monotonic() < end, "the server never stored the lines"
            time.sleep(0.1)
        time.sleep(1.1)  # so that a line shown at the time it arrived would show another second

        c = Client(CLIENT, "--port", str(server.irc_port), "--nick", "erin", "--colour", "never", env={"TZ": "UTC"})
        c.expect("You have joined #lobby")
        expect_history(c, said)
        dave.expect("erin")  # its JOIN
        dave.say("#lobby", "live now")
        line = c.expect("live now")
        assert line.endswith(" dave > live now"), line
        out = "\n".join(c.seen)
        for text, _ in said:
            assert out.count(text) == 1, out
        c.send("!logout")
        assert c.wait() == 0
        dave.close()
    finally:
        server.kill()


def test_history_after_restart(data_dir):
    """The server restarts (same --data-dir) while the client is connected;
    the client reconnects by itself, logs in again, and fetches only what it
    missed (CHATHISTORY AFTER the last msgid it saw), each line once."""
    add_account(data_dir, "frank")
    server = start_server(data_dir)
    relay = Relay(server.irc_port)
    try:
        dave = Raw(server.irc_port, "dave")
        dave.send("JOIN #lobby")
        dave.expect(" 366 ")
        stamp, _ = dave.say("#lobby", "before the client")
        c = logged_in_client(relay.port, "frank", password_file(data_dir, PASSWORD))
        c.expect("Logged in as frank")
        c.expect("You have joined #lobby")
        expect_history(c, [("before the client", stamp)])
        history = [t for t in relay.lines(1, ">") if t.startswith("CHATHISTORY")]
        assert len(history) == 1 and re.fullmatch(r"CHATHISTORY LATEST #lobby \* \d+", history[0]), history
        lines = history[0].rsplit(" ", 1)[1]  # the client's --history-lines (within the server's limit)
        _, last_id = dave.say("#lobby", "live before the restart")
        c.expect("dave > live before the restart")

        # The restart. The relay holds the client's next connection until
        # dave has said what the client will miss.
        relay.hold()
        dave.sock.close()
        assert server.stop(signal.SIGTERM) == 0
        c.expect("Connection lost")
        server = start_server(data_dir)
        relay.upstream_port = server.irc_port
        dave = Raw(server.irc_port, "dave")
        dave.send("JOIN #lobby")
        dave.expect(" 366 ")
        missed = []
        for i in range(2):
            stamp, _ = dave.say("#lobby", f"missed line {i}")
            missed.append((f"missed line {i}", stamp))
        end = time.monotonic() + DEADLINE
        while not dave.history_has("#lobby", "missed line 1"):
            assert time.monotonic() < end, "the server never stored the lines"
            time.sleep(0.1)
        relay.release()

        c.expect("Logged in as frank", timeout=60)  # the backoff: 1 s, then 2 s, ...
        c.expect("You have joined #lobby")
        expect_history(c, missed)
        deadline = time.monotonic() + DEADLINE
        while not any(t.startswith("CHATHISTORY") for t in relay.lines(2, ">")):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        history = [t for t in relay.lines(2, ">") if t.startswith("CHATHISTORY")]
        assert history == [f"CHATHISTORY AFTER #lobby msgid={last_id} {lines}"], history
        dave.say("#lobby", "live after the restart")
        c.expect("dave > live after the restart")

        out = "\n".join(c.seen)
        for text in ("before the client", "live before the restart", "missed line 0", "missed line 1"):
            assert out.count(text) == 1, (text, out)
        assert out.count("-- end of history --") == 2, out
        assert server.saw('frank logged in as "frank"'), "".join(server.log)
        c.send("!logout")
        assert c.wait() == 0
        assert_never_shown(c, PASSWORD)
        dave.close()
    finally:
        relay.close()
        server.kill()


if __name__ == "__main__":
    # A data directory the test names (so `chat-server account add` can fill
    # it first, and a restarted server finds it again), removed at the end.
    directory = tempfile.mkdtemp(prefix="chat-client-test-")
    try:
        os.mkdir(os.path.join(directory, "data"))
        globals()["test_" + sys.argv[3]](os.path.join(directory, "data"))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(f"ok: {sys.argv[3]}")
