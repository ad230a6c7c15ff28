"""The web door end to end, through real sockets on 127.0.0.1: IRC over
WebSocket with TCP IRC users and seed users in the same rooms, the frames
and requests the rules forbid, and the listener's HTTP limits.

Usage: ws_e2e.py SERVER CASE"""
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
sys.path.insert(0, os.path.join(HERE, "..", "abuse"))

from abuse_common import irc_client, seed_client, is_command  # noqa: E402
from server_process import ServerProcess  # noqa: E402
import ws_client  # noqa: E402
from ws_client import BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT, WebSocket, frame, http_get  # noqa: E402

SERVER = sys.argv[1]
# The limits of protocol/websocket.hpp and protocol/http.hpp.
MAX_MESSAGE = 4096 + 512
MAX_HEAD = 8192


def start(*extra):
    return ServerProcess(SERVER, "--flood-rate", "0", "--max-connections-per-ip", "0", "--connect-rate", "0", *extra)


def joined(port, nick, room="#lobby", **kw):
    ws = WebSocket(port, **kw)
    assert ws.status == 101, ws.response
    ws.register(nick)
    ws.send(f"JOIN {room}")
    ws.expect(" 366 ")
    return ws


def privmsg_to(target, text):
    return lambda line: line is not None and line.endswith(f"PRIVMSG {target} :{text}".encode())


def case_talks_with_tcp_and_seed(server):
    ws = joined(server.http_port, "webby")
    tcp = irc_client(server.irc_port, "tcpuser", join="#lobby")
    seed = seed_client(server.seed_port, "seedy")
    ws.send("PRIVMSG #lobby :hello from the browser")
    tcp.expect(privmsg_to("#lobby", "hello from the browser"), what="the WebSocket user's line")
    seed.expect_eq(b"webby > hello from the browser")
    tcp.send("PRIVMSG #lobby :hello from TCP")
    assert ws.expect("hello from TCP").startswith(":tcpuser!"), "relayed with its source"
    seed.send("hello from seed")
    ws.expect("PRIVMSG #lobby :hello from seed")
    # Privately, both ways, with a TCP and a seed user.
    ws.send("PRIVMSG tcpuser :just you")
    tcp.expect(privmsg_to("tcpuser", "just you"), what="the private line")
    tcp.send("PRIVMSG webby :just you too")
    ws.expect("PRIVMSG webby :just you too")
    seed.send("!msg webby psst")
    ws.expect("PRIVMSG webby :psst")
    ws.send("PRIVMSG seedy :back at you")
    seed.expect(lambda f: f is not None and b"back at you" in f, what="the private line to the seed user")
    # A clean close: the code comes back, the others see a QUIT.
    ws.send_frame(CLOSE, b"\x03\xe8bye")
    assert ws.close_frame()[0] == 1000
    assert ws.closed()
    tcp.expect(lambda line: line is not None and b"QUIT" in line and line.startswith(b":webby!"), what="QUIT")


def case_binary_and_ping(server):
    ws = WebSocket(server.http_port, subprotocol="binary.ircv3.net")
    assert "Sec-WebSocket-Protocol: binary.ircv3.net" in ws.response, ws.response
    ws.send_frame(BINARY, "NICK bin")
    ws.send_frame(BINARY, "USER bin 0 * :bin")
    op, payload = ws.recv_frame()
    assert op == BINARY, op
    ws.send_frame(PING, b"are you there")
    while True:
        op, payload = ws.recv_frame()
        if op == PONG:
            assert payload == b"are you there", payload
            break
    # A line that ends in CR LF is still one line; a fragmented one is whole.
    ws.send_frame(TEXT, "JOIN #bin\r\n")
    ws.expect(" 366 ")
    ws.send_frame(TEXT, "PRIVMSG #bin", fin=False)
    ws.send_frame(PING, b"between")
    ws.send_frame(CONTINUATION, " :fragments")
    ws.send("PING :done")
    ws.expect("PONG")
    # No subprotocol: text frames, as InspIRCd does.
    plain = WebSocket(server.http_port, subprotocol=None)
    assert plain.status == 101 and "Sec-WebSocket-Protocol" not in plain.response, plain.response
    plain.send("NICK nosub")
    plain.send("USER nosub 0 * :nosub")
    assert plain.recv_frame()[0] == TEXT


def bad_frame_closes(server, nick, data, code, reason):
    ws = WebSocket(server.http_port)
    ws.register(nick)
    ws.sock.sendall(data)
    got = ws.close_frame()
    assert got == (code, reason), (got, code, reason)
    assert ws.closed(), "closed after the close frame"


