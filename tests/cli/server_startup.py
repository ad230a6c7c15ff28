"""chat-server as an operator meets it: --version on every binary, exit codes,
a port in use, configuration errors with file and line, TOML tables, the
example configuration, hashed operator passwords and the log's format.

Usage: server_startup.py CASE CHAT_SERVER CHAT_CLIENT CHAT_BENCH EXAMPLE_CONFIG
Only the standard library: runs with any python3. Loopback only.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from irc_line_client import Irc  # noqa: E402
from server_process import DEADLINE, ServerProcess  # noqa: E402

CASE, SERVER, CLIENT, BENCH, EXAMPLE = sys.argv[1:6]
EXIT_USAGE = 2
EXIT_FAILURE = 1


def run(*args, stdin=None):
    r = subprocess.run(list(args), input=stdin, capture_output=True, text=True, timeout=DEADLINE)
    return r.returncode, r.stdout, r.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def case_versions():
    for binary, name in ((SERVER, "chat-server"), (CLIENT, "chat-client"), (BENCH, "chat-bench")):
        if binary == "-":
            continue
        code, out, err = run(binary, "--version")
        assert code == 0, (binary, code, err)
        assert re.match(name + r" \d+\.\d+\.\d+( \(git [0-9a-zA-Z.\-]+\))?\n$", out), out


def case_usage_errors():
    for binary, *args in ((SERVER,), (CLIENT,), (BENCH, "fanout")):
        if binary == "-":
            continue
        code, _, err = run(binary, *args, "--no-such-flag")
        assert code == EXIT_USAGE, (binary, code, err)
        assert "no-such-flag" in err, err
    code, _, err = run(SERVER, "--irc-port", "not-a-port", "--check-config")
    assert code == EXIT_USAGE and "irc-port" in err, (code, err)
    code, _, err = run(SERVER, "--oper", "nopassword", "--check-config")
    assert code == EXIT_USAGE and "NAME:PASSWORD" in err, (code, err)
    code, _, err = run(SERVER, "--oper", "admin:$argon2i$broken", "--check-config")
    assert code == EXIT_USAGE and "not an argon2id hash" in err, (code, err)
    code, _, err = run(SERVER, "--no-seed", "--no-irc", "--no-http", "--check-config")
    assert code == EXIT_USAGE and "leave nothing to listen on" in err, (code, err)
    code, _, err = run(SERVER, "--metrics-address", "localhost", "--check-config")
    assert code == EXIT_USAGE and "--metrics-address localhost: not an IP address" in err, (code, err)
    # Cluster mode: a URL of another scheme, a node name with a space, a
    # node name without a cluster.
    code, _, err = run(SERVER, "--cluster", "http://127.0.0.1", "--check-config")
    assert code == EXIT_USAGE and "must start with redis:// or rediss://" in err, (code, err)
    code, _, err = run(SERVER, "--cluster", "redis://127.0.0.1", "--node-name", "my node", "--check-config")
    assert code == EXIT_USAGE and "--node-name my node: letters, digits" in err, (code, err)
    code, _, err = run(SERVER, "--cluster", "redis://127.0.0.1", "--node-name", "n" * 33, "--check-config")
    assert code == EXIT_USAGE and "at most 32 bytes" in err, (code, err)
    code, out, err = run(SERVER, "--cluster", "redis://127.0.0.1", "--node-name", "n" * 32, "--check-config")
    assert code == 0 and "configuration OK" in out, (code, out, err)
    code, _, err = run(SERVER, "--node-name", "n1", "--check-config")
    assert code == EXIT_USAGE and "--node-name: only with --cluster" in err, (code, err)
    # With TLS there is still IRC over TLS to listen on.
    with tempfile.TemporaryDirectory() as d:
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=localhost", "-days", "1"],
                       check=True, capture_output=True, timeout=DEADLINE)
        code, out, err = run(SERVER, "--no-seed", "--no-irc", "--no-http", "--tls-cert", cert, "--tls-key", key, "--check-config")
        assert code == 0 and "configuration OK" in out, (code, out, err)
    code, out, _ = run(SERVER, "--help")
    assert code == 0 and "--log-format" in out and "--hash-password" in out, code


def case_port_in_use():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    irc_port = taken.getsockname()[1]
    seed_port = free_port()
    start = time.monotonic()
    code, _, err = run(SERVER, "--host", "127.0.0.1", "--port", str(seed_port), "--irc-port", str(irc_port),
                       "--no-http", "--no-metrics")
    assert code == EXIT_FAILURE, (code, err)
    assert f"cannot listen on 127.0.0.1:{irc_port} (IRC): address already in use" in err, err
    # Nothing was accepting: no listener was announced, and the seed port,
    # bound first, is closed again.
    assert "listener on" not in err, err
    assert refused(seed_port)
    assert time.monotonic() - start < DEADLINE
    taken.close()


def case_config_errors():
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "chat-server.toml")
        with open(conf, "w") as f:
            f.write("# a comment\n[listen]\nhost = \"127.0.0.1\"\nirc-prt = 6667\n")
        code, _, err = run(SERVER, "--config", conf, "--check-config")
        assert code == EXIT_USAGE, (code, err)
        assert f"{conf}:4:1: unknown key 'irc-prt' (did you mean 'irc-port'?)" in err, err
        with open(conf, "w") as f:
            f.write("[limits]\nflood-rate = \"fast\"\n")
        code, _, err = run(SERVER, "--config", conf, "--check-config")
        assert code == EXIT_USAGE and f"{conf}:2:1:" in err and "flood-rate" in err, (code, err)
        with open(conf, "w") as f:
            f.write("[listen]\nirc-port = [1, 2\n")
        code, _, err = run(SERVER, "--config", conf, "--check-config")
        assert code == EXIT_USAGE and f"{conf}:2:" in err, (code, err)

        # Tables group keys; the command line wins over the file.
        with open(conf, "w") as f:
            f.write("[listen]\nirc-port = 1\n\n[irc]\nserver-name = \"tabled.example\"\nnetwork = \"TableNet\"\n")
        server = ServerProcess(SERVER, "--config", conf)
        try:
            c = Irc(server.irc_port, "t")
            assert c.expect(" 001 ").startswith(":tabled.example 001 t ")
            c.expect("NETWORK=TableNet")
        finally:
            server.kill()


def case_example_config():
    code, out, err = run(SERVER, "--config", EXAMPLE, "--check-config")
    assert code == 0 and "configuration OK" in out, (code, out, err)
    # Every key it shows, uncommented, is a known key with a valid value.
    # (Files that must exist, and TLS-only settings, are left out.)
    needs_files = {"motd-file", "password-file", "tls-cert", "tls-key", "seed-tls-port", "web-root"}
    shown = 0
    lines = []
    with open(EXAMPLE) as f:
        for line in f:
            m = re.match(r"^# ?([a-z][a-z0-9-]*) = (.+)$", line.rstrip("\n"))
            if m and m.group(1) not in needs_files:
                lines.append(f"{m.group(1)} = {m.group(2)}\n")
                shown += 1
            else:
                lines.append(line)
    assert shown >= 25, shown
    with tempfile.TemporaryDirectory() as d:
        every = os.path.join(d, "every.toml")
        with open(every, "w") as f:
            f.writelines(lines)
        code, out, err = run(SERVER, "--config", every, "--check-config")
        assert code == 0 and "configuration OK" in out, (code, out, err, "".join(lines))


def case_hashed_oper():
    code, out, err = run(SERVER, "--hash-password", stdin="s3cret\n")
    assert code == 0, (code, err)
    digest = out.strip()
    assert digest.startswith("$argon2id$v=19$m=19456,t=2,p=1$"), digest
    code, _, err = run(SERVER, "--hash-password", stdin="")
    assert code == EXIT_USAGE and "no password" in err, (code, err)

    server = ServerProcess(SERVER, "--oper", f"admin:{digest}", "--oper", "legacy:plainpw")
    try:
        assert server.saw("operator legacy has a plain password"), "".join(server.log)
        assert not any("operator admin has a plain" in line for line in server.log)
        c = Irc(server.irc_port, "o")
        c.expect(" 001 ")
        c.send("OPER admin wrong")
        c.expect(" 464 ")
        c.send("OPER admin s3cret")
        c.expect(" 381 ")
        d = Irc(server.irc_port, "l")
        d.expect(" 001 ")
        d.send("OPER legacy plainpw")
        d.expect(" 381 ")
        # The hash itself is never a password.
        e = Irc(server.irc_port, "x")
        e.expect(" 001 ")
        e.send(f"OPER admin {digest}")
        e.expect(" 464 ")
    finally:
        server.kill()


def case_log_format():
    offset = r"[+-]\d\d:\d\d"
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}" + offset
    # Text: the time with its UTC offset, then the level.
    server = ServerProcess(SERVER)
    try:
        c = Irc(server.irc_port, "first")
        c.expect(" 001 ")
        c.send("NICK second")
        c.expect("NICK")
        c.send("JOIN #room")
        c.expect("366")
        c.send("PRIVMSG #room :body-that-must-not-be-logged")
        c.send("PING :done")
        c.expect("PONG")
        assert server.saw("first is now known as second"), "".join(server.log)
    finally:
        server.kill()
    assert re.match(r"^" + stamp + r" info chat-server \d+\.\d+\.\d+", server.log[0]), server.log[0]
    for line in server.log:
        assert re.match(r"^" + stamp + r" ", line), line
        assert "body-that-must-not-be-logged" not in line, line

    # JSON: one object a line.
    server = ServerProcess(SERVER, "--log-format", "json", "--oper", "admin:pw")
    try:
        c = Irc(server.irc_port, "j")
        c.expect(" 001 ")
        c.send("OPER admin pw")
        c.expect(" 381 ")
        c.send('PRIVMSG j :quote " and \\ and a tab\t')
        c.send("PING :done")
        c.expect("PONG")
        assert server.saw("j is now an operator"), "".join(server.log)
    finally:
        server.kill()
    records = [json.loads(line) for line in server.log]
    assert records, server.log
    for r in records:
        assert set(r) == {"time", "level", "message"}, r
        assert re.match(r"^" + stamp + r"$", r["time"]), r
    assert records[0]["message"].startswith("chat-server "), records[0]
    assert any(r["level"] == "warning" and "plain password" in r["message"] for r in records), records


def case_data_dir_in_use():
    """A second server on a data directory that a running one holds is told
    which server has it and runs without a store; once the first has gone,
    the directory is free again."""
    with tempfile.TemporaryDirectory(prefix="chat-test-data-") as d:
        first = ServerProcess(SERVER, "--data-dir", d)
        try:
            assert first.saw("store: " + os.path.join(d, "chat.db")), "".join(first.log)
            with open(os.path.join(d, "lock")) as f:
                assert f.read().strip() == str(first.proc.pid)
            second = ServerProcess(SERVER, "--data-dir", d)
            try:
                want = f"store: the data directory {d} is in use by another chat-server (pid {first.proc.pid})"
                assert second.saw(want), "".join(second.log)
                assert second.saw("running without accounts and history")
                # It serves all the same, without history.
                c = Irc(second.irc_port, "t")
                c.send("PING :still")
                c.expect("PONG")
            finally:
                second.kill()
        finally:
            assert first.stop(signal.SIGTERM) == 0
        third = ServerProcess(SERVER, "--data-dir", d)
        try:
            assert third.saw("store: " + os.path.join(d, "chat.db")), "".join(third.log)
            assert not any("in use" in line for line in third.log)
        finally:
            third.kill()


CASES = {name[5:]: f for name, f in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    CASES[CASE]()
    print(f"{CASE}: OK")
