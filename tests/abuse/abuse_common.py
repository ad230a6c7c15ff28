"""What the abuse tests share: the server, sockets from spread-out source
addresses, seed frames and IRC lines, clients that read on a thread, and the
pair of well-behaved bystanders who check after each abuse that the server
still serves everyone else.

Standard library only. Every wait is bounded.
"""
import itertools
import os
import queue
import re
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from server_process import DEADLINE, ServerProcess  # noqa: E402

# Text that sanitizers print; a clean run's stderr never has it.
SANITIZER_TEXTS = ("AddressSanitizer", "ThreadSanitizer", "runtime error", "LeakSanitizer")

# Linux: pick the source port at connect(), not at bind(), so that binding a
# source address does not use up ports meant for other destinations.
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)

YOU_JOINED = b"You have joined the chat!"


def server_flags():
    """Extra server flags from the environment (CHAT_SERVER_FLAGS, split on spaces)."""
    return os.environ.get("CHAT_SERVER_FLAGS", "").split()


class Server(ServerProcess):
    """ServerProcess whose log reader survives a log line that is not UTF-8
    (the base class reads stderr as text: such a line would end its thread,
    and the server would block once the pipe is full). Lines with bytes that
    are not UTF-8, or with control characters, are kept in `raw_log_lines`:
    client data must reach the log escaped."""

    def __init__(self, binary, *flags, preexec_fn=None):
        self.raw_log_lines = []
        super().__init__(binary, *flags, preexec_fn=preexec_fn)

    def _read(self):
        for raw in self.proc.stderr.buffer:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = raw.decode("utf-8", "backslashreplace")
                self.raw_log_lines.append(line)
            else:
                if any(ord(c) < 0x20 and c not in "\t\n" or 0x7f <= ord(c) < 0xa0 for c in line):
                    self.raw_log_lines.append(line)
            self.log.append(line)
            m = re.search(r"(seed-compatible|IRC|HTTPS|HTTP|metrics) listener on 127\.0\.0\.1:(\d+)", line)
            if m:
                self.ports[m.group(1)] = int(m.group(2))
            if "running on" in line:  # every listener is open
                self._ready.set()


def start_server(binary, *flags, preexec_fn=None):
    """chat-server on free ports of 127.0.0.1 with `flags` and CHAT_SERVER_FLAGS."""
    return Server(binary, *flags, *server_flags(), preexec_fn=preexec_fn)


def printable(text):
    """`text` with control characters (but newlines) shown as \\xNN, safe for a terminal."""
    return "".join(c if c == "\n" or not (ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0) else f"\\x{ord(c):02x}"
                   for c in text)


def log_tail(server, lines=60):
    """The last lines of the server's log, and before them every warning or
    error it logged (a drop for SendQ or flood, say), which a tail of
    departures at the end would hide."""
    notable = [line for line in server.log[:-lines] if " warning " in line or " error " in line
               or " critical " in line][-40:]
    head = ("(warnings and errors before the tail)\n" + "".join(notable) + "(tail)\n") if notable else ""
    return printable(head + "".join(server.log[-lines:]))


def sanitizer_reports(server):
    return [line for line in server.log if any(t in line for t in SANITIZER_TEXTS)]


def rss_kib(pid):
    """VmRSS of a process, in KiB (None once it has exited)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Sources:
    """Source addresses 127.0.0.2 .. 127.0.0.250 in turn, so that limits per
    address (if the server has them) are not what a test runs into."""

    def __init__(self, first=2, last=250):
        self._cycle = itertools.cycle(range(first, last + 1))
        self._lock = threading.Lock()

    def next(self):
        with self._lock:
            return f"127.0.0.{next(self._cycle)}"


SOURCES = Sources()


def connect(port, source=None, timeout=DEADLINE, rcvbuf=None):
    """A TCP connection to 127.0.0.1:port, from `source` if given."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if rcvbuf is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source is not None:
            try:
                s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            except OSError:
                pass
            s.bind((source, 0))
        s.settimeout(timeout)
        s.connect(("127.0.0.1", port))
    except BaseException:
        s.close()
        raise
    return s


