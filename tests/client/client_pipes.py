"""chat-client through pipes against a real chat-server (and a fake one).

Usage: client_pipes.py CHAT_CLIENT CHAT_SERVER TEST_NAME
Each test name is one ctest test (see tests/CMakeLists.txt).
"""
import base64
import hashlib
import hmac
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "cli"))

from driver import run_named_test, DEADLINE, Client, FakeServer, free_port  # noqa: E402
from server_process import ServerProcess  # noqa: E402

CLIENT, SERVER = sys.argv[1], sys.argv[2]


def irc(server, nick, *extra):
    return Client(CLIENT, "--port", str(server.irc_port), "--nick", nick, *extra)


def seed(server, nick):
    return Client(CLIENT, "--seed", "--port", str(server.seed_port), "--nick", nick)


def test_original_commands(server):
    """Plain text, !who, !msg and !logout as in the original, over IRC."""
    alice = irc(server, "alice")
    alice.expect("You have joined #lobby")
    bob = irc(server, "bob")
    bob.expect("You have joined #lobby")
    alice.expect("bob has joined #lobby")

    alice.send("hello everyone")
    bob.expect("alice > hello everyone")
    alice.expect("alice > hello everyone")  # our own message, shown once

    bob.send("!who")
    assert bob.expect("-> ").endswith("-> alice")
    bob.send("!msg alice psst")
    bob.expect("privately to alice > psst")
    assert "privately bob > psst" in alice.expect("privately")

    alice.send("!msg nobody hi")
    alice.expect("nobody: No such nick")

    alice.send("!logout")
    assert alice.wait() == 0
    bob.expect("alice has quit")
    bob.send("!who")
    bob.expect("No one but you is active")
    bob.close_input()  # end of input leaves like !logout
    assert bob.wait() == 0


def test_more_commands(server):
    """!join, !part, !rooms, !me, !nick, !help and the IRC habit (/msg, /join)."""
    alice = irc(server, "alice")
    alice.expect("You have joined #lobby")
    bob = irc(server, "bob")
    bob.expect("You have joined #lobby")

    alice.send("/join #side")
    alice.expect("You have joined #side")
    alice.send("in the side room")
    alice.expect("alice > in the side room")
    bob.send("!join side")  # the '#' is optional
    bob.expect("You have joined #side")
    alice.expect("bob has joined #side")
    bob.send("!me waves")
    alice.expect("* bob waves")
    bob.send("!rooms")
    bob.expect("#lobby (2 users)")
    bob.expect("#side (2 users)")
    bob.send("!part #side")
    bob.expect("You have left #side")
    alice.expect("bob has left #side")
    bob.send("/msg alice via the slash")
    alice.expect("privately bob > via the slash")
    bob.send("!nick robert")
    bob.expect("You are now known as robert")
    alice.expect("bob is now known as robert")
    bob.send("!help")
    bob.expect("!msg <user> <text>")
    bob.send("!whoo")
    bob.expect("Did you mean !who?")
    bob.send("!msg alice")
    bob.expect("Usage: !msg <user> <text>")
    bob.send("/quit see you")
    assert bob.wait() == 0
    alice.expect("robert has quit (Quit: see you)")
    alice.send("!logout")
    assert alice.wait() == 0


