"""Several chat-server nodes over one real redis-server, end to end: users
on different nodes share channels, private messages and the lobby; a node
that starts late learns who is there; a node killed with SIGKILL is noticed
through its lease and its users quit elsewhere; a Redis that is missing at
start or restarts is survived; hostile frames in Redis are ignored.

Every server and Redis listens on 127.0.0.1, on ports the kernel picks.

usage: cluster_e2e.py CHAT_SERVER CASE
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "accounts"))
from accounts_e2e import Client  # noqa: E402
from server_lifecycle import frame, read_frame  # noqa: E402
from server_process import DEADLINE, ServerProcess  # noqa: E402

SERVER = sys.argv[1]
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
LEASE = 3.0  # cluster::kLease


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A real redis-server in a temp dir on a free loopback port."""

    def __init__(self, port=None):
        self.dir = tempfile.mkdtemp(prefix="chat-test-redis-")
        self.port = port or free_port()
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            if self.command("PING") == "+PONG":
                return
            time.sleep(0.05)
        raise AssertionError("redis-server did not answer PING")

    def command(self, *args):
        """One command over RESP; the first line of the reply, or None."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                out = f"*{len(args)}\r\n".encode()
                for a in args:
                    b = a if isinstance(a, bytes) else str(a).encode()
                    out += f"${len(b)}\r\n".encode() + b + b"\r\n"
                s.sendall(out)
                data = b""
                while b"\r\n" not in data:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                return data.split(b"\r\n", 1)[0].decode()
        except OSError:
            return None

    def info(self, section):
        """INFO `section` as a dict of its `key:value` lines."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=DEADLINE) as s:
            s.sendall(f"*2\r\n$4\r\nINFO\r\n${len(section)}\r\n{section}\r\n".encode())
            data = b""
            while b"\r\n" not in data:
                data += s.recv(65536)
            size = int(data[1:data.index(b"\r\n")])
            body_from = data.index(b"\r\n") + 2
            while len(data) < body_from + size:
                data += s.recv(65536)
            body = data[body_from:body_from + size].decode()
        return dict(x.split(":", 1) for x in body.splitlines() if ":" in x and not x.startswith("#"))

    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def node(redis_url, name, *extra):
    """A chat-server joined to the cluster, once it has Redis."""
    s = ServerProcess(SERVER, "--cluster", redis_url, "--node-name", name, "--server-name", f"{name}.test", *extra)
    return s


def connected(s):
    assert s.saw("Redis connected"), "".join(s.log)
    return s


def eventually(check, what, timeout=DEADLINE):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("never: " + what)


def whois_finds(c, nick):
    """True if WHOIS on `c`'s node knows `nick` now."""
    c.send(f"WHOIS {nick}")
    line = c.expect(" 311 ", " 401 ")
    c.expect(" 318 ")
    return " 311 " in line


def knows(c, nick):
    eventually(lambda: whois_finds(c, nick), f"{c.nick}'s node knows {nick}")


def names_of(c, room):
    c.send(f"NAMES {room}")
    names = set()
    for line in c.lines_until(" 366 "):
        if " 353 " in line:
            names |= {n.lstrip("@+") for n in line.split(" :", 1)[1].split()}
    return names


def sees(c, room, nick):
    """Waits until NAMES on `c`'s node shows `nick` in `room`."""
    eventually(lambda: nick in names_of(c, room), f"{c.nick}'s node shows {nick} in {room}")


def metrics(s):
    """The node's /metrics samples: name{labels} -> value."""
    with socket.create_connection(("127.0.0.1", s.metrics_port), timeout=DEADLINE) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    body = data.split(b"\r\n\r\n", 1)[1].decode()
    out = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def untagged(line):
    """The line without its tags."""
    return line.split(" ", 1)[1] if line.startswith("@") else line


