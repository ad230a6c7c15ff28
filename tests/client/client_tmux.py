"""chat-client in a real terminal multiplexer (tmux), for what a terminal
emulator library does not model: tmux rewraps lines when its window is
resized, as most terminals do, and a client that redraws its input line as
if it had not been rewrapped leaves a cut-off copy behind.

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
    return tmux("capture-pane", "-p", "-J").splitlines()  # the visible pane, rewrapped rows joined


def wait_for(predicate, what):
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; screen:\n" + "\n".join(screen()))


def test_resize_rewrapped(server):
    typed = "this is a long half typed line that will wrap when the window is narrowed"
    tmux("new-session", "-d", "-x", "100", "-y", "20", "--", CLIENT, "--port", str(server.irc_port),
         "--nick", "alice")
    try:
        wait_for(lambda: any(line.startswith("#lobby>") for line in screen()), "the prompt")
        tmux("send-keys", "-l", typed)
        wait_for(lambda: any(typed in line for line in screen()), "the typed line")
        for width in (40, 100, 25, 60, 100, 30, 35):
            tmux("resize-window", "-x", str(width))
            time.sleep(0.3)
            # -J joins rewrapped rows back into lines: exactly one prompt line,
            # holding all that was typed, and nothing cut off above it.
            wait_for(lambda: [line for line in screen() if "#lobby>" in line] == [f"#lobby> {typed}"],
                     f"one intact input line at width {width}")
        tmux("send-keys", "C-u", "!logout", "Enter")
    finally:
        subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True, timeout=DEADLINE)


if __name__ == "__main__":
    run_named_test(globals(), sys.argv[3], ServerProcess(SERVER))
