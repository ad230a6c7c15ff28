"""Interop: irssi, in a tmux pane, as a user sees WHOIS, WHOWAS and LIST.

Two users made by hand: `target` in #shown with a topic, and `gone`, who
registers and quits. irssi (Debian's, with a throwaway home) connects as
`watcher` and runs /whois target, /whowas gone and /list; the test reads the
pane as rendered and checks what irssi made of each reply. irssi paces its
commands (about 2 s apart), so each wait is generous.

usage: irssi_tmux.py CHAT_SERVER
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from server_process import ServerProcess  # noqa: E402

WAIT = 30.0


def read_until(sock, marker, timeout=10.0):
    sock.settimeout(timeout)
    data = b""
    end = time.monotonic() + timeout
    while marker not in data and time.monotonic() < end:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    if marker not in data:
        raise AssertionError(f"no {marker!r} from the server; got {data[-300:]!r}")
    return data


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if not shutil.which("irssi") or not shutil.which("tmux"):
        print("irssi and tmux are needed (apt-get install irssi tmux)", file=sys.stderr)
        return 1
    server = ServerProcess(sys.argv[1])
    home = tempfile.mkdtemp(prefix="irssi-home-")
    socket_name = f"chat-irssi-{os.getpid()}"
    tmux = ["tmux", "-L", socket_name]

    def pane():
        return subprocess.run([*tmux, "capture-pane", "-p", "-J", "-S", "-200", "-t", "irc"],
                              capture_output=True, text=True).stdout

    def wait_for(text):
        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            if text in pane():
                return
            time.sleep(0.2)
        raise AssertionError(f"irssi never showed {text!r}; the pane:\n{pane()}")

    def type_line(line):
        subprocess.run([*tmux, "send-keys", "-t", "irc", line, "Enter"], check=True)

    try:
        port = server.irc_port
        target = socket.create_connection(("127.0.0.1", port))
        target.sendall(b"NICK target\r\nUSER target 0 * :The Target\r\nJOIN #shown\r\nTOPIC #shown :a topic to list\r\n")
        read_until(target, b" TOPIC #shown ")
        gone = socket.create_connection(("127.0.0.1", port))
        gone.sendall(b"NICK gone\r\nUSER gone 0 * :Gone Away\r\n")
        read_until(gone, b" 422 ")
        gone.sendall(b"QUIT :bye\r\n")
        read_until(gone, b"ERROR")
        gone.close()
        subprocess.run([*tmux, "new-session", "-d", "-s", "irc", "-x", "160", "-y", "50",
                        f"irssi --home={home} -c 127.0.0.1 -p {port} -n watcher"], check=True)
        wait_for("MOTD File is missing")
        print("ok: irssi connected and registered")

        type_line("/whois target")
        wait_for("End of WHOIS")
        shown = pane()
        for text in ("target [~target@127.0.0.1]", "ircname  : The Target", "channels : @#shown", "idle     : "):
            assert text in shown, f"WHOIS as irssi shows it lacks {text!r}:\n{shown}"
        print("ok: /whois: user, real name, channels with the prefix, idle and signon")

        type_line("/whowas gone")
        wait_for("End of WHOWAS")
        shown = pane()
        for text in ("gone [~gone@127.0.0.1]", "was      : Gone Away"):
            assert text in shown, f"WHOWAS as irssi shows it lacks {text!r}:\n{shown}"
        print("ok: /whowas: the departed user and its real name")

        type_line("/list")
        wait_for("End of /LIST")
        assert "#shown 1 a topic to list" in pane(), f"LIST as irssi shows it:\n{pane()}"
        print("ok: /list: the channel, its users and topic")

        type_line("/quit leaving")
        time.sleep(1)
        target.close()
        assert server.proc.poll() is None, "the server died"
        code = server.stop(signal.SIGTERM)
        assert code == 0, f"exit status {code} after SIGTERM"
        print("ok: SIGTERM: exit 0")
        return 0
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        print("---- server log\n" + "".join(server.log[-40:]), file=sys.stderr)
        return 1
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
        server.kill()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
