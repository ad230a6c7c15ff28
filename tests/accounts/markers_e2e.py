"""IRCv3 draft/read-marker end to end: MARKREAD against a real chat-server
with its store in a fresh data directory, over real sockets, with several
clients of one account.

usage: markers_e2e.py CHAT_SERVER CASE
"""
import os
import re
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from accounts_e2e import Client, joined, register, start  # noqa: E402

SERVER = sys.argv[1]
CAPS = ("draft/read-marker", "server-time")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def markread(c, *args):
    """MARKREAD `args`; the MARKREAD or FAIL line that answers."""
    c.send("MARKREAD " + " ".join(args))
    return c.expect(" MARKREAD ")


def value_of(line):
    return line.split()[-1]


def session(port, nick, account, caps=CAPS):
    return Client(port, nick, caps=caps, sasl=("PLAIN", account, "correct horse"))


def case_read_marker_sync(s):
    """A marker set by one client is answered to it and reaches the other
    clients of the account that have the cap; one further back does not
    move it; one in the future is kept as now."""
    register(s.irc_port, "mara").close()
    a = session(s.irc_port, "mara", "mara")
    b = session(s.irc_port, "mara_phone", "mara")
    plain = session(s.irc_port, "mara_old", "mara", caps=("server-time",))
    other = Client(s.irc_port, "nosy", caps=CAPS)

    assert value_of(markread(a, "#room")) == "*", a.seen[-1]
    line = markread(a, "#room", "timestamp=2026-01-01T00:00:00.000Z")
    assert line.endswith("MARKREAD #room timestamp=2026-01-01T00:00:00.000Z"), line
    line = b.expect(" MARKREAD ")
    assert line.endswith("MARKREAD #room timestamp=2026-01-01T00:00:00.000Z"), line
    assert b.quiet(0.3), "told once"

    # Further back: the kept one is answered, nobody else is told.
    line = markread(a, "#ROOM", "timestamp=2025-06-01T00:00:00.000Z")
    assert line.endswith("timestamp=2026-01-01T00:00:00.000Z"), line
    assert b.quiet(0.3), b.seen[-1]

    # Read from the other client: the same.
    assert value_of(markread(b, "#Room")) == "timestamp=2026-01-01T00:00:00.000Z"

    # A private conversation has its own marker.
    line = markread(b, "nosy", "timestamp=2026-02-01T00:00:00.000Z")
    assert line.endswith("MARKREAD nosy timestamp=2026-02-01T00:00:00.000Z"), line
    assert a.expect(" MARKREAD ").endswith("MARKREAD nosy timestamp=2026-02-01T00:00:00.000Z")

    # The future is clamped to now.
    before = time.time()
    line = markread(a, "#room", "timestamp=2999-01-01T00:00:00.000Z")
    stamp = value_of(line).split("=", 1)[1]
    assert STAMP.match(stamp) and stamp < "2999", line
    got = time.mktime(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    assert before - 5 <= got <= time.time() + 5, (stamp, before)
    assert b.expect(" MARKREAD ").endswith(value_of(line))

    # A client without the cap and another account are never told.
    assert plain.quiet(0.3) and not [x for x in plain.seen if "MARKREAD" in x], plain.seen
    assert other.quiet(0.1) and not [x for x in other.seen if "MARKREAD" in x], other.seen


def case_read_marker_join(s):
    """Joining says the channel's marker after the JOIN and before the end
    of the names ('*' when none); a labeled JOIN carries it in its batch;
    without the cap there is none."""
    register(s.irc_port, "jo").close()
    a = session(s.irc_port, "jo", "jo")
    markread(a, "#seen", "timestamp=2026-03-01T12:00:00.000Z")
    b = session(s.irc_port, "jo_two", "jo", caps=CAPS + ("batch", "labeled-response"))

    # Two rooms: each answers on its own, so their replies may interleave;
    # within each, the marker comes after the JOIN and before the 366.
    b.send("JOIN #seen,#fresh")
    lines = []
    while sum(1 for x in lines if " 366 " in x) < 2:
        lines.append(b.line())

    def order_in(room):
        mine = [x for x in lines if f" {room}" in x and (f"JOIN {room}" in x or "MARKREAD" in x or " 366 " in x)]
        kinds = ["JOIN" if f"JOIN {room}" in x else "MARKREAD" if "MARKREAD" in x else "366" for x in mine]
        return kinds, mine

    kinds, mine = order_in("#seen")
    assert kinds == ["JOIN", "MARKREAD", "366"], lines
    assert mine[1].endswith("MARKREAD #seen timestamp=2026-03-01T12:00:00.000Z"), mine
    kinds, mine = order_in("#fresh")
    assert kinds == ["JOIN", "MARKREAD", "366"], lines
    assert mine[1].endswith("MARKREAD #fresh *"), mine

    # Labeled: the marker is inside the labeled-response batch, before 366.
    b.send("@label=j1 JOIN #third")
    start_line = b.expect("BATCH +")
    assert start_line.startswith("@label=j1 ") and "labeled-response" in start_line, start_line
    batch = start_line.split(" BATCH +", 1)[1].split()[0]
    inside = []
    while True:
        line = b.line()
        if line.endswith(f"BATCH -{batch}"):
            break
        inside.append(line)
    assert all(x.startswith(f"@batch={batch}") for x in inside), inside
    kinds = [x.split(" ", 2)[2] for x in inside]
    assert any(k.startswith("JOIN #third") for k in kinds), inside
    m = next(i for i, k in enumerate(kinds) if k.startswith("MARKREAD #third"))
    e = next(i for i, k in enumerate(kinds) if k.startswith("366 "))
    assert m < e and kinds[m] == "MARKREAD #third *", inside

    # Without the cap: no MARKREAD at all.
    c = session(s.irc_port, "jo_three", "jo", caps=("server-time",))
    lines = joined(c, "#seen")
    assert not [x for x in lines if "MARKREAD" in x], lines
    # Nor without an account.
    d = Client(s.irc_port, "guest", caps=CAPS)
    lines = joined(d, "#seen")
    assert not [x for x in lines if "MARKREAD" in x], lines


def case_read_marker_errors(s):
    """Bad MARKREADs get FAIL with the spec's codes; the connection stays."""
    anon = Client(s.irc_port, "anon", caps=CAPS)
    line = markread(anon, "#room")
    assert "FAIL MARKREAD ACCOUNT_REQUIRED #room" in line, line
    register(s.irc_port, "errs").close()
    c = session(s.irc_port, "errs", "errs")
    c.send("MARKREAD")
    assert "FAIL MARKREAD NEED_MORE_PARAMS" in c.expect("MARKREAD"), c.seen[-1]
    line = markread(c, "#a,#b", "timestamp=2026-01-01T00:00:00.000Z")
    assert "FAIL MARKREAD INVALID_PARAMS #a,#b" in line, line
    for bad in ("yesterday", "timestamp=yesterday", "timestamp=2026-13-01T00:00:00.000Z", "msgid=abc"):
        line = markread(c, "#room", bad)
        assert f"FAIL MARKREAD INVALID_PARAMS #room {bad}" in line, line
    assert value_of(markread(c, "#room")) == "*", "nothing was set"
    c.send("PING :alive")
    c.expect("PONG")


def case_read_marker_restart(_):
    """Markers are kept in the data directory: after a restart they are
    there; without a store the cap is not offered and MARKREAD says so."""
    d = tempfile.mkdtemp(prefix="chat-markers-")
    try:
        s = start(data_dir=d)
        try:
            register(s.irc_port, "kept").close()
            c = session(s.irc_port, "kept", "kept")
            markread(c, "#room", "timestamp=2026-04-01T00:00:00.000Z")
            c.close()
        finally:
            s.stop(signal.SIGTERM)
        s = start(data_dir=d)
        try:
            c = session(s.irc_port, "kept", "kept")
            assert value_of(markread(c, "#room")) == "timestamp=2026-04-01T00:00:00.000Z", c.seen[-1]
            lines = joined(c, "#room")
            assert any(x.endswith("MARKREAD #room timestamp=2026-04-01T00:00:00.000Z") for x in lines), lines
        finally:
            s.stop(signal.SIGTERM)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    s = start("--no-store")
    try:
        c = Client(s.irc_port, "memo", caps=("server-time",))
        c.send("CAP LS 302")
        assert "draft/read-marker" not in c.expect("CAP memo LS", "CAP * LS")
        line = markread(c, "#room")
        assert "FAIL MARKREAD INTERNAL_ERROR #room" in line, line
    finally:
        s.stop(signal.SIGTERM)


CASES_WITH_SERVER = {"read_marker_sync", "read_marker_join", "read_marker_errors"}

if __name__ == "__main__":
    name = sys.argv[2]
    case = globals()["case_" + name]
    if name in CASES_WITH_SERVER:
        server = start()
        try:
            case(server)
        finally:
            server.stop(signal.SIGTERM)
    else:
        case(None)
    print("ok")