def case_channels_span_nodes(r):
    """Three nodes: members on each see the others' joins, messages, topic,
    modes, kick, part and quit; NAMES answers for the whole network."""
    nodes = [connected(node(r.url(), n)) for n in ("north", "south", "east")]
    try:
        alice = Client(nodes[0].irc_port, "alice")
        bob = Client(nodes[1].irc_port, "bob")
        carol = Client(nodes[2].irc_port, "carol")
        for c, others in ((alice, ("bob", "carol")), (bob, ("alice", "carol")), (carol, ("alice", "bob"))):
            for o in others:
                knows(c, o)
        alice.send("JOIN #hall")
        alice.expect(" 366 ")
        sees(bob, "#hall", "alice")
        bob.send("JOIN #hall")
        assert "@alice" in " ".join(bob.lines_until(" 366 ")), bob.seen[-3:]
        alice.expect(":bob!~bob@127.0.0.1 JOIN #hall")
        sees(carol, "#hall", "bob")
        carol.send("JOIN #hall")
        names = " ".join(carol.lines_until(" 366 "))
        assert "@alice" in names and "bob" in names and "carol" in names, names
        alice.expect(":carol!~carol@127.0.0.1 JOIN #hall")
        bob.expect(":carol!~carol@127.0.0.1 JOIN #hall")
        for c in (alice, bob, carol):
            assert names_of(c, "#hall") == {"alice", "bob", "carol"}, c.seen[-4:]

        # Messages, in order, once each, to every node.
        for i in range(5):
            alice.send(f"PRIVMSG #hall :from north {i}")
        for c in (bob, carol):
            for i in range(5):
                line = c.expect(" PRIVMSG #hall ")
                assert line == f":alice!~alice@127.0.0.1 PRIVMSG #hall :from north {i}", line
        carol.send("NOTICE #hall :from east")
        alice.expect(":carol!~carol@127.0.0.1 NOTICE #hall :from east")
        bob.expect(":carol!~carol@127.0.0.1 NOTICE #hall :from east")

        # The operator (alice, first in) voices bob, gives carol the topic lock's key.
        alice.send("MODE #hall +o carol")
        for c in (bob, carol):
            c.expect(":alice!~alice@127.0.0.1 MODE #hall +o carol")
        carol.send("TOPIC #hall :set in the east")
        for c in (alice, bob):
            c.expect(":carol!~carol@127.0.0.1 TOPIC #hall :set in the east")
        # carol is an operator on bob's node too: she may kick him there.
        carol.send("KICK #hall bob :out you go")
        for c in (alice, bob):
            c.expect(":carol!~carol@127.0.0.1 KICK #hall bob :out you go")
        assert names_of(alice, "#hall") == {"alice", "carol"}
        bob.send("JOIN #hall")
        bob.expect(" 366 ")
        alice.expect(":bob!~bob@127.0.0.1 JOIN #hall")
        bob.send("PART #hall :later")
        for c in (alice, carol):
            c.expect(":bob!~bob@127.0.0.1 PART #hall :later")
        carol.send("QUIT :gone east")
        for c in (alice,):
            c.expect(":carol!~carol@127.0.0.1 QUIT :Quit: gone east")
        eventually(lambda: names_of(alice, "#hall") == {"alice"}, "carol out of NAMES")
    finally:
        for s in nodes:
            s.kill()


def case_private_messages(r):
    """PRIVMSG, NOTICE, TAGMSG, WHOIS and KILL reach users of other nodes;
    an unknown nick is still 401."""
    a = connected(node(r.url(), "north", "--oper", "admin:secret"))
    b = connected(node(r.url(), "south"))
    try:
        alice = Client(a.irc_port, "alice", caps=("message-tags",))
        bob = Client(b.irc_port, "bob", caps=("message-tags",))
        knows(alice, "bob")
        alice.send("PRIVMSG bob :psst, south")
        assert untagged(bob.expect(" PRIVMSG bob ")) == ":alice!~alice@127.0.0.1 PRIVMSG bob :psst, south"
        bob.send("NOTICE alice :heard you")
        assert untagged(alice.expect(" NOTICE alice ")) == ":bob!~bob@127.0.0.1 NOTICE alice :heard you"
        alice.send("WHOIS bob")
        line = alice.expect(" 312 ")
        assert "south" in line, line
        alice.send("PRIVMSG nobody :hello")
        alice.expect(" 401 alice nobody ")
        alice.send("@+typing=active TAGMSG bob")
        line = bob.expect(" TAGMSG bob")
        assert line.startswith("@") and "+typing=active" in line and ":alice!" in line, line
        bob.close()
        eventually(lambda: not whois_finds(alice, "bob"), "bob gone from north")
        # An operator of north disconnects a user of south.
        carl = Client(b.irc_port, "carl")
        knows(alice, "carl")
        alice.send("OPER admin secret")
        alice.expect(" 381 ")
        alice.send("KILL carl :flooding")
        line = carl.expect("ERROR ")
        assert "Killed (alice (flooding))" in line, line
    finally:
        a.kill()
        b.kill()


