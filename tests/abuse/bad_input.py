"""Bad input on both listeners: each case abuses the server one way, then
checks that it is alive and still serves a well-behaved pair of bystanders
(an IRC client in #lobby and a seed client), that newcomers can log in, and
that once the abusers are gone the connection count, NAMES and !who show the
bystanders only. Every case ends with SIGTERM and a clean exit.

usage: bad_input.py CHAT_SERVER CASE   (CHAT_SERVER_FLAGS: extra server flags)
"""
import random
import statistics
import sys
import threading
import time

from abuse_common import (
    DEADLINE,
    SOURCES,
    YOU_JOINED,
    Bystanders,
    Client,
    Reader,
    check_serving,
    connect,
    frame,
    irc_client,
    is_command,
    log_tail,
    nick_of,
    parse_irc,
    reset,
    seed_client,
    start_server,
    stop_cleanly,
)

INVALID_HEADER = b"Error: invalid frame header"
TOO_LARGE = b"Error: frame too large (limit 8192 bytes)"
NOT_UTF8 = b"Error: message is not valid UTF-8"
NICK_INVALID = (b"Error: username has a character that is not allowed "
                b"(use letters, digits and []\\`_^{|}-, not starting with a digit or -)")
LOGIN_TIMED_OUT = b"Error: login timed out"
SEED_ERRORS = (INVALID_HEADER, TOO_LARGE, NOT_UTF8, NICK_INVALID, b"Error: username is empty",
               b"Error: username is too long (limit 30 bytes)", b"Error: message is empty")
FAIL_UTF8 = b":chat.server FAIL PRIVMSG INVALID_UTF8 :Message rejected: it is not valid UTF-8"


def malformed_notice(target):
    return f":chat.server NOTICE {target} :Malformed line ignored: line contains NUL, CR or LF".encode()


class Scenario:
    """A server with its bystanders; abusers opened through it are cut (RST)
    at the end, and a case that completes is followed by check_serving() and
    a clean stop."""

    def __init__(self, binary, *flags, preexec_fn=None):
        self.server = start_server(binary, *flags, preexec_fn=preexec_fn)
        self.sockets = []
        self.clients = []
        try:
            self.by = Bystanders(self.server)
        except BaseException:
            print(log_tail(self.server), file=sys.stderr)
            self.server.kill()
            raise

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.drop_all()
            if exc_type is None:
                rtt = check_serving(self.server, self.by)
                print(f"after the abuse: bystander round trip {rtt * 1000:.0f} ms; newcomers log in; "
                      f"LUSERS, NAMES and !who show the bystanders only")
                self.by.close()
                stop_cleanly(self.server)
                print("SIGTERM: exit 0, no sanitizer report")
        except BaseException:
            print("---- server log (tail)\n" + log_tail(self.server), file=sys.stderr)
            raise
        finally:
            self.server.kill()
        if exc_type is not None:
            print("---- server log (tail)\n" + log_tail(self.server), file=sys.stderr)
        return False

    def raw(self, port, source=None):
        s = connect(port, source or SOURCES.next())
        self.sockets.append(s)
        return s

    def client(self, port, kind, name):
        c = Client(self.raw(port), kind, name)
        self.clients.append(c)
        return c

    def irc(self, nick, join="#lobby"):
        c = irc_client(self.server.irc_port, nick, join=join, source=SOURCES.next())
        self.clients.append(c)
        return c

    def seed(self, name):
        c = seed_client(self.server.seed_port, name, source=SOURCES.next())
        self.clients.append(c)
        return c

    def drop_all(self):
        for c in self.clients:
            c.close(rst=True)
        for s in self.sockets:
            reset(s)
        self.clients.clear()
        self.sockets.clear()


def refused(client, error, timeout=DEADLINE):
    """The client's last frame is `error` (its only error), then the server closes."""
    items = client.until(lambda item: item is None, timeout, f"{error!r} then EOF")[:-1]
    errors = [f for f in items if f.startswith(b"Error")]
    assert items and items[-1] == error and errors == [error], f"want {error!r} then EOF, got {items!r}"