def case_bad_frames(server):
    watcher = irc_client(server.irc_port, "watcher", join="#lobby")
    talker = joined(server.http_port, "talker")
    bad_frame_closes(server, "unmasked", frame(TEXT, "PING :x", mask=False), 1002, "client frames must be masked")
    bad_frame_closes(server, "oversized", frame(TEXT, "PRIVMSG #lobby :" + "a" * MAX_MESSAGE), 1009,
                     "message too big")
    half = "a" * (MAX_MESSAGE // 2)
    bad_frame_closes(server, "fragments", frame(TEXT, half, fin=False) + frame(CONTINUATION, half + "a"), 1009,
                     "message too big")
    bad_frame_closes(server, "badutf8", frame(TEXT, b"PRIVMSG #lobby :caf\xc3"), 1007, "text message is not UTF-8")
    bad_frame_closes(server, "smuggler", frame(TEXT, "PRIVMSG #lobby :a\r\nQUIT :b"), 1008,
                     "one IRC line per message")
    bad_frame_closes(server, "rsv", frame(TEXT, "PING :x", rsv=0x40), 1002, "reserved bits set")
    bad_frame_closes(server, "ctlfrag", frame(PING, "x", fin=False), 1002, "fragmented control frame")
    # At the limit, a message passes (the IRC door then judges the line).
    at_limit = joined(server.http_port, "atlimit")
    at_limit.send_frame(TEXT, "PRIVMSG #lobby :" + "b" * (MAX_MESSAGE - len("PRIVMSG #lobby :")))
    at_limit.send("PING :still here")
    at_limit.expect("still here")
    # Nobody else lost anything.
    talker.send("PRIVMSG #lobby :after all that")
    watcher.expect(privmsg_to("#lobby", "after all that"), what="the line after the bad frames")


def case_never_reads(server):
    # A WebSocket client that never reads is dropped for SendQ; the sender
    # and a reading member lose nothing.
    sleeper = WebSocket(server.http_port, rcvbuf=4096)
    sleeper.register("sleeper")
    sleeper.send("JOIN #lobby")
    reader = irc_client(server.irc_port, "reader", join="#lobby")
    sender = irc_client(server.irc_port, "sender", join="#lobby")
    count = 12_000
    window = 200  # lines in flight: the reader's backlog stays far below its SendQ
    line = "x" * 400
    for start in range(0, count, window):
        end = min(start + window, count)
        sender.sock.sendall(b"".join(f"PRIVMSG #lobby :{i} {line}\r\n".encode() for i in range(start, end)))
        reader.expect(privmsg_to("#lobby", f"{end - 1} {line}"), timeout=90, what=f"line {end - 1}")
    assert server.saw("SendQ exceeded"), "the sleeper was dropped"
    sender.send("PING :alive")
    sender.expect(lambda l: l is not None and b"PONG" in l, what="PONG")


def case_http_limits(server):
    port = server.http_port
    get = lambda extra=b"", target=b"/": http_get(port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
    page = get(b"Connection: close\r\n")
    assert page.startswith("HTTP/1.1 200 OK") and "text/html" in page and "Content-Security-Policy" in page, page[:300]
    assert get(b"Connection: close\r\n", b"/healthz").endswith("ok\n")
    assert " 404 " in get(b"Connection: close\r\n", b"/nothing-here").split("\r\n")[0]
    assert " 404 " in get(b"Connection: close\r\n", b"/../etc/passwd").split("\r\n")[0]
    assert " 404 " in get(b"Connection: close\r\n", b"/metrics").split("\r\n")[0], "metrics only on their listener"
    assert http_get(port, b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").startswith("HTTP/1.1 405")
    assert http_get(port, b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * MAX_HEAD).startswith("HTTP/1.1 431")
    many = b"".join(b"X%d: 1\r\n" % i for i in range(64))
    assert http_get(port, b"GET / HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n").startswith("HTTP/1.1 431")
    assert http_get(port, b"GET /" + b"a" * 2100 + b" HTTP/1.1\r\nHost: x\r\n\r\n").startswith("HTTP/1.1 414")
    assert http_get(port, b"BROKEN\r\n\r\n").startswith("HTTP/1.1 400")
    # Two requests on one kept-alive connection.
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while (chunk := s.recv(65536)):
        data += chunk
    assert data.count(b"HTTP/1.1 200 OK") == 2, data
    # Upgrades: a wrong version, another site's page, a listed one.
    old = WebSocket(port, version="8")
    assert old.status == 426 and "Sec-WebSocket-Version: 13" in old.response, old.response
    evil = WebSocket(port, origin="http://evil.example")
    assert evil.status == 403, evil.response
    own = WebSocket(port, origin=f"http://127.0.0.1:{port}")
    assert own.status == 101, own.response


def case_allowed_origin(server):
    ok = WebSocket(server.http_port, origin="https://app.example")
    assert ok.status == 101, ok.response
    no = WebSocket(server.http_port, origin="https://other.example")
    assert no.status == 403, no.response


def case_slow_upgrade(server):
    # Half a head, then nothing: 408 once the request timeout passes, and
    # meanwhile everybody else chats.
    s = socket.create_connection(("127.0.0.1", server.http_port), timeout=30)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
    started = time.monotonic()
    a = joined(server.http_port, "quick")
    b = irc_client(server.irc_port, "other", join="#lobby")
    a.send("PRIVMSG #lobby :not held up")
    b.expect(privmsg_to("#lobby", "not held up"), what="a line while the slow upgrade waits")
    data = b""
    while (chunk := s.recv(4096)):
        data += chunk
    assert data.startswith(b"HTTP/1.1 408"), data
    assert time.monotonic() - started < 10, "the test server's request timeout is 1 s"


def case_wss_and_https(server, pki):
    # The same door over TLS, with the IRC listener's certificate; a reload
    # (SIGHUP) keeps the connected user and serves the new certificate.
    ctx = ssl.create_default_context(cafile=pki["ca"])
    wss = WebSocket(server.ports["HTTPS"], tls=ctx)
    assert wss.status == 101, wss.response
    wss.register("secure")
    wss.send("JOIN #lobby")
    wss.expect(" 366 ")
    tcp = irc_client(server.irc_port, "plain", join="#lobby")
    tcp.send("WHOIS secure")
    tcp.expect(lambda l: l is not None and b" 671 " in l, what="671 (a secure connection)")
    wss.send("PRIVMSG #lobby :over wss")
    tcp.expect(privmsg_to("#lobby", "over wss"), what="the line over wss")
    page = ctx.wrap_socket(socket.create_connection(("127.0.0.1", server.ports["HTTPS"]), timeout=20),
                           server_hostname="localhost")
    page.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    data = b""
    try:
        while (chunk := page.recv(4096)):
            data += chunk
    except ssl.SSLError:
        pass
    assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"ok\n"), data
    # A reload: the connected user stays, new ones still get in.
    server.proc.send_signal(signal.SIGHUP)
    assert server.saw("reload"), "SIGHUP was not logged"
    later = WebSocket(server.ports["HTTPS"], tls=ctx)
    assert later.status == 101, later.response
    later.register("later")
    wss.send("PRIVMSG #lobby :after the reload")
    tcp.expect(privmsg_to("#lobby", "after the reload"), what="the line after the reload")


def make_pki(d):
    """A CA and a certificate for localhost signed by it (openssl command)."""
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True, timeout=30)
    ca_key, ca, key, csr, cert = (os.path.join(d, n) for n in ("ca.key", "ca.pem", "key.pem", "req.csr", "cert.pem"))
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", ca_key,
        "-out", ca, "-subj", "/CN=test CA", "-days", "1")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr,
        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost")
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost\n")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert, "-days", "1",
        "-extfile", ext)
    return {"ca": ca, "cert": cert, "key": key}


