"""Interop: WeeChat, in a tmux pane, logs in to an account with SASL.

The account `weeuser` is made offline (`chat-server account add`, the password
on stdin) in a fresh data dir, and the server is started on it. Debian's
WeeChat (curses, with a throwaway home: `weechat -a -d HOME`) gets a server
entry typed at its prompt as a user would:

    /server add chat 127.0.0.1/PORT -notls
    /set irc.server.chat.sasl_mechanism MECHANISM   (scram-sha-256 or plain)
    /set irc.server.chat.sasl_username weeuser
    /set irc.server.chat.sasl_password ...
    /connect chat

and the test checks, each with its own deadline: WeeChat shows "SASL
authentication successful" and registers; the server logs `weeuser logged in
as "weeuser"`; a raw-socket client's WHOIS weeuser gets 330 naming the
account. A second entry, `bad`, with the wrong password and sasl_fail
continue, gets 904: WeeChat shows "SASL authentication failed", the server
logs why, and WHOIS shows no 330. Last, WeeChat's raw buffer (/server raw)
must show the mechanism asked for (AUTHENTICATE SCRAM-SHA-256 or PLAIN):
an option value WeeChat refuses would otherwise fall back to PLAIN unseen.

usage: weechat_tmux.py CHAT_SERVER scram-sha-256|plain
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
from server_process import DEADLINE, ServerProcess  # noqa: E402

WAIT = 30.0  # seconds for each thing WeeChat should show
ACCOUNT = "weeuser"
PASSWORD = "weechat-secret-1"  # no spaces: typed as the rest of a /set line
MECHANISMS = {"scram-sha-256": "SCRAM-SHA-256", "plain": "PLAIN"}


class RawClient:
    """A plain-socket IRC user that asks WHOIS and reads the numerics."""

    def __init__(self, port, nick):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        self.buf = b""
        self.seen = []
        self.sock.sendall(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n".encode())
        self.expect(" 376 ", " 422 ")

    def line(self, end):
        while b"\r\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("no line in time; last lines:\n" + "\n".join(self.seen[-15:]))
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise AssertionError("connection closed; last lines:\n" + "\n".join(self.seen[-15:]))
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        text = line.decode("utf-8", "replace")
        self.seen.append(text)
        return text

    def expect(self, *texts):
        end = time.monotonic() + DEADLINE
        while True:
            line = self.line(end)
            if any(t in line for t in texts):
                return line

    def whois_330(self, nick):
        """WHOIS nick: its 330 line, or None when 318 ends it without one."""
        self.sock.sendall(f"WHOIS {nick}\r\n".encode())
        self.expect(f" 311 checker {nick} ")
        line = self.expect(f" 330 checker {nick} ", f" 318 checker {nick} ")
        if " 318 " in line:
            return None
        self.expect(" 318 ")
        return line

    def close(self):
        try:
            self.sock.sendall(b"QUIT :done\r\n")
            self.sock.close()
        except OSError:
            pass


def running(pid):
    """True while `pid` is alive (a zombie nobody has reaped yet counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def add_account(binary, data_dir, name, password):
    r = subprocess.run([binary, "account", "add", name, "--data-dir", data_dir], input=password + "\n",
                       capture_output=True, text=True, timeout=DEADLINE)
    if r.returncode != 0:
        raise AssertionError(f"chat-server account add {name}: exit {r.returncode}, stderr {r.stderr!r}")


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in MECHANISMS:
        print(__doc__, file=sys.stderr)
        return 2
    binary, mechanism = sys.argv[1], sys.argv[2]
    if not shutil.which("weechat") or not shutil.which("tmux"):
        print("weechat and tmux are needed (apt-get install weechat-curses tmux)", file=sys.stderr)
        return 1
    data_dir = tempfile.mkdtemp(prefix="chat-weechat-data-")
    home = tempfile.mkdtemp(prefix="weechat-home-")
    socket_name = f"chat-weechat-{os.getpid()}"
    tmux = ["tmux", "-L", socket_name]
    server = None
    checker = None
    weechat_pid = None

    def pane():
        return subprocess.run([*tmux, "capture-pane", "-p", "-J", "-S", "-200", "-t", "irc"],
                              capture_output=True, text=True).stdout

    def wait_for(text, refuse=("Failed to set option", "Unknown command")):
        """Waits until the pane shows `text`; fails at once on a line WeeChat
        refused (a misspelt option or value would otherwise go unnoticed)."""
        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            shown = pane()
            if text in shown:
                return shown
            bad = [r for r in refuse if r in shown]
            if bad:
                raise AssertionError(f"WeeChat refused a command ({bad[0]!r}) while waiting for {text!r}:\n{shown}")
            time.sleep(0.2)
        raise AssertionError(f"WeeChat never showed {text!r}; the pane:\n{pane()}")

    def type_line(line, then=None):
        subprocess.run([*tmux, "send-keys", "-t", "irc", "-l", line], check=True)
        subprocess.run([*tmux, "send-keys", "-t", "irc", "Enter"], check=True)
        if then:
            wait_for(then)

    def log_shows(text):
        if not server.saw(text, timeout=WAIT):
            raise AssertionError(f"the server never logged {text!r}")

    def add_server(name, nick, password, *extra):
        port = server.irc_port
        type_line(f"/server add {name} 127.0.0.1/{port} -notls", then=f"irc: server added: {name}")
        type_line(f"/set irc.server.{name}.sasl_mechanism {mechanism}",
                  then=f"Option changed: irc.server.{name}.sasl_mechanism = {mechanism}")
        type_line(f"/set irc.server.{name}.sasl_username {ACCOUNT}",
                  then=f'Option changed: irc.server.{name}.sasl_username = "{ACCOUNT}"')
        type_line(f"/set irc.server.{name}.sasl_password {password}",
                  then=f"Option changed: irc.server.{name}.sasl_password = ")
        type_line(f"/set irc.server.{name}.nicks {nick}", then=f'Option changed: irc.server.{name}.nicks = "{nick}"')
        for option, value in extra:
            type_line(f"/set irc.server.{name}.{option} {value}",
                      then=f"Option changed: irc.server.{name}.{option} = {value}")

    try:
        add_account(binary, data_dir, ACCOUNT, PASSWORD)
        server = ServerProcess(binary, "--data-dir", data_dir)
        print(f"ok: account {ACCOUNT} made offline; server on IRC port {server.irc_port}")
        subprocess.run([*tmux, "new-session", "-d", "-s", "irc", "-x", "250", "-y", "200",
                        f"exec weechat -a -d {home}"], check=True)
        weechat_pid = int(subprocess.run([*tmux, "display-message", "-p", "-t", "irc", "#{pane_pid}"],
                                         capture_output=True, text=True, check=True).stdout)
        wait_for("Plugins loaded")
        type_line("/set irc.look.raw_messages 2048", then="Option changed: irc.look.raw_messages = 2048")

        add_server("chat", ACCOUNT, PASSWORD)
        type_line("/connect chat")
        wait_for("SASL authentication successful")
        wait_for("MOTD File is missing")
        log_shows(f'{ACCOUNT} logged in as "{ACCOUNT}"')
        print(f"ok: WeeChat ({mechanism}): 'SASL authentication successful', registered; "
              f"server logged '{ACCOUNT} logged in as \"{ACCOUNT}\"'")

        checker = RawClient(server.irc_port, "checker")
        line = checker.whois_330(ACCOUNT)
        if line is None or not line.endswith(f" 330 checker {ACCOUNT} {ACCOUNT} :is logged in as"):
            raise AssertionError(f"WHOIS {ACCOUNT}: expected 330 naming the account, got {line!r}; "
                                 "lines:\n" + "\n".join(checker.seen[-10:]))
        print(f"ok: WHOIS {ACCOUNT} from another client: {line}")

        add_server("bad", "weebad", "not-the-password", ("sasl_fail", "continue"))
        type_line("/connect bad")
        wait_for("SASL authentication failed")
        log_shows("weebad failed SASL: wrong password")
        log_shows("weebad registered")
        line = checker.whois_330("weebad")
        if line is not None:
            raise AssertionError(f"WHOIS weebad after a wrong password: expected no 330, got {line!r}")
        print("ok: a wrong password: WeeChat shows 'SASL authentication failed', "
              "the server logged 'wrong password', no 330 for weebad")

        type_line("/server raw")
        shown = wait_for(f"AUTHENTICATE {MECHANISMS[mechanism]}")
        for text in ("AUTHENTICATE +", f" 903 {ACCOUNT} ", " 904 weebad "):
            if text not in shown:
                raise AssertionError(f"WeeChat's raw buffer lacks {text!r}:\n{shown}")
        print(f"ok: WeeChat's raw buffer: AUTHENTICATE {MECHANISMS[mechanism]}, 903 for {ACCOUNT}, 904 for weebad")
        for raw in shown.splitlines():  # the exchange, for whoever reads the log
            if "AUTHENTICATE" in raw or any(f" {n} " in raw for n in ("900", "903", "904", "908")):
                print("   " + raw.split("│", 1)[-1].rstrip())

        type_line("/quit leaving")
        end = time.monotonic() + WAIT
        while not server.saw(f"{ACCOUNT} left", timeout=0.2) and time.monotonic() < end:
            pass
        checker.close()
        if server.proc.poll() is not None:
            raise AssertionError("the server died")
        code = server.stop(signal.SIGTERM)
        if code != 0:
            raise AssertionError(f"exit status {code} after SIGTERM")
        print("ok: SIGTERM: exit 0")
        return 0
    except (AssertionError, OSError, subprocess.SubprocessError) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        if server is not None:
            print("---- server log\n" + "".join(server.log[-40:]), file=sys.stderr)
        return 1
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
        # WeeChat saves its config as it goes (on /quit or the hangup): wait,
        # or it writes into the home being removed.
        end = time.monotonic() + WAIT
        while weechat_pid and running(weechat_pid) and time.monotonic() < end:
            time.sleep(0.05)
        try:  # kill-server leaves the socket file behind
            os.unlink(os.path.join(os.environ.get("TMUX_TMPDIR", "/tmp"), f"tmux-{os.getuid()}", socket_name))
        except OSError:
            pass
        if checker is not None:
            checker.close()
        if server is not None:
            server.kill()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
