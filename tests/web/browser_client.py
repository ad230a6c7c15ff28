"""The browser chat client (web/) in headless Chromium against a real chat-server.

Usage: /usr/bin/python3 tests/web/browser_client.py SERVER_BINARY WEB_DIR CASE
CASE is one of the functions named test_* below without the prefix, or `all`.

The server runs on 127.0.0.1 with the kernel's choice of ports and serves
WEB_DIR from disk (--web-root); the page talks IRC over its WebSocket, and a
plain-socket IRC client (standard library) talks to the page over the IRC port.
Exit 0: passed; 1: failed, with the reason, what the page showed, the
browser's console and the server's log; 77: skipped (no Chromium,
chromedriver or selenium: Debian's chromium chromium-driver python3-selenium).
"""
import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DEADLINE = 20.0  # seconds for each wait; generous for a loaded machine
RECONNECT_DEADLINE = 45.0  # the page's backoff is 1 s, 2 s, 4 s ...; a restart takes about a second

PAGE_NICK = "webber"
IRC_NICK = "ircbob"


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
except ImportError as e:
    selenium_missing = str(e)
else:
    selenium_missing = None


# ---------------------------------------------------------------- the server

class WebServer:
    """chat-server with its HTTP (and WebSocket) listener serving WEB_DIR.

    Port 0 lets the kernel choose; given ports are bound again (a restart).
    Its stderr is read on a thread and kept in `log`."""

    def __init__(self, binary, web_dir, http_port=0, irc_port=0):
        # Its own store in a fresh directory: history from other runs must
        # not show up in the page.
        self.data_dir = tempfile.mkdtemp(prefix="chat-browser-data-")
        atexit.register(shutil.rmtree, self.data_dir, True)
        end = time.monotonic() + DEADLINE
        while True:
            self._start(binary, web_dir, http_port, irc_port)
            if self._ready.wait(max(0.1, end - time.monotonic())) and len(self.ports) == 2:
                break
            code = self.proc.poll()
            self.kill()
            # The old server's ports can take a moment to be free again.
            if code == 1 and http_port and any("already in use" in l for l in self.log) and time.monotonic() < end:
                time.sleep(0.2)
                continue
            raise AssertionError(f"the server did not say where it listens (exit code {code}); its log:\n"
                                 + "".join(self.log))
        self.http_port = self.ports["HTTP"]
        self.irc_port = self.ports["IRC"]

    def _start(self, binary, web_dir, http_port, irc_port):
        self.proc = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--http-port", str(http_port), "--irc-port", str(irc_port),
             "--port", "0", "--web-root", web_dir, "--flood-rate", "0", "--threads", "2",
             "--metrics-port", "0", "--https-port", "0", "--data-dir", self.data_dir],  # their defaults are fixed ports parallel tests would share
            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
        self.log = []
        self.ports = {}
        self._ready = threading.Event()
        threading.Thread(target=self._read, args=(self.proc, self.log, self.ports, self._ready), daemon=True).start()

    @staticmethod
    def _read(proc, log, ports, ready):
        for line in proc.stderr:
            log.append(line)
            m = re.search(r"\b(HTTP|IRC) listener on 127\.0\.0\.1:(\d+)", line)
            if m:
                ports[m.group(1)] = int(m.group(2))
                if "HTTP" in ports and "IRC" in ports:
                    ready.set()
        ready.set()  # the server exited: stop waiting

    def stop(self):
        """SIGTERM, as systemd stops it; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {DEADLINE} s after SIGTERM; its log:\n" + "".join(self.log))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# ------------------------------------------------------ a plain IRC client

class Irc:
    """An IRC client over a socket: registers, answers PING, waits for lines."""

    def __init__(self, port, nick):
        self.nick = nick
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        self.buf = b""
        self.seen = []
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick}")
        self.expect(rf"^:\S+ 001 {re.escape(nick)} ")

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def line(self, end):
        while b"\r\n" not in self.buf:
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                return None
            if not chunk:
                raise AssertionError(f"{self.nick}: the server closed the connection; last lines: {self.seen[-10:]}")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\r\n", 1)
        line = raw.decode(errors="replace")
        self.seen.append(line)
        if line.startswith("PING"):
            self.send("PONG" + line[4:])
        return line

    def expect(self, pattern, timeout=DEADLINE):
        """The first line from now on matching the regex `pattern`."""
        end = time.monotonic() + timeout
        first = len(self.seen)
        while time.monotonic() < end:
            line = self.line(end)
            if line is not None and re.search(pattern, line):
                return line
        raise AssertionError(f"{self.nick} got no line matching {pattern!r} in {timeout} s; it got:\n  "
                             + "\n  ".join(self.seen[first:][-30:]))

    def join(self, room):
        """JOINs and returns the nicks of its NAMES reply."""
        self.send(f"JOIN {room}")
        names = []
        end = time.monotonic() + DEADLINE
        while True:
            line = self.expect(rf" (353|366) {re.escape(self.nick)} ", end - time.monotonic())
            if " 366 " in line:
                return names
            names += line.split(" :", 1)[1].split()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ----------------------------------------------------------------- the page

# Reads what the page shows in one script, so that a re-render cannot race a check.
READ_PAGE = """
const text = (el) => (el ? el.textContent : null);
return {
  status: text(document.getElementById('status')),
  title: text(document.getElementById('conv-title')),
  topic: text(document.getElementById('topic')),
  reconnectShown: !document.getElementById('reconnect').hidden,
  lines: [...document.querySelectorAll('#messages > li')].map((li) => ({
    nick: text(li.querySelector('.nick')), text: text(li.querySelector('.text')),
    all: li.innerText, cls: li.className })),
  members: [...document.querySelectorAll('#members .member')].map((b) => b.textContent),
  convs: [...document.querySelectorAll('#conversations .conv')].map((b) => ({
    name: text(b.querySelector('.conv-name')), unread: text(b.querySelector('.badge')),
    current: b.getAttribute('aria-current') === 'page' })),
};
"""


class Page:
    def __init__(self, driver, http_port):
        self.driver = driver
        self.url = f"http://127.0.0.1:{http_port}/"

    def read(self):
        return self.driver.execute_script(READ_PAGE)

    def wait(self, what, check, timeout=DEADLINE):
        """Polls check(page state) until it is true; returns that state."""
        end = time.monotonic() + timeout
        state = None
        while time.monotonic() < end:
            try:
                state = self.read()
                if check(state):
                    return state
            except StaleElementReferenceException:
                pass
            time.sleep(0.05)
        raise AssertionError(f"the page did not show {what} in {timeout} s; it shows:\n" + describe(state))

    def join(self, nick=PAGE_NICK, rooms="#lobby"):
        """Loads the page, fills the join form, and waits until it is in the first room."""
        self.driver.get(self.url)
        field = self.driver.find_element(By.ID, "nick")
        field.clear()
        field.send_keys(nick)
        room_field = self.driver.find_element(By.ID, "rooms")
        room_field.clear()
        room_field.send_keys(rooms)
        self.driver.find_element(By.ID, "connect").click()
        first = rooms.split(",")[0].strip()
        return self.wait(f"{first} joined, with itself in the member list",
                         lambda s: s["title"] == first and any(m.lstrip("@+") == nick for m in s["members"]))

    def type(self, text):
        box = self.driver.find_element(By.ID, "input")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def open_conversation(self, name):
        for button in self.driver.find_elements(By.CSS_SELECTOR, "#conversations .conv"):
            if button.find_element(By.CSS_SELECTOR, ".conv-name").text == name:
                button.click()
                return self.wait(f"the conversation {name} opened", lambda s: s["title"] == name)
        raise AssertionError(f"no conversation {name} in the sidebar:\n" + describe(self.read()))

    def wait_line(self, nick, text, timeout=DEADLINE):
        return self.wait(f"the line <{nick}> {text!r}",
                         lambda s: any(l["nick"] == nick and l["text"] == text for l in s["lines"]), timeout)


def describe(state):
    if not state:
        return "  (nothing could be read)"
    out = [f"  status: {state['status']!r}, conversation: {state['title']!r}, topic: {state['topic']!r}",
           f"  conversations: {state['convs']}",
           f"  members: {state['members']}",
           "  last lines:"]
    out += [f"    {l['all']!r}" for l in state["lines"][-15:]]
    return "\n".join(out)


def start_browser():
    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1200,800"):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(DEADLINE)
    driver.set_script_timeout(DEADLINE)
    return driver


def script_errors(driver):
    """Uncaught errors in the page's console (connection failures while the server restarts are expected)."""
    try:
        entries = driver.get_log("browser")
    except WebDriverException:
        return []
    return [e["message"] for e in entries if e["level"] == "SEVERE" and "WebSocket connection" not in e["message"]]


