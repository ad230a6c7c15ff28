"""GET /metrics read by a real Prometheus parser (Debian's
python3-prometheus-client), and its counters moving as IRC over WebSocket,
TCP IRC and seed clients chat. Needs /usr/bin/python3 (Debian's modules).

Usage: metrics_check.py SERVER"""
import os
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
sys.path.insert(0, os.path.join(HERE, "..", "abuse"))

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("skipped: python3-prometheus-client is not installed")
    sys.exit(77)

from abuse_common import irc_client, seed_client  # noqa: E402
from server_process import ServerProcess  # noqa: E402
from ws_client import WebSocket  # noqa: E402


def scrape(port):
    """{(name, labels...): value} of every sample, through the real parser
    (which raises on anything malformed)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=20) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers["Content-Type"]
        text = r.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def wait_for(check, what, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"no {what} within {timeout} s")


def main():
    server = ServerProcess(sys.argv[1], "--flood-rate", "0")
    try:
        port = server.metrics_port
        before = scrape(port)
        assert value(before, "chat_connections", door="irc", transport="ws") == 0
        ws = WebSocket(server.http_port)
        ws.register("webm")
        ws.send("JOIN #lobby")
        ws.expect(" 366 ")
        tcp = irc_client(server.irc_port, "tcpm", join="#lobby")
        seed = seed_client(server.seed_port, "seedm")
        for i in range(5):
            ws.send(f"PRIVMSG #lobby :m{i}")
        tcp.expect(lambda l: l is not None and l.endswith(b"PRIVMSG #lobby :m4"), what="the last message")
        seed.expect(lambda f: f is not None and f.endswith(b"m4"), what="the last message")
        during = scrape(port)
        assert value(during, "chat_connections", door="irc", transport="ws") == 1
        assert value(during, "chat_connections", door="irc", transport="tcp") == 1
        assert value(during, "chat_connections", door="seed", transport="tcp") == 1
        assert value(during, "chat_http_requests_total", code="101") == value(before, "chat_http_requests_total",
                                                                                code="101") + 1
        got = value(during, "chat_messages_received_total", door="irc") - value(
            before, "chat_messages_received_total", door="irc")
        assert got == 5, got
        # Five messages, each to two others (the TCP and the seed user).
        delivered = value(during, "chat_deliveries_total") - value(before, "chat_deliveries_total")
        assert delivered == 10, delivered
        count = value(during, "chat_fanout_duration_seconds_count") - value(before,
                                                                            "chat_fanout_duration_seconds_count")
        assert count >= 5, count
        assert value(during, "chat_registrations_total", door="irc") >= 2
        tcp.send("QUIT :bye")
        wait_for(lambda: value(scrape(port), "chat_disconnects_total", reason="quit") >=
                 value(before, "chat_disconnects_total", reason="quit") + 1, "QUIT counted")
        after = scrape(port)
        assert value(after, "chat_connections", door="irc", transport="tcp") == 0
        print("ok: metrics parse and move: 5 messages in, 10 deliveries, connections by door and transport")
    except BaseException:
        sys.stderr.write("".join(server.log[-40:]))
        raise
    finally:
        server.kill()


if __name__ == "__main__":
    main()
