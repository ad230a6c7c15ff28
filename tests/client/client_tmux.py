"""chat-client in a real terminal multiplexer (tmux), for what a terminal
emulator library does not model: tmux rewraps lines when its window is
resized, as most terminals do, and moves rows about; a client that redrew
only part of its screen would leave a cut-off copy of its status or input
line behind.

Usage: client_tmux.py CHAT_CLIENT CHAT_SERVER TEST_NAME
Only the standard library and the tmux program. Loopback only.
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "cli"))

from driver import run_named_test, DEADLINE  # noqa: E402
from server_process import ServerProcess  # noqa: E402

CLIENT, SERVER = sys.argv[1], sys.argv[2]
SOCKET = f"chat-client-test-{os.getpid()}"  # a tmux server of our own


def tmux(*args):
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True, timeout=DEADLINE,
                          check=True).stdout


def screen():
    """The visible pane, row by row, as tmux shows it."""
    return [line.rstrip() for line in tmux("capture-pane", "-p").splitlines()]


def wait_for(predicate, what):
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; screen:\n" + "\n".join(screen()))


def test_resize_rewrapped(server):
    """Resized narrower and wider, again and again: the last row is the
    input line (a long one scrolled sideways, never wrapped), the row above
    it the one status line, and nothing of either is left anywhere else."""
    typed = "this is a long half typed line that will wrap when the window is narrowed"
    rows = 20
    tmux("new-session", "-d", "-x", "100", "-y", str(rows), "--", CLIENT, "--port", str(server.irc_port),
         "--nick", "alice")
    try:
        wait_for(lambda: any(line.startswith("#lobby>") for line in screen()), "the prompt")
        tmux("send-keys", "-l", typed)
        wait_for(lambda: any(typed in line for line in screen()), "the typed line")
        for width in (40, 100, 25, 60, 100, 30, 35):
            tmux("resize-window", "-x", str(width))

            def redrawn():
                shown = screen()
                if len(shown) != rows:
                    return False
                status, typing = shown[rows - 2], shown[rows - 1]
                # The end of what was typed, where the cursor is; the prompt
                # too when it all fits.
                tail = typing.lstrip("<")
                return (status == " #lobby | alice" and len(typing) < width and len(tail) > width // 2
                        and typed.endswith(tail.removeprefix("#lobby> "))
                        and (len(typed) + 8 >= width or typing == f"#lobby> {typed}")
                        and sum("#lobby | alice" in line for line in shown) == 1
                        and not any("half" in line or "narrowed" in line for line in shown[:rows - 1]))

            wait_for(redrawn, f"one status line and one input line at width {width}")
        tmux("send-keys", "C-u", "!logout", "Enter")
    finally:
        subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True, timeout=DEADLINE)


if __name__ == "__main__":
    run_named_test(globals(), sys.argv[3], ServerProcess(SERVER))