# ----------------------------------------------------------------- the cases

def test_loads_and_talks(ctx):
    """The page joins #lobby; its lines reach an IRC client exactly; the client's lines appear, once."""
    page = ctx.page
    page.join()
    bob = ctx.irc(IRC_NICK)
    assert any(n.lstrip("@+") == PAGE_NICK for n in bob.join("#lobby")), "the page is not in #lobby's NAMES"
    page.wait(f"{IRC_NICK} in the member list", lambda s: any(m.lstrip("@+") == IRC_NICK for m in s["members"]))

    caps = page.driver.execute_script("return window.chatIrc.caps()")
    for cap in ("away-notify", "batch", "echo-message", "message-tags", "multi-prefix", "server-time"):
        assert cap in caps, f"the page did not negotiate {cap}: {caps}"

    page.type("hello from the page")
    bob.expect(rf"^:{PAGE_NICK}!\S+ PRIVMSG #lobby :hello from the page$")
    page.type("/me waves")
    bob.expect(rf"^:{PAGE_NICK}!\S+ PRIVMSG #lobby :\x01ACTION waves\x01$")

    bob.send("PRIVMSG #lobby :hello from irc")
    state = page.wait_line(IRC_NICK, "hello from irc")
    # echo-message: our own lines were shown once, by the server's echo (they came before bob's line).
    mine = [l for l in state["lines"] if l["text"] == "hello from the page"]
    assert len(mine) == 1 and mine[0]["nick"] == PAGE_NICK, f"our own line shown {len(mine)} times: {mine}"
    actions = [l for l in state["lines"] if "kind-action" in l["cls"]]
    assert actions and actions[-1]["all"].endswith(f"* {PAGE_NICK} waves"), f"no '* {PAGE_NICK} waves': {actions}"
    assert re.match(r"^\d\d:\d\d", mine[0]["all"]), f"no time on the line: {mine[0]['all']!r}"

    bob.send("NOTICE #lobby :a notice")
    page.wait("the notice", lambda s: any("kind-notice" in l["cls"] and l["text"] == "a notice" for l in s["lines"]))
    page.type("/join")  # a command without its argument: a usage line, nothing sent
    page.wait("the usage of /join", lambda s: any(l["text"].startswith("Usage: /join") for l in s["lines"]))
    page.type("/quote PRIVMSG #nowhere :x")  # an error numeric, as text
    page.wait("the error for #nowhere", lambda s: any("kind-error" in l["cls"] and "#nowhere" in l["text"]
                                                      for l in s["lines"]))