def test_moderation_commands(server):
    """A channel operator moderates from the client: /topic, /mode, /kick,
    /ban, /invite, /whois, /away, /query, /notice, /quote, /ignore, the !!
    escape and CTCP VERSION; each effect seen by a second client."""
    alice = irc(server, "alice")
    alice.expect("You have joined #lobby")
    alice.send("/join #mod")
    alice.expect("You have joined #mod")  # first in: operator
    bob = irc(server, "bob")
    bob.expect("You have joined #lobby")
    bob.send("/join #mod")
    bob.expect("You have joined #mod")

    alice.send("/topic Rules: be kind")
    bob.expect("alice set the topic of #mod to: Rules: be kind")
    bob.send("/topic")
    bob.expect("Topic of #mod: Rules: be kind")
    alice.send("/mode +m")
    bob.expect("alice sets mode +m")
    bob.send("can I talk")
    bob.expect("Cannot send to")
    alice.send("/mode -m")
    bob.expect("alice sets mode -m")
    bob.send("!!wow that was fast")
    alice.expect("bob > !wow that was fast")

    alice.send("/whois bob")
    alice.expect("bob is ~chat@127.0.0.1")
    rooms = alice.expect("bob is in ")
    assert "#mod" in rooms and "#lobby" in rooms, rooms
    bob.send("/away lunch")
    bob.expect("You are away.")
    alice.send("/whois bob")
    alice.expect("bob is away: lunch")
    bob.send("/away")
    bob.expect("You are no longer away.")

    alice.send("/query bob")
    alice.expect("Talking privately with bob")
    alice.send("just between us")
    bob.expect("privately alice > just between us")
    alice.send("/notice bob heads up")
    bob.expect("notice from alice > heads up")
    alice.expect("-notice to bob- heads up")
    alice.send("/join #mod")
    alice.expect("Now talking in #mod")

    bob.send("/quote PRIVMSG alice :\x01VERSION\x01")
    alice.expect("CTCP VERSION from bob")  # answered with a NOTICE, which bob's client does not print raw
    bob.send("/ignore alice")
    bob.expect("Ignoring alice")
    alice.send("you cannot hear me")
    alice.expect("alice > you cannot hear me")
    # Bob's answer to a WHOIS comes after alice's line on his connection: his
    # client has dropped it before the unignore, even on a loaded machine.
    bob.send("/whois alice")
    bob.expect("alice is ~chat@")
    bob.send("/unignore alice")
    bob.expect("No longer ignoring alice")
    alice.send("now you can")
    line = bob.expect("alice > ")
    assert line.endswith("alice > now you can"), line
    assert not any("you cannot hear me" in seen for seen in bob.seen), bob.seen

    alice.send("/kick bob calm down")
    bob.expect("You were kicked from #mod by alice (calm down)")
    alice.send("/invite bob")
    alice.expect("You invited bob to #mod.")
    bob.expect("alice invites you to #mod")
    alice.send("/ban bob")
    alice.expect("alice sets mode +b bob!*@*")
    bob.send("/join #mod")
    bob.expect("#mod: ")  # 474: banned
    alice.send("!logout")
    assert alice.wait() == 0
    bob.send("!logout")
    assert bob.wait() == 0


def test_interrupt_says_goodbye(server):
    """Ctrl-C (SIGINT) sends QUIT with a reason: the others see it leave, not
    a lost connection; the client exits 0."""
    alice = irc(server, "alice")
    alice.expect("You have joined #lobby")
    bob = irc(server, "bob")
    bob.expect("You have joined #lobby")
    alice.expect("bob has joined #lobby")
    alice.proc.send_signal(signal.SIGINT)
    assert alice.wait() == 0
    bob.expect("alice has quit (Quit: Leaving)")
    bob.proc.send_signal(signal.SIGTERM)
    assert bob.wait() == 0


def test_configuration_file(server):
    """~/.config/chat-client/config.toml (here under XDG_CONFIG_HOME) sets
    the server, nick and room; flags win; a mistake is named with its line;
    --no-config reads none."""
    with tempfile.TemporaryDirectory() as home:
        os.makedirs(os.path.join(home, "chat-client"))
        conf = os.path.join(home, "chat-client", "config.toml")
        with open(conf, "w") as f:
            f.write(f'[server]\nhost = "127.0.0.1"\nport = "{server.irc_port}"\n\n'
                    '[chat]\nnick = "fromfile"\nroom = "#configured"\ncolour = "never"\n')
        env = {"XDG_CONFIG_HOME": home}
        a = Client(CLIENT, env=env)
        a.expect("Connected as fromfile")
        a.expect("You have joined #configured")
        b = Client(CLIENT, "--nick", "flagwins", env=env)
        b.expect("Connected as flagwins")
        b.expect("You have joined #configured")
        a.expect("flagwins has joined #configured")
        for c in (a, b):
            c.send("!logout")
            assert c.wait() == 0

        with open(conf, "a") as f:
            f.write("nik = \"typo\"\n")
        c = Client(CLIENT, env=env)
        assert c.wait() == 2
        err = c.err.decode()
        assert f"{conf}:9:1: unknown key 'nik' (did you mean 'nick'?)" in err, err
        # --no-config: the defaults (port 6667, where nothing listens in tests,
        # is not tried: --port given), and no error about the file.
        c = Client(CLIENT, "--no-config", "--port", str(server.irc_port), "--nick", "plain", env=env)
        c.expect("You have joined #lobby")
        c.send("!logout")
        assert c.wait() == 0