def case_seed_lobby(r):
    """Seed users on different nodes and an IRC user share #lobby."""
    a = connected(node(r.url(), "north"))
    b = connected(node(r.url(), "south"))
    try:
        ann = socket.create_connection(("127.0.0.1", a.seed_port), timeout=DEADLINE)
        ann.sendall(frame("ann"))
        assert read_frame(ann) == "You have joined the chat!"
        irc = Client(b.irc_port, "ian")
        knows(irc, "ann")
        sees(irc, "#lobby", "ann")
        irc.send("JOIN #lobby")
        assert "ann" in " ".join(irc.lines_until(" 366 "))
        assert read_frame(ann) == "ian has joined the chat!"
        ann.sendall(frame("hello from the seed side"))
        assert irc.expect(" PRIVMSG #lobby ").endswith(":hello from the seed side")
        irc.send("PRIVMSG #lobby :hello back")
        assert read_frame(ann) == "ian > hello back"
        ann.close()
    finally:
        a.kill()
        b.kill()


def case_late_node(r):
    """A node that starts after users are in a channel shows them: NAMES,
    WHOIS and messages both ways."""
    a = connected(node(r.url(), "north"))
    c = None
    try:
        alice = Client(a.irc_port, "alice")
        alice.send("JOIN #hall")
        alice.expect(" 366 ")
        c = connected(node(r.url(), "latecomer"))
        dave = Client(c.irc_port, "dave")
        knows(dave, "alice")
        sees(dave, "#hall", "alice")
        dave.send("JOIN #hall")
        names = " ".join(dave.lines_until(" 366 "))
        assert "@alice" in names, names
        alice.expect(":dave!~dave@127.0.0.1 JOIN #hall")
        dave.send("PRIVMSG #hall :I am new")
        alice.expect(":dave!~dave@127.0.0.1 PRIVMSG #hall :I am new")
        alice.send("PRIVMSG #hall :welcome")
        dave.expect(":alice!~alice@127.0.0.1 PRIVMSG #hall :welcome")
    finally:
        a.kill()
        if c:
            c.kill()


