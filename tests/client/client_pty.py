"""chat-client in a pseudo-terminal, rendered by a terminal emulator (pyte).

Needs Debian's python3-pyte: run with /usr/bin/python3.
Usage: client_pty.py CHAT_CLIENT CHAT_SERVER TEST_NAME
"""
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pyte

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "cli"))

from driver import run_named_test, DEADLINE, Client  # noqa: E402
from server_process import ServerProcess  # noqa: E402

CLIENT, SERVER = sys.argv[1], sys.argv[2]
COLUMNS, ROWS = 80, 24


class PtyClient:
    """chat-client with a terminal for stdin, stdout and stderr."""

    def __init__(self, *args, env=None):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        full_env = dict(os.environ, TERM="xterm", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        full_env.pop("NO_COLOR", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [CLIENT, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            preexec_fn=self._controlling_terminal,
        )
        self.slave = slave
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()

    @staticmethod
    def _controlling_terminal():
        # As a shell does: a session of its own with the pty as its terminal,
        # so that Ctrl-C is a SIGINT.
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    def pump(self, seconds=0.05):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self.master], [], [], left)
            if not ready:
                return
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.raw += data
            self.stream.feed(data)

    def type(self, keys):
        os.write(self.master, keys.encode())

    def lines(self):
        return [line.rstrip() for line in self.screen.display]

    def input_line(self):
        """The screen line the cursor is on."""
        return self.screen.display[self.screen.cursor.y].rstrip()

    def wait_for(self, predicate, what):
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            self.pump(0.05)
            if predicate():
                return
        raise AssertionError(f"timed out waiting for {what}; screen:\n" + "\n".join(self.lines()))

    def wait_text(self, text):
        self.wait_for(lambda: any(text in line for line in self.lines()), repr(text))

    def wait_exit(self):
        end = time.monotonic() + DEADLINE
        while self.proc.poll() is None and time.monotonic() < end:
            self.pump(0.05)
        return self.proc.wait(timeout=1)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


def start(server, nick, *flags, **kw):
    c = PtyClient("--port", str(server.irc_port), "--nick", nick, *flags, **kw)
    c.wait_text("You have joined #lobby")
    c.wait_for(lambda: c.input_line() == "#lobby>", "the prompt")
    return c


def test_incoming_message_keeps_the_half_typed_line(server):
    alice = start(server, "alice")
    bob = Client(CLIENT, "--port", str(server.irc_port), "--nick", "bob")
    bob.expect("You have joined #lobby")
    alice.wait_text("bob has joined #lobby")

    alice.type("half typed")
    alice.wait_for(lambda: alice.input_line() == "#lobby> half typed", "the half-typed line")
    for i in range(3):
        bob.send(f"interrupting message {i}")
    alice.wait_text("bob > interrupting message 2")
    alice.pump(0.2)
    lines = alice.lines()
    row = alice.screen.cursor.y
    # The input line is intact, below every message, with the cursor at its end.
    assert alice.input_line() == "#lobby> half typed", "\n".join(lines)
    assert alice.screen.cursor.x == len("#lobby> half typed"), alice.screen.cursor.x
    for i in range(3):
        at = [n for n, line in enumerate(lines) if line.endswith(f"bob > interrupting message {i}")]
        assert len(at) == 1 and at[0] < row, "\n".join(lines)
    assert sum("half typed" in line for line in lines) == 1, "\n".join(lines)

    # Finishing the line sends exactly what was typed.
    alice.type(" and finished\r")
    bob.expect("alice > half typed and finished")
    alice.wait_for(lambda: alice.input_line() == "#lobby>", "an empty prompt after Enter")
    alice.type("!logout\r")
    assert alice.wait_exit() == 0
    alice.close()
    bob.kill()


def test_line_editing_and_history(server):
    alice = start(server, "alice")
    bob = Client(CLIENT, "--port", str(server.irc_port), "--nick", "bob")
    bob.expect("You have joined #lobby")
    # Home, End and Left arrow; Ctrl-W deletes a word.
    alice.type("world")
    alice.type("\x01")  # Ctrl-A: beginning of line
    alice.type("hello ")
    alice.type("\x05")  # Ctrl-E: end of line
    alice.type(" typo\x17")  # Ctrl-W: delete the word before the cursor
    alice.type("\x1b[D\x1b[D")  # Left, Left: before the "d"
    alice.type("X")
    alice.type("\r")
    bob.expect("alice > hello worlXd ")
    # Up recalls the previous line; Ctrl-U clears it.
    alice.type("\x1b[A")
    alice.wait_for(lambda: alice.input_line() == "#lobby> hello worlXd", "the recalled line")
    alice.type("\x15second\r")
    bob.expect("alice > second")
    alice.type("\x04")  # Ctrl-D on an empty line: leave
    assert alice.wait_exit() == 0
    # The terminal is back in canonical mode with echo.
    attrs = termios.tcgetattr(alice.slave)
    assert attrs[3] & termios.ICANON and attrs[3] & termios.ECHO
    alice.close()
    bob.kill()


def test_ctrl_c_leaves_without_retry(server):
    alice = start(server, "alice")
    alice.type("\x03")
    assert alice.wait_exit() == 0
    attrs = termios.tcgetattr(alice.slave)
    assert attrs[3] & termios.ICANON and attrs[3] & termios.ECHO
    assert b"Reconnecting" not in alice.raw
    alice.close()