def test_server_profiles(server):
    """[servers.NAME] profiles: the one named (`chat-client NAME` or
    --server NAME), else the one marked default, else the first; the file's
    other keys are every profile's defaults; flags win; an unknown name is
    a usage error that lists the known ones."""
    with tempfile.TemporaryDirectory() as home:
        os.makedirs(os.path.join(home, "chat-client"))
        conf = os.path.join(home, "chat-client", "config.toml")
        with open(conf, "w") as f:
            f.write(f'host = "127.0.0.1"\nport = {server.irc_port}\ncolour = "never"\nnick = "toplevel"\n\n'
                    '[servers.local]\nnick = "localnick"\nrooms = ["#one"]\n\n'
                    '[servers.side]\ndefault = true\nnick = "sidenick"\nrooms = ["#two", "#three"]\n')
        env = {"XDG_CONFIG_HOME": home}
        chosen = Client(CLIENT, env=env)  # the default one
        chosen.expect("Connected as sidenick")
        # Both rooms (our server may answer a JOIN of two in either order).
        joined = {chosen.expect("You have joined #t"), chosen.expect("You have joined #t")}
        assert {line.split(" ", 1)[1] for line in joined} == {"You have joined #two.",
                                                               "You have joined #three."}, joined
        chosen.send("/topic")  # of the current room: the last listed
        chosen.expect("No topic is set for #three.")
        named = Client(CLIENT, "local", env=env)
        named.expect("Connected as localnick")
        named.expect("You have joined #one")
        flag = Client(CLIENT, "--server", "local", "--nick", "flagwins", env=env)
        flag.expect("Connected as flagwins")
        flag.expect("You have joined #one")
        named.expect("flagwins has joined #one")
        for c in (chosen, named, flag):
            c.send("!logout")
            assert c.wait() == 0

        c = Client(CLIENT, "nosuch", env=env)
        assert c.wait() == 2
        err = c.err.decode()
        assert f"{conf}: no profile 'nosuch' in [servers]; known: local, side" in err, err
        c = Client(CLIENT, "--no-config", "local", env=env)
        assert c.wait() == 2
        assert "--no-config reads no profiles" in c.err.decode(), c.err

        # Without default = true, the first listed.
        with open(conf, "w") as f:
            f.write(f'port = {server.irc_port}\ncolour = "never"\n'
                    '[servers.first]\nnick = "firstnick"\n[servers.second]\nnick = "secondnick"\n')
        c = Client(CLIENT, env=env)
        c.expect("Connected as firstnick")
        c.send("!logout")
        assert c.wait() == 0


def test_asks_for_a_name(server):
    """No nick given: it asks like the original; a taken nick is explained and asked again."""
    first = irc(server, "carol")
    first.expect("You have joined #lobby")
    c = Client(CLIENT, "--port", str(server.irc_port))
    c.send("carol")
    line = c.expect("carol is taken")
    assert line.split(" ", 1)[0].endswith("Username:") or "Username:" in "".join(c.seen)
    c.send("carol2")
    c.expect("Connected as carol2")
    c.send("!logout")
    assert c.wait() == 0
    assert c.raw.startswith(b"Username: ")

    # The same through the seed-compatible listener.
    s = seed(server, "carol")
    s.expect("username carol is already taken")
    s.expect("Choose another name")
    s.send("carol3")
    s.expect("You have joined the chat!")
    s.send("!logout")
    assert s.wait() == 0
    first.send("!logout")
    assert first.wait() == 0