def case_late_node_room_state(r):
    """A node that starts after a channel's topic and modes were set shows
    them (TOPIC, MODE), keeps them when the node that set them has left the
    channel, and a node that starts later still learns them from it."""
    a = connected(node(r.url(), "north"))
    b = c = None
    try:
        alice = Client(a.irc_port, "alice")
        alice.send("JOIN #hall")
        alice.expect(" 366 ")
        alice.send("TOPIC #hall :set before you came")
        alice.expect(" TOPIC #hall :set before you came")
        alice.send("MODE #hall +mk-n sesame")
        alice.expect(" MODE #hall +mk-n sesame")
        b = connected(node(r.url(), "latecomer"))
        dave = Client(b.irc_port, "dave")
        sees(dave, "#hall", "alice")

        def modes_of(c):
            c.send("MODE #hall")
            return c.expect(" 324 ").split(" 324 ", 1)[1]
        # Without the key the late node refuses, as north does: it knows +k.
        eventually(lambda: "+kmt" in modes_of(dave), "dave's node shows the modes")
        dave.send("JOIN #hall")
        dave.expect(" 475 ")
        dave.send("JOIN #hall sesame")
        lines = dave.lines_until(" 366 ")
        assert any(" 332 dave #hall :set before you came" in x for x in lines), lines
        alice.expect(":dave!~dave@127.0.0.1 JOIN #hall")
        # Voiced, dave may speak in the moderated room, on both nodes.
        alice.send("MODE #hall +v dave")
        dave.expect(" MODE #hall +v dave")
        dave.send("PRIVMSG #hall :heard?")
        alice.expect(":dave!~dave@127.0.0.1 PRIVMSG #hall :heard?")
        # alice leaves: dave's node now holds the room's state for newcomers.
        alice.send("TOPIC #hall :changed on north")
        dave.expect(" TOPIC #hall :changed on north")
        alice.send("PART #hall")
        dave.expect(":alice!~alice@127.0.0.1 PART #hall")
        c = connected(node(r.url(), "latest"))
        erin = Client(c.irc_port, "erin")
        sees(erin, "#hall", "dave")
        erin.send("TOPIC #hall")
        erin.expect(" 332 erin #hall :changed on north")
        assert "+kmt" in modes_of(erin)
    finally:
        for s in (a, b, c):
            if s:
                s.kill()


def case_one_command_per_message(r):
    """A channel message costs Redis one command (a PUBLISH on the room's
    channel), whatever the number of members and nodes."""
    # Flood control off: alice sends her 50 at once, after polling NAMES.
    # No store: its group commits (an EVAL per group of lines, from the
    # sender's node) are the history's cost, not the message's transport.
    a = connected(node(r.url(), "north", "--flood-rate", "0", "--no-store"))
    b = connected(node(r.url(), "south", "--flood-rate", "0", "--no-store"))
    try:
        alice = Client(a.irc_port, "alice")
        bob = Client(b.irc_port, "bob")
        carol = Client(b.irc_port, "carol")
        for c in (alice, bob, carol):
            c.send("JOIN #hall")
            c.expect(" 366 ")
        sees(alice, "#hall", "carol")
        sees(bob, "#hall", "alice")
        assert r.command("CONFIG", "RESETSTAT") == "+OK"
        count = 50
        for i in range(count):
            alice.send(f"PRIVMSG #hall :message {i}")
        for c in (bob, carol):
            for i in range(count):
                line = c.expect(" PRIVMSG #hall ")
                assert line.endswith(f":message {i}"), (c.nick, i, line, c.seen[-3:])
        stats = r.info("commandstats")

        def calls(cmd):
            entry = stats.get(f"cmdstat_{cmd}", "calls=0")
            return int(entry.split("calls=", 1)[1].split(",", 1)[0])
        # Heartbeats (a SET and an MGET a second per node) come on top.
        assert count <= calls("publish") < count + 5, stats
        assert calls("eval") + calls("evalsha") < 5, stats
    finally:
        a.kill()
        b.kill()


def case_node_killed(r):
    """SIGKILL a node: within its lease the others show its users' QUIT with
    a netsplit-style reason, and their nicks are free again."""
    a = connected(node(r.url(), "north"))
    b = connected(node(r.url(), "south"))
    try:
        alice = Client(a.irc_port, "alice")
        bob = Client(b.irc_port, "bob")
        knows(alice, "bob")
        alice.send("JOIN #hall")
        alice.expect(" 366 ")
        sees(bob, "#hall", "alice")
        bob.send("JOIN #hall")
        alice.expect(":bob!~bob@127.0.0.1 JOIN #hall")
        killed = time.monotonic()
        b.proc.send_signal(signal.SIGKILL)
        b.proc.wait()
        line = alice.expect(" QUIT ")
        took = time.monotonic() - killed
        assert line == ":bob!~bob@127.0.0.1 QUIT :north.test south", line
        assert took < LEASE + DEADLINE, took
        assert not whois_finds(alice, "bob")
        again = Client(a.irc_port, "bob")  # the nick is free on the survivor
        again.send("JOIN #hall")
        assert names_of(again, "#hall") == {"alice", "bob"}
        assert a.saw("node south is gone")
    finally:
        a.kill()
        b.kill()


