"""Accounts and history in cluster mode, end to end: two chat-server nodes
over one real redis-server keep accounts and CHATHISTORY there, so an
account registered on one node logs in on the other, lines said on one are
read back on the other (once each: kept by the node they were said on), and a
node restarted still reads them.

Every server and Redis listens on 127.0.0.1, on ports the kernel picks.

usage: cluster_store_e2e.py CHAT_SERVER CASE
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "accounts"))
from accounts_e2e import HISTORY_CAPS, Client, register, text_of  # noqa: E402
from cluster_e2e import Redis, connected, eventually, knows, node  # noqa: E402

PASSWORD = "correct horse"


def in_redis(s):
    assert s.saw("accounts and history in the cluster's Redis"), "".join(s.log)
    return s


def case_accounts_span_nodes(r):
    """REGISTER on one node; SASL PLAIN and SCRAM-SHA-256 on the other."""
    a = in_redis(connected(node(r.url(), "north")))
    b = in_redis(connected(node(r.url(), "south")))
    try:
        register(a.irc_port, "alice", PASSWORD).close()
        # Other nicks: the cluster frees "alice" a moment after its QUIT.
        for nick, mech in (("al1", "PLAIN"), ("al2", "SCRAM-SHA-256")):
            c = Client(b.irc_port, nick, sasl=(mech, "alice", PASSWORD))
            c.send("WHOIS " + nick)
            assert " alice " in c.expect(" 330 ", " 318 "), c.seen[-3:]
            c.close()
        # A wrong password is refused there too.
        bad = Client(b.irc_port, "mallory", caps=("sasl",), register=False)
        assert not bad.authenticate("PLAIN", "alice", "wrong password")
    finally:
        a.stop(signal.SIGTERM)
        b.stop(signal.SIGTERM)


def say_on_north_read_on_south(r, north, south):
    """alice on north says five lines in #hall; bob on south is in #hall."""
    register(north.irc_port, "alice", PASSWORD).close()
    alice = Client(north.irc_port, "alice", caps=HISTORY_CAPS, sasl=("PLAIN", "alice", PASSWORD))
    bob = Client(south.irc_port, "bob", caps=HISTORY_CAPS)
    knows(bob, "alice")
    alice.send("JOIN #hall")
    alice.expect(" 366 ")
    bob.send("JOIN #hall")
    bob.expect(" 366 ")
    alice.expect(" JOIN #hall")
    for i in range(5):
        alice.send(f"PRIVMSG #hall :from north {i}")
    for i in range(5):
        assert text_of(bob.expect(" PRIVMSG #hall ")) == f"from north {i}"
    want = [f"from north {i}" for i in range(5)]
    # Kept by north alone, read on south: once each.
    eventually(lambda: [text_of(x) for x in bob.history("LATEST", "#hall", "*", "50")] == want,
               "south's CHATHISTORY has north's lines once each")
    return alice, bob, want


def case_history_spans_nodes(r):
    a = in_redis(connected(node(r.url(), "north")))
    b = in_redis(connected(node(r.url(), "south")))
    try:
        alice, bob, want = say_on_north_read_on_south(r, a, b)
        got = alice.history("LATEST", "#hall", "*", "50")
        assert [text_of(x) for x in got] == want, got
        ids = [x.split("msgid=", 1)[1].split(";", 1)[0].split(" ", 1)[0] for x in got]
        after = bob.history("AFTER", "#hall", f"msgid={ids[1]}", "2")
        assert [text_of(x) for x in after] == want[2:4], after
    finally:
        a.stop(signal.SIGTERM)
        b.stop(signal.SIGTERM)


def case_restart_keeps_history(r):
    a = in_redis(connected(node(r.url(), "north")))
    b = in_redis(connected(node(r.url(), "south")))
    try:
        alice, bob, want = say_on_north_read_on_south(r, a, b)
        bob.close()
        assert b.stop(signal.SIGTERM) == 0
        b = in_redis(connected(node(r.url(), "south")))
        # Its own data directory is fresh: what it reads is in Redis.
        back = Client(b.irc_port, "alice2", caps=HISTORY_CAPS, sasl=("PLAIN", "alice", PASSWORD))
        back.send("JOIN #hall")
        back.expect(" 366 ")
        eventually(lambda: [text_of(x) for x in back.history("LATEST", "#hall", "*", "50")] == want,
                   "the restarted node reads the lines")
    finally:
        a.stop(signal.SIGTERM)
        b.stop(signal.SIGTERM)


def case_events_kept_once(r):
    """Channel events (draft/event-playback) across nodes are kept once, by
    the node where they happened, and played back once on every node."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "accounts"))
    from playback_e2e import PLAYBACK, source_nick, verb_and_params  # noqa: E402
    a = in_redis(connected(node(r.url(), "north")))
    b = in_redis(connected(node(r.url(), "south")))
    try:
        alice = Client(a.irc_port, "alice", caps=HISTORY_CAPS)
        bob = Client(b.irc_port, "bob", caps=HISTORY_CAPS)
        knows(bob, "alice")
        alice.send("JOIN #hall")
        alice.expect(" 366 ")
        bob.send("JOIN #hall")
        bob.expect(" 366 ")
        alice.expect(" JOIN #hall")
        alice.send("TOPIC #hall :north's topic")
        bob.expect(" TOPIC #hall ")
        bob.send("PRIVMSG #hall :from south")
        alice.expect(" PRIVMSG #hall ")
        bob.send("PART #hall :bye")
        alice.expect(" PART #hall ")
        want = [("alice", "JOIN #hall"), ("bob", "JOIN #hall"), ("alice", "TOPIC #hall :north's topic"),
                ("bob", "PRIVMSG #hall :from south"), ("bob", "PART #hall :bye")]
        for port, nick in ((a.irc_port, "vera"), (b.irc_port, "walt")):
            viewer = Client(port, nick, caps=PLAYBACK)
            viewer.send("JOIN #hall")
            viewer.expect(" 366 ")

            # Once each; in order but for lines of two nodes within one
            # millisecond, which the store orders as their commits came.
            def played():
                lines = viewer.history("LATEST", "#hall", "*", "50")
                return sorted([(source_nick(x), verb_and_params(x)) for x in lines][:len(want)])
            eventually(lambda: played() == sorted(want), f"{nick} is played each event once")
            viewer.close()
    finally:
        a.stop(signal.SIGTERM)
        b.stop(signal.SIGTERM)


def main():
    case = sys.argv[2]
    r = Redis()
    try:
        globals()["case_" + case](r)
    finally:
        r.close()
    print(f"cluster store {case}: ok")


if __name__ == "__main__":
    main()