def test_seed_mode(server):
    """--seed speaks the original protocol: frames, !who, !msg, !logout; IRC users see it."""
    alice = irc(server, "alice")
    alice.expect("You have joined #lobby")
    dave = seed(server, "dave")
    dave.expect("You have joined the chat!")
    alice.expect("dave has joined #lobby")
    dave.send("hi from the seed side")
    alice.expect("dave > hi from the seed side")
    alice.send("hi from irc")
    dave.expect("alice > hi from irc")
    dave.send("!who")
    dave.expect("-> alice")
    dave.send("!msg alice secret")
    alice.expect("privately dave > secret")
    alice.send("!msg dave back")
    dave.expect("privately alice > back")
    dave.send("!join #elsewhere")
    dave.expect("Not available with --seed")
    dave.send("!logout")
    assert dave.wait() == 0
    alice.expect("dave has left #lobby")
    alice.send("!logout")
    assert alice.wait() == 0


def test_unreachable_server(_server):
    """One line on stderr and a non-zero exit, without retrying."""
    # A port held by a socket that never listens: refused for certain, and no
    # server of a test running beside this one can take it meanwhile.
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    c = Client(CLIENT, "--port", str(port), "--nick", "x")
    status = c.wait()
    holder.close()
    err = c.err.decode()
    assert status != 0, status
    assert err.count("\n") == 1 and "cannot connect" in err and str(port) in err, err


def test_server_list(server):
    """Several servers (--host A,B, or an array in the file): at start each is
    tried in order until one answers; none answering is one line each and
    exit 1; a malformed one is a usage error."""
    holders = [socket.socket(), socket.socket()]  # bound, never listening: refused for certain
    for h in holders:
        h.bind(("127.0.0.1", 0))
    down = [f"127.0.0.1:{h.getsockname()[1]}" for h in holders]
    up = f"127.0.0.1:{server.irc_port}"
    try:
        c = Client(CLIENT, "--no-config", "--host", f"{down[0]},{up}", "--nick", "listed")
        c.expect(f"Connected to {up} (2 of 2)")
        c.expect("You have joined #lobby")
        c.send("!logout")
        assert c.wait() == 0

        c = Client(CLIENT, "--no-config", "--host", down[0], "--host", down[1], "--nick", "x")
        assert c.wait() == 1
        err = c.err.decode()
        assert err.count("\n") == 2 and err.count("cannot connect") == 2, err
        assert down[0].replace(":", " port ") in err and down[1].replace(":", " port ") in err, err

        c = Client(CLIENT, "--no-config", "--host", "127.0.0.1:0", "--nick", "x")
        assert c.wait() == 2
        assert "--host: server '127.0.0.1:0': not a port: 0" in c.err.decode(), c.err

        with tempfile.TemporaryDirectory() as home:
            conf = os.path.join(home, "config.toml")
            with open(conf, "w") as f:
                f.write(f'host = ["{down[1]}", "{up}"]\nnick = "fromlist"\n')
            c = Client(CLIENT, "--config", conf)
            c.expect(f"Connected to {up} (2 of 2)")
            c.expect("Connected as fromlist")
            c.send("!logout")
            assert c.wait() == 0
    finally:
        for h in holders:
            h.close()


