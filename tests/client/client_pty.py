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


class Screen(pyte.Screen):
    """pyte's screen, with DECSTBM as VT100 has it: no parameters (CSI r)
    or 0 resets the scroll region to the whole screen (Debian's pyte takes
    the missing top as 0 and keeps the old region)."""

    def set_margins(self, top=None, bottom=None, *args, **kwargs):
        if (top is None or top == 0) and bottom is None:
            self.margins = None
            self.cursor_position()
            return
        super().set_margins(top, bottom, *args, **kwargs)


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
        self.screen = Screen(COLUMNS, ROWS)
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

    def status_line(self):
        """The row above the last: the status line."""
        return self.screen.display[self.screen.lines - 2].rstrip()

    def status_cells(self, text):
        """The cells of `text` in the status line, or None."""
        row = self.screen.lines - 2
        x = self.screen.display[row].find(text)
        return None if x < 0 else [self.screen.buffer[row][x + i] for i in range(len(text))]

    def resize(self, rows, cols):
        """As a terminal window does: the pty's size, the emulator's, then SIGWINCH."""
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.screen.resize(rows, cols)
        self.proc.send_signal(signal.SIGWINCH)

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


def on_input_row(c, text):
    """The cursor is on the last row, which reads `text`."""
    return c.screen.cursor.y == c.screen.lines - 1 and c.input_line() == text


def status_is(c, text):
    return c.status_line() == " " + text


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
    """A line in another room shows in the scroll area with its [#room] mark
    and counts in that room's place in the status line; Alt-1 switches to
    it and clears the count; /switch goes back."""
    bob = Client(CLIENT, "--port", str(server.irc_port), "--nick", "bob")
    bob.expect("You have joined #lobby")
    alice = start(server, "alice")
    alice.type("/join #side\r")
    alice.wait_for(lambda: on_input_row(alice, "#side>"), "the #side prompt")
    alice.wait_for(lambda: status_is(alice, "#side | alice"), "the #side status")
    bob.send("one in the lobby")
    alice.wait_text("[#lobby] bob > one in the lobby")
    alice.wait_for(lambda: status_is(alice, "#side | alice | 1:#lobby(1)"), "one unread")
    bob.send("two in the lobby")
    alice.wait_for(lambda: status_is(alice, "#side | alice | 1:#lobby(2)"), "two unread")
    assert alice.input_line() == "#side>", alice.lines()  # the prompt is the place alone
    assert not any(c.bold for c in alice.status_cells("1:#lobby(2)")), "no mention, no highlight"
    alice.type("\x1b1")  # Alt-1
    alice.wait_for(lambda: on_input_row(alice, "#lobby>"), "the lobby after Alt-1")
    alice.wait_for(lambda: status_is(alice, "#lobby | alice"), "the count cleared")
    alice.wait_text("Now talking in #lobby.")
    alice.type("/switch side\r")
    alice.wait_for(lambda: on_input_row(alice, "#side>"), "the #side prompt again")
    alice.type("!logout\r")
    assert alice.wait_exit() == 0
    alice.close()
    bob.kill()


def test_status_line_above_the_input(server):
    """The row above the input is the status line, in reverse video across
    the whole width: the current room and the nick; the input is the last
    row, and the conversation scrolls in the rows above."""
    alice = start(server, "alice")
    alice.wait_for(lambda: status_is(alice, "#lobby | alice"), "the status line")
    assert on_input_row(alice, "#lobby>"), alice.lines()
    row = alice.screen.lines - 2
    assert all(alice.screen.buffer[row][x].reverse for x in range(COLUMNS)), "reverse video, padded"
    assert sum("#lobby | alice" in line for line in alice.lines()) == 1, alice.lines()
    # The conversation is above the status line.
    joined = [n for n, line in enumerate(alice.lines()) if "You have joined #lobby" in line]
    assert joined and joined[0] < row, alice.lines()
    # Away and a new nick show there.
    alice.type("/away lunch\r")
    alice.wait_for(lambda: status_is(alice, "#lobby | alice | away"), "away in the status")
    alice.type("/away\r")
    alice.wait_for(lambda: status_is(alice, "#lobby | alice"), "back")
    alice.type("/nick alicia\r")
    alice.wait_for(lambda: status_is(alice, "#lobby | alicia"), "the new nick in the status")
    # Many lines scroll above it and leave it where it is.
    bob = Client(CLIENT, "--port", str(server.irc_port), "--nick", "bob")
    bob.expect("You have joined #lobby")
    for i in range(30):
        bob.send(f"scrolling line {i}")
    alice.wait_text("bob > scrolling line 29")
    assert status_is(alice, "#lobby | alicia"), alice.lines()
    assert on_input_row(alice, "#lobby>"), alice.lines()
    assert sum("#lobby | alicia" in line for line in alice.lines()) == 1, alice.lines()
    assert alice.lines()[row - 1].endswith("bob > scrolling line 29"), alice.lines()
    alice.type("!logout\r")
    assert alice.wait_exit() == 0
    alice.close()
    bob.kill()


