"""Interop: SASL PLAIN driven from a client library nobody here wrote.

Debian's python3-irc (jaraco's `irc`, 8.5.3 in Debian 12) has no SASL of its
own, so the bot does what a bot author does with it: it negotiates CAP and
sends the AUTHENTICATE lines raw (`send_raw`) from its event handlers, and the
library parses every reply into its events. The account is made before the
server starts, offline, with `chat-server account add NAME --data-dir DIR`
(the password on stdin), and the server is then started on that data dir.

  - pysasl logs in with the right password: 900 names the account, 903 comes
    before 001 (registration waits for CAP END), and WHOIS shows 330 both to
    pysasl itself and to pywatch, who never logged in;
  - pywrong tries the same account with a wrong password: 904, the server
    logs why, pywrong still registers after CAP END, and WHOIS shows no 330.

The library sends NICK and USER as soon as its socket is open; its socket
factory therefore opens with `CAP LS 302`, so the server holds registration
until the bot's handlers say CAP END.

usage: /usr/bin/python3 python_irc_sasl.py CHAT_SERVER
"""
import base64
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import irc.client
import irc.connection

from python_irc_client import DEADLINE, HOST, Failure, IrcUsers, Server, describe, ok

ACCOUNT = "pysasl"
PASSWORD = "library password"


# ---- the account, made offline ------------------------------------------------------