def reset(sock):
    """Closes `sock` with an RST instead of a FIN (SO_LINGER with a zero timeout)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def as_bytes(data):
    return data.encode() if isinstance(data, str) else bytes(data)


def frame(payload):
    """A seed frame: the 10-byte space-padded decimal length, then the payload."""
    data = as_bytes(payload)
    return f"{len(data):<10}".encode() + data


def irc_line(line):
    return as_bytes(line) + b"\r\n"


def parse_irc(line):
    """(source, command, params) of an IRC line given as bytes; tags are dropped."""
    rest = line
    if rest.startswith(b"@"):
        rest = rest.partition(b" ")[2]
    source = b""
    if rest.startswith(b":"):
        source, _, rest = rest[1:].partition(b" ")
    command, _, rest = rest.lstrip(b" ").partition(b" ")
    params = []
    while True:
        rest = rest.lstrip(b" ")
        if not rest:
            break
        if rest.startswith(b":"):
            params.append(rest[1:])
            break
        param, _, rest = rest.partition(b" ")
        params.append(param)
    return source, command, params


def nick_of(source):
    return source.split(b"!", 1)[0]


def is_command(command):
    """A predicate: an IRC line with this command or numeric."""
    want = as_bytes(command)
    return lambda line: line is not None and parse_irc(line)[1] == want


class Reader:
    """Seed frames or IRC lines from a blocking socket, without a thread."""

    def __init__(self, sock, kind):
        assert kind in ("seed", "irc")
        self.sock = sock
        self.kind = kind
        self.buf = b""

    def _parse(self):
        if self.kind == "irc":
            lf = self.buf.find(b"\n")
            if lf < 0:
                return None
            line, self.buf = self.buf[:lf], self.buf[lf + 1:]
            return line[:-1] if line.endswith(b"\r") else line
        if len(self.buf) < 10:
            return None
        n = int(self.buf[:10].strip())
        if len(self.buf) < 10 + n:
            return None
        payload, self.buf = self.buf[10:10 + n], self.buf[10 + n:]
        return payload

    def next(self, timeout=DEADLINE):
        """The next frame's payload or line (bytes), or None at the end of the
        stream (EOF or a reset). Raises TimeoutError after `timeout` seconds
        (None: no limit)."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            item = self._parse()
            if item is not None:
                return item
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError(f"nothing complete within {timeout} s (have {self.buf[:200]!r})")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
                chunk = b""
            if not chunk:
                return None
            self.buf += chunk

    def until(self, pred, timeout=DEADLINE):
        """Items up to and including the first for which pred() is true; the
        end of the stream is None, offered to pred() too."""
        end = time.monotonic() + timeout
        got = []
        while True:
            item = self.next(max(0.0, end - time.monotonic()))
            got.append(item)
            if pred(item):
                return got
            if item is None:
                raise AssertionError(f"connection closed; received {got[-10:]!r}")

    def rest(self, timeout=DEADLINE):
        """Everything up to the end of the stream (which must come within `timeout`)."""
        return self.until(lambda item: item is None, timeout)[:-1]