def test_failover_wraps(_server):
    """A lost connection moves to the next server, and after the last to the
    first again; each move is said, with the server."""
    fakes = [FakeServer(), FakeServer()]
    names = [f"127.0.0.1:{f.port}" for f in fakes]
    c = Client(CLIENT, "--no-config", "--host", ",".join(names), "--nick", "rover", "--room", "#r")
    try:
        for turn, (at, then) in enumerate([(0, 1), (1, 0), (0, 1)]):
            fake = fakes[at]
            fake.buffer = b""  # what the last connection left unread
            fake.accept()
            fake.read_until("USER ")
            fake.send(b":srv 001 rover :Welcome\r\n")
            assert fake.read_until("JOIN ") == "JOIN #r"
            fake.send(b":rover!u@h JOIN #r\r\n")
            c.expect(f"Connected to {names[at]} ({at + 1} of 2)")
            c.expect("You have joined #r")
            fake.conn.close()
            lost = c.expect("Connection lost")
            assert f"Reconnecting to {names[then]} ({then + 1} of 2)" in lost, (turn, lost)
        c.send("!logout")
        assert c.wait() == 0
    finally:
        c.kill()
        for f in fakes:
            f.close()


def wait_listening(port):
    end = time.monotonic() + DEADLINE
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > end:
                raise AssertionError(f"nothing listens on port {port}")
            time.sleep(0.05)


def test_reconnects_and_rejoins(_server):
    """Connection loss is reported, retried with backoff, and every room is rejoined."""
    port, seed_port = free_port(), free_port()
    args = [SERVER, "--host", "127.0.0.1", "--irc-port", str(port), "--port", str(seed_port), "--threads", "1",
            "--no-http", "--no-metrics"]
    first = subprocess.Popen(args, stderr=subprocess.DEVNULL)
    second = None
    try:
        wait_listening(port)
        c = Client(CLIENT, "--port", str(port), "--nick", "erin")
        c.expect("You have joined #lobby")
        c.send("!join #kept")
        c.expect("You have joined #kept")
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=DEADLINE)
        assert "Reconnecting in" in c.expect("Connection lost")
        second = subprocess.Popen(args, stderr=subprocess.DEVNULL)
        c.expect("Connected as erin", timeout=60)
        c.expect("You have joined #lobby")
        c.expect("You have joined #kept")
        c.send("back again")
        c.expect("erin > back again")
        c.send("!logout")
        assert c.wait() == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=DEADLINE)


def test_hostile_irc_server(_server):
    """Nothing a server or peer sends can reach the terminal as a control sequence."""
    fake = FakeServer()
    c = Client(CLIENT, "--port", str(fake.port), "--nick", "victim")
    fake.accept()
    fake.read_until("USER ")
    evil = "\x1b]0;owned\x07\x1b[2J\x1b[H\x07\x9b31m\u202eevil\x08"
    nick = "ev\x1b[31mil"
    lines = [
        ":srv 001 victim :Welcome",
        f":{nick}!u@h PRIVMSG #lobby :{evil}",
        f":{nick}!u@h PRIVMSG victim :{evil}",
        f":{nick}!u@h NOTICE victim :{evil}",
        f":{nick}!u@h JOIN #lobby",
        f":{nick}!u@h TOPIC #lobby :{evil}",
        f":{nick}!u@h QUIT :{evil}",
        f":srv 404 victim #lobby :{evil}",
        ":srv PRIVMSG #lobby :done",
    ]
    fake.send("".join(line + "\r\n" for line in lines).encode("utf-8", "surrogateescape"))
    # Raw C1 and invalid UTF-8 bytes too.
    fake.send(b":x!u@h PRIVMSG #lobby :raw \xc2\x9b2J and \xff\xfe bytes\r\n")
    fake.send(b":x!u@h PRIVMSG #lobby :last\r\n")
    c.expect("x > last")
    c.close_input()
    c.wait()
    fake.close()
    out = bytes(c.raw)
    for bad in (b"\x1b", b"\x07", b"\x08", b"\x00", b"\r", b"\xc2\x9b", "\u202e".encode()):
        assert bad not in out, (bad, out)
    text = out.decode("utf-8")  # valid UTF-8 throughout
    assert "^[]0;owned^G^[[2J" in text, text
    assert "<U+009B>" in text and "<U+202E>" in text, text