def test_status_marks_a_mention(server):
    """A line naming us elsewhere, or a private message, marks that place
    with "!" and in bold; switching to it clears the mark."""
    bob = Client(CLIENT, "--port", str(server.irc_port), "--nick", "bob")
    bob.expect("You have joined #lobby")
    alice = start(server, "alice")
    alice.type("/join #side\r")
    alice.wait_for(lambda: status_is(alice, "#side | alice"), "the #side status")
    bob.send("alice: are you there?")
    alice.wait_text("[#lobby] bob > alice: are you there?")
    alice.wait_for(lambda: status_is(alice, "#side | alice | 1:#lobby(1!)"), "the mention mark")
    cells = alice.status_cells("1:#lobby(1!)")
    assert cells and all(c.bold and c.reverse for c in cells), cells
    bob.send("!msg alice psst")
    alice.wait_for(lambda: status_is(alice, "#side | alice | 1:#lobby(1!) 3:bob(1!)"), "the query's mark")
    alice.type("\x1b3")  # Alt-3: the conversation with bob
    alice.wait_for(lambda: status_is(alice, "bob | alice | 1:#lobby(1!)"), "bob's mark cleared")
    alice.wait_for(lambda: on_input_row(alice, "bob>"), "the query prompt")
    alice.type("\x1b1")
    alice.wait_for(lambda: status_is(alice, "#lobby | alice"), "every mark cleared")
    alice.type("!logout\r")
    assert alice.wait_exit() == 0
    alice.close()
    bob.kill()


def test_resize_redraws_one_status_line(server):
    """SIGWINCH to other sizes, taller, shorter, wider and narrower: the
    whole screen has exactly one status line, on the row above the input,
    and one input line, the last row; the conversation is drawn again."""
    bob = Client(CLIENT, "--port", str(server.irc_port), "--nick", "bob")
    bob.expect("You have joined #lobby")
    alice = start(server, "alice")
    for i in range(5):
        bob.send(f"before resize {i}")
    alice.wait_text("bob > before resize 4")
    alice.type("half typed")
    alice.wait_for(lambda: on_input_row(alice, "#lobby> half typed"), "the typed line")
    for rows, cols in ((12, 40), (30, 100), (8, 30), (24, 80)):
        alice.resize(rows, cols)

        def settled():
            lines = alice.lines()
            return (len(lines) == rows and on_input_row(alice, "#lobby> half typed")
                    and status_is(alice, "#lobby | alice")
                    and lines[rows - 3].endswith("bob > before resize 4"))

        alice.wait_for(settled, f"the screen redrawn at {rows}x{cols}")
        alice.pump(0.3)  # anything late would show now
        lines = alice.lines()
        assert settled(), (rows, cols, lines)
        assert sum("#lobby | alice" in line for line in lines) == 1, (rows, cols, lines)
        assert sum("half typed" in line for line in lines) == 1, (rows, cols, lines)
        assert sum(line.endswith("bob > before resize 4") for line in lines) == 1, (rows, cols, lines)
        assert alice.screen.margins is not None and alice.screen.margins.bottom == rows - 3, alice.screen.margins
    # Lines still scroll in above the status line at the new size.
    bob.send("after resize")
    alice.wait_for(lambda: alice.lines()[ROWS - 3].endswith("bob > after resize"), "a line after the resizes")
    assert on_input_row(alice, "#lobby> half typed") and status_is(alice, "#lobby | alice"), alice.lines()
    alice.type("\x15!logout\r")
    assert alice.wait_exit() == 0
    alice.close()
    bob.kill()


def test_long_input_stays_on_its_row(server):
    """An input line longer than the width scrolls sideways on the last
    row: it never wraps into the status line, and is sent whole."""
    bob = Client(CLIENT, "--port", str(server.irc_port), "--nick", "bob")
    bob.expect("You have joined #lobby")
    alice = start(server, "alice")
    words = " ".join(f"word{i:03d}" for i in range(40))  # 319 characters, four rows' worth
    alice.type(words)
    alice.wait_for(lambda: alice.screen.cursor.y == ROWS - 1 and "word039" in alice.input_line(), "the end of it")
    alice.pump(0.3)
    lines = alice.lines()
    assert status_is(alice, "#lobby | alice"), lines
    assert sum("word" in line for line in lines) == 1, lines  # the input row alone
    assert len(alice.input_line()) < COLUMNS, lines
    # Back to its start, the prompt is seen again.
    alice.type("\x01")  # Ctrl-A
    alice.wait_for(lambda: alice.input_line().startswith("#lobby> word000"), "the start of the line")
    assert status_is(alice, "#lobby | alice"), alice.lines()
    alice.type("\r")
    bob.expect("alice > " + words)
    alice.wait_for(lambda: on_input_row(alice, "#lobby>"), "an empty prompt")
    assert status_is(alice, "#lobby | alice"), alice.lines()
    alice.type("!logout\r")
    assert alice.wait_exit() == 0
    alice.close()
    bob.kill()


def test_exit_resets_the_scroll_region(server):
    """However the client ends (!logout, Ctrl-D, Ctrl-C, an unreachable
    server), it resets the scroll region: output afterwards scrolls the
    whole screen, and no status line is left."""
    REGION_RESET = b"\x1b[r"
    for how in ("!logout\r", "\x04", "\x03", "unreachable"):
        if how == "unreachable":
            from driver import free_port
            c = PtyClient("--port", str(free_port()), "--nick", "alice")
            assert c.wait_exit() == 1, how
            c.wait_text("cannot connect")  # what was left in the pty when it exited
        else:
            c = start(server, "alice")
            c.wait_for(lambda: status_is(c, "#lobby | alice"), "the status line")
            c.type(how)
            assert c.wait_exit() == 0, how
        c.pump(0.2)
        raw = bytes(c.raw)
        assert raw.rfind(REGION_RESET) > raw.rfind(b"\x1b[1;"), (how, raw[-200:])
        assert c.screen.margins is None, (how, c.screen.margins)
        assert not any(" | alice" in line for line in c.lines()), (how, c.lines())
        # As a shell would print after it: the whole screen scrolls.
        c.stream.feed(b"".join(b"shell line %d\r\n" % i for i in range(ROWS + 5)))
        assert c.lines()[ROWS - 2] == f"shell line {ROWS + 4}", (how, c.lines())
        assert not any("#lobby" in line for line in c.lines()), (how, c.lines())
        c.close()


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