class Client:
    """A connection whose frames or lines are read on a thread into a queue
    (so the server never sees it as a slow reader). IRC PINGs are answered.
    With `on_item`, items go to that callback instead of the queue."""

    def __init__(self, sock, kind, name="", on_item=None):
        self.sock = sock
        self.kind = kind
        self.name = name
        self.items = queue.Queue()
        self.history = []  # every item received (when there is no on_item)
        self.errors = []  # exceptions raised by on_item
        self.on_item = on_item
        self.closed = threading.Event()
        self._send_lock = threading.Lock()
        sock.settimeout(None)
        self._thread = threading.Thread(target=self._run, name=f"reader-{name}", daemon=True)
        self._thread.start()

    def _run(self):
        reader = Reader(self.sock, self.kind)
        try:
            while True:
                try:
                    item = reader.next(timeout=None)
                except (OSError, ValueError):
                    item = None
                if item is not None and self.kind == "irc" and item.startswith(b"PING "):
                    try:
                        self.send_raw(b"PONG " + item[5:] + b"\r\n")
                    except OSError:
                        pass
                if self.on_item is not None:
                    try:
                        self.on_item(item)
                    except Exception as e:  # noqa: BLE001 - kept for the test to report
                        self.errors.append(f"{type(e).__name__}: {e} (item {item!r})")
                else:
                    self.history.append(item)
                    self.items.put(item)
                if item is None:
                    return
        finally:
            self.closed.set()

    # ---- Sending

    def send_raw(self, data):
        with self._send_lock:
            self.sock.sendall(as_bytes(data))

    def send(self, *items):
        """IRC lines (CRLF added) or seed frames, by the kind of connection."""
        wire = frame if self.kind == "seed" else irc_line
        self.send_raw(b"".join(wire(item) for item in items))

    # ---- Receiving

    def until(self, pred, timeout=DEADLINE, what=None):
        """Items up to and including the first for which pred() is true. The
        end of the stream is None, offered to pred() too."""
        end = time.monotonic() + timeout
        got = []
        while True:
            left = end - time.monotonic()
            try:
                item = self.items.get(timeout=max(0.001, left))
            except queue.Empty:
                raise AssertionError(
                    f"{self.name}: no {what or 'expected item'} within {timeout} s; last received: "
                    f"{got[-8:]!r}") from None
            got.append(item)
            if pred(item):
                return got
            if item is None:
                raise AssertionError(
                    f"{self.name}: connection closed while waiting for {what or 'an item'}; "
                    f"last received: {got[-8:]!r}")

    def expect(self, pred, timeout=DEADLINE, what=None):
        return self.until(pred, timeout, what)[-1]

    def expect_eq(self, value, timeout=DEADLINE):
        value = as_bytes(value)
        return self.expect(lambda item: item == value, timeout, repr(value))

    def pending(self):
        """Whatever has arrived and not been taken yet."""
        out = []
        while True:
            try:
                out.append(self.items.get_nowait())
            except queue.Empty:
                return out

    # ---- Closing

    def close(self, rst=False):
        """Closes with a FIN (or an RST) and stops the reader thread."""
        try:
            self.sock.shutdown(socket.SHUT_RD)  # wakes the reader thread
        except OSError:
            pass
        self._thread.join(5)
        if rst:
            reset(self.sock)
        else:
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            self.sock.close()


def irc_client(port, nick, join=None, source=None, on_item=None, user="u"):
    """A registered IRC client (the welcome burst read), in `join` if given."""
    c = Client(connect(port, source), "irc", nick)
    c.send(f"NICK {nick}", f"USER {user} 0 * :{nick}")
    c.expect(is_command("001"), what="001")
    c.expect(lambda line: line is not None and parse_irc(line)[1] in (b"376", b"422"), what="end of MOTD")
    if join:
        c.send(f"JOIN {join}")
        c.expect(is_command("366"), what=f"end of NAMES of {join}")
    c.on_item = on_item
    return c


def seed_client(port, name, source=None):
    """A seed client logged in as `name`."""
    c = Client(connect(port, source), "seed", name)
    c.send(name)
    c.expect_eq(YOU_JOINED)
    return c