def scram_server(fake, password):
    """The server's side of SCRAM-SHA-256 (RFC 5802) for `password`: the
    client's proof is checked, and the server's signature sent back."""
    def b64(data):
        return base64.b64encode(data).decode()

    def authenticate():
        line = fake.read_line()
        assert line.startswith("AUTHENTICATE "), line
        return base64.b64decode(line.split(" ", 1)[1]).decode()

    client_first = authenticate()
    assert client_first.startswith("n,,n=alice,r="), client_first
    nonce = client_first.split("r=", 1)[1] + "server-nonce"
    salt = b"fake-salt-16byte"
    server_first = f"r={nonce},s={b64(salt)},i=4096"
    fake.send(f"AUTHENTICATE {b64(server_first.encode())}\r\n".encode())
    client_final = authenticate()
    without_proof, proof = client_final.rsplit(",p=", 1)
    assert without_proof == f"c=biws,r={nonce}", client_final
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 4096)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    auth = ",".join([client_first[3:], server_first, without_proof]).encode()
    signature = hmac.new(hashlib.sha256(client_key).digest(), auth, "sha256").digest()
    assert base64.b64decode(proof) == bytes(a ^ b for a, b in zip(client_key, signature)), "a wrong proof"
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    fake.send(f"AUTHENTICATE {b64(('v=' + b64(hmac.new(server_key, auth, 'sha256').digest())).encode())}\r\n"
              .encode())
    assert fake.read_line() == "AUTHENTICATE +"


def test_account_and_history(_server):
    """--account logs in with the password file's line (SASL SCRAM-SHA-256,
    played here by the fake server with hashlib), never shows it, and a
    room's history is asked for on joining and shown with its own times,
    before the live lines, with an end marker."""
    fake = FakeServer()
    secret = "pw-" + "x" * 12
    with tempfile.TemporaryDirectory() as tmp:
        password_file = os.path.join(tmp, "password")
        with open(password_file, "w") as f:
            f.write(secret + "\n")
        c = Client(CLIENT, "--port", str(fake.port), "--account", "alice", "--password-file", password_file,
                   "--history-lines", "500", "--colour", "never", env={"TZ": "UTC"})
        fake.accept()
        assert fake.read_line() == "CAP LS 302"
        assert fake.read_line() == "NICK alice"  # the nick defaults to the account; no PASS
        fake.read_until("USER ")
        fake.send(b":srv CAP * LS :sasl=PLAIN,SCRAM-SHA-256 draft/chathistory batch server-time message-tags\r\n")
        assert fake.read_line() == "CAP REQ :batch server-time message-tags draft/chathistory sasl"
        fake.send(b":srv CAP alice ACK :batch server-time message-tags draft/chathistory sasl\r\n")
        assert fake.read_line() == "AUTHENTICATE SCRAM-SHA-256"
        fake.send(b"AUTHENTICATE +\r\n")
        scram_server(fake, secret)
        fake.send(b":srv 900 alice alice!u@h alice :You are now logged in as alice\r\n"
                  b":srv 903 alice :SASL authentication successful\r\n")
        c.expect("Logged in as alice")
        assert fake.read_line() == "CAP END"
        fake.send(b":srv 001 alice :Welcome\r\n:srv 005 alice CHATHISTORY=100 :are supported\r\n"
                  b":srv 422 alice :No MOTD\r\n")
        assert fake.read_line() == "JOIN #lobby"
        fake.send(b":alice!u@h JOIN #lobby\r\n")
        assert fake.read_line() == "CHATHISTORY LATEST #lobby * 100"  # capped by ISUPPORT
        moment = time.time() - 120
        then = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(moment))
        today = time.gmtime(moment)[:3] == time.gmtime()[:3]  # short today, dated before
        then_shown = time.strftime("%H:%M:%S" if today else "%Y-%m-%d %H:%M", time.gmtime(moment))
        earlier = "2020-02-03T04:05:06.000Z"
        fake.send((":bob!u@h PRIVMSG #lobby :live while waiting\r\n"
                   "BATCH +h1 chathistory #lobby\r\n"
                   f"@batch=h1;time={earlier};msgid=a1 :bob!u@h PRIVMSG #lobby :long ago\r\n"
                   f"@batch=h1;time={then};msgid=a2 :carol!u@h PRIVMSG #lobby :alice: a while ago\r\n"
                   "BATCH -h1\r\n").encode())
        assert c.expect("long ago") == "2020-02-03 04:05 bob > long ago"
        assert c.expect("a while ago") == then_shown + " carol > alice: a while ago"
        c.expect("-- end of history --")
        c.expect("bob > live while waiting")
        c.send("!logout")
        fake.read_until("QUIT")
        fake.close()
        c.wait()
    out = bytes(c.raw) + bytes(c.err)
    assert secret.encode() not in out, out