def case_hostile_frames(r):
    """Frames a buggy or older node could publish are logged and ignored;
    the node keeps relaying."""
    a = connected(node(r.url(), "north"))
    b = connected(node(r.url(), "south"))
    try:
        alice = Client(a.irc_port, "alice")
        bob = Client(b.irc_port, "bob")
        knows(alice, "bob")
        alice.send("JOIN #hall")
        alice.expect(" 366 ")
        sees(bob, "#hall", "alice")
        bob.send("JOIN #hall")
        alice.expect(" JOIN #hall")
        for junk in (b"garbage", b"1:2,5:hello,", b"1:1,3:say,5:south,", b"9999999999:x", b"1:1,5:shout,1:x,",
                     b"1:1,4:join,5:ghost,5:#hall,5:ghost,1:1,"):
            assert r.command("PUBLISH", "chat:1:room:#hall", junk) is not None
        assert a.saw("ignored a message"), "".join(a.log)
        bob.send("PRIVMSG #hall :still here")
        alice.expect(":bob!~bob@127.0.0.1 PRIVMSG #hall :still here")
        assert names_of(alice, "#hall") == {"alice", "bob"}
        # /metrics counts them, and says the node is up with one other.
        # (The last junk frame is well formed, from a node "ghost" without a
        # lease: applied, to no effect, and that node is dropped at the next
        # heartbeat.)
        eventually(lambda: metrics(a)["chat_cluster_nodes"] == 1, "one other node")
        m = metrics(a)
        assert m["chat_cluster_redis_up"] == 1, m
        assert m['chat_cluster_frames_total{what="ignored"}'] == 5, m
        assert m['chat_cluster_frames_total{what="applied"}'] >= 3, m
        assert m['chat_cluster_frames_total{what="published"}'] >= 2, m
    finally:
        a.kill()
        b.kill()


def case_redis_late(r):
    """A node started while Redis is down says so, serves its own users, and
    joins the cluster once Redis is there."""
    r.stop()
    a = node(r.url(), "north")
    b = node(r.url(), "south")
    try:
        assert a.saw("Redis unreachable"), "".join(a.log)
        alice = Client(a.irc_port, "alice")
        alice2 = Client(a.irc_port, "alice2")
        alice.send("JOIN #hall")
        alice.expect(" 366 ")
        alice2.send("JOIN #hall")
        alice.expect(":alice2!~alice2@127.0.0.1 JOIN #hall")
        alice2.send("PRIVMSG #hall :local still works")
        alice.expect(" PRIVMSG #hall :local still works")
        r.start()
        connected(a)
        connected(b)
        bob = Client(b.irc_port, "bob")
        knows(bob, "alice")
        sees(bob, "#hall", "alice2")
        bob.send("JOIN #hall")
        assert "alice2" in " ".join(bob.lines_until(" 366 "))
        bob.send("PRIVMSG #hall :now we are one")
        alice.expect(":bob!~bob@127.0.0.1 PRIVMSG #hall :now we are one")
    finally:
        a.kill()
        b.kill()


def case_redis_restart(r):
    """Redis restarts (its data lost) while users chat: the nodes come back,
    write their state again, and messages cross again."""
    a = connected(node(r.url(), "north"))
    b = connected(node(r.url(), "south"))
    try:
        alice = Client(a.irc_port, "alice")
        bob = Client(b.irc_port, "bob")
        knows(alice, "bob")
        alice.send("JOIN #hall")
        alice.expect(" 366 ")
        sees(bob, "#hall", "alice")
        bob.send("JOIN #hall")
        alice.expect(" JOIN #hall")
        r.stop()
        assert a.saw("Redis unreachable") and b.saw("Redis unreachable")
        r.start()
        eventually(lambda: sum("Redis connected" in line for line in a.log) >= 2, "north back")
        eventually(lambda: sum("Redis connected" in line for line in b.log) >= 2, "south back")
        eventually(lambda: r.command("HEXISTS", "chat:1:state:north", "u:alice") == ":1", "north's state again")
        bob.send("PRIVMSG #hall :after the restart")
        alice.expect(":bob!~bob@127.0.0.1 PRIVMSG #hall :after the restart")
        alice.send("PRIVMSG bob :and privately")
        bob.expect(":alice!~alice@127.0.0.1 PRIVMSG bob :and privately")
    finally:
        a.kill()
        b.kill()