def lobby_texts(kind, items, sender):
    """What `sender` said in #lobby, from a bystander's items: the seed
    frames '<sender> > text', or the IRC PRIVMSG/NOTICE lines to #lobby."""
    sender = as_bytes(sender)
    out = []
    for item in items:
        if item is None:
            continue
        if kind == "seed":
            if item.startswith(sender + b" > "):
                out.append(item[len(sender) + 3:])
        else:
            source, command, params = parse_irc(item)
            if (nick_of(source) == sender and command in (b"PRIVMSG", b"NOTICE") and len(params) == 2
                    and params[0] == b"#lobby"):
                out.append(params[1])
    return out


def lusers(irc, timeout=DEADLINE):
    """(users, connections) from LUSERS (251 and 255), asked by the IRC client `irc`."""
    irc.send("LUSERS")
    users = connections = None
    for line in irc.until(is_command("255"), timeout, "255"):
        _, command, params = parse_irc(line)
        if command == b"251":
            users = int(re.search(rb"There are (\d+) users", params[-1]).group(1))
        if command == b"255":
            connections = int(re.search(rb"I have (\d+) clients", params[-1]).group(1))
    return users, connections


def wait_counts(irc, users, connections, timeout=30.0):
    """Waits until LUSERS counts these users and connections; returns the
    last counts seen."""
    end = time.monotonic() + timeout
    while True:
        counts = lusers(irc)
        if counts == (users, connections) or time.monotonic() > end:
            return counts
        time.sleep(0.2)


class Heard:
    """What the bystanders received: `seed` and `irc` are the texts of one
    sender, `seed_items` and `irc_items` everything received meanwhile."""

    seed = irc = seed_items = irc_items = None


class Bystanders:
    """One IRC client in #lobby and one seed client: well-behaved users whose
    exchange of messages shows that the server still serves everyone."""

    IRC = "by_irc"
    SEED = "by_seed"

    def __init__(self, server):
        self.server = server
        self.irc = irc_client(server.irc_port, self.IRC, join="#lobby", source="127.0.0.1")
        self.seed = seed_client(server.seed_port, self.SEED, source="127.0.0.1")
        self.irc.expect(lambda line: line is not None and parse_irc(line)[1] == b"JOIN"
                        and nick_of(parse_irc(line)[0]) == self.SEED.encode(), what="by_seed's JOIN")
        self.round = 0

    def exchange(self, timeout=DEADLINE):
        """One message each way between the two; returns the round trip in seconds."""
        self.round += 1
        token = f"bystander-check-{self.round}"
        start = time.monotonic()
        self.irc.send(f"PRIVMSG #lobby :{token}-ping")
        self.seed.expect_eq(f"{self.IRC} > {token}-ping", timeout)
        self.seed.send(f"{token}-pong")
        want = f":{token}-pong".encode()
        self.irc.expect(lambda line: line is not None and line.startswith(f":{self.SEED}!".encode())
                        and line.endswith(b" PRIVMSG #lobby " + want), timeout, f"{token}-pong")
        return time.monotonic() - start

    def said(self, sender, marker, timeout=DEADLINE):
        """What `sender` said in #lobby as each bystander received it, up to
        and including `marker` (which the sender says last)."""
        marker = as_bytes(marker)
        heard = Heard()
        for c in (self.seed, self.irc):
            def is_marker(item, c=c):
                return item is not None and lobby_texts(c.kind, [item], sender) == [marker]
            items = c.until(is_marker, timeout, f"{marker!r} from {sender}")
            setattr(heard, c.kind, lobby_texts(c.kind, items, sender))
            setattr(heard, c.kind + "_items", items)
        # Nothing anyone sends may end an IRC line early: every line is from a source.
        bad = [line for line in heard.irc_items
               if not line.startswith(b":") or b"\r" in line or b"\0" in line]
        assert not bad, f"malformed lines reached the IRC bystander: {bad!r}"
        return heard

    def saw_leave(self, name, timeout=DEADLINE):
        """Both bystanders hear that `name` left (on IRC a seed user leaving
        #lobby PARTs it; an IRC user QUITs)."""
        self.seed.expect_eq(f"{name} has left the chat!", timeout)
        self.irc.expect(lambda line: line is not None and parse_irc(line)[1] in (b"QUIT", b"PART")
                        and nick_of(parse_irc(line)[0]) == as_bytes(name), timeout, f"QUIT or PART of {name}")

    def lusers(self, timeout=DEADLINE):
        return lusers(self.irc, timeout)

    def wait_counts(self, users, connections, timeout=30.0):
        return wait_counts(self.irc, users, connections, timeout)

    def names(self):
        """The nicks in #lobby (prefixes removed), from NAMES."""
        self.irc.send("NAMES #lobby")
        nicks = set()
        for line in self.irc.until(is_command("366"), what="366"):
            _, command, params = parse_irc(line)
            if command == b"353":
                nicks.update(n.lstrip(b"@+") for n in params[-1].split())
        return nicks

    def who(self):
        """The seed bystander's !who reply."""
        self.seed.send("!who")
        return self.seed.expect(lambda f: f is not None and (f.startswith(b"-> ") or f.startswith(b"No one")),
                                what="!who reply")

    def close(self):
        self.irc.send("QUIT :bye")
        self.irc.expect(lambda line: line is None or parse_irc(line)[1] == b"ERROR", what="ERROR")
        self.irc.close()
        self.seed.send("!logout")
        self.seed.expect(lambda f: f is None, what="EOF after !logout")
        self.seed.close()