def add_account(binary, data_dir, name, password):
    """`chat-server account add NAME --data-dir DIR`, the password on stdin."""
    try:
        r = subprocess.run([binary, "account", "add", name, "--data-dir", data_dir], input=password + "\n",
                           capture_output=True, text=True, timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        raise Failure(f"`chat-server account add {name}` still running after {DEADLINE} s")
    if r.returncode != 0:
        raise Failure(f"`chat-server account add {name}`: exit {r.returncode}, stderr {r.stderr!r}")
    return r.stdout.strip()


# ---- SASL PLAIN from the library's event handlers ------------------------------------


class CapFirst(irc.connection.Factory):
    """The library's socket factory, but the socket opens with CAP LS 302: the
    library sends NICK and USER right after, and the server must not finish
    registration before the handlers below have done SASL."""

    def connect(self, server_address):
        sock = super().connect(server_address)
        sock.sendall(b"CAP LS 302\r\n")
        return sock

    __call__ = connect


class SaslPlain:
    """CAP LS -> CAP REQ sasl -> AUTHENTICATE PLAIN -> payload -> CAP END, one
    step per event, for every connection registered in `logins`."""

    def __init__(self, reactor):
        self.logins = {}  # connection -> (account, password)
        self.sent = {}  # connection -> the CAP and AUTHENTICATE lines the handlers sent
        self.offered = {}  # connection -> the caps of CAP LS, all lines of it
        for event, handler in (("cap", self.on_cap), ("authenticate", self.on_authenticate),
                               ("903", self.on_done), ("904", self.on_done)):
            reactor.add_global_handler(event, handler)

    def send(self, conn, line):
        self.sent.setdefault(conn, []).append(line)
        conn.send_raw(line)

    def on_cap(self, conn, event):
        if conn not in self.logins:
            return
        sub = event.arguments[0]
        if sub == "LS":
            self.offered.setdefault(conn, []).extend(event.arguments[-1].split())
            if len(event.arguments) > 2 and event.arguments[1] == "*":
                return  # more LS lines to come (CAP 302)
            sasl = [c for c in self.offered[conn] if c == "sasl" or c.startswith("sasl=")]
            if not sasl or (sasl[0] != "sasl" and "PLAIN" not in sasl[0][5:].split(",")):
                self.send(conn, "CAP END")  # the test fails on the missing 903
                return
            self.send(conn, "CAP REQ sasl")
        elif sub == "ACK" and "sasl" in event.arguments[-1].split():
            self.send(conn, "AUTHENTICATE PLAIN")
        elif sub == "NAK":
            self.send(conn, "CAP END")

    def on_authenticate(self, conn, event):
        if conn not in self.logins or event.target != "+":
            return
        account, password = self.logins[conn]
        payload = base64.b64encode(f"{account}\0{account}\0{password}".encode()).decode()
        self.send(conn, f"AUTHENTICATE {payload}")

    def on_done(self, conn, event):
        if conn in self.logins:
            self.send(conn, "CAP END")

    def exchange(self, conn, users):
        """What was said, both ways, for a failure message."""
        said = [f"-> {line}" for line in self.sent.get(conn, [])]
        heard = [f"<- {line}" for line in users.raw.get(conn, []) if " CAP " in line or " AUTHENTICATE " in line
                 or line.split(" ")[1:2] in (["900"], ["903"], ["904"], ["908"])]
        return "\n  ".join(said + heard)


def connect_with_sasl(users, sasl, port, nick, account, password):
    conn = users.reactor.server()
    users.names[conn] = nick
    users.events[conn] = []
    users.raw[conn] = []
    users.cursor[conn] = 0
    sasl.logins[conn] = (account, password)
    sasl.sent[conn] = ["CAP LS 302"]  # by CapFirst, before the library's NICK and USER
    try:
        conn.connect(HOST, port, nick, username=nick, ircname=f"{nick} (python-irc SASL)",
                     connect_factory=CapFirst())
    except irc.client.ServerConnectionError as e:
        raise Failure(f"{nick}: could not connect to {HOST}:{port}: {e}")
    return conn


def log_shows(server, text):
    """True once a line of the server's log holds `text` (the log is read on a thread)."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if any(text in line for line in server.log):
            return True
        time.sleep(0.05)
    return False


def index_of(users, conn, event):
    return users.events[conn].index(event)


def whois_account(users, conn, nick):
    """WHOIS nick; the account 330 names, or None if 318 came without a 330."""
    conn.whois([nick])
    users.expect(conn, f"whoisuser (311) for {nick}", lambda e: e.type == "whoisuser" and e.arguments[:1] == [nick])
    e = users.expect(conn, f"330 or endofwhois (318) for {nick}",
                     lambda e: (e.type == "330" and e.arguments[:1] == [nick]) or e.type == "endofwhois")
    if e.type == "endofwhois":
        return None
    if len(e.arguments) != 3:
        raise Failure(f"330: expected [nick, account, text], got {describe(e)}")
    users.expect(conn, "endofwhois (318)", lambda e: e.type == "endofwhois")
    return e.arguments[1]


# ---- the scenario -------------------------------------------------------------------


def run(binary):
    data_dir = tempfile.mkdtemp(prefix="chat-interop-sasl-")
    server = None
    users = IrcUsers()
    sasl = SaslPlain(users.reactor)
    try:
        said = add_account(binary, data_dir, ACCOUNT, PASSWORD)
        ok(f"offline: chat-server account add {ACCOUNT} ({said})")
        server = Server(binary, "--data-dir", data_dir)
        _, irc_port = server.ports()
        ok(f"server listening on IRC {irc_port}, data dir {data_dir}")

        bot = connect_with_sasl(users, sasl, irc_port, ACCOUNT, ACCOUNT, PASSWORD)
        try:
            ls = users.expect(bot, "CAP LS", lambda e: e.type == "cap" and e.arguments[:1] == ["LS"])
            users.expect(bot, "CAP ACK sasl", lambda e: e.type == "cap" and e.arguments[:1] == ["ACK"])
            users.expect(bot, "AUTHENTICATE +", lambda e: e.type == "authenticate" and e.target == "+")
            logged = users.expect(bot, "900 (logged in)", lambda e: e.type in ("900", "904"))
            if logged.type != "900":
                raise Failure(f"expected 900, got {describe(logged)}")
            done = users.expect(bot, "903 (SASL successful)", lambda e: e.type in ("903", "904"))
            if done.type != "903":
                raise Failure(f"expected 903, got {describe(done)}")
            welcome = users.expect(bot, "welcome (001)", lambda e: e.type == "welcome")
        except Failure as e:
            raise Failure(f"{e}\nthe SASL exchange:\n  {sasl.exchange(bot, users)}")
        offered = [c for c in ls.arguments[-1].split() if c.startswith("sasl")]
        if logged.target != ACCOUNT or logged.arguments[1:2] != [ACCOUNT]:
            raise Failure(f"900: expected target {ACCOUNT!r} and account {ACCOUNT!r}, got {describe(logged)}")
        if not index_of(users, bot, done) < index_of(users, bot, welcome):
            raise Failure("001 came before 903: registration did not wait for CAP END")
        ok(f"pysasl: CAP LS offered {offered}; PLAIN sent from the handlers; 900 {logged.arguments[:2]}, "
           "903, then 001")
        if not log_shows(server, f'{ACCOUNT} logged in as "{ACCOUNT}"'):
            raise Failure(f"server log: expected '{ACCOUNT} logged in as \"{ACCOUNT}\"'")

        account = whois_account(users, bot, ACCOUNT)
        if account != ACCOUNT:
            raise Failure(f"WHOIS {ACCOUNT} by itself: expected 330 naming {ACCOUNT!r}, got {account!r}")
        watch = users.connect(irc_port, "pywatch")
        users.expect(watch, "welcome (001)", lambda e: e.type == "welcome")
        account = whois_account(users, watch, ACCOUNT)
        if account != ACCOUNT:
            raise Failure(f"WHOIS {ACCOUNT} by pywatch: expected 330 naming {ACCOUNT!r}, got {account!r}")
        ok(f"WHOIS {ACCOUNT}: 330 names account {ACCOUNT!r}, to itself and to pywatch")

        wrong = connect_with_sasl(users, sasl, irc_port, "pywrong", ACCOUNT, "not the password")
        try:
            users.expect(wrong, "AUTHENTICATE +", lambda e: e.type == "authenticate" and e.target == "+")
            failed = users.expect(wrong, "904 (SASL failed)", lambda e: e.type in ("900", "903", "904"))
        except Failure as e:
            raise Failure(f"{e}\nthe SASL exchange:\n  {sasl.exchange(wrong, users)}")
        if failed.type != "904":
            raise Failure(f"a wrong password: expected 904, got {describe(failed)}\n  {sasl.exchange(wrong, users)}")
        users.expect(wrong, "welcome (001) after CAP END", lambda e: e.type == "welcome")
        if any(e.type in ("900", "903") for e in users.events[wrong]):
            raise Failure("pywrong: 900 or 903 after a wrong password")
        account = whois_account(users, watch, "pywrong")
        if account is not None:
            raise Failure(f"WHOIS pywrong: expected no 330, got account {account!r}")
        if not log_shows(server, "pywrong failed SASL: wrong password"):
            raise Failure("server log: expected 'pywrong failed SASL: wrong password'")
        ok(f"pywrong, wrong password: 904 {failed.arguments}, registered without an account, no 330")

        if server.proc.poll() is not None:
            raise Failure("the server died:\n" + server.log_text())
        server.proc.send_signal(signal.SIGTERM)
        try:
            code = server.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            raise Failure(f"SIGTERM: still running after {DEADLINE} s")
        if code != 0:
            raise Failure(f"SIGTERM: exit status {code}")
        ok("SIGTERM: exit 0")
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr, flush=True)
        if server is not None:
            print("---- server log\n" + server.log_text(), file=sys.stderr, flush=True)
        return 1
    finally:
        users.close_all()
        if server is not None and server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
    print("ok: python-irc SASL interop passed")
    return 0


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    return run(sys.argv[1])


if __name__ == "__main__":
    sys.exit(main())