def test_private_messages(ctx):
    """A private message opens its conversation (with an unread count); replies and /msg go privately."""
    page = ctx.page
    page.join()
    bob = ctx.irc(IRC_NICK)
    bob.send(f"PRIVMSG {PAGE_NICK} :psst from irc")
    page.wait(f"a conversation {IRC_NICK} with 1 unread",
              lambda s: any(c["name"] == IRC_NICK and c["unread"] == "1" and not c["current"] for c in s["convs"]))
    page.open_conversation(IRC_NICK)
    page.wait_line(IRC_NICK, "psst from irc")

    page.type("psst back")
    bob.expect(rf"^:{PAGE_NICK}!\S+ PRIVMSG {IRC_NICK} :psst back$")
    page.wait_line(PAGE_NICK, "psst back")

    # /msg from a room opens the conversation too; clicking a member opens one.
    page.open_conversation("#lobby")
    page.type(f"/msg {IRC_NICK} via the command")
    bob.expect(rf"^:{PAGE_NICK}!\S+ PRIVMSG {IRC_NICK} :via the command$")
    page.wait(f"the conversation {IRC_NICK} current", lambda s: s["title"] == IRC_NICK)
    page.open_conversation("#lobby")
    bob.join("#lobby")
    page.wait(f"{IRC_NICK} in the member list", lambda s: any(m.lstrip("@+") == IRC_NICK for m in s["members"]))
    [member] = [b for b in page.driver.find_elements(By.CSS_SELECTOR, "#members .member")
                if b.get_attribute("data-nick") == IRC_NICK]
    member.click()
    page.wait(f"the conversation {IRC_NICK} opened by a click", lambda s: s["title"] == IRC_NICK)
    state = page.wait_line(PAGE_NICK, "via the command")
    lines = [l["text"] for l in state["lines"] if l["nick"] == PAGE_NICK]
    assert lines.count("psst back") == 1, f"our private line shown {lines.count('psst back')} times"