def check_serving(server, by):
    """The server is alive and still serves everyone: the bystanders talk,
    newcomers on both listeners log in and are heard, and once every other
    client has gone the counts, NAMES and !who show the bystanders only."""
    assert server.proc.poll() is None, f"the server died (exit {server.proc.returncode}):\n{log_tail(server)}"
    rtt = by.exchange()
    fresh_irc = irc_client(server.irc_port, "fresh_irc", join="#lobby", source=SOURCES.next())
    fresh_seed = seed_client(server.seed_port, "fresh_seed", source=SOURCES.next())
    # One after the other: messages of different senders may arrive in either order.
    fresh_irc.send("PRIVMSG #lobby :fresh-irc-here")
    by.seed.expect_eq("fresh_irc > fresh-irc-here")
    fresh_seed.send("fresh-seed-here")
    by.irc.expect(lambda line: line is not None and line.startswith(b":fresh_seed!")
                  and line.endswith(b"PRIVMSG #lobby :fresh-seed-here"), what="fresh_seed's message")
    fresh_irc.send("QUIT")
    fresh_irc.expect(lambda line: line is None or parse_irc(line)[1] == b"ERROR", what="ERROR after QUIT")
    fresh_irc.close()
    fresh_seed.send("!logout")
    fresh_seed.expect(lambda f: f is None, what="EOF after !logout")
    fresh_seed.close()
    counts = by.wait_counts(2, 2)
    assert counts == (2, 2), f"LUSERS (users, connections) is {counts}, want (2, 2) once the others left"
    names = by.names()
    assert names == {b"by_irc", b"by_seed"}, f"NAMES #lobby is {names}"
    who = by.who()
    assert who == b"-> by_irc", f"!who is {who!r}"
    assert server.proc.poll() is None, f"the server died (exit {server.proc.returncode}):\n{log_tail(server)}"
    return rtt


def stop_cleanly(server):
    """SIGTERM: the server must exit 0 within the deadline; no sanitizer
    report, and no client bytes unescaped in its log."""
    code = server.stop(signal.SIGTERM)
    assert code == 0, f"exit status {code} after SIGTERM:\n{log_tail(server)}"
    reports = sanitizer_reports(server)
    assert not reports, "sanitizer reports in the server's stderr:\n" + "".join(reports[:20])
    raw = server.raw_log_lines
    assert not raw, ("log lines with raw control characters or bytes that are not UTF-8 (client data "
                     "unescaped):\n" + "\n".join(repr(line) for line in raw[:5]))
