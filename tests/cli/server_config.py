"""chat-server's configuration file, --check-config, SIGHUP reload, REHASH and DIE.

Usage: server_config.py CHAT_SERVER
Only the standard library: runs with any python3.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from irc_line_client import Irc  # noqa: E402
from server_process import DEADLINE, ServerProcess  # noqa: E402

SERVER = sys.argv[1]


def check_config(*args):
    r = subprocess.run([SERVER, *args, "--check-config"], capture_output=True, text=True, timeout=DEADLINE)
    return r.returncode, r.stdout + r.stderr


def main():
    with tempfile.TemporaryDirectory() as d:
        motd = os.path.join(d, "motd")
        conf = os.path.join(d, "chat.toml")

        def write(path, text):
            with open(path, "w") as f:
                f.write(text)

        write(motd, "first message of the day\n")
        write(conf, f'motd-file = "{motd}"\noper = ["admin:one"]\n')

        # --check-config: OK, and each kind of mistake named.
        code, out = check_config("--config", conf)
        assert code == 0 and "configuration OK" in out, out
        write(os.path.join(d, "typo.toml"), "irc-prot = 6667\n")
        code, out = check_config("--config", os.path.join(d, "typo.toml"))
        assert code != 0 and "irc-prot" in out, out
        code, out = check_config("--config", conf, "--oper", "nopassword")
        assert code != 0 and "NAME:PASSWORD" in out, out
        code, out = check_config("--config", os.path.join(d, "missing.toml"))
        assert code != 0 and "missing.toml" in out, out
        code, out = check_config("--registration-timeout-ms", "5000", "--ping-interval-ms", "60000",
                                 "--ping-timeout-ms", "20000", "--max-rooms-per-user", "5", "--max-recvq", "131072")
        assert code == 0, out
        code, out = check_config("--ping-timeout-ms", "0")
        assert code != 0 and "ping-timeout-ms" in out, out
        code, out = check_config("--host", "not-an-address")
        assert code != 0 and "not an IP address" in out, out

        server = ServerProcess(SERVER, "--config", conf)
        try:
            first = Irc(server.irc_port, "first")
            assert first.motd() == ["first message of the day"]

            # SIGHUP: the new MOTD and operator password apply; nobody is dropped.
            write(motd, "second message\nof the day\n")
            write(conf, f'motd-file = "{motd}"\noper = ["admin:two"]\n')
            server.proc.send_signal(signal.SIGHUP)
            assert server.saw("configuration reloaded"), "".join(server.log)
            second = Irc(server.irc_port, "second")
            assert second.motd() == ["second message", "of the day"]
            first.send("PING :still-here")
            first.expect("PONG")
            first.send("OPER admin one")
            first.expect(" 464 ")
            first.send("OPER admin two")
            first.expect(" 381 ")

            # A broken file at reload: reported, and the old configuration stays.
            write(conf, 'motd-file = "/nonexistent/motd"\n')
            server.proc.send_signal(signal.SIGHUP)
            assert server.saw("reload failed"), "".join(server.log)
            third = Irc(server.irc_port, "third")
            assert third.motd() == ["second message", "of the day"]

            # REHASH from an operator reloads too; DIE stops the server cleanly.
            write(motd, "third message\n")
            write(conf, f'motd-file = "{motd}"\noper = ["admin:two"]\n')
            first.send("REHASH")
            first.expect(" 382 ")
            fourth = Irc(server.irc_port, "fourth")
            assert fourth.motd() == ["third message"]
            first.send("DIE")
            assert "Server is shutting down" in third.expect("ERROR")
            assert server.proc.wait(timeout=DEADLINE) == 0
        finally:
            server.kill()
    print("ok")


if __name__ == "__main__":
    main()
