"""A bounded soak of the server (--threads 2) by a mixed crowd, for
SOAK_SECONDS (default 20):

- well-behaved users, 20 on IRC and 20 on the seed protocol, all in #lobby
  from before the first message to after the last, each sending numbered
  messages at most 5 a second and reading everything;
- churners who log in, chat a little and vanish (RST, close, QUIT or
  !logout, or in the middle of a frame);
- slow readers that never read (the server may drop them at its outbox
  limit: expected);
- flooders that send as fast as they can (they may be slowed or
  disconnected: expected), kept out of the well-behaved users' way: they
  flood a channel and private messages that only the slow readers receive;
- garbage senders.

Then: the server is alive; each well-behaved user received every other's
messages exactly once and in order; once everyone has left the connection
count is back to the monitor alone and the server's memory (VmRSS) is within
max(30 MB, 50% of the baseline) of its baseline after start-up; SIGTERM
ends it with exit 0; its stderr has no sanitizer report.

usage: soak.py CHAT_SERVER   (CHAT_SERVER_FLAGS: extra server flags)
"""
import collections
import os
import random
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
from ws_client import TEXT, frame as ws_frame  # noqa: E402

from abuse_common import (
    SOURCES,
    YOU_JOINED,
    Client,
    Reader,
    connect,
    frame,
    irc_client,
    log_tail,
    nick_of,
    parse_irc,
    reset,
    rss_kib,
    sanitizer_reports,
    start_server,
    stop_cleanly,
    wait_counts,
)

RANDOM_SEED = 20261126
N_IRC = N_SEED = 20
N_CHURNERS = 6
N_SLOW = 3  # of each protocol
N_GARBAGE = 2
MIN_INTERVAL = 0.2  # seconds between two messages of a well-behaved user: at most 5 a second
WORDS = ("hello", "chat", "soak", "lobby", "café", "日本語", "naïve", "Ünïcödé", "emoji-🙂", "x" * 40)


class WellBehaved:
    """A well-behaved user: reads everything on a thread and records, per
    sender, the sequence numbers of the well-behaved messages it receives."""

    def __init__(self, kind, name, port, rng):
        self.kind = kind
        self.name = name
        self.rng = rng
        self.received = collections.defaultdict(list)  # sender -> [b"0", b"1", ..., b"end"]
        self.misattributed = []
        self.sent = 0
        self.closed_at = None
        self.joined = threading.Event()
        self.client = Client(connect(port, SOURCES.next()), kind, name, on_item=self.on_item)
        if kind == "seed":
            self.client.send(name)
        else:
            self.client.send(f"NICK {name}", f"USER wb 0 * :{name}", "JOIN #lobby")

    def on_item(self, item):
        if item is None:
            self.closed_at = time.monotonic()
            return
        if self.kind == "seed":
            if item == YOU_JOINED:
                self.joined.set()
            sender, sep, text = item.partition(b" > ")
            if sep and b" " not in sender:
                self.heard(sender, text)
            return
        source, command, params = parse_irc(item)
        if command == b"366" and params[1:2] == [b"#lobby"]:
            self.joined.set()
        elif command == b"PRIVMSG" and params[:1] == [b"#lobby"] and len(params) == 2:
            self.heard(nick_of(source), params[1])

    def heard(self, sender, text):
        if not text.startswith(b"wb "):
            return
        parts = text.split(b" ", 3)
        if len(parts) < 3 or parts[1] != sender:
            self.misattributed.append((sender, text[:80]))
            return
        self.received[sender.decode("utf-8", "replace")].append(parts[2])

    def say(self, text):
        self.client.send(text if self.kind == "seed" else f"PRIVMSG #lobby :{text}")

    def run(self, start, stop_at):
        """Sends numbered messages until stop_at, then a last 'end'."""
        start.wait()
        seq = 0
        while time.monotonic() < stop_at and seq < 10_000:
            filler = " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(0, 6)))
            self.say(f"wb {self.name} {seq} {filler}".rstrip())
            seq += 1
            time.sleep(self.rng.uniform(MIN_INTERVAL, 0.6))
        self.say(f"wb {self.name} end")
        self.sent = seq

    def complete(self, others):
        return all(self.received[o.name][-1:] == [b"end"] for o in others if o is not self)


