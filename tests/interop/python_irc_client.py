"""Interop: a real IRC client library that nobody here wrote drives the server.

Debian's python3-irc (the `irc` package by jaraco) connects two IRC users,
"pybot" and "pyfriend", while a seed-protocol user "sam" (plain socket) sits in
#lobby. Between them they cover registration, JOIN and NAMES, channel and
private messages both ways across the two front doors, NICK, TOPIC (refused
with 482 in #lobby, where sam holds ops under +t; set in a channel pyfriend
creates), WHOIS and QUIT, and finally a clean exit on SIGTERM.

The library is only importable from Debian's interpreter, so run it with
/usr/bin/python3:

usage: /usr/bin/python3 python_irc_client.py CHAT_SERVER
"""
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import irc.client

HOST = "127.0.0.1"  # the only address this test ever connects to
DEADLINE = 10.0  # seconds for each wait


class Failure(Exception):
    pass


def ok(what):
    print(f"ok: {what}", flush=True)


# ---- the server process -------------------------------------------------------


class Server:
    """chat-server on free ports; stderr is drained by a thread so the pipe never fills."""

    def __init__(self, binary, *extra):
        self.proc = subprocess.Popen(
            [binary, "--host", HOST, "--port", "0", "--irc-port", "0", "--no-http", "--no-metrics", "--threads", "2",
             *extra],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        self.log = []
        self.lines = queue.Queue()
        self.drainer = threading.Thread(target=self._drain, daemon=True)
        self.drainer.start()

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def ports(self):
        seed = irc_port = None
        end = time.monotonic() + DEADLINE
        while (seed is None or irc_port is None) and time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if line is None:
                break
            m = re.search(r"seed-compatible listener on 127\.0\.0\.1:(\d+)", line)
            if m:
                seed = int(m.group(1))
            m = re.search(r"IRC listener on 127\.0\.0\.1:(\d+)", line)
            if m:
                irc_port = int(m.group(1))
        if seed is None or irc_port is None:
            raise Failure(
                "expected log lines 'seed-compatible listener on 127.0.0.1:PORT' and "
                "'IRC listener on 127.0.0.1:PORT'; saw:\n" + self.log_text()
            )
        return seed, irc_port

    def log_text(self):
        return "".join(self.log[-60:]) or "(nothing)"


# ---- the seed-protocol user -----------------------------------------------------


def frame(text):
    data = text.encode()
    return f"{len(data):<10}".encode() + data


class SeedUser:
    def __init__(self, port, name):
        self.name = name
        self.sock = socket.create_connection((HOST, port), timeout=DEADLINE)
        self.buf = b""
        self.frames = []  # everything received, in order
        self.cursor = 0  # frames before this one have been matched or passed over
        self.eof = False

    def send(self, text):
        self.sock.sendall(frame(text))

    def _pump(self, timeout):
        """Reads what arrives within timeout and splits it into frames."""
        if self.eof:
            time.sleep(timeout)
            return
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.eof = True
            return
        self.buf += chunk
        while len(self.buf) >= 10:
            size = int(self.buf[:10].strip())
            if len(self.buf) < 10 + size:
                break
            self.frames.append(self.buf[10 : 10 + size].decode("utf-8", "replace"))
            self.buf = self.buf[10 + size :]

    def expect(self, text):
        """Waits for the frame `text`; frames before it are passed over (and shown)."""
        end = time.monotonic() + DEADLINE
        while True:
            for i in range(self.cursor, len(self.frames)):
                if self.frames[i] == text:
                    skipped = self.frames[self.cursor : i]
                    self.cursor = i + 1
                    for s in skipped:
                        print(f"   ({self.name} also got {s!r})", flush=True)
                    return
            if time.monotonic() >= end or self.eof:
                break
            self._pump(0.1)
        raise Failure(
            f"seed user {self.name}: expected frame {text!r}; "
            f"{'connection closed; ' if self.eof else ''}"
            f"frames seen since the last match: {self.frames[self.cursor:]!r}"
        )

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---- the IRC users, through the irc library ---------------------------------------

# irc >= 9 calls it Reactor; Debian 12's 8.5.3 still calls it IRC.
Reactor = getattr(irc.client, "Reactor", None) or irc.client.IRC


class IrcUsers:
    """One reactor for every IRC connection; events are recorded per connection."""

    def __init__(self):
        self.reactor = Reactor()
        self.events = {}  # connection -> [Event]
        self.raw = {}  # connection -> [raw line]
        self.cursor = {}  # connection -> index of the first event not yet passed over
        self.names = {}  # connection -> label for messages
        self.reactor.add_global_handler("all_events", self._record, -100)

    def _record(self, conn, event):
        if event.type == "all_raw_messages":
            self.raw.setdefault(conn, []).append(event.arguments[0])
        else:
            self.events.setdefault(conn, []).append(event)

    def connect(self, port, nick):
        conn = self.reactor.server()
        self.names[conn] = nick
        self.events[conn] = []
        self.raw[conn] = []
        self.cursor[conn] = 0
        try:
            conn.connect(HOST, port, nick, username=nick, ircname=f"{nick} (python-irc interop)")
        except irc.client.ServerConnectionError as e:
            raise Failure(f"{nick}: could not connect to {HOST}:{port}: {e}")
        return conn

    def pump(self, timeout=0.1):
        self.reactor.process_once(timeout)

    def expect(self, conn, what, pred):
        """Waits until conn gets an event for which pred(event) holds; returns it."""
        end = time.monotonic() + DEADLINE
        while True:
            evs = self.events[conn]
            for i in range(self.cursor[conn], len(evs)):
                if pred(evs[i]):
                    self.cursor[conn] = i + 1
                    return evs[i]
            if time.monotonic() >= end:
                break
            self.pump(0.1)
        seen = [describe(e) for e in self.events[conn][self.cursor[conn] :]]
        raise Failure(
            f"IRC user {self.names[conn]}: expected {what}; events seen since the last match:\n  "
            + "\n  ".join(seen or ["(none)"])
            + "\nlast raw lines from the server:\n  "
            + "\n  ".join(self.raw[conn][-25:] or ["(none)"])
        )

    def close_all(self):
        for conn in list(self.names):
            try:
                if conn.is_connected():
                    conn.close()
            except Exception:
                pass


def describe(e):
    return f"{e.type} source={e.source!r} target={e.target!r} arguments={e.arguments!r}"


def nick_of(e):
    try:
        return irc.client.NickMask(e.source).nick
    except Exception:
        return None


# ---- the scenario -------------------------------------------------------------------


def run(binary):
    server = Server(binary)
    users = IrcUsers()
    sam = None
    try:
        seed_port, irc_port = server.ports()
        ok(f"server listening: seed {seed_port}, IRC {irc_port}")

        sam = SeedUser(seed_port, "sam")
        sam.send("sam")
        sam.expect("You have joined the chat!")
        ok("seed user sam joined")

        pybot = users.connect(irc_port, "pybot")
        welcome = users.expect(pybot, "welcome (001)", lambda e: e.type == "welcome")
        if welcome.target != "pybot":
            raise Failure(f"welcome (001): expected target 'pybot', got {describe(welcome)}")
        ok("pybot registered (001 welcome)")

        pybot.join("#lobby")
        users.expect(
            pybot,
            "join of #lobby by pybot",
            lambda e: e.type == "join" and e.target.lower() == "#lobby" and nick_of(e) == "pybot",
        )
        names = users.expect(
            pybot, "namreply (353) for #lobby", lambda e: e.type == "namreply" and "#lobby" in e.arguments
        )
        listed = [n.lstrip("@+") for n in names.arguments[-1].split()]
        if "sam" not in listed or "pybot" not in listed:
            raise Failure(f"namreply (353): expected 'sam' and 'pybot' listed, got {describe(names)}")
        users.expect(pybot, "endofnames (366)", lambda e: e.type == "endofnames")
        ok(f"pybot joined #lobby; 353 lists {listed}")
        sam.expect("pybot has joined the chat!")
        ok("sam saw 'pybot has joined the chat!'")

        # Channel messages, both ways.
        pybot.privmsg("#lobby", "hello from python-irc")
        sam.expect("pybot > hello from python-irc")
        ok("pybot -> #lobby reached sam")
        sam.send("hello from seed")
        users.expect(
            pybot,
            "pubmsg from sam on #lobby: 'hello from seed'",
            lambda e: e.type == "pubmsg"
            and nick_of(e) == "sam"
            and e.target.lower() == "#lobby"
            and e.arguments == ["hello from seed"],
        )
        ok("sam -> #lobby reached pybot as a pubmsg")

        # Private messages, both ways.
        pybot.privmsg("sam", "psst, sam")
        sam.expect("privately pybot > psst, sam")
        ok("pybot -> sam privately")
        sam.send("!msg pybot psst, pybot")
        users.expect(
            pybot,
            "privmsg from sam: 'psst, pybot'",
            lambda e: e.type == "privmsg"
            and nick_of(e) == "sam"
            and e.target == "pybot"
            and e.arguments == ["psst, pybot"],
        )
        ok("sam -> pybot privately (privmsg event)")

        # A second library connection.
        pyfriend = users.connect(irc_port, "pyfriend")
        users.expect(pyfriend, "welcome (001)", lambda e: e.type == "welcome")
        pyfriend.join("#lobby")
        users.expect(
            pyfriend,
            "join of #lobby by pyfriend",
            lambda e: e.type == "join" and e.target.lower() == "#lobby" and nick_of(e) == "pyfriend",
        )
        names = users.expect(
            pyfriend, "namreply (353) for #lobby", lambda e: e.type == "namreply" and "#lobby" in e.arguments
        )
        listed = [n.lstrip("@+") for n in names.arguments[-1].split()]
        if not {"sam", "pybot", "pyfriend"} <= set(listed):
            raise Failure(f"namreply (353): expected sam, pybot and pyfriend listed, got {describe(names)}")
        users.expect(
            pybot,
            "join of #lobby by pyfriend",
            lambda e: e.type == "join" and e.target.lower() == "#lobby" and nick_of(e) == "pyfriend",
        )
        sam.expect("pyfriend has joined the chat!")
        ok(f"pyfriend joined #lobby; 353 lists {listed}; pybot and sam saw it")

        # NICK.
        pybot.nick("pybot2")
        users.expect(
            pyfriend,
            "nick event pybot -> pybot2",
            lambda e: e.type == "nick" and nick_of(e) == "pybot" and e.target == "pybot2",
        )
        users.expect(
            pybot,
            "its own nick event pybot -> pybot2",
            lambda e: e.type == "nick" and nick_of(e) == "pybot" and e.target == "pybot2",
        )
        if pybot.get_nickname() != "pybot2":
            raise Failure(f"library's nickname after NICK: expected 'pybot2', got {pybot.get_nickname()!r}")
        sam.expect("pybot is now known as pybot2")
        ok("pybot is now pybot2: pyfriend saw the nick event, sam the notice")

        # TOPIC. #lobby is +t like every channel, and its first member (sam, who
        # joined on login) holds its ops, so pyfriend is refused there: 482
        # (the library's chanoprivsneeded). Accept a topic event too, in case
        # the lobby's policy changes; either way the library must get a reply.
        pyfriend.topic("#lobby", "interop with python-irc")
        reply = users.expect(
            pyfriend,
            "topic event on #lobby or chanoprivsneeded (482)",
            lambda e: (e.type == "topic" and e.target.lower() == "#lobby") or e.type == "chanoprivsneeded",
        )
        if reply.type == "topic":
            users.expect(
                pybot,
                "topic event on #lobby from pyfriend",
                lambda e: e.type == "topic"
                and nick_of(e) == "pyfriend"
                and e.target.lower() == "#lobby"
                and e.arguments == ["interop with python-irc"],
            )
            ok("pyfriend set the #lobby topic; pybot2 saw the topic event")
        else:
            if reply.arguments[:1] != ["#lobby"]:
                raise Failure(f"chanoprivsneeded (482): expected it for #lobby, got {describe(reply)}")
            ok(f"pyfriend's TOPIC on #lobby (+t, sam is op) refused: 482 {reply.arguments}")
        # In a channel pyfriend creates, it is the operator and may set the topic.
        pyfriend.join("#interop")
        users.expect(
            pyfriend,
            "join of #interop by pyfriend",
            lambda e: e.type == "join" and e.target.lower() == "#interop" and nick_of(e) == "pyfriend",
        )
        names = users.expect(
            pyfriend, "namreply (353) for #interop", lambda e: e.type == "namreply" and "#interop" in e.arguments
        )
        if names.arguments[-1].split() != ["@pyfriend"]:
            raise Failure(f"namreply (353) for a new channel: expected '@pyfriend' alone, got {describe(names)}")
        pybot.join("#interop")
        users.expect(
            pybot,
            "join of #interop by pybot2",
            lambda e: e.type == "join" and e.target.lower() == "#interop" and nick_of(e) == "pybot2",
        )
        users.expect(
            pyfriend,
            "join of #interop by pybot2",
            lambda e: e.type == "join" and e.target.lower() == "#interop" and nick_of(e) == "pybot2",
        )
        pyfriend.topic("#interop", "interop with python-irc")
        users.expect(
            pybot,
            "topic event on #interop from pyfriend",
            lambda e: e.type == "topic"
            and nick_of(e) == "pyfriend"
            and e.target.lower() == "#interop"
            and e.arguments == ["interop with python-irc"],
        )
        pybot.topic("#interop")
        current = users.expect(pybot, "currenttopic (332) for #interop", lambda e: e.type == "currenttopic")
        if current.arguments != ["#interop", "interop with python-irc"]:
            raise Failure(f"currenttopic (332): expected ['#interop', 'interop with python-irc'], got {describe(current)}")
        ok("pyfriend set the #interop topic; pybot2 saw the topic event and 332 on query")

        # WHOIS of the seed user.
        pybot.whois(["sam"])
        who = users.expect(
            pybot, "whoisuser (311) for sam", lambda e: e.type == "whoisuser" and e.arguments[:1] == ["sam"]
        )
        if who.target != "pybot2" or len(who.arguments) != 5:
            raise Failure(
                "whoisuser (311): expected target 'pybot2' and arguments [nick, user, host, '*', realname], "
                f"got {describe(who)}"
            )
        users.expect(pybot, "endofwhois (318)", lambda e: e.type == "endofwhois")
        ok(f"pybot2 WHOIS sam: 311 {who.arguments}")

        # QUIT.
        pybot.quit("bye")
        quit_ev = users.expect(
            pyfriend,
            "quit event from pybot2 with 'Quit: bye'",
            lambda e: e.type == "quit" and nick_of(e) == "pybot2",
        )
        if not any("Quit: bye" in a for a in quit_ev.arguments):
            raise Failure(f"quit event: expected 'Quit: bye' in the arguments, got {describe(quit_ev)}")
        sam.expect("pybot2 has left the chat!")
        ok(f"pybot2 quit: pyfriend saw quit {quit_ev.arguments}, sam saw it leave")
        # The server closes pybot2's connection after the QUIT; the library notices.
        users.expect(pybot, "disconnect after QUIT", lambda e: e.type == "disconnect")
        ok("pybot2's connection closed by the server")

        # SIGTERM with sam and pyfriend still connected: keep reading both so nothing stalls.
        server.proc.send_signal(signal.SIGTERM)
        end = time.monotonic() + DEADLINE
        while server.proc.poll() is None and time.monotonic() < end:
            users.pump(0.05)
            sam._pump(0.05)
        code = server.proc.poll()
        if code is None:
            raise Failure("SIGTERM: expected the server to exit within 10 s; it is still running")
        if code != 0:
            raise Failure(f"SIGTERM: expected exit code 0, got {code}")
        sam.expect("Server is shutting down")
        ok("SIGTERM: sam told 'Server is shutting down', server exit code 0")
        users.expect(pyfriend, "disconnect after the server stopped", lambda e: e.type == "disconnect")
        goodbye = [describe(e) for e in users.events[pyfriend] if e.type == "error"]
        ok(f"pyfriend disconnected at shutdown ({goodbye[0] if goodbye else 'no ERROR line'})")

        # pybot2 shared two channels with pyfriend: one QUIT, not one per channel.
        quits = [e for e in users.events[pyfriend] if e.type == "quit" and nick_of(e) == "pybot2"]
        if len(quits) != 1:
            raise Failure(f"pyfriend: expected exactly one quit event from pybot2, got {len(quits)}: "
                          + "; ".join(describe(e) for e in quits))
        ok("pyfriend got pybot2's quit once, though they shared two channels")
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr, flush=True)
        time.sleep(0.2)
        print("server log (last lines):\n" + server.log_text(), file=sys.stderr, flush=True)
        return 1
    finally:
        users.close_all()
        if sam is not None:
            sam.close()
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()
    print("ok: python-irc interop passed")
    return 0


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    return run(sys.argv[1])


if __name__ == "__main__":
    sys.exit(main())