SGR_COLOUR = re.compile(rb"\x1b\[3[1-6]m")


def test_colours_and_no_color(server):
    bob = Client(CLIENT, "--port", str(server.irc_port), "--nick", "bob")
    bob.expect("You have joined #lobby")
    coloured = start(server, "alice")
    plain = start(server, "carol", env={"NO_COLOR": "1"})
    bob.send("colour check")
    coloured.wait_text("bob > colour check")
    plain.wait_text("bob > colour check")
    assert SGR_COLOUR.search(bytes(coloured.raw)), bytes(coloured.raw)
    assert not SGR_COLOUR.search(bytes(plain.raw)), bytes(plain.raw)
    for c in (coloured, plain):
        c.type("!logout\r")
        assert c.wait_exit() == 0
        c.close()
    bob.kill()


def test_tab_completion(server):
    """Tab completes a nick of the room (as "bob: " at the start), a command
    and a room; pressing it again cycles through the candidates."""
    bob = Client(CLIENT, "--port", str(server.irc_port), "--nick", "bob")
    bob.expect("You have joined #lobby")
    alice = start(server, "alice")

    def typed(keys, shown):
        alice.type(keys)
        alice.wait_for(lambda: alice.input_line() == shown, repr(shown))

    typed("bo\t", "#lobby> bob:")
    typed("hello\r", "#lobby>")
    bob.expect("alice > bob: hello")
    typed("/whoi\t", "#lobby> /whois")
    typed("\x15", "#lobby>")  # Ctrl-U clears the line
    typed("/wh\t", "#lobby> /who")
    typed("\t", "#lobby> /whois")  # again: the next candidate
    typed("\t", "#lobby> /who")  # and round
    typed("\x15/join #side\r", "#side>")
    alice.wait_text("You have joined #side")
    typed("/join #l\t", "#side> /join #lobby")
    typed("\r", "#lobby>")
    alice.type("!logout\r")
    assert alice.wait_exit() == 0
    alice.close()
    bob.kill()


def test_switch_rooms_with_unread(server):
    """Lines in another room wait as an unread count in the status before
    the prompt; Alt-1 switches to that room and clears it; /switch goes back."""
    bob = Client(CLIENT, "--port", str(server.irc_port), "--nick", "bob")
    bob.expect("You have joined #lobby")
    alice = start(server, "alice")
    alice.type("/join #side\r")
    alice.wait_for(lambda: alice.input_line() == "#side>", "the #side prompt")
    bob.send("one in the lobby")
    bob.send("two in the lobby")
    alice.wait_for(lambda: alice.input_line() == "[1:#lobby 2] #side>", "the unread count")
    alice.type("\x1b1")  # Alt-1
    alice.wait_for(lambda: alice.input_line() == "#lobby>", "the lobby after Alt-1")
    alice.wait_text("Now talking in #lobby.")
    alice.type("/switch side\r")
    alice.wait_for(lambda: alice.input_line() == "#side>", "the #side prompt again")
    alice.type("!logout\r")
    assert alice.wait_exit() == 0
    alice.close()
    bob.kill()


def test_resize_leaves_no_stale_line(server):
    """After SIGWINCH (narrower, then wider) the prompt and the half-typed
    input are on the screen once: no cut-off copy stays behind."""
    alice = start(server, "alice")
    alice.type("half typed words")
    alice.wait_for(lambda: alice.input_line() == "#lobby> half typed words", "the typed line")
    for cols in (40, 80):
        fcntl.ioctl(alice.slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, cols, 0, 0))
        alice.screen.resize(ROWS, cols)
        alice.proc.send_signal(signal.SIGWINCH)
        alice.pump(0.5)
        shown = [line for line in alice.lines() if "#lobby>" in line]
        assert shown == ["#lobby> half typed words"], (cols, alice.lines())
    alice.type("\x15!logout\r")
    assert alice.wait_exit() == 0
    alice.close()


def test_mention_highlighted(server):
    """A line that names us is bold and reversed on the screen and, with
    --bell-on-mention, rings the bell; other lines are not."""
    bob = Client(CLIENT, "--port", str(server.irc_port), "--nick", "bob")
    bob.expect("You have joined #lobby")
    alice = start(server, "alice", "--bell-on-mention")
    bob.send("just chatting")
    alice.wait_text("bob > just chatting")
    assert b"\x07" not in alice.raw

    def cells(text):
        for y, line in enumerate(alice.lines()):
            x = line.find(text)
            if x >= 0:
                return [alice.screen.buffer[y][x + i] for i in range(len(text))]
        return None

    plain = cells("just chatting")
    assert plain and not any(c.reverse for c in plain), plain
    bob.send("alice: are you there?")
    alice.wait_text("bob > alice: are you there?")
    marked = cells("alice: are you there?")
    assert marked and all(c.reverse and c.bold for c in marked), marked
    assert b"\x07" in alice.raw
    alice.type("!logout\r")
    assert alice.wait_exit() == 0
    alice.close()
    bob.kill()


if __name__ == "__main__":
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    run_named_test(globals(), sys.argv[3], ServerProcess(SERVER))