def mismatch(got, want):
    """How a received sequence differs from the one sent."""
    missing = [x for x in want if x not in got]
    dups = [x for x, n in collections.Counter(got).items() if n > 1]
    seen = list(dict.fromkeys(x for x in got if x in want))
    in_order = seen == [x for x in want if x in seen]
    return (f"received {len(got)} of {len(want)}; missing {missing[:5]}, duplicated {dups[:5]}, "
            f"{'in' if in_order else 'OUT OF'} order")


def churner(tid, ports, rng, stop_at, stats, lock):
    """Logs in, says a few things, vanishes one way or another; again."""
    for it in range(10_000):
        if time.monotonic() > stop_at:
            return
        kind = rng.choice(("irc", "seed"))
        name = f"ch{tid}x{it}"
        try:
            s = connect(ports[kind], SOURCES.next())
            r = Reader(s, kind)
            if kind == "seed":
                s.sendall(frame(name))
                assert r.next(30) == YOU_JOINED, "no 'You have joined' first"
            else:
                s.sendall(f"NICK {name}\r\nUSER ch 0 * :{name}\r\nJOIN #lobby\r\n".encode())
                r.until(lambda x: x is not None and parse_irc(x)[1] == b"366", 30)
            for k in range(rng.randint(0, 3)):
                text = f"churn {name} {k}"
                s.sendall(frame(text) if kind == "seed" else f"PRIVMSG #lobby :{text}\r\n".encode())
                time.sleep(rng.uniform(0.05, 0.3))
            how = rng.choice(("rst", "close", "goodbye", "partial"))
            if how == "goodbye":
                s.sendall(frame("!logout") if kind == "seed" else b"QUIT :churned\r\n")
            elif how == "partial":
                s.sendall(b"100       cut sh" if kind == "seed" else b"PRIVMSG #lobby :cut sh")
            if how in ("rst", "partial"):
                reset(s)
            else:
                s.close()
            with lock:
                stats["churn cycles"] += 1
        except Exception as e:  # noqa: BLE001 - reported at the end
            with lock:
                stats["churn failures"] += 1
                stats.setdefault("churn errors", []).append(f"{name}: {type(e).__name__}: {e}")
        time.sleep(rng.uniform(0.0, 0.2))


def garbage_sender(ports, rng, stop_at, stats, lock):
    for _ in range(10_000):
        if time.monotonic() > stop_at:
            return
        kind = rng.choice(("irc", "seed", "http", "ws"))
        try:
            s = connect(ports["http" if kind == "ws" else kind], SOURCES.next())
            if kind == "ws":
                # A good upgrade, then frames that are garbage or break a rule.
                s.sendall(WS_UPGRADE + (ws_frame(TEXT, "NICK x") if rng.random() < 0.5 else b""))
            s.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(256, 4096))))
            s.settimeout(0.3)
            try:
                while s.recv(65536):
                    pass
            except OSError:
                pass
            (reset if rng.random() < 0.5 else socket_close)(s)
            with lock:
                stats["garbage connections"] += 1
        except OSError:
            with lock:
                stats["garbage refused or reset"] += 1
        time.sleep(rng.uniform(0.05, 0.2))


WS_UPGRADE = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
              b"Sec-WebSocket-Protocol: text.ircv3.net\r\n\r\n")


def socket_close(s):
    s.close()


class Drain:
    """Reads and discards everything from a socket on a thread (the flooders
    read their replies, so that they are not slow readers too)."""

    def __init__(self, sock):
        self.sock = sock
        self.received = 0
        self.closed = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:  # TimeoutError since Python 3.10
                continue
            except OSError:
                break
            if not data:
                break
            self.received += len(data)
        self.closed.set()


def flood(name, sock, make_batch, stop_at, stats, lock):
    """Sends batches as fast as the server takes them, until stop_at or until
    the server stops it (disconnects it, or stops reading for 5 s)."""
    sock.settimeout(5)
    drain = Drain(sock)
    sent = 0
    outcome = "ran to the end"
    try:
        while time.monotonic() < stop_at and sent < 1_000_000 and not drain.closed.is_set():
            batch = make_batch(sent)
            sock.sendall(batch[1])
            sent += batch[0]
        if drain.closed.is_set():
            outcome = "disconnected"
    except socket.timeout:  # TimeoutError since Python 3.10
        outcome = "not read for 5 s"
    except OSError as e:
        outcome = f"disconnected ({type(e).__name__})"
    reset(sock)
    with lock:
        note = f"{name}: sent {sent}, received {drain.received} bytes, {outcome}"
        stats.setdefault("notes", []).append(note)