def raw_refused(sock, data, error, timeout=DEADLINE):
    """Sends `data` on a raw seed connection: the reply is `error` alone, then EOF."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may already have answered and closed
    frames = Reader(sock, "seed").rest(timeout)
    assert frames == [error], f"sent {data[:40]!r}...: want [{error!r}] then EOF, got {frames!r}"


def expect_pong(client, token, timeout=DEADLINE):
    """Sends PING and returns every line up to its PONG (the connection must stay)."""
    client.send(f"PING :{token}")
    return client.until(lambda line: line is not None and parse_irc(line)[1] == b"PONG"
                         and parse_irc(line)[2][-1] == token.encode(), timeout, f"PONG {token}")


def irc_text_lines(text):
    """How text from the seed side reaches IRC (README, "IRC"): one line per
    line of the text, CR and NUL removed, empty lines dropped unless all are."""
    lines = [line.replace(b"\r", b"").replace(b"\0", b"") for line in text.split(b"\n")]
    lines = [line for line in lines if line]
    return lines or [b""]


# ---- Cases ---------------------------------------------------------------------------------------------


def case_oversized_line(binary):
    with Scenario(binary) as sc:
        by, srv = sc.by, sc.server

        # IRC, registered: 100 KB without a line end gets one 417 and the rest
        # of that line is discarded, however long; the connection stays.
        big = sc.irc("big_irc")
        big.send_raw(b"PRIVMSG #lobby :" + b"A" * (100 * 1024))
        line = big.expect(is_command("417"), what="417")
        assert line == b":chat.server 417 big_irc :Input line was too long", line
        big.send_raw(b"B" * (400 * 1024))
        big.send_raw(b"\r\n")
        got = expect_pong(big, "after-long-line")
        assert not [x for x in got if is_command("417")(x)], f"a second 417 for the same line: {got!r}"
        # The same, with the line end in the same write: one 417.
        big.send_raw(b"PRIVMSG #lobby :" + b"D" * (100 * 1024) + b"\r\nPING :same-write\r\n")
        got = big.until(lambda x: x is not None and x.endswith(b"PONG chat.server :same-write"), what="PONG")
        assert [x for x in got if is_command("417")(x)] == [line], got
        big.send("PRIVMSG #lobby :big-irc-marker")
        heard = by.said("big_irc", "big-irc-marker")
        assert heard.seed == heard.irc == [b"big-irc-marker"], (heard.seed, heard.irc)
        print("IRC: 100 KB (+400 KB) without LF -> one 417, line dropped, connection usable")

        # IRC, not registered yet.
        unreg = sc.client(srv.irc_port, "irc", "unregistered")
        unreg.send_raw(b"NICK " + b"C" * (100 * 1024))
        line = unreg.expect(is_command("417"), what="417")
        assert line == b":chat.server 417 * :Input line was too long", line
        unreg.send_raw(b"\r\n")
        unreg.send("NICK big_unreg", "USER u 0 * :u")
        unreg.expect(is_command("001"), what="001 after the long line")
        print("IRC: 100 KB before registration -> 417 to *, registration still works")

        # Seed: the header alone is enough for the error (logged in, or as the username frame).
        s = sc.seed("big_seed")
        s.send_raw(b"8193      ")
        refused(s, TOO_LARGE)
        by.saw_leave("big_seed")
        raw_refused(sc.raw(srv.seed_port), b"8193      " + b"x" * 8193, TOO_LARGE)
        s = sc.seed("big_seed2")
        s.send_raw(f"{10 * 1024 * 1024:<10}".encode())
        refused(s, TOO_LARGE)
        by.saw_leave("big_seed2")
        # 10 MB announced before login, 1 MB of it actually sent.
        ten_mb = f"{10 * 1024 * 1024:<10}".encode()
        raw_refused(sc.raw(srv.seed_port), ten_mb + b"y" * (1024 * 1024), TOO_LARGE)
        raw_refused(sc.raw(srv.seed_port), b"9999999999", TOO_LARGE)
        print("seed: headers of 8193, 10 MB and 9999999999 bytes -> frame too large, close")

        # The edge: 8192 bytes are relayed, to seed whole, to IRC in lines of at most 512 bytes.
        s = sc.seed("edge_seed")
        text = bytes(random.Random(8192).choice(b"abcdefghij") for _ in range(8192))
        s.send(text)
        s.send("edge-marker")
        heard = by.said("edge_seed", "edge-marker")
        assert heard.seed == [text, b"edge-marker"], [len(t) for t in heard.seed]
        assert b"".join(heard.irc[:-1]) == text and heard.irc[-1] == b"edge-marker", heard.irc
        too_long = [len(x) + 2 for x in heard.irc_items if len(x) + 2 > 512]
        assert not too_long, f"IRC lines over 512 bytes: {too_long}"
        print(f"seed: 8192 bytes relayed (to IRC in {len(heard.irc) - 1} lines)")
        # The same with characters of 2 and 3 bytes, and spaces: IRC lines are cut between characters.
        text = ("日本語é " * 682).encode() + b"abcdefgh"
        assert len(text) == 8192
        s.send(text)
        s.send("edge-marker-2")
        heard = by.said("edge_seed", "edge-marker-2")
        assert heard.seed == [text, b"edge-marker-2"], [len(t) for t in heard.seed]
        assert b"".join(heard.irc[:-1]) == text, heard.irc
        for piece in heard.irc:
            piece.decode("utf-8")  # raises if a character was cut
        too_long = [len(x) + 2 for x in heard.irc_items if len(x) + 2 > 512]
        assert not too_long, f"IRC lines over 512 bytes: {too_long}"
        print(f"seed: 8192 bytes of multibyte text relayed (to IRC in {len(heard.irc) - 1} lines, "
              f"each valid UTF-8)")


def case_nul_bytes(binary):
    with Scenario(binary) as sc:
        by, srv = sc.by, sc.server
        a = sc.irc("nul_irc")
        for bad in (b"PRIVMSG #lobby :a\0b", b"\0", b"PRIVMSG #lobby\0 :x", b"\0PRIVMSG #lobby :x",
                    b"PRIVMSG by_seed :a\0b"):
            a.send_raw(bad + b"\r\n")
            notice = a.expect(is_command("NOTICE"), what="NOTICE")
            assert notice == malformed_notice("nul_irc"), (bad, notice)
        expect_pong(a, "nul-alive")
        a.send("PRIVMSG #lobby :nul-marker")
        heard = by.said("nul_irc", "nul-marker")
        assert heard.seed == heard.irc == [b"nul-marker"], (heard.seed, heard.irc)
        assert not [f for f in heard.seed_items if f.startswith(b"privately")], heard.seed_items
        print("IRC: lines with NUL -> NOTICE, not relayed, connection stays")

        unreg = sc.client(srv.irc_port, "irc", "nul_unreg")
        unreg.send_raw(b"NICK nu\0l\r\n")
        notice = unreg.expect(is_command("NOTICE"), what="NOTICE")
        assert notice == malformed_notice("*"), notice
        unreg.send("NICK nul_unreg", "USER u 0 * :u")
        unreg.expect(is_command("001"), what="001")
        print("IRC: NICK with NUL before registration -> NOTICE, registration still works")

        # Seed: NUL is valid UTF-8, so the text is relayed: byte-exact to seed
        # users, without the NUL to IRC users (an IRC line cannot carry one).
        s = sc.seed("nul_seed")
        s.send(b"a\0b", b"\0")
        s.send("nul-seed-marker")
        heard = by.said("nul_seed", "nul-seed-marker")
        assert heard.seed == [b"a\0b", b"\0", b"nul-seed-marker"], heard.seed
        assert heard.irc == [b"ab", b"", b"nul-seed-marker"], heard.irc
        raw_refused(sc.raw(srv.seed_port), frame(b"nu\0l"), NICK_INVALID)
        raw_refused(sc.raw(srv.seed_port), frame(b"\0"), NICK_INVALID)
        print("seed: NUL in text relayed as data (seed byte-exact, IRC without it); "
              "NUL in a username refused")


def case_bare_cr(binary):
    with Scenario(binary) as sc:
        by, srv = sc.by, sc.server
        a = sc.irc("cr_irc")
        # A bare CR never ends a line: each of these is one line, refused whole.
        a.send_raw(b"PRIVMSG #lobby :one\rPRIVMSG #lobby :two\r\n")
        a.send_raw(b"PING :x\rQUIT :gone\r\n")
        a.send_raw(b"PRIVMSG #lobby :three\r")
        time.sleep(0.3)
        a.send_raw(b"PRIVMSG #lobby :four\r\n")
        a.send_raw(b"PRIVMSG #lobby :five\r\r\n")
        got = expect_pong(a, "cr-alive")
        assert got[:-1] == [malformed_notice("cr_irc")] * 4, got
        a.send("PRIVMSG #lobby :cr-marker")
        heard = by.said("cr_irc", "cr-marker")
        assert heard.seed == heard.irc == [b"cr-marker"], (heard.seed, heard.irc)
        print("IRC: bare CR inside a line -> one NOTICE per line, nothing relayed, no QUIT")

        unreg = sc.client(srv.irc_port, "irc", "cr_unreg")
        unreg.send_raw(b"NICK cr_a\rNICK cr_b\r\n")
        notice = unreg.expect(is_command("NOTICE"), what="NOTICE")
        assert notice == malformed_notice("*"), notice
        unreg.send("NICK cr_unreg", "USER u 0 * :u")
        unreg.expect(is_command("001"), what="001")

        # Seed: CR and LF are text, relayed byte-exact to seed users; IRC users
        # get one PRIVMSG per line of it, so nothing can be smuggled in as a command.
        s = sc.seed("cr_seed")
        text = b"x\rPRIVMSG #lobby :injected\r\nQUIT :bye\nPING"
        s.send(text)
        s.send("cr-seed-marker")
        heard = by.said("cr_seed", "cr-seed-marker")
        assert heard.seed == [text, b"cr-seed-marker"], heard.seed
        want = [b"xPRIVMSG #lobby :injected", b"QUIT :bye", b"PING", b"cr-seed-marker"]
        assert heard.irc == want, heard.irc
        print("seed: CR/LF in text relayed as data; on IRC one PRIVMSG per line, no injected line")


BAD_UTF8 = (b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
            b"\xe2\x82", b"ok \x80 continuation", b"\xf8\x88\x80\x80\x80", b"caf\xe9")


def case_invalid_utf8(binary):
    with Scenario(binary) as sc:
        by, srv = sc.by, sc.server
        for bad in BAD_UTF8:
            try:
                bad.decode("utf-8")
            except UnicodeDecodeError:
                continue
            raise AssertionError(f"test data {bad!r} is valid UTF-8")

        a = sc.irc("utf_irc")
        for bad in BAD_UTF8:
            a.send_raw(b"PRIVMSG #lobby :" + bad + b"\r\n")
            assert a.expect(is_command("FAIL"), what="FAIL") == FAIL_UTF8, bad
            a.send_raw(b"PRIVMSG by_seed :" + bad + b"\r\n")
            assert a.expect(is_command("FAIL"), what="FAIL") == FAIL_UTF8, bad
        a.send_raw(b"NOTICE #lobby :\xff\xfe\r\n")  # NOTICE never gets a reply
        got = expect_pong(a, "utf-alive")
        assert len(got) == 1, f"replies to a NOTICE: {got!r}"
        a.send("PRIVMSG #lobby :utf-marker")
        heard = by.said("utf_irc", "utf-marker")
        assert heard.seed == heard.irc == [b"utf-marker"], (heard.seed, heard.irc)
        assert not [f for f in heard.seed_items if f.startswith(b"privately")], heard.seed_items
        a.send_raw(b"NICK caf\xe9\r\n")
        line = a.expect(is_command("432"), what="432")
        assert line == b":chat.server 432 utf_irc caf\xe9 :Erroneous nickname", line
        print(f"IRC: {len(BAD_UTF8)} invalid UTF-8 texts -> FAIL PRIVMSG INVALID_UTF8, not relayed")

        s = sc.seed("utf_seed")
        for bad in BAD_UTF8:
            s.send(bad)
            s.expect_eq(NOT_UTF8)
            s.send(b"!msg by_irc " + bad)
            s.expect_eq(NOT_UTF8)
        s.send("utf-seed-marker")
        heard = by.said("utf_seed", "utf-seed-marker")
        assert heard.seed == heard.irc == [b"utf-seed-marker"], (heard.seed, heard.irc)
        privmsgs = [x for x in heard.irc_items if parse_irc(x)[2][:1] == [b"by_irc"] and b"PRIVMSG" in x]
        assert not privmsgs, privmsgs
        raw_refused(sc.raw(srv.seed_port), frame(b"\xffname"), NOT_UTF8)
        raw_refused(sc.raw(srv.seed_port), frame(b"caf\xe9"), NOT_UTF8)
        print("seed: invalid UTF-8 text -> error, not relayed, connection stays; "
              "as a username -> error, close")


def not_utf8(items):
    out = []
    for item in items:
        try:
            if item is not None:
                item.decode("utf-8")
        except UnicodeDecodeError:
            out.append(item)
    return out


def case_invalid_utf8_other_fields(binary):
    """The server advertises UTF8ONLY (005), which binds it not to relay
    anything that is not UTF-8 (IRCv3 utf8-only: "PRIVMSG or NOTICE message
    data, channel topics, or realnames"), and seed frames are UTF-8 by
    definition. Here text that is not UTF-8 goes where PRIVMSG's check does
    not look: reasons, topics, away messages, real names, keys, masks, tags."""
    with Scenario(binary) as sc:
        by, srv = sc.by, sc.server
        watcher = Client(sc.raw(srv.irc_port), "irc", "u8_watch")  # sees client tags
        sc.clients.append(watcher)
        watcher.send("CAP LS 302", "CAP REQ :message-tags", "NICK u8_watch", "USER u 0 * :w", "CAP END",
                     "JOIN #lobby")
        watcher.expect(is_command("366"), what="366")
        a = sc.irc("u8")
        victim = sc.seed("u8_victim")
        a.send("JOIN #u8")  # a is its operator
        a.expect(is_command("366"), what="366")
        watcher.send("JOIN #u8")
        watcher.expect(is_command("366"), what="366")
        for line in (b"PART #lobby :part \xff reason", b"JOIN #lobby", b"AWAY :away \xff",
                     b"@+x=\xff PRIVMSG #lobby :tagged", b"@+y=\xfe TAGMSG #lobby",
                     b"TOPIC #u8 :topic \xff", b"MODE #u8 +k k\xffey", b"MODE #u8 +b ba\xffd!*@*",
                     b"KICK #u8 u8_watch :kick \xff reason", b"PRIVMSG #lobby :u8-done"):
            a.send_raw(line + b"\r\n")
        by.said("u8", "u8-done")
        watcher.expect(lambda x: x is not None and parse_irc(x)[1] == b"KICK", what="KICK")
        by.irc.send("WHOIS u8", "PRIVMSG u8 :are you there")
        by.irc.expect(is_command("318"), what="end of WHOIS")
        by.irc.expect(is_command("301"), what="301 (away)")
        a.send_raw(b"QUIT :quit \xff reason\r\n")
        by.saw_leave("u8")
        r = Client(sc.raw(srv.irc_port), "irc", "u8_real")
        sc.clients.append(r)
        r.send_raw(b"NICK u8_real\r\nUSER u 0 * :real \xff name\r\nJOIN #lobby\r\n")
        r.expect(is_command("366"), what="366")
        by.irc.send("WHOIS u8_real", "WHO #lobby")
        by.irc.expect(is_command("315"), what="end of WHO")
        by.irc.send_raw(b"KICK #lobby u8_victim :kick \xff reason\r\n")  # by_irc is #lobby's operator
        victim.expect(lambda f: f is None, what="EOF after the kick")
        leaks = {"by_irc (IRC)": not_utf8(by.irc.history), "by_seed (seed)": not_utf8(by.seed.history),
                 "u8_watch (IRC, message-tags)": not_utf8(watcher.history),
                 "u8_victim (seed)": not_utf8(victim.history)}
        report = "\n".join(f"  to {who}: {item!r}" for who, items in leaks.items() for item in items)
        assert not report, "bytes that are not UTF-8 were relayed:\n" + report


def case_garbage(binary):
    rng = random.Random(1459)

    def blob(n):
        return bytes(rng.getrandbits(8) for _ in range(n))

    with Scenario(binary) as sc:
        by, srv = sc.by, sc.server
        # IRC: 8 KB of random bytes, before and after registration; every
        # reply is the server's, and the connection stays usable.
        for round_, registered in enumerate((False, True, False, True)):
            nick = f"junk{round_}"
            c = sc.irc(nick) if registered else sc.client(srv.irc_port, "irc", nick)
            c.send_raw(blob(8192) + b"\r\n")  # the line end ends the garbage's last line
            got = expect_pong(c, f"junk-alive-{round_}", timeout=60)
            replies = got[:-1]
            assert replies, "no reply at all to 8 KB of garbage"
            odd = [x for x in replies if not x.startswith(b":chat.server ")
                   or parse_irc(x)[1] not in (b"NOTICE", b"417", b"421", b"451", b"461", b"409", b"412")]
            assert not odd, f"unexpected replies to garbage: {odd[:5]!r}"
            if registered:
                c.send(f"PRIVMSG #lobby :junk-marker-{round_}")
                heard = by.said(nick, f"junk-marker-{round_}")
                assert heard.seed == heard.irc == [f"junk-marker-{round_}".encode()], (heard.seed, heard.irc)
            kinds = sorted({parse_irc(x)[1].decode() for x in replies})
            print(f"IRC round {round_} ({'registered' if registered else 'unregistered'}): "
                  f"{len(replies)} replies ({', '.join(kinds)}), connection usable")

        # Seed: random bytes where a header belongs: one error frame, then close.
        for round_ in range(4):
            sock = sc.raw(srv.seed_port)
            data = blob(4096)
            if round_ % 2:
                sock.sendall(frame(f"junk_s{round_}"))
                assert Reader(sock, "seed").next() == YOU_JOINED
            sock.sendall(data)
            frames = Reader(sock, "seed").rest()
            if round_ % 2:
                frames = [f for f in frames if not f.endswith(b" has joined the chat!")]
            assert len(frames) == 1 and frames[0] in SEED_ERRORS, f"garbage {data[:20]!r}: {frames!r}"
            print(f"seed round {round_}: {frames[0].decode()}, then close")
            if round_ % 2:
                by.saw_leave(f"junk_s{round_}")

        # Seed: well-formed frames with random bodies: invalid UTF-8 gets an
        # error, the rest is relayed exactly (to IRC as lines of the text).
        s = sc.seed("junk_frames")
        relayed = []
        errors = 0
        for _ in range(24):
            body = blob(rng.randint(1, 300))
            s.send(body)
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                s.expect_eq(NOT_UTF8)
                errors += 1
            else:
                relayed.append(body)
        for _ in range(6):  # random text that is valid UTF-8 (and not a command)
            body = "".join(chr(rng.choice((rng.randint(0x20, 0x7e), rng.randint(0xa0, 0xd7ff),
                                           rng.randint(0xe000, 0x10ffff)))) for _ in range(40)).encode()
            s.send(body)
            relayed.append(body)
        s.send("junk-frames-marker")
        heard = by.said("junk_frames", "junk-frames-marker")
        assert heard.seed == relayed + [b"junk-frames-marker"], heard.seed
        want_irc = [line for text in relayed for line in irc_text_lines(text)] + [b"junk-frames-marker"]
        assert heard.irc == want_irc, heard.irc
        print(f"seed: 30 random frames -> {errors} UTF-8 errors, {len(relayed)} relayed exactly")


def case_negative_header(binary):
    with Scenario(binary) as sc:
        by, srv = sc.by, sc.server
        for data in (b"-5        ", b"-5        hello", b"-0        ", b"+-5       ", b"- 5       ",
                     b"       -12"):
            raw_refused(sc.raw(srv.seed_port), data, INVALID_HEADER)
        s = sc.seed("neg_seed")
        s.send_raw(b"-1        ")
        refused(s, INVALID_HEADER)
        by.saw_leave("neg_seed")
        print("seed: negative headers, before and after login -> invalid frame header, close")


def case_non_numeric_header(binary):
    with Scenario(binary) as sc:
        by, srv = sc.by, sc.server
        for data in (b"abcdefghij", b"12a       ", b"0x10      ", b"1 2       ", b"          ",
                     b"5.0       ", b"1e3       ", b"\0" * 10, b"\xff" * 10, b"\x1b[2J      ",
                     b"NICK x\r\nUSER x 0 * :x\r\n"):
            raw_refused(sc.raw(srv.seed_port), data, INVALID_HEADER)
        for i, data in enumerate((b"hello     ", b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09")):
            s = sc.seed(f"nan_seed{i}")
            s.send_raw(data)
            refused(s, INVALID_HEADER)
            by.saw_leave(f"nan_seed{i}")
        print("seed: non-numeric headers (and an IRC registration) -> invalid frame header, close")

        # IRC: a seed frame where a command belongs is a malformed line.
        c = sc.client(srv.irc_port, "irc", "seed_on_irc")
        c.send_raw(frame("hello"))
        time.sleep(0.2)
        c.send_raw(b"\r\n")
        notice = c.expect(is_command("NOTICE"), what="NOTICE")
        assert notice == b":chat.server NOTICE * :Malformed line ignored: invalid command", notice
        c.send("NICK seed_on_irc", "USER u 0 * :u")
        c.expect(is_command("001"), what="001")
        print("IRC: a seed frame as a line -> NOTICE (invalid command), registration still works")


def case_slowloris(binary):
    interval, budget = 0.2, 8.0
    with Scenario(binary) as sc:
        by, srv = sc.by, sc.server
        stop_at = time.monotonic() + budget
        drippers = []  # (socket, bytes to drip)
        for i in range(3):  # seed users who log in and talk one byte at a time
            drippers.append((sc.raw(srv.seed_port), frame(f"ls{i}") + frame(f"hi ls{i}")))
        for i in range(3):  # IRC users who register one byte at a time
            drippers.append((sc.raw(srv.irc_port), f"NICK li{i}\r\nUSER u 0 * :x\r\n".encode()))
        for i in range(2):  # lines and frames that never end
            drippers.append((sc.raw(srv.irc_port), b"PRIVMSG #lobby :" + b"z" * 64))
            drippers.append((sc.raw(srv.seed_port), b"8000      " + b"z" * 64))
        sent = [0] * len(drippers)

        def drip(k):
            sock, data = drippers[k]
            for b in data:
                if time.monotonic() > stop_at:
                    return
                sock.sendall(bytes([b]))
                sent[k] += 1
                time.sleep(interval)

        threads = [threading.Thread(target=drip, args=(k,), daemon=True) for k in range(len(drippers))]
        for t in threads:
            t.start()
        rtts = []
        while any(t.is_alive() for t in threads):
            rtts.append(by.exchange())
            time.sleep(0.25)
        for t in threads:
            t.join(5)
        print(f"{len(drippers)} clients sent {sum(sent)} bytes one at a time over {budget:.0f} s; "
              f"{len(rtts)} bystander round trips: median {statistics.median(rtts) * 1000:.0f} ms, "
              f"max {max(rtts) * 1000:.0f} ms")
        assert max(rtts) < 2.0, f"a bystander round trip took {max(rtts):.2f} s while others dripped bytes"
        # What was dripped whole was understood.
        for i in range(3):
            assert sent[i] == len(drippers[i][1]), f"dripper {i} ran out of time: {sent[i]} bytes"
            end = time.monotonic() + DEADLINE
            while f"ls{i} > hi ls{i}".encode() not in by.seed.history and time.monotonic() < end:
                time.sleep(0.05)
            assert f"ls{i} > hi ls{i}".encode() in by.seed.history, f"ls{i}'s dripped message never arrived"
        for i in range(3, 6):
            assert sent[i] == len(drippers[i][1]), f"dripper {i} ran out of time: {sent[i]} bytes"
            replies = Reader(drippers[i][0], "irc").until(
                lambda line: line is None or parse_irc(line)[1] == b"001", DEADLINE)
            assert replies[-1] is not None, f"li{i - 3} registered byte by byte but got no 001: {replies!r}"
        print("byte-by-byte logins and messages were understood")


def case_half_open(binary):
    with Scenario(binary, "--login-timeout-ms", "1000") as sc:
        by, srv = sc.by, sc.server
        # Seed: silent, or stopped in the middle of the username frame: each
        # gets the login-timeout error, then the server closes.
        socks = [sc.raw(srv.seed_port) for _ in range(40)]
        for i in range(5):
            socks.append(sc.raw(srv.seed_port))
            socks[-1].sendall(b"5   ")
            socks.append(sc.raw(srv.seed_port))
            socks[-1].sendall(b"5         ab")
        start = time.monotonic()
        kept = socks[:10]  # never closed by the client: the server must close them (within its 5 s)
        for s in socks:
            frames = Reader(s, "seed").rest(timeout=30)
            assert frames == [LOGIN_TIMED_OUT], frames
            if s not in kept:
                s.close()
        print(f"seed: {len(socks)} silent or half-sent logins -> '{LOGIN_TIMED_OUT.decode()}' and close "
              f"(all within {time.monotonic() - start:.1f} s)")

        # IRC: 200 connections that never register (the registration timeout
        # is 30 s and has no flag): the bystanders are not affected.
        silent = [sc.raw(srv.irc_port) for _ in range(200)]
        time.sleep(1.5)  # longer than the seed login timeout, which must not apply to IRC
        rtts = [by.exchange() for _ in range(5)]
        users, connections = by.wait_counts(2, 202)
        assert (users, connections) == (2, 202), (
            f"LUSERS: {users} users, {connections} connections; want 2 and 202 (the bystanders and the "
            f"silent IRC connections; the 10 timed-out seed connections the client never closed must "
            f"have been closed by the server within its 5 s close timeout)")
        print(f"IRC: 200 silent connections open: LUSERS counts {connections} (the 10 timed-out seed "
              f"connections left open by the client were closed by the server); bystander round trips "
              f"max {max(rtts) * 1000:.0f} ms")
        for k, s in enumerate(silent):
            if k % 2:
                reset(s)
            else:
                s.close()
        sc.sockets = [s for s in sc.sockets if s not in silent and s not in socks]


def case_rst_mid_frame(binary):
    with Scenario(binary) as sc:
        by, srv = sc.by, sc.server
        gone = []
        for i in range(200):
            kind = i % 4
            if kind == 0:  # seed, half a username frame
                s = connect(srv.seed_port, SOURCES.next())
                s.sendall(b"12        rst_")
            elif kind == 1:  # seed, logged in, half a frame
                name = f"rs{i}"
                s = connect(srv.seed_port, SOURCES.next())
                s.sendall(frame(name))
                assert Reader(s, "seed").next() == YOU_JOINED
                s.sendall(b"100       half a fr")
                gone.append(name)
            elif kind == 2:  # IRC, half a line before registration
                s = connect(srv.irc_port, SOURCES.next())
                s.sendall(b"NICK ri" + str(i).encode())
            else:  # IRC, in #lobby, half a line
                name = f"ri{i}"
                s = connect(srv.irc_port, SOURCES.next())
                s.sendall(f"NICK {name}\r\nUSER u 0 * :u\r\nJOIN #lobby\r\n".encode())
                Reader(s, "irc").until(is_command("366"))
                s.sendall(b"PRIVMSG #lobby :half a li")
                gone.append(name)
            reset(s)
        # Everyone who was in the lobby is seen to leave, on both sides.
        end = time.monotonic() + 30
        want_seed = {f"{n} has left the chat!".encode() for n in gone}
        while time.monotonic() < end:
            quits = {nick_of(parse_irc(x)[0]) for x in list(by.irc.history)
                     if x is not None and parse_irc(x)[1] in (b"QUIT", b"PART")}
            if want_seed <= set(by.seed.history) and {n.encode() for n in gone} <= quits:
                break
            time.sleep(0.1)
        missing = sorted(want_seed - set(by.seed.history))
        assert not missing, f"{len(missing)} departures never announced to seed: {missing[:5]}"
        missing = sorted({n.encode() for n in gone} - quits)
        assert not missing, f"{len(missing)} QUITs or PARTs never seen on IRC: {missing[:5]}"
        print(f"200 connections reset mid-frame or mid-line; "
              f"all {len(gone)} logged-in ones announced as left")


def case_connect_cycles(binary):
    per_listener, threads_n, budget = 10_000, 8, 55.0
    with Scenario(binary) as sc:
        by, srv = sc.by, sc.server
        for kind, port in (("seed", srv.seed_port), ("irc", srv.irc_port)):
            deadline = time.monotonic() + budget
            errors = []
            done = [0] * threads_n
            lock = threading.Lock()

            def login(s, i, join):
                name = f"c{kind[0]}{i}"
                if kind == "seed":
                    s.sendall(frame(name))
                    return Reader(s, "seed").next(30) == YOU_JOINED
                s.sendall(f"NICK {name}\r\nUSER u 0 * :u\r\n".encode()
                          + (b"JOIN #lobby\r\n" if join else b""))
                end = (b"366",) if join else (b"376", b"422")
                got = Reader(s, "irc").until(lambda x: x is None or parse_irc(x)[1] in end, 30)
                return got[-1] is not None

            def worker(w):
                for i in range(w, per_listener, threads_n):
                    if time.monotonic() > deadline:
                        return
                    mode = i % 10
                    try:
                        s = connect(port, SOURCES.next(), timeout=30)
                        try:
                            if mode in (0, 1):  # log in, then vanish
                                assert login(s, i, join=(i // 10) % 2 == 0), "login failed"
                            elif mode in (7, 8):  # half a frame or line
                                s.sendall(b"12        cyc" if kind == "seed" else b"NICK cy")
                            elif mode == 9:  # the whole login, gone before any answer
                                name = f"c{kind[0]}{i}"
                                s.sendall(frame(name) if kind == "seed" else
                                          f"NICK {name}\r\nUSER u 0 * :u\r\nJOIN #lobby\r\n".encode())
                        finally:
                            if mode in (0, 5, 6, 8):
                                reset(s)
                            else:
                                s.close()
                        done[w] += 1
                    except Exception as e:  # noqa: BLE001 - every failure is reported below
                        with lock:
                            errors.append(f"cycle {i} (mode {mode}): {type(e).__name__}: {e}")

            start = time.monotonic()
            workers = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(threads_n)]
            for t in workers:
                t.start()
            for t in workers:
                t.join(budget + 60)
            elapsed = time.monotonic() - start
            total = sum(done)
            bound = "" if total == per_listener else " (stopped by the time bound)"
            print(f"{kind}: {total} connect/disconnect cycles in {elapsed:.1f} s "
                  f"({threads_n} threads, 2 in 10 logging in){bound}")
            assert not errors, f"{len(errors)} cycles failed:\n" + "\n".join(errors[:10])
            assert total >= min(per_listener, 2000), f"only {total} cycles in {budget} s"
            rtt = by.exchange()
            print(f"{kind}: bystander round trip afterwards {rtt * 1000:.0f} ms")


def case_escape_sequences(binary):
    text = ("\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b[31mred\x1b[0m \u009b31m \u202eevil\u202c \x08\x07\x7f "
            "\x1bP+q\x1b\\ end").encode()
    with Scenario(binary) as sc:
        by, srv = sc.by, sc.server
        s = sc.seed("esc_seed")
        a = sc.irc("esc_irc")
        # Private messages, each way.
        s.send(b"!msg by_irc " + text)
        by.irc.expect(lambda x: x is not None and x.startswith(b":esc_seed!")
                      and x.endswith(b" PRIVMSG by_irc :" + text), what="the private message, byte-exact")
        a.send(b"PRIVMSG by_seed :" + text)
        by.seed.expect_eq(b"privately esc_irc > " + text)
        # The room, from each side.
        for sender, c in (("esc_seed", s), ("esc_irc", a)):
            c.send(text if c is s else b"PRIVMSG #lobby :" + text)
            c.send(f"{sender}-marker" if c is s else f"PRIVMSG #lobby :{sender}-marker")
            heard = by.said(sender, f"{sender}-marker")
            assert heard.seed == heard.irc == [text, f"{sender}-marker".encode()], (heard.seed, heard.irc)
        # The other abuser gets the room's text byte-exact as well.
        s_items = s.until(lambda f: f is not None and f == b"esc_irc > " + text, what="esc_irc's text")
        assert s_items[-1] == b"esc_irc > " + text
        print("escape sequences in text: relayed byte-exact, seed<->seed, seed<->IRC, private and in #lobby")

        bad_nicks = ["\x1b[2J", "a\x1b[2J", "ab\x07", "a\tb", "a\u009bb", "a\u202eb", "a\x7f", "\x1b]0;x\x07",
                     "a\x08", "\x1b"]
        for nick in bad_nicks:
            raw_refused(sc.raw(srv.seed_port), frame(nick), NICK_INVALID)
        raw_refused(sc.raw(srv.seed_port), frame("a b"), NICK_INVALID)
        print(f"seed: {len(bad_nicks) + 1} usernames with escapes or control characters -> refused, close")

        unreg = sc.client(srv.irc_port, "irc", "esc_unreg")
        for nick in bad_nicks:
            unreg.send(b"NICK " + nick.encode())
            line = unreg.expect(is_command("432"), what="432")
            assert line == b":chat.server 432 * " + nick.encode() + b" :Erroneous nickname", line
        unreg.send("NICK esc_unreg", "USER u 0 * :u")
        unreg.expect(is_command("001"), what="001")
        for nick in bad_nicks:
            a.send(b"NICK " + nick.encode())
            line = a.expect(is_command("432"), what="432")
            assert line == b":chat.server 432 esc_irc " + nick.encode() + b" :Erroneous nickname", line
        a.send("PRIVMSG #lobby :still-esc_irc")
        heard = by.said("esc_irc", "still-esc_irc")
        assert heard.seed == [b"still-esc_irc"], heard.seed
        print(f"IRC: {len(bad_nicks)} such nicks -> 432, before and after registration; "
              "the nick is unchanged")
        announced = [x for x in by.seed.history + by.irc.history if x is not None
                     and (b"has joined" in x or b"is now known as" in x or b" NICK " in x or b" JOIN " in x)]
        odd = [x for x in announced if any(c < 0x20 or c == 0x7f for c in x)]
        assert not odd, f"control characters in announced names: {odd!r}"


def case_escape_sequences_in_log(binary):
    """What clients send reaches the server's log escaped (net::sample), never
    as raw escape sequences for the operator's terminal. A kick reason is
    client text too: an IRC operator kicks a seed user with one."""
    with Scenario(binary) as sc:
        by = sc.by
        victim = sc.seed("log_victim")
        reason = b"\x1b[2J\x1b]0;owned\x07 bye"
        by.irc.send(b"KICK #lobby log_victim :" + reason)  # by_irc is #lobby's operator
        frames = victim.until(lambda f: f is None, what="EOF after the kick")
        assert frames[:-1] == [b"You were kicked from the chat by by_irc: " + reason], frames
        by.seed.expect_eq("log_victim has left the chat!")
        print("seed user kicked with escape sequences in the reason: the reason reaches it as data")
        # The log is checked when the scenario ends (stop_cleanly): no raw control characters.


CASES = {
    "oversized_line": case_oversized_line,
    "nul_bytes": case_nul_bytes,
    "bare_cr": case_bare_cr,
    "invalid_utf8": case_invalid_utf8,
    "invalid_utf8_other_fields": case_invalid_utf8_other_fields,
    "garbage": case_garbage,
    "negative_header": case_negative_header,
    "non_numeric_header": case_non_numeric_header,
    "slowloris": case_slowloris,
    "half_open": case_half_open,
    "rst_mid_frame": case_rst_mid_frame,
    "connect_cycles": case_connect_cycles,
    "escape_sequences": case_escape_sequences,
    "escape_sequences_in_log": case_escape_sequences_in_log,
}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        sys.exit(f"usage: {sys.argv[0]} CHAT_SERVER CASE\ncases: {' '.join(CASES)}")
    start = time.monotonic()
    CASES[sys.argv[2]](sys.argv[1])
    print(f"ok: {sys.argv[2]} in {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main()
