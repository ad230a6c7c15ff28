"""chat-client failing over between two cluster nodes, end to end: a real
redis-server, two chat-server nodes with their own history stores, the
client given both (--host A,B) and a user on the second node. The first
node is SIGKILLed; what is said while the client fails over reaches it
exactly once (from CHATHISTORY AFTER the last msgid it showed), and nothing
it showed before the kill is shown again.

Every server listens on 127.0.0.1, on ports the kernel picks.

usage: client_failover.py CHAT_SERVER CHAT_CLIENT CASE
"""
import os
import queue
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "client"))
import cluster_e2e  # noqa: E402  (its SERVER is argv[1], ours too)
from cluster_e2e import Redis, connected, node  # noqa: E402
from driver import DEADLINE, Client as ChatClient  # noqa: E402

from accounts_e2e import Client as IrcClient  # noqa: E402  (cluster_e2e put it on the path)

CLIENT = sys.argv[2]


def everything_shown(c):
    """Every line the client printed, once it has exited."""
    lines = list(c.seen)
    while True:
        try:
            line = c.lines.get_nowait()
        except queue.Empty:
            break
        if line is None:
            break
        lines.append(line)
    return lines


def count(lines, text):
    return sum(text in line for line in lines)


def case_message_during_failover(r):
    """alice's client is on north in #room with bob on south; north is
    killed; bob speaks while the client fails over; the client ends up on
    south and shows bob's line once, and the lines before the kill once."""
    north = connected(node(r.url(), "north"))
    south = connected(node(r.url(), "south"))
    c = None
    try:
        bob = IrcClient(south.irc_port, "bob")
        bob.send("JOIN #room")
        bob.expect(" 366 ")
        south_addr = f"127.0.0.1:{south.irc_port}"
        c = ChatClient(CLIENT, "--host", f"127.0.0.1:{north.irc_port},{south_addr}", "--nick", "alice",
                       "--room", "#room", "--colour", "never", "--no-config")
        c.expect(f"Connected to 127.0.0.1:{north.irc_port} (1 of 2)")
        c.expect("You have joined #room")
        bob.expect(" JOIN #room")

        # Lines before the kill, each seen once, from both sides.
        for i in range(3):
            bob.send(f"PRIVMSG #room :before the kill {i}")
            c.expect(f"bob > before the kill {i}")
        c.send("hello from north")
        c.expect("alice > hello from north")
        bob.expect("PRIVMSG #room :hello from north")

        north.proc.send_signal(signal.SIGKILL)
        north.proc.wait()
        lost = c.expect("Connection lost")
        assert f"Reconnecting to {south_addr} (2 of 2) in 1 s" in lost, lost
        # The client waits a second before it connects to south: this is
        # said while it is away, and reaches it through the history only.
        bob.send("PRIVMSG #room :while you were failing over")

        c.expect(f"Connected to {south_addr} (2 of 2)")
        welcome = c.expect("Connected as alice")
        c.expect("You have joined #room")
        missed = c.expect("bob > while you were failing over")
        end = c.expect("-- end of history --")
        assert c.seen.index(missed) < c.seen.index(end), c.seen[-10:]
        if "Connected as alice_" in welcome:
            # north's alice holds the nick until its lease lapses; then it is ours again.
            c.expect("You are now known as alice", timeout=DEADLINE + cluster_e2e.LEASE)

        bob.send("PRIVMSG #room :after the failover")
        c.expect("bob > after the failover")
        c.send("hello from south")
        c.expect("alice > hello from south")
        bob.expect("PRIVMSG #room :hello from south")

        c.send("!logout")
        assert c.wait() == 0
        shown = everything_shown(c)
        for text in ["bob > before the kill 0", "bob > before the kill 1", "bob > before the kill 2",
                     "alice > hello from north", "bob > while you were failing over", "bob > after the failover",
                     "alice > hello from south"]:
            assert count(shown, text) == 1, (text, "\n".join(shown))
        # One history batch only: the one of the failover (north's first join had none).
        assert count(shown, "-- end of history --") == 1, "\n".join(shown)
    finally:
        if c is not None:
            c.kill()
        north.kill()
        south.kill()


def main():
    case = sys.argv[3]
    r = Redis()
    try:
        globals()["case_" + case](r)
    finally:
        r.close()
    print(f"client failover {case}: ok")


if __name__ == "__main__":
    main()