CASES = {
    "talks_with_tcp_and_seed": (case_talks_with_tcp_and_seed, ()),
    "binary_and_ping": (case_binary_and_ping, ()),
    "bad_frames": (case_bad_frames, ()),
    "never_reads": (case_never_reads, ("--max-outbox", "262144")),
    "http_limits": (case_http_limits, ()),
    "allowed_origin": (case_allowed_origin, ("--http-origin", "https://app.example")),
    "slow_upgrade": (case_slow_upgrade, ("--http-request-timeout-ms", "1000")),
}

if __name__ == "__main__":
    if sys.argv[2] == "wss_and_https":
        with tempfile.TemporaryDirectory() as d:
            pki = make_pki(d)
            server = start("--tls-cert", pki["cert"], "--tls-key", pki["key"], "--irc-tls-port", "0")
            try:
                case_wss_and_https(server, pki)
            except BaseException:
                sys.stderr.write("server log:\n" + "".join(server.log[-60:]))
                raise
            finally:
                server.kill()
        print("ok: wss_and_https")
        sys.exit(0)
    run, flags = CASES[sys.argv[2]]
    server = start(*flags)
    try:
        run(server)
        reports = [line for line in server.log if "Sanitizer" in line or "runtime error" in line]
        assert not reports, "sanitizer reports:\n" + "".join(reports[:20])
    except BaseException:
        sys.stderr.write("server log:\n" + "".join(server.log[-60:]))
        raise
    finally:
        server.kill()
    print(f"ok: {sys.argv[2]}")
