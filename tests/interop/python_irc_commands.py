"""Interop: the commands real clients and bots rely on, through a client
library nobody here wrote (Debian's python3-irc), each answer parsed by the
library into its own events: ISUPPORT, LUSERS, WHO and WHOX, WHOIS with
its operator and idle lines, MONITOR, WHOWAS after a quit, LIST with ELIST
filters, INFO, ADMIN, LINKS, STATS and HELP.

usage: /usr/bin/python3 python_irc_commands.py CHAT_SERVER
"""
import signal
import sys
import time

from python_irc_client import DEADLINE, Failure, IrcUsers, Server, ok


def run(binary):
    server = Server(binary, "--oper", "admin:s3cret", "--admin-location", "Interop lab",
                    "--admin-email", "ops@example.org")
    users = IrcUsers()
    try:
        _, irc_port = server.ports()
        one = users.connect(irc_port, "pyone")
        two = users.connect(irc_port, "pytwo")
        users.expect(one, "001", lambda e: e.type == "welcome")
        feature = users.expect(one, "005 with WHOX", lambda e: e.type == "featurelist" and "WHOX" in e.arguments)
        ok(f"ISUPPORT as the library reads it: {' '.join(a for a in feature.arguments if '=' in a)[:120]}...")
        users.expect(two, "001", lambda e: e.type == "welcome")

        one.send_raw("LUSERS")
        users.expect(one, "265 local users", lambda e: e.type == "n_local" and e.arguments[:2] == ["2", "2"])
        users.expect(one, "266 global users", lambda e: e.type == "n_global")
        ok("LUSERS ends with 265 and 266")

        one.join("#lib")
        users.expect(one, "end of NAMES", lambda e: e.type == "endofnames")
        two.join("#lib")
        users.expect(two, "end of NAMES", lambda e: e.type == "endofnames")

        two.send_raw("WHO #lib")
        reply = users.expect(two, "352 for pyone", lambda e: e.type == "whoreply" and "pyone" in e.arguments)
        if "H@" not in reply.arguments:
            raise Failure(f"WHO flags for the channel operator: {reply.arguments}")
        users.expect(two, "315", lambda e: e.type == "endofwho")
        two.send_raw("WHO #lib %tnf,7")
        whox = users.expect(two, "354 with the token", lambda e: e.type == "354" and e.arguments[:1] == ["7"])
        ok(f"WHO flags {reply.arguments}; WHOX {whox.arguments}")

        one.send_raw("MONITOR + pytwo,pyghost")
        users.expect(one, "730 pytwo online", lambda e: e.type == "730" and "pytwo!" in e.arguments[0])
        users.expect(one, "731 pyghost offline", lambda e: e.type == "731" and "pyghost" in e.arguments[0])
        ok("MONITOR: 730 for pytwo, 731 for pyghost")

        one.send_raw("OPER admin s3cret")
        users.expect(one, "381", lambda e: e.type == "youreoper")
        two.whois(["pyone"])
        users.expect(two, "311", lambda e: e.type == "whoisuser")
        chans = users.expect(two, "319", lambda e: e.type == "whoischannels")
        if "@#lib" not in chans.arguments[-1]:
            raise Failure(f"319 without the prefix: {chans.arguments}")
        users.expect(two, "313", lambda e: e.type == "whoisoperator")
        users.expect(two, "317", lambda e: e.type == "whoisidle")
        users.expect(two, "318", lambda e: e.type == "endofwhois")
        ok(f"WHOIS: 319 {chans.arguments[-1]}, 313, 317")

        two.quit("done here")
        users.expect(one, "731 pytwo offline", lambda e: e.type == "731" and "pytwo" in e.arguments[0])
        one.send_raw("WHOWAS pytwo")
        was = users.expect(one, "314", lambda e: e.type == "whowasuser")
        users.expect(one, "369", lambda e: e.type == "endofwhowas")
        ok(f"after the quit: 731 from MONITOR, WHOWAS {was.arguments}")

        one.join("#lib2")
        users.expect(one, "end of NAMES", lambda e: e.type == "endofnames")
        one.list(["#lib*,>0"])
        listed = []
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            e = users.expect(one, "322 or 323", lambda e: e.type in ("list", "listend"))
            if e.type == "listend":
                break
            listed.append(e.arguments[0])
        if sorted(listed) != ["#lib", "#lib2"]:
            raise Failure(f"LIST #lib*,>0 gave {listed}")
        ok(f"LIST with a mask and a user count: {listed}")

        one.send_raw("INFO")
        users.expect(one, "374", lambda e: e.type == "endofinfo")
        one.send_raw("ADMIN")
        users.expect(one, "257", lambda e: e.type == "adminloc1" and "Interop lab" in e.arguments)
        users.expect(one, "259", lambda e: e.type == "adminemail" and "ops@example.org" in e.arguments)
        one.send_raw("LINKS")
        users.expect(one, "365", lambda e: e.type == "endoflinks")
        one.send_raw("STATS m")
        users.expect(one, "212 WHOWAS", lambda e: e.type == "statscommands" and e.arguments[:1] == ["WHOWAS"])
        users.expect(one, "219", lambda e: e.type == "endofstats")
        one.send_raw("HELP WHOWAS")
        users.expect(one, "705", lambda e: e.type == "705" and "WHOWAS <nick>" in e.arguments[-1])
        users.expect(one, "706", lambda e: e.type == "706")
        ok("INFO, ADMIN (configured), LINKS, STATS m, HELP")

        if server.proc.poll() is not None:
            raise Failure("the server died:\n" + server.log_text())
        server.proc.send_signal(signal.SIGTERM)
        if server.proc.wait(timeout=DEADLINE) != 0:
            raise Failure("exit status after SIGTERM is not 0:\n" + server.log_text())
        ok("SIGTERM: exit 0")
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        print("---- server log\n" + server.log_text(), file=sys.stderr)
        return 1
    finally:
        users.close_all()
        if server.proc.poll() is None:
            server.proc.kill()
    return 0


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    return run(sys.argv[1])


if __name__ == "__main__":
    sys.exit(main())