def test_script_is_text(ctx):
    """Markup from peers (messages, topics) is shown as text, never run or rendered; links are http(s) only."""
    page = ctx.page
    driver = page.driver
    page.join()
    bob = ctx.irc(IRC_NICK)
    bob.join("#lobby")
    payload = "<script>window.__pwned=1</script><b>bold</b>"
    bob.send(f"PRIVMSG #lobby :{payload}")
    page.wait_line(IRC_NICK, payload)
    assert driver.execute_script("return typeof window.__pwned") == "undefined", "the script ran"
    assert not driver.find_elements(By.CSS_SELECTOR, "#messages b, #messages script"), "markup was rendered"

    # A topic set by the room's operator (bob created #xss) and a nick-looking name in it.
    topic = '<img src=x onerror="window.__pwned=2">'
    bob.join("#xss")
    bob.send(f"TOPIC #xss :{topic}")
    bob.expect(r" TOPIC #xss :")
    page.type("/join #xss")
    page.wait("the topic of #xss as text", lambda s: s["title"] == "#xss" and s["topic"] == topic)
    assert not driver.find_elements(By.TAG_NAME, "img"), "an <img> was created"

    # Links: http(s) become <a> (rel noopener), anything else stays text.
    bob.send("PRIVMSG #xss :see https://example.org/a?b=1&c=<2>, or javascript:alert(1) or "
             "<a href=\"javascript:alert(2)\">x</a>")
    page.wait(f"{IRC_NICK}'s links line", lambda s: any(l["text"].startswith("see https://") for l in s["lines"]))
    anchors = driver.execute_script(
        "return [...document.querySelectorAll('#messages a')].map(a => [a.getAttribute('href'), a.rel, a.textContent])")
    assert anchors == [["https://example.org/a?b=1&c=", "noopener noreferrer", "https://example.org/a?b=1&c="]], \
        f"links: {anchors}"
    assert driver.execute_script("return typeof window.__pwned") == "undefined", "a script ran"


def test_member_list(ctx):
    """The member list follows NAMES, JOIN, MODE, NICK, QUIT and PART."""
    page = ctx.page
    page.join()
    page.wait("our own nick with @ (the first in #lobby is its operator)", lambda s: f"@{PAGE_NICK}" in s["members"])
    bob = ctx.irc(IRC_NICK)
    bob.join("#lobby")
    page.wait(f"{IRC_NICK} in the member list", lambda s: IRC_NICK in s["members"])
    carol = ctx.irc("carol")
    carol.join("#lobby")
    page.wait("carol in the member list", lambda s: "carol" in s["members"])
    page.type("/quote MODE #lobby +v carol")
    page.wait("+carol", lambda s: "+carol" in s["members"] and "carol" not in s["members"])
    carol.send("NICK carol2")
    page.wait("carol renamed carol2", lambda s: "+carol2" in s["members"] and "+carol" not in s["members"])
    carol.send("QUIT :gone fishing")
    page.wait("carol2 gone after QUIT", lambda s: not any("carol" in m for m in s["members"]))
    bob.send("PART #lobby :bye")
    state = page.wait(f"{IRC_NICK} gone after PART", lambda s: IRC_NICK not in [m.lstrip("@+") for m in s["members"]])
    assert state["members"] == [f"@{PAGE_NICK}"], f"members left: {state['members']}"
    page.wait("the part line", lambda s: any(IRC_NICK in l["text"] and "left" in l["text"] for l in s["lines"]))


def test_nick_in_use(ctx):
    """A taken nick: the page tells the user and joins as nick_."""
    page = ctx.page
    ctx.irc(PAGE_NICK)  # holds the nick
    bob = ctx.irc(IRC_NICK)
    bob.join("#lobby")
    page.driver.get(page.url)
    page.driver.find_element(By.ID, "nick").send_keys(PAGE_NICK)
    page.driver.find_element(By.ID, "connect").click()
    page.wait(f"{PAGE_NICK}_ in #lobby", lambda s: s["title"] == "#lobby" and f"{PAGE_NICK}_" in
              [m.lstrip("@+") for m in s["members"]])
    bob.expect(rf"^:{PAGE_NICK}_!\S+ JOIN #lobby")
    state = page.read()
    page.open_conversation(state["convs"][0]["name"])  # the server's conversation says why
    page.wait("why the nick changed", lambda s: any(f"Trying {PAGE_NICK}_" in l["text"] for l in s["lines"]))


