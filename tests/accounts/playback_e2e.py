"""IRCv3 draft/event-playback end to end: a channel's JOIN, PART, QUIT,
NICK, TOPIC and KICK are kept with its messages in a real SQLite file, and
CHATHISTORY plays them back to clients that asked for them, and only to
those.

usage: playback_e2e.py CHAT_SERVER CASE
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(__file__))
from accounts_e2e import Client, joined, start, text_of  # noqa: E402

SERVER = sys.argv[1]
CAPS = ("batch", "server-time", "message-tags", "draft/chathistory", "echo-message")
PLAYBACK = CAPS + ("draft/event-playback",)


def verb_and_params(line):
    """'JOIN #c', 'PRIVMSG #c :hi': the line without its tags and source."""
    if line.startswith("@"):
        line = line.split(" ", 1)[1]
    if line.startswith(":"):
        line = line.split(" ", 1)[1]
    return line


def source_nick(line):
    if line.startswith("@"):
        line = line.split(" ", 1)[1]
    return line[1:].split("!", 1)[0]


def case_event_playback(s):
    """What happened in #ev, in order, with the messages; without the cap
    only the messages; the limit counts events too."""
    op = Client(s.irc_port, "opal", caps=CAPS)
    joined(op, "#ev")
    bob = Client(s.irc_port, "bob", caps=CAPS)
    joined(bob, "#ev")
    carl = Client(s.irc_port, "carl", caps=CAPS)
    joined(carl, "#ev")
    dave = Client(s.irc_port, "dave", caps=CAPS)
    joined(dave, "#ev")
    op.send("TOPIC #ev :a topic")
    op.expect("TOPIC #ev")
    bob.send("NICK bobby")
    op.expect("NICK :bobby")
    bob.send("PRIVMSG #ev :hello there")
    op.expect("hello there")
    op.send("KICK #ev carl :be nice")
    op.expect("KICK #ev carl")
    bob.send("PART #ev :bye now")
    op.expect("PART #ev")
    dave.send("QUIT :gone home")
    op.expect("QUIT :")
    op.send("PING :sync")
    op.expect("PONG")

    viewer = Client(s.irc_port, "vera", caps=PLAYBACK + ("extended-join",))
    joined(viewer, "#ev")
    got = [(source_nick(x), verb_and_params(x)) for x in viewer.history("LATEST", "#ev", "*", "50")]
    want = [
        ("opal", "JOIN #ev * :opal"),
        ("bob", "JOIN #ev * :bob"),
        ("carl", "JOIN #ev * :carl"),
        ("dave", "JOIN #ev * :dave"),
        ("opal", "TOPIC #ev :a topic"),
        ("bob", "NICK :bobby"),
        ("bobby", "PRIVMSG #ev :hello there"),
        ("opal", "KICK #ev carl :be nice"),
        ("bobby", "PART #ev :bye now"),
        ("dave", "QUIT :Quit: gone home"),
        ("vera", "JOIN #ev * :vera"),
    ]
    assert got == want, got
    # The lines carry their times and ids, in a chathistory batch.
    lines = viewer.history("LATEST", "#ev", "*", "2")
    assert [verb_and_params(x) for x in lines] == ["QUIT :Quit: gone home", "JOIN #ev * :vera"], lines
    assert all(";time=" in x.split(" ", 1)[0] and "msgid=" in x.split(" ", 1)[0] for x in lines), lines
    # BEFORE the PRIVMSG, by its msgid: events before it.
    msgid = next(t.split("=", 1)[1] for t in [
        kv for x in viewer.history("LATEST", "#ev", "*", "50") if "PRIVMSG" in x
        for kv in x[1:].split(" ", 1)[0].split(";")] if t.startswith("msgid="))
    before = [verb_and_params(x) for x in viewer.history("BEFORE", "#ev", f"msgid={msgid}", "2")]
    assert before == ["TOPIC #ev :a topic", "NICK :bobby"], before

    # Without the cap: the messages only, and the limit counts only them.
    plain = Client(s.irc_port, "paul", caps=CAPS)
    joined(plain, "#ev")
    got = [verb_and_params(x) for x in plain.history("LATEST", "#ev", "*", "50")]
    assert got == ["PRIVMSG #ev :hello there"], got
    got = [verb_and_params(x) for x in plain.history("LATEST", "#ev", "*", "1")]
    assert got == ["PRIVMSG #ev :hello there"], got
    # Without extended-join the JOIN is the plain one.
    lines = Client(s.irc_port, "wes", caps=PLAYBACK)
    joined(lines, "#ev")
    got = [verb_and_params(x) for x in lines.history("LATEST", "#ev", "*", "1")]
    assert got == ["JOIN #ev"], got


def case_event_playback_not_in_replay(s):
    """Replay on join (+H) and the console client's history stay messages:
    a client without chathistory sees no events replayed."""
    op = Client(s.irc_port, "host", caps=CAPS)
    joined(op, "#quiet")
    op.send("MODE #quiet +H 10:1h")
    op.expect("MODE #quiet")
    guest = Client(s.irc_port, "gus")
    joined(guest, "#quiet")
    guest.send("PART #quiet")
    guest.expect("PART #quiet")
    op.send("PRIVMSG #quiet :only this")
    op.expect("only this")
    late = Client(s.irc_port, "late", caps=("batch", "server-time"))
    lines = joined(late, "#quiet")
    replayed = []
    while not late.quiet(0.5):
        replayed.append(late.seen[-1])
    shown = [verb_and_params(x) for x in replayed if "BATCH" not in x]
    assert shown == ["PRIVMSG #quiet :only this"], (lines, replayed)


if __name__ == "__main__":
    name = sys.argv[2]
    server = start()
    try:
        globals()["case_" + name](server)
    finally:
        server.stop(signal.SIGTERM)
    print("ok")