def test_account_needs_a_password(_server):
    """Without a terminal, --account needs --password-file (usage error)."""
    c = Client(CLIENT, "--port", str(free_port()), "--account", "alice")
    assert c.wait() == 2
    assert "--password-file" in c.err.decode(), c.err


def test_hostile_seed_server(_server):
    """The same for the seed protocol: frames with escape sequences."""
    fake = FakeServer()
    c = Client(CLIENT, "--seed", "--port", str(fake.port), "--nick", "victim")
    fake.accept()

    def frame(payload):
        return str(len(payload)).ljust(10).encode() + payload

    fake.conn.recv(64)
    fake.send(frame(b"You have joined the chat!"))
    fake.send(frame(b"\x1b[2J\x1b]0;owned\x07 > \xc2\x9bboom\nline two\x1b[A"))
    fake.send(frame(b"end"))
    c.expect("end")
    c.close_input()
    c.wait()
    fake.close()
    out = bytes(c.raw)
    for bad in (b"\x1b", b"\x07", b"\xc2\x9b"):
        assert bad not in out, (bad, out)
    assert b"^[[2J^[]0;owned^G" in out and b"line two^[[A" in out, out


def test_ngircd(_server):
    """The same client works with another IRC server: ngIRCd from Debian's packages."""
    binary = shutil.which("ngircd") or "/usr/sbin/ngircd"
    if not os.path.exists(binary):
        raise AssertionError("ngircd is not installed (scripts/install-deps.sh installs it)")
    port = free_port()
    with tempfile.TemporaryDirectory() as run:
        os.mkdir(os.path.join(run, "conf.d"))
        conf = os.path.join(run, "ngircd.conf")
        with open(conf, "w") as f:
            f.write(
                "[Global]\n Name = test.ngircd\n Info = test\n Listen = 127.0.0.1\n"
                f" Ports = {port}\n PidFile = {run}/ngircd.pid\n MotdPhrase = test\n"
                "[Limits]\n MaxPenaltyTime = 0\n"
                f"[Options]\n IncludeDir = {run}/conf.d\n DNS = no\n Ident = no\n PAM = no\n"
            )
        proc = subprocess.Popen([binary, "-n", "-f", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_listening(port)
            alice = Client(CLIENT, "--port", str(port), "--nick", "alice")
            alice.expect("You have joined #lobby")
            bob = Client(CLIENT, "--port", str(port), "--nick", "bob")
            bob.expect("You have joined #lobby")
            alice.expect("bob has joined #lobby")
            bob.send("hello ngircd")
            alice.expect("bob > hello ngircd")
            bob.expect("bob > hello ngircd")  # shown locally: ngircd has no echo-message
            alice.send("!who")
            alice.expect("-> bob")
            alice.send("!msg bob private")
            bob.expect("privately alice > private")
            alice.send("!logout")
            assert alice.wait() == 0
            bob.expect("alice has quit")
            bob.send("!logout")
            assert bob.wait() == 0
        finally:
            proc.terminate()
            proc.wait(timeout=DEADLINE)


if __name__ == "__main__":
    run_named_test(globals(), sys.argv[3], ServerProcess(SERVER))