def test_reconnects_after_restart(ctx):
    """The server restarts on the same ports: the page reconnects by itself, rejoins #lobby and talks."""
    page = ctx.page
    page.join()
    ctx.server.stop()
    page.wait("that it is reconnecting", lambda s: s["reconnectShown"] and "Reconnecting" in (s["status"] or ""))
    ctx.server = WebServer(ctx.binary, ctx.web_dir, ctx.server.http_port, ctx.server.irc_port)
    page.wait("it reconnected and rejoined #lobby",
              lambda s: (s["status"] or "").startswith("Connected") and PAGE_NICK in [m.lstrip("@+") for m in s["members"]],
              RECONNECT_DEADLINE)
    bob = ctx.irc(IRC_NICK)
    assert any(n.lstrip("@+") == PAGE_NICK for n in bob.join("#lobby")), "the page is not back in #lobby"
    page.wait(f"{IRC_NICK} in the member list", lambda s: IRC_NICK in [m.lstrip("@+") for m in s["members"]])
    page.type("back again")
    bob.expect(rf"^:{PAGE_NICK}!\S+ PRIVMSG #lobby :back again$")


def test_reconnect_now_button(ctx):
    """While the server is away the page backs off (1 s, 2 s, 4 s ...) and says so; "Reconnect now" skips the wait."""
    page = ctx.page
    page.join()
    ctx.server.stop()
    # After tries at 1 s, 2 s and 4 s, the next waits 8 s: far longer than the 3.5 s allowed below.
    page.wait("a wait of 6 s or more before the next try",
              lambda s: re.search(r"Reconnecting in ([6-9]|[1-3]\d) s", s["status"] or "") and s["reconnectShown"])
    page.type("nobody hears this")
    page.wait("that the line was not sent", lambda s: any("not sent" in l["text"] for l in s["lines"]))
    ctx.server = WebServer(ctx.binary, ctx.web_dir, ctx.server.http_port, ctx.server.irc_port)
    started = time.monotonic()
    page.driver.find_element(By.ID, "reconnect").click()
    page.wait("it reconnected at once",
              lambda s: (s["status"] or "").startswith("Connected") and PAGE_NICK in [m.lstrip("@+") for m in s["members"]],
              3.5)
    assert time.monotonic() - started < 3.5
    assert not page.read()["reconnectShown"], "the Reconnect now button is still shown once connected"


# ------------------------------------------------------------------ running

class Context:
    """What one case uses: the server, the browser's page, IRC clients; all closed in close()."""

    def __init__(self, binary, web_dir):
        self.binary, self.web_dir = binary, web_dir
        self.clients = []
        self.driver = None
        self.server = WebServer(binary, web_dir)
        try:
            self.driver = start_browser()
        except BaseException:
            self.server.kill()
            raise
        self.page = Page(self.driver, self.server.http_port)

    def irc(self, nick):
        client = Irc(self.server.irc_port, nick)
        self.clients.append(client)
        return client

    def report(self):
        try:
            print("The page shows:\n" + describe(self.page.read()))
        except Exception as e:  # the browser itself may be what failed
            print(f"(could not read the page: {e})")
        if self.driver:
            print("Browser console:", *(script_errors(self.driver) or ["(no errors)"]), sep="\n  ")
        print("Server log (last 40 lines):\n" + "".join(self.server.log[-40:]))

    def close(self):
        for c in self.clients:
            c.close()
        if self.driver:
            self.driver.quit()
        self.server.kill()


CASES = {name[5:]: f for name, f in globals().items() if name.startswith("test_")}


def run(case, binary, web_dir):
    ctx = None
    started = time.monotonic()
    try:
        ctx = Context(binary, web_dir)
        CASES[case](ctx)
        errors = script_errors(ctx.driver)
        assert not errors, "errors in the browser's console:\n  " + "\n  ".join(errors)
        print(f"PASS {case} ({time.monotonic() - started:.1f} s)")
        return True
    except (AssertionError, OSError, WebDriverException) as e:
        kind = "" if isinstance(e, AssertionError) else f"{type(e).__name__}: "
        print(f"FAIL {case}: {kind}{e}")
        if ctx:
            ctx.report()
        return False
    finally:
        if ctx:
            ctx.close()


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    binary, web_dir, case = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    if case != "all" and case not in CASES:
        sys.exit(f"unknown case {case!r}; one of: {', '.join(CASES)}, all")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            skip(f"{path} is missing (apt-get install chromium chromium-driver)")
    if selenium_missing:
        skip(f"selenium is missing for {sys.executable} ({selenium_missing}; apt-get install python3-selenium)")
    if not os.path.isfile(os.path.join(web_dir, "index.html")):
        sys.exit(f"{web_dir} has no index.html")
    results = [run(c, binary, web_dir) for c in (CASES if case == "all" else [case])]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