def flooder_irc(port, stop_at, stats, lock):
    """Floods #slow (where only the IRC slow readers are), with NAMES and PING."""
    sock = connect(port, SOURCES.next())
    sock.sendall(b"NICK flood_irc\r\nUSER f 0 * :f\r\nJOIN #slow\r\n")
    Reader(sock, "irc").until(lambda x: x is not None and parse_irc(x)[1] == b"366")
    text = "F" * 300

    def batch(sent):
        lines = [f"PRIVMSG #slow :{sent + k} {text}" for k in range(50)] + ["NAMES #lobby", "PING :f"]
        return len(lines), "".join(line + "\r\n" for line in lines).encode()

    flood("flood_irc", sock, batch, stop_at, stats, lock)


def flooder_seed(port, slow_names, stop_at, stats, lock):
    """Sends private messages to the seed slow readers, and !who."""
    sock = connect(port, SOURCES.next())
    sock.sendall(frame("flood_seed"))
    assert Reader(sock, "seed").next() == YOU_JOINED
    text = "P" * 3000

    def batch(sent):
        frames = [f"!msg {slow_names[(sent + k) % len(slow_names)]} {text}" for k in range(20)] + ["!who"]
        return len(frames), b"".join(frame(f) for f in frames)

    flood("flood_seed", sock, batch, stop_at, stats, lock)


