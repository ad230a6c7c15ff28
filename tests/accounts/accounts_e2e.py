"""Accounts and history end to end: a real chat-server with its store in a
fresh data directory (a real SQLite file), driven over real sockets.

usage: accounts_e2e.py CHAT_SERVER CASE
"""
import base64
import hashlib
import hmac
import os
import re
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from server_process import DEADLINE, ServerProcess  # noqa: E402

SERVER = sys.argv[1]


class Client:
    """An IRC client over a socket that can negotiate caps and SASL."""

    def __init__(self, port, nick, caps=(), sasl=None, register=True, user=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        self.buf = b""
        self.nick = nick
        self.seen = []
        if caps or sasl:
            self.send("CAP LS 302")
        self.send(f"NICK {nick}")
        self.send(f"USER {user or nick} 0 * :{nick}")
        if caps or sasl:
            wanted = list(caps) + (["sasl"] if sasl else [])
            self.send("CAP REQ :" + " ".join(wanted))
            self.expect(" ACK ")
            if sasl:
                mech, account, password = sasl
                ok = self.authenticate(mech, account, password)
                if not ok:
                    raise AssertionError("SASL failed: " + "\n".join(self.seen[-5:]))
            if register:
                self.send("CAP END")
        if register:
            self.expect(" 001 ")
            self.expect(" 376 ", " 422 ")

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def line(self, timeout=DEADLINE):
        self.sock.settimeout(timeout)
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("connection closed; last lines:\n" + "\n".join(self.seen[-10:]))
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        text = line.decode("utf-8", "replace")
        self.seen.append(text)
        return text

    def expect(self, *texts, limit=2000):
        for _ in range(limit):
            line = self.line()
            if any(t in line for t in texts):
                return line
        raise AssertionError(f"none of {texts!r} in:\n" + "\n".join(self.seen[-30:]))

    def lines_until(self, text):
        got = []
        while True:
            line = self.line()
            got.append(line)
            if text in line:
                return got

    def quiet(self, seconds=0.3):
        """True if nothing arrives for `seconds`."""
        try:
            self.line(timeout=seconds)
            return False
        except (socket.timeout, TimeoutError):
            return True

    def authenticate(self, mech, account, password):
        """SASL with PLAIN or SCRAM-SHA-256; True on 903."""
        self.send(f"AUTHENTICATE {mech}")
        self.expect("AUTHENTICATE +")
        if mech == "PLAIN":
            payload = f"{account}\0{account}\0{password}".encode()
            self.send("AUTHENTICATE " + base64.b64encode(payload).decode())
        else:
            nonce = base64.b64encode(os.urandom(18)).decode()
            first_bare = f"n={account},r={nonce}"
            self.send("AUTHENTICATE " + base64.b64encode(("n,," + first_bare).encode()).decode())
            line = self.expect("AUTHENTICATE ", " 904 ")
            if " 904 " in line:
                return False
            server_first = base64.b64decode(line.split()[-1]).decode()
            fields = dict(kv.split("=", 1) for kv in server_first.split(","))
            salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
            client_key = hmac.new(salted, b"Client Key", "sha256").digest()
            stored_key = hashlib.sha256(client_key).digest()
            final_bare = f"c=biws,r={fields['r']}"
            auth = f"{first_bare},{server_first},{final_bare}".encode()
            signature = hmac.new(stored_key, auth, "sha256").digest()
            proof = bytes(a ^ b for a, b in zip(client_key, signature))
            self.send("AUTHENTICATE " + base64.b64encode(
                f"{final_bare},p={base64.b64encode(proof).decode()}".encode()).decode())
            line = self.expect("AUTHENTICATE ", " 904 ")
            if " 904 " in line:
                return False
            server_key = hmac.new(salted, b"Server Key", "sha256").digest()
            want = "v=" + base64.b64encode(hmac.new(server_key, auth, "sha256").digest()).decode()
            assert base64.b64decode(line.split()[-1]).decode() == want, "the server's signature is wrong"
            self.send("AUTHENTICATE +")
        line = self.expect(" 903 ", " 904 ")
        return " 903 " in line

    def history(self, *args):
        """CHATHISTORY `args`; the PRIVMSG/NOTICE lines of its batch (or its FAIL)."""
        self.send("CHATHISTORY " + " ".join(args))
        first = self.expect("BATCH +", "FAIL CHATHISTORY")
        if "FAIL" in first:
            return first
        lines = []
        while True:
            line = self.line()
            if "BATCH -" in line:
                return lines
            lines.append(line)

    def close(self):
        """QUIT, and wait until the server has closed: the nick is free then."""
        try:
            self.send("QUIT :bye")
            while self.sock.recv(65536):
                pass
        except OSError:
            pass
        self.sock.close()


def text_of(line):
    """The last parameter of an IRC line (tags and source skipped)."""
    if line.startswith("@"):
        line = line.split(" ", 1)[1]
    if line.startswith(":"):
        line = line.split(" ", 1)[1]
    return line.split(" :", 1)[1] if " :" in line else line.rsplit(" ", 1)[-1]


HISTORY_CAPS = ("batch", "server-time", "message-tags", "draft/chathistory", "echo-message")


def register(port, nick, password="correct horse"):
    c = Client(port, nick, caps=("draft/account-registration",))
    c.send(f"REGISTER * * :{password}")
    c.expect("REGISTER SUCCESS")
    c.expect(" 900 ")
    return c


def start(*flags, data_dir=None):
    extra = ["--flood-rate", "0", "--max-connections-per-ip", "0", "--connect-rate", "0", *flags]
    if data_dir:
        extra = ["--data-dir", data_dir, *extra]
    return ServerProcess(SERVER, *extra)


# ---- cases ---------------------------------------------------------------


def case_register_and_sasl_plain(s):
    register(s.irc_port, "alice").close()
    c = Client(s.irc_port, "alice", sasl=("PLAIN", "alice", "correct horse"))
    c.send("WHOIS alice")
    assert "is logged in as" in c.expect(" 330 ")
    # A wrong password: 904, and the connection may try again.
    d = Client(s.irc_port, "mallory", caps=("sasl",), register=False)
    assert not d.authenticate("PLAIN", "alice", "wrong password")
    assert d.authenticate("PLAIN", "alice", "correct horse")
    # Registering a taken account, or while logged in.
    e = Client(s.irc_port, "eve", caps=("draft/account-registration",))
    e.send("REGISTER alice * :whatever12")
    assert "ACCOUNT_NAME_MUST_BE_NICK" in e.expect("FAIL REGISTER")
    e.send("REGISTER * * :short")
    assert "WEAK_PASSWORD" in e.expect("FAIL REGISTER")
    c.send("REGISTER * * :another password")
    assert "ALREADY_AUTHENTICATED" in c.expect("FAIL REGISTER")
    e.send("VERIFY eve 1234")
    assert "INVALID_CODE" in e.expect("FAIL VERIFY")


def case_sasl_scram(s):
    register(s.irc_port, "bob", "scram secret").close()
    c = Client(s.irc_port, "bob", sasl=("SCRAM-SHA-256", "bob", "scram secret"))
    c.send("WHOIS bob")
    c.expect(" 330 ")
    d = Client(s.irc_port, "x", caps=("sasl",), register=False)
    assert not d.authenticate("SCRAM-SHA-256", "bob", "not the secret")
    assert not d.authenticate("SCRAM-SHA-256", "nobody", "not the secret")
    d.send("AUTHENTICATE FOO")
    d.expect(" 908 ")
    d.expect(" 904 ")
    d.send("AUTHENTICATE PLAIN")
    d.expect("AUTHENTICATE +")
    d.send("AUTHENTICATE *")
    d.expect(" 906 ")
    # A message longer than the server takes: 905.
    d.send("AUTHENTICATE PLAIN")
    d.expect("AUTHENTICATE +")
    for _ in range(21):
        d.send("AUTHENTICATE " + "A" * 400)
    d.expect(" 905 ")


def case_nickserv(s):
    c = Client(s.irc_port, "carol")
    c.send("PRIVMSG NickServ :REGISTER hunter2hunter2")
    assert "registered" in c.expect("NickServ!")
    c.expect(" 900 ")
    c.send("PRIVMSG NickServ :INFO")
    assert "Account carol" in c.expect("NickServ!")
    c.send("PRIVMSG NickServ :SET PASSWORD newpassword1")
    assert "Password changed" in c.expect("NickServ!")
    d = Client(s.irc_port, "dan")
    d.send("PRIVMSG NickServ :IDENTIFY carol hunter2hunter2")
    assert "Invalid" in d.expect("NickServ!")
    d.send("PRIVMSG NickServ :IDENTIFY carol newpassword1")
    d.expect(" 900 ")
    # GHOST: carol (logged in on d) disconnects the other session using her nick.
    d.send("PRIVMSG NickServ :GHOST carol")
    assert "ghosted" in d.expect("NickServ!")
    c.expect("ERROR")
    # Nobody may be NickServ.
    d.send("NICK NickServ")
    d.expect(" 433 ")
    d.send("PRIVMSG NickServ :DROP")
    assert "dropped" in d.expect("NickServ!")
    d.expect(" 901 ")
    d.send("PRIVMSG NickServ :INFO carol")
    assert "not registered" in d.expect("NickServ!")


def case_nick_ownership(s):
    register(s.irc_port, "erin").close()
    m = Client(s.irc_port, "erin")  # not logged in
    assert "is registered" in m.expect("NickServ!")
    line = m.expect(" NICK ")
    assert re.search(r"NICK :?Guest\d+", line), line
    # Logged in in time: keeps it.
    k = Client(s.irc_port, "erin")
    k.expect("NickServ!")
    k.send("PRIVMSG NickServ :IDENTIFY erin correct horse")
    k.expect(" 900 ")
    assert k.quiet(2.0), k.seen[-3:]


def case_account_visibility(s):
    register(s.irc_port, "fred").close()
    watcher = Client(s.irc_port, "gina", caps=("account-notify", "extended-join", "account-tag", "message-tags"))
    watcher.send("JOIN #vis")
    watcher.expect(" 366 ")
    f = Client(s.irc_port, "fred")
    f.expect("NickServ!")
    f.send("JOIN #vis")
    line = watcher.expect(" JOIN ")
    assert " JOIN #vis * " in line, line  # extended-join: not logged in yet
    f.send("PRIVMSG NickServ :IDENTIFY fred correct horse")
    assert watcher.expect(" ACCOUNT ").endswith("ACCOUNT fred"), watcher.seen[-1]
    f.send("PRIVMSG #vis :hello")
    line = watcher.expect("PRIVMSG #vis")
    assert "account=fred" in line, line
    watcher.send("WHO #vis %na")
    assert watcher.expect(" 354 gina fred").endswith(" 354 gina fred fred"), watcher.seen[-1]
    h = Client(s.irc_port, "hank", caps=("extended-join",))
    h.send("JOIN #vis")
    h.expect(" 366 ")
    f.send("PART #vis")
    f.expect(" PART #vis")
    f.send("JOIN #vis")
    assert " JOIN #vis fred " in h.expect(" JOIN #vis fred", limit=50), h.seen


def case_chathistory_channel(s):
    a = Client(s.irc_port, "ivy", caps=HISTORY_CAPS)
    a.send("JOIN #hist")
    a.expect(" 366 ")
    ids = []
    for i in range(10):
        a.send(f"PRIVMSG #hist :line {i}")
        line = a.expect("PRIVMSG #hist")
        time.sleep(0.005)  # distinct milliseconds, for the timestamp= bounds
        ids.append(re.search(r"msgid=([^; ]+)", line).group(1))
    got = a.history("LATEST", "#hist", "*", "5")
    assert [text_of(x) for x in got] == [f"line {i}" for i in range(5, 10)], got
    got = a.history("BEFORE", "#hist", f"msgid={ids[5]}", "3")
    assert [text_of(x) for x in got] == ["line 2", "line 3", "line 4"], got
    got = a.history("AFTER", "#hist", f"msgid={ids[5]}", "2")
    assert [text_of(x) for x in got] == ["line 6", "line 7"], got
    got = a.history("AROUND", "#hist", f"msgid={ids[5]}", "3")
    assert "line 5" in [text_of(x) for x in got] and len(got) == 3, got
    got = a.history("BETWEEN", "#hist", f"msgid={ids[1]}", f"msgid={ids[4]}", "10")
    assert [text_of(x) for x in got] == ["line 2", "line 3"], got
    got = a.history("LATEST", "#hist", f"msgid={ids[7]}", "10")
    assert [text_of(x) for x in got] == ["line 8", "line 9"], got
    stamp = re.search(r"time=([^; ]+)", got[0]).group(1)
    got = a.history("BEFORE", "#hist", f"timestamp={stamp}", "100")
    assert [text_of(x) for x in got] == [f"line {i}" for i in range(8)], got
    # Every line carries its time and msgid.
    assert all("time=" in x and "msgid=" in x for x in got)
    # Errors.
    assert "INVALID_TARGET" in a.history("LATEST", "#nowhere", "*", "5")
    assert "INVALID_PARAMS" in a.history("LATEST", "#hist", "*", "0")
    assert "INVALID_PARAMS" in a.history("BEFORE", "#hist", "*", "5")
    assert "INVALID_PARAMS" in a.history("BEFORE", "#hist", "bogus", "5")
    assert "NEED_MORE_PARAMS" in a.history("LATEST", "#hist")
    assert "UNKNOWN_COMMAND" in a.history("SIDEWAYS", "#hist", "*", "5")
    # Someone not in the channel may not read it.
    b = Client(s.irc_port, "jay", caps=HISTORY_CAPS)
    assert "INVALID_TARGET" in b.history("LATEST", "#hist", "*", "5")
    # ISUPPORT says the limit.
    b.send("VERSION")
    assert "CHATHISTORY=" in b.expect("CHATHISTORY=")


def case_private_history(s):
    register(s.irc_port, "kim").close()
    register(s.irc_port, "lee").close()
    k = Client(s.irc_port, "kim", caps=HISTORY_CAPS, sasl=("PLAIN", "kim", "correct horse"))
    l = Client(s.irc_port, "lee", caps=HISTORY_CAPS, sasl=("PLAIN", "lee", "correct horse"))
    k.send("PRIVMSG lee :psst")
    l.expect("psst")
    l.send("PRIVMSG kim :yes?")
    k.expect("yes?")
    got = k.history("LATEST", "lee", "*", "10")
    assert [text_of(x) for x in got] == ["psst", "yes?"], got
    got = l.history("LATEST", "kim", "*", "10")
    assert [text_of(x) for x in got] == ["psst", "yes?"], got
    # A third party sees nothing of it, logged in or not.
    register(s.irc_port, "max").close()
    m = Client(s.irc_port, "max", caps=HISTORY_CAPS, sasl=("PLAIN", "max", "correct horse"))
    assert m.history("LATEST", "lee", "*", "10") == []
    n = Client(s.irc_port, "ned", caps=HISTORY_CAPS)
    assert "INVALID_TARGET" in n.history("LATEST", "kim", "*", "10")
    # TARGETS lists the conversation.
    k.send("CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 10")
    assert "CHATHISTORY TARGETS lee" in k.expect("CHATHISTORY TARGETS")


def case_restart_keeps_everything(_):
    d = tempfile.mkdtemp(prefix="chat-restart-")
    try:
        s = start(data_dir=d)
        register(s.irc_port, "olga").close()
        a = Client(s.irc_port, "olga", caps=HISTORY_CAPS, sasl=("PLAIN", "olga", "correct horse"))
        a.send("JOIN #keep")
        a.expect(" 366 ")
        for i in range(20):
            a.send(f"PRIVMSG #keep :kept {i}")
        a.expect("kept 19")
        assert s.stop(signal.SIGTERM) == 0
        assert any("store: flushed" in x for x in s.log), "".join(s.log)
        s = start(data_dir=d)
        b = Client(s.irc_port, "olga", caps=HISTORY_CAPS, sasl=("PLAIN", "olga", "correct horse"))
        b.send("JOIN #keep")
        b.expect(" 366 ")
        got = b.history("LATEST", "#keep", "*", "100")
        assert [text_of(x) for x in got] == [f"kept {i}" for i in range(20)], got
        s.stop(signal.SIGTERM)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def chanserv(c, text):
    """What ChanServ answers `c` to `text` (its first notice)."""
    c.send(f"PRIVMSG ChanServ :{text}")
    return text_of(c.expect("ChanServ!"))


def joined(c, channel):
    """JOIN `channel`; the lines up to the end of its names (366)."""
    c.send(f"JOIN {channel}")
    return c.lines_until(" 366 ")


def names_of(lines):
    """The nicks, with their prefixes, of the 353 lines among `lines`."""
    return [n for line in lines if " 353 " in line for n in text_of(line).split()]


def case_registered_channel(_):
    """A registered channel keeps its topic and modes across a restart, and
    its founder gets operator status, whoever came first."""
    d = tempfile.mkdtemp(prefix="chat-chanserv-")
    try:
        s = start(data_dir=d)
        register(s.irc_port, "rita").close()
        register(s.irc_port, "sid").close()
        r = Client(s.irc_port, "rita", sasl=("PLAIN", "rita", "correct horse"))
        assert "@rita" in names_of(joined(r, "#reg"))
        r.send("TOPIC #reg :kept across restarts")
        r.expect(" TOPIC #reg ")
        r.send("MODE #reg +m")
        r.expect(" MODE #reg +m")
        # The errors: not logged in, not an operator, not the founder.
        u = Client(s.irc_port, "ulla")
        joined(u, "#reg")
        assert "Log in first" in chanserv(u, "REGISTER #reg"), u.seen[-1]
        o = Client(s.irc_port, "sid", sasl=("PLAIN", "sid", "correct horse"))
        joined(o, "#reg")
        assert "must be a channel operator" in chanserv(o, "REGISTER #reg"), o.seen[-1]
        assert "not registered" in chanserv(o, "DROP #reg"), o.seen[-1]
        assert "now registered to rita" in chanserv(r, "REGISTER #reg"), r.seen[-1]
        assert "registered already" in chanserv(o, "REGISTER #reg"), o.seen[-1]
        assert "Only the founder" in chanserv(o, "DROP #reg"), o.seen[-1]
        assert "registered to rita since" in chanserv(o, "INFO #reg"), o.seen[-1]
        # A change after the registration is kept too.
        r.send("MODE #reg +s")
        r.expect(" MODE #reg +s")
        r.send("MODE #reg +H 5:1d")
        r.expect(" MODE #reg +H 5:1d")
        for c in (r, u, o):
            c.close()
        assert s.stop(signal.SIGTERM) == 0

        s = start(data_dir=d)
        assert s.saw("store: 1 registered channel"), "".join(s.log)
        # Someone else first: no operator status for that.
        o = Client(s.irc_port, "sid", sasl=("PLAIN", "sid", "correct horse"))
        burst = joined(o, "#reg")
        assert names_of(burst) == ["sid"], burst
        assert any(" 332 " in x and text_of(x) == "kept across restarts" for x in burst), burst
        assert any(" 333 " in x and " rita!" in x for x in burst), burst
        o.send("MODE #reg")
        assert o.expect(" 324 ").split(" 324 ", 1)[1].split()[2:] == ["+Hmnst", "5:1d"], o.seen[-1]
        o.send("TOPIC #reg :mine now")
        o.expect(" 482 ")
        # The founder, logged in with SASL, is made operator on joining.
        f = Client(s.irc_port, "rita", sasl=("SCRAM-SHA-256", "rita", "correct horse"))
        assert names_of(joined(f, "#reg")) == ["sid", "@rita"], f.seen[-5:]
        f.send("TOPIC #reg")
        assert text_of(f.expect(" 332 ")) == "kept across restarts"
        assert "registered to rita" in chanserv(f, "INFO #reg")
        # Dropped, it is an ordinary channel again: after a restart it is gone.
        assert "no longer registered" in chanserv(f, "DROP #reg"), f.seen[-1]
        assert s.stop(signal.SIGTERM) == 0
        s = start(data_dir=d)
        assert s.saw("store: 0 registered channels"), "".join(s.log)
        o = Client(s.irc_port, "sid", sasl=("PLAIN", "sid", "correct horse"))
        assert names_of(joined(o, "#reg")) == ["@sid"]
        s.stop(signal.SIGTERM)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def case_sigkill_bound(_):
    """What a SIGKILL may lose is bounded in time (README: the commit
    interval): every message whose echo came back well before the kill is
    there after a restart."""
    d = tempfile.mkdtemp(prefix="chat-kill-")
    try:
        s = start(data_dir=d)
        a = Client(s.irc_port, "pam", caps=HISTORY_CAPS)
        a.send("JOIN #crash")
        a.expect(" 366 ")
        for i in range(200):
            a.send(f"PRIVMSG #crash :before {i}")
        a.expect("before 199")
        time.sleep(0.5)  # 50 commit intervals (10 ms): generous for a loaded machine
        s.proc.kill()
        s.proc.wait()
        s = start(data_dir=d)
        b = Client(s.irc_port, "pam", caps=HISTORY_CAPS)
        b.send("JOIN #crash")
        b.expect(" 366 ")
        got = b.history("LATEST", "#crash", "*", "1000")
        assert [text_of(x) for x in got] == [f"before {i}" for i in range(200)], (len(got), got[-3:])
        s.stop(signal.SIGTERM)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def chat_still_works(s, tag):
    a = Client(s.irc_port, f"{tag}a")
    b = Client(s.irc_port, f"{tag}b")
    a.send(f"PRIVMSG {tag}b :still here")
    assert "still here" in b.expect("still here")


def case_corrupt_database(_):
    d = tempfile.mkdtemp(prefix="chat-corrupt-")
    try:
        with open(os.path.join(d, "chat.db"), "wb") as f:
            f.write(b"this is not a database" * 200)
        s = start(data_dir=d)
        assert s.saw("running without accounts and history"), "".join(s.log)
        chat_still_works(s, "q")
        c = Client(s.irc_port, "qc", caps=("batch",))
        c.send("CAP LS 302")
        assert "sasl" not in c.expect(" LS ")
        s.stop(signal.SIGTERM)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def case_full_database(_):
    d = tempfile.mkdtemp(prefix="chat-full-")
    try:
        s = start("--store-max-mb", "1", data_dir=d)
        a = Client(s.irc_port, "sam", caps=HISTORY_CAPS)
        a.send("JOIN #full")
        a.expect(" 366 ")
        big = "x" * 400
        for i in range(4000):  # about 1.6 MB of text: past the cap
            a.send(f"PRIVMSG #full :{i} {big}")
        a.expect(f"3999 {big}", limit=10000)
        assert s.saw("full", timeout=DEADLINE), "".join(s.log[-20:])
        chat_still_works(s, "t")
        got = a.history("LATEST", "#full", "*", "5")
        assert isinstance(got, list) or "MESSAGE_ERROR" in got, got
        s.stop(signal.SIGTERM)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def case_retention_per_target(_):
    s = start("--history-max-per-target", "3", "--store-retention-interval-ms", "200")
    try:
        a = Client(s.irc_port, "uma", caps=HISTORY_CAPS)
        a.send("JOIN #short")
        a.expect(" 366 ")
        for i in range(5):
            a.send(f"PRIVMSG #short :r {i}")
        a.expect("r 4")
        end = time.monotonic() + DEADLINE
        got = []
        while time.monotonic() < end:
            got = a.history("LATEST", "#short", "*", "10")
            if len(got) == 3:
                break
            time.sleep(0.1)
        assert [text_of(x) for x in got] == ["r 2", "r 3", "r 4"], got
    finally:
        s.stop(signal.SIGTERM)


def case_no_store(_):
    s = ServerProcess(SERVER, "--no-store")
    try:
        c = Client(s.irc_port, "vic")
        c.send("CAP LS 302")
        line = c.expect(" LS ")
        assert "sasl" not in line and "chathistory" not in line, line
        c.send("CHATHISTORY LATEST #lobby * 10")
        assert "FAIL CHATHISTORY" in c.expect("FAIL")
        c.send("PRIVMSG NickServ :REGISTER password123")
        assert "not kept" in c.expect("NickServ!")
    finally:
        s.stop(signal.SIGTERM)


class Seed:
    """A seed-protocol client: 10-byte length headers, then the payload."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        self.buf = b""

    def send(self, text):
        data = text.encode()
        self.sock.sendall(f"{len(data):<10}".encode() + data)

    def frame(self):
        while True:
            if len(self.buf) >= 10:
                n = int(self.buf[:10].strip())
                if len(self.buf) >= 10 + n:
                    data, self.buf = self.buf[10:10 + n], self.buf[10 + n:]
                    return data.decode()
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk


def case_seed_accounts(s):
    register(s.irc_port, "wes", "seed password").close()
    refused = Seed(s.seed_port)
    refused.send("wes")
    assert refused.frame() == "Error: username wes is registered"
    assert refused.frame() is None
    wrong = Seed(s.seed_port)
    wrong.send("wes not the password")
    assert wrong.frame() == "Error: wrong name or password"
    right = Seed(s.seed_port)
    right.send("wes seed password")
    assert right.frame() == "You have joined the chat!", "logged in"
    watcher = Client(s.irc_port, "xena")
    watcher.send("WHOIS wes")
    assert "is logged in as" in watcher.expect(" 330 ", " 318 ")
    free = Seed(s.seed_port)
    free.send("yolanda")
    assert free.frame() == "You have joined the chat!"
    service = Seed(s.seed_port)
    service.send("NickServ")
    assert "taken" in service.frame()


def admin(d, *args, password=None):
    import subprocess
    r = subprocess.run([SERVER, "account", *args, "--data-dir", d], input=password, capture_output=True,
                       text=True, timeout=DEADLINE)
    return r.returncode, r.stdout, r.stderr


def case_admin_command(_):
    d = tempfile.mkdtemp(prefix="chat-admin-")
    try:
        assert admin(d, "add", "zoe", password="offline password\n")[0] == 0
        code, _, err = admin(d, "add", "zoe", password="offline password\n")
        assert code == 1 and "zoe" in err, (code, err)
        code, _, err = admin(d, "add", "bad name", password="offline password\n")
        assert code == 2, (code, err)
        code, _, err = admin(d, "add", "zed", password="short\n")
        assert code == 2 and "8" in err, (code, err)
        code, out, _ = admin(d, "list")
        assert code == 0 and out.split("\t")[0] == "zoe", out
        s = start(data_dir=d)
        Client(s.irc_port, "zoe", sasl=("PLAIN", "zoe", "offline password")).close()
        assert admin(d, "passwd", "zoe", password="changed password\n")[0] == 0
        x = Client(s.irc_port, "zoe2", caps=("sasl",), register=False)
        assert not x.authenticate("PLAIN", "zoe", "offline password")
        assert x.authenticate("PLAIN", "zoe", "changed password")
        assert admin(d, "del", "zoe")[0] == 0
        code, out, _ = admin(d, "list")
        assert code == 0 and out == "", out
        assert admin(d, "del", "zoe")[0] != 0
        s.stop(signal.SIGTERM)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def mode_reply(c, channel, modes):
    """MODE `channel` `modes`: its echo, or the error numeric."""
    c.send(f"MODE {channel} {modes}")
    return c.expect(f" MODE {channel} ", " 696 ", " 482 ", " 461 ")


def replayed(c, channel, until_quiet=0.5):
    """JOIN `channel`, then what follows the names until nothing comes."""
    joined(c, channel)
    got = []
    while not c.quiet(until_quiet):
        got.append(c.seen[-1])
    return got


def case_replay_on_join(s):
    """+H <count>:<age>: a newcomer without CHATHISTORY sees the room's last
    lines, with their times; one with CHATHISTORY does not (it asks)."""
    op = Client(s.irc_port, "opal", caps=("echo-message",))
    joined(op, "#replay")
    # The setting's edges: 1..100 lines, 1 s..1 year, a unit or seconds.
    for bad in ("0:1h", "101:1h", "5", "5:", ":1h", "5:0", "5:366d", "5:1y", "x:1h", "5:1hh"):
        assert " 696 " in mode_reply(op, "#replay", f"+H {bad}"), (bad, op.seen[-1])
    assert " 461 " in mode_reply(op, "#replay", "+H")
    assert mode_reply(op, "#replay", "+H 100:365d").endswith("+H 100:365d"), op.seen[-1]
    assert mode_reply(op, "#replay", "+H 3:1h30m").endswith("+H 3:90m"), op.seen[-1]
    op.send("MODE #replay")
    assert op.expect(" 324 ").split(" 324 ", 1)[1].split()[2:] == ["+Hnt", "3:90m"], op.seen[-1]
    # Only an operator sets it.
    other = Client(s.irc_port, "otto")
    joined(other, "#replay")
    assert " 482 " in mode_reply(other, "#replay", "+H 5:1h")
    for i in range(5):
        op.send(f"PRIVMSG #replay :old {i}")
        op.expect(f":old {i}")
    time.sleep(0.05)  # committed and in the past for the next joins
    # With batch and server-time: the last 3, in a chathistory batch, with times.
    t = Client(s.irc_port, "tess", caps=("batch", "server-time"))
    got = replayed(t, "#replay")
    msgs = [x for x in got if " PRIVMSG #replay " in x]
    assert [text_of(x) for x in msgs] == ["old 2", "old 3", "old 4"], got
    assert all("time=" in x and "batch=" in x for x in msgs), got
    assert "BATCH +" in got[0] and "chathistory" in got[0] and "BATCH -" in got[-1], got
    # Without times: a notice says what the lines are.
    p = Client(s.irc_port, "pat")
    got = replayed(p, "#replay")
    assert "Replaying up to 3 lines of history from the last 90m" in got[0], got
    assert [text_of(x) for x in got[1:]] == ["old 2", "old 3", "old 4"], got
    # A client with CHATHISTORY gets none: it fetches what it wants.
    h = Client(s.irc_port, "hal", caps=HISTORY_CAPS)
    assert not [x for x in replayed(h, "#replay") if "PRIVMSG" in x]
    # What is said after joining comes live, once.
    op.send("PRIVMSG #replay :new one")
    assert text_of(p.expect("PRIVMSG #replay")) == "new one"
    # Lines older than the age are not replayed.
    assert mode_reply(op, "#replay", "+H 10:1s").endswith("+H 10:1s")
    time.sleep(1.2)
    assert not [x for x in replayed(Client(s.irc_port, "late"), "#replay") if "PRIVMSG" in x]
    # -H: no replay.
    assert mode_reply(op, "#replay", "-H").endswith("-H"), op.seen[-1]
    assert mode_reply(op, "#replay", "+H 10:1h").endswith("+H 10:1h")
    assert mode_reply(op, "#replay", "-H").endswith("-H")
    assert not [x for x in replayed(Client(s.irc_port, "none"), "#replay") if "PRIVMSG" in x]
    # ISUPPORT lists H among the modes with an argument when set.
    op.send("VERSION")
    assert ",k,Hl," in op.expect("CHANMODES=")


def case_labeled_history(s):
    """A labeled CHATHISTORY is streamed in a labeled-response batch around
    the chathistory batch: 1,000 long lines (about 500 KB, past the SendQ
    of 256 KiB) arrive whole, and the connection stays."""
    caps = ("batch", "server-time", "message-tags", "labeled-response", "draft/chathistory")
    a = Client(s.irc_port, "lana", caps=caps)
    joined(a, "#big")
    text = "y" * 380
    a.sock.sendall(b"".join(f"PRIVMSG #big :{i} {text}\r\n".encode() for i in range(1000)))
    a.send("@label=small PING :sync")
    a.expect("PONG")
    a.send("@label=big CHATHISTORY LATEST #big * 1000")
    first = a.expect("labeled-response", "FAIL")
    assert first.startswith("@label=big ") and " BATCH +" in first, first
    outer = first.split(" BATCH +", 1)[1].split()[0]
    inner_start = a.line()
    assert inner_start.startswith(f"@batch={outer} ") and "chathistory #big" in inner_start, inner_start
    inner = inner_start.split(" BATCH +", 1)[1].split()[0]
    got = []
    while True:
        line = a.line()
        if " BATCH -" in line:
            break
        assert line.startswith(f"@batch={inner};") or f";batch={inner}" in line.split(" ", 1)[0], line
        got.append(text_of(line))
    assert line.startswith(f"@batch={outer} ") and line.endswith(f"BATCH -{inner}"), line
    assert a.line().endswith(f"BATCH -{outer}")
    assert got == [f"{i} {text}" for i in range(1000)], (len(got), got[:2])
    # Still connected; a short labeled reply still carries its label.
    a.send("@label=after CHATHISTORY LATEST #big * 1")
    line = a.expect("BATCH +")
    assert line.startswith("@label=after "), line
    a.send("PING :still")
    a.expect("PONG")


def case_replay_needs_store(_):
    s = start("--no-store")
    try:
        c = Client(s.irc_port, "nora")
        joined(c, "#x")
        line = mode_reply(c, "#x", "+H 5:1h")
        assert " 696 " in line and "not kept" in line, line
    finally:
        s.stop(signal.SIGTERM)


def case_seed_replay(_):
    """--seed-replay N: a seed user sees the lobby's last N lines after
    "You have joined", in the original's format; without it, nothing."""
    s = start("--seed-replay", "3")
    try:
        talker = Client(s.irc_port, "tom", caps=("echo-message",))
        joined(talker, "#lobby")
        for i in range(5):
            talker.send(f"PRIVMSG #lobby :said {i}")
            talker.expect(f":said {i}")
        talker.send("PRIVMSG #lobby :\x01ACTION waves\x01")
        talker.expect("ACTION waves")
        time.sleep(0.05)
        u = Seed(s.seed_port)
        u.send("una")
        assert u.frame() == "You have joined the chat!"
        assert [u.frame() for _ in range(3)] == ["tom > said 3", "tom > said 4", "* tom waves"]
        talker.send("PRIVMSG #lobby :live")
        assert u.frame() == "tom > live", "then live lines, once"
    finally:
        s.stop(signal.SIGTERM)
    # The default, 0: the original's bytes exactly.
    s = start()
    try:
        talker = Client(s.irc_port, "tom", caps=("echo-message",))
        joined(talker, "#lobby")
        talker.send("PRIVMSG #lobby :before")
        talker.expect(":before")
        time.sleep(0.05)
        u = Seed(s.seed_port)
        u.send("una")
        assert u.frame() == "You have joined the chat!"
        talker.send("PRIVMSG #lobby :after")
        assert u.frame() == "tom > after", "nothing replayed by default"
    finally:
        s.stop(signal.SIGTERM)
    # The limit's edge: 100 is taken, 101 refused at start.
    import subprocess
    out = subprocess.run([SERVER, "--seed-replay", "101", "--no-store"], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "seed-replay" in out.stderr, out


CASES_WITH_SERVER = {"replay_on_join", "labeled_history", "seed_accounts", "register_and_sasl_plain", "sasl_scram", "nickserv", "nick_ownership",
                     "account_visibility", "chathistory_channel", "private_history"}

if __name__ == "__main__":
    name = sys.argv[2]
    case = globals()["case_" + name]
    if name in CASES_WITH_SERVER:
        server = start("--nick-grace-ms", "1000")
        try:
            case(server)
        finally:
            server.stop(signal.SIGTERM)
    else:
        case(None)
    print("ok")