class Raw:
    """A bare IRC connection that registers without waiting for answers."""

    def __init__(self, port, nick):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        self.buf = b""
        self.sock.sendall(f"NICK {nick}\r\nUSER u 0 * :racer\r\n".encode())

    def first(self, *texts):
        """The first line holding one of `texts`."""
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise AssertionError("closed")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            text = line.decode(errors="replace")
            if any(t in text for t in texts):
                return text

    def close(self):
        self.sock.close()


def case_nick_race(r):
    """Clients on two nodes ask for one nick at once, 20 rounds: each round
    exactly one is welcomed with it, the other is told it is in use; a nick
    let go on one node is free on the other."""
    a = connected(node(r.url(), "north"))
    b = connected(node(r.url(), "south"))
    try:
        for i in range(20):
            nick = f"racer{i}"
            x, y = Raw(a.irc_port, nick), Raw(b.irc_port, nick)
            answers = [c.first(" 001 ", " 433 ") for c in (x, y)]
            welcomed = [line for line in answers if " 001 " in line]
            assert len(welcomed) == 1, answers
            assert f" 001 {nick} " in welcomed[0], welcomed
            assert sum(" 433 " in line for line in answers) == 1, answers
            x.close()
            y.close()
        # Let go on north (QUIT): south grants it.
        alice = Client(a.irc_port, "alice")
        alice.close()
        eventually(lambda: r.command("EXISTS", "chat:1:nick:alice") == ":0", "alice let go in Redis")
        Client(b.irc_port, "alice")
        # A nick change lets the old one go and claims the new one.
        carl = Client(a.irc_port, "carl")
        carl.send("NICK carlos")
        carl.expect(" NICK ")
        assert r.command("GET", "chat:1:nick:carlos") == "$5"
        eventually(lambda: r.command("EXISTS", "chat:1:nick:carl") == ":0", "carl let go")
        other = Raw(b.irc_port, "carlos")
        assert " 433 " in other.first(" 001 ", " 433 ")
        other.close()
    finally:
        a.kill()
        b.kill()


def case_nick_conflict_after_outage(r):
    """While Redis is away both nodes grant one nick; when it is back the
    claim Redis holds first keeps it and the other user is renamed to a
    guest nick, with a notice saying why."""
    a = connected(node(r.url(), "north"))
    b = connected(node(r.url(), "south"))
    try:
        r.stop()
        assert a.saw("Redis unreachable") and b.saw("Redis unreachable")
        x = Client(a.irc_port, "twin")
        y = Client(b.irc_port, "twin")
        r.start()
        # One of the two is renamed; which one depends on who reconnects first.
        renamed = None
        end = time.monotonic() + DEADLINE
        while renamed is None and time.monotonic() < end:
            for c in (x, y):
                try:
                    line = c.line(timeout=0.2)
                except (socket.timeout, TimeoutError):
                    continue
                if " NICK " in line and line.startswith(":twin!"):
                    renamed = c
        assert renamed is not None, x.seen[-5:] + y.seen[-5:]
        kept = y if renamed is x else x
        assert any("taken on another server" in line for line in renamed.seen), renamed.seen[-5:]
        assert not any(" NICK " in line for line in kept.seen), kept.seen[-5:]
        # The keeper is reachable by its nick from the other node.
        eventually(lambda: whois_finds(renamed, "twin"), "twin known on both nodes")
    finally:
        a.kill()
        b.kill()


def main():
    case = sys.argv[2]
    r = Redis()
    try:
        globals()["case_" + case](r)
    finally:
        r.close()
    print(f"cluster {case}: ok")


if __name__ == "__main__":
    main()