def main():
    binary = sys.argv[1]
    duration = float(os.environ.get("SOAK_SECONDS", "20"))
    master = random.Random(RANDOM_SEED)
    server = start_server(binary)  # ServerProcess starts it with --threads 2
    ports = {"irc": server.irc_port, "seed": server.seed_port, "http": server.http_port}
    pid = server.proc.pid
    try:
        monitor = irc_client(server.irc_port, "soak_mon", source=SOURCES.next())
        time.sleep(1.0)
        baseline = rss_kib(pid)
        print(f"soak: {duration:.0f} s, server pid {pid}, VmRSS after start-up {baseline / 1024:.1f} MiB")

        # The well-behaved users, all in #lobby before anyone says anything.
        wbs = [WellBehaved("irc", f"wbi{i:02}", server.irc_port, random.Random(master.random()))
               for i in range(N_IRC)]
        wbs += [WellBehaved("seed", f"wbs{i:02}", server.seed_port, random.Random(master.random()))
                for i in range(N_SEED)]
        for wb in wbs:
            assert wb.joined.wait(30), f"{wb.name} could not log in"

        # Slow readers: log in, never read (small receive buffers).
        slow = []
        for i in range(N_SLOW):
            s = connect(server.irc_port, SOURCES.next(), rcvbuf=4096)
            s.sendall(f"NICK slowi{i}\r\nUSER s 0 * :s\r\nJOIN #lobby,#slow\r\n".encode())
            slow.append(s)
            s = connect(server.seed_port, SOURCES.next(), rcvbuf=4096)
            s.sendall(frame(f"slows{i}"))
            slow.append(s)
            # And over WebSocket: upgraded, registered, in the rooms, never reading.
            s = connect(server.http_port, SOURCES.next(), rcvbuf=4096)
            s.sendall(WS_UPGRADE + b"".join(ws_frame(TEXT, line) for line in (
                f"NICK sloww{i}", "USER s 0 * :s", "JOIN #lobby,#slow")))
            slow.append(s)

        stats = collections.Counter()
        lock = threading.Lock()
        start = threading.Event()
        stop_at = time.monotonic() + duration
        threads = [threading.Thread(target=wb.run, args=(start, stop_at), daemon=True) for wb in wbs]
        threads += [threading.Thread(target=churner,
                                     args=(t, ports, random.Random(master.random()), stop_at, stats, lock),
                                     daemon=True)
                    for t in range(N_CHURNERS)]
        threads += [threading.Thread(target=garbage_sender,
                                     args=(ports, random.Random(master.random()), stop_at, stats, lock),
                                     daemon=True)
                    for _ in range(N_GARBAGE)]
        threads.append(threading.Thread(target=flooder_irc, args=(server.irc_port, stop_at, stats, lock),
                                        daemon=True))
        slow_seed_names = [f"slows{i}" for i in range(N_SLOW)]
        threads.append(threading.Thread(target=flooder_seed, args=(server.seed_port, slow_seed_names, stop_at,
                                                                   stats, lock), daemon=True))
        peak = [baseline]

        def watch_memory():
            while time.monotonic() < stop_at + 5:
                peak[0] = max(peak[0], rss_kib(pid) or 0)
                time.sleep(0.5)

        threads.append(threading.Thread(target=watch_memory, daemon=True))
        for t in threads:
            t.start()
        start.set()
        for t in threads:
            t.join(max(1.0, stop_at - time.monotonic() + 60))
        stuck = [t.name for t in threads if t.is_alive()]
        assert not stuck, f"threads still running 60 s after the end: {stuck}"
        assert server.proc.poll() is None, f"the server died (exit {server.proc.returncode})"

        # Every well-behaved user hears every other one's messages, once each, in order.
        end = time.monotonic() + 60
        while time.monotonic() < end and not all(wb.complete(wbs) for wb in wbs):
            time.sleep(0.2)
        problems = []
        for wb in wbs:
            if wb.closed_at is not None:
                problems.append(f"{wb.name} was disconnected")
            if wb.client.errors:
                problems.append(f"{wb.name}: errors reading: {wb.client.errors[:3]}")
            if wb.misattributed:
                problems.append(f"{wb.name} got messages under the wrong name: {wb.misattributed[:3]}")
            for other in wbs:
                if other is wb:
                    continue
                want = [str(k).encode() for k in range(other.sent)] + [b"end"]
                got = wb.received[other.name]
                if got != want:
                    problems.append(f"{wb.name} from {other.name}: {mismatch(got, want)}")
        total_sent = sum(wb.sent for wb in wbs)
        print(f"well-behaved: {len(wbs)} users sent {total_sent} messages; "
              f"{total_sent * (len(wbs) - 1)} deliveries checked")
        churn_errors = stats.pop("churn errors", [])
        notes = stats.pop("notes", [])
        print("others: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.items())))
        for note in notes:
            print(note)
        dropped = sum("SendQ exceeded" in line for line in server.log)
        flood = sum("Excess Flood" in line or "flood" in line.lower() for line in server.log)
        print(f"server log: {dropped} 'SendQ exceeded', {flood} flood-control lines")
        for line in [x for x in server.log if "SendQ" in x or "lood" in x][:12]:
            print("  " + line.rstrip())
        assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:20])
        assert not churn_errors, f"{len(churn_errors)} churner failures:\n" + "\n".join(churn_errors[:10])

        # Everyone leaves; the count returns to the monitor alone.
        for k, wb in enumerate(wbs):
            if k % 2:
                wb.say("!logout" if wb.kind == "seed" else "QUIT")
                time.sleep(0.01)
            wb.client.close(rst=k % 4 == 3)
        for s in slow:
            reset(s)
        counts = wait_counts(monitor, 1, 1, timeout=30)
        assert counts == (1, 1), f"LUSERS (users, connections) is {counts} once everyone left, want (1, 1)"
        time.sleep(3.0)
        final = rss_kib(pid)
        allowed = max(30 * 1024, baseline // 2)
        print(f"VmRSS: baseline {baseline / 1024:.1f} MiB, peak {peak[0] / 1024:.1f} MiB, "
              f"after everyone left {final / 1024:.1f} MiB (growth {(final - baseline) / 1024:.1f} MiB, "
              f"allowed {allowed / 1024:.1f} MiB)")
        if os.environ.get("CHAT_SANITIZED"):
            # ASan keeps freed memory in quarantine and TSan keeps shadow
            # memory: RSS says nothing there. LeakSanitizer checks at exit
            # instead, and its report fails the sanitizer check below.
            print("memory bound not checked under sanitizers (LeakSanitizer checks at exit)")
        else:
            assert final - baseline <= allowed, "the server kept memory after everyone left"
        assert server.proc.poll() is None, f"the server died (exit {server.proc.returncode})"
        reports = sanitizer_reports(server)
        assert not reports, "sanitizer reports:\n" + "".join(reports[:20])
        monitor.close()
        stop_cleanly(server)
        print("ok: soak; SIGTERM: exit 0, no sanitizer report")
    except BaseException:
        print("---- server log (tail)\n" + log_tail(server), file=sys.stderr)
        raise
    finally:
        server.kill()


if __name__ == "__main__":
    main()
