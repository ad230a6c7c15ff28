"""A WebSocket client (RFC 6455) over a plain socket, for the web door's
tests: only the standard library, so that frames the rules forbid can be
sent on purpose. Loopback only."""
import base64
import hashlib
import os
import socket
import struct

DEADLINE = 20.0

TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


def frame(opcode, payload, mask=True, fin=True, rsv=0):
    """One frame as a client sends it (masked unless told otherwise)."""
    if isinstance(payload, str):
        payload = payload.encode()
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class WebSocket:
    """An upgraded connection to the web listener on 127.0.0.1:`port`."""

    def __init__(self, port, subprotocol="text.ircv3.net", origin=None, headers=(), version="13",
                 rcvbuf=None, tls=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:  # before connecting, so that the window stays small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(DEADLINE)
        self.sock.connect(("127.0.0.1", port))
        if tls is not None:  # an ssl.SSLContext: wss://
            self.sock = tls.wrap_socket(self.sock, server_hostname="localhost")
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET / HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key}", f"Sec-WebSocket-Version: {version}"]
        if subprotocol:
            lines.append(f"Sec-WebSocket-Protocol: {subprotocol}")
        if origin:
            lines.append(f"Origin: {origin}")
        lines += list(headers)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError(f"closed during the handshake: {self.buf!r}")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.response = head.decode()
        self.status = int(self.response.split(" ", 2)[1])
        if self.status == 101:
            want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode())
                                    .digest()).decode()
            assert f"Sec-WebSocket-Accept: {want}" in self.response, self.response

    def send_frame(self, *args, **kw):
        self.sock.sendall(frame(*args, **kw))

    def send(self, line):
        self.send_frame(TEXT, line)

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk

    def recv_frame(self):
        """(opcode, payload) of the next frame from the server, which must
        be final and unmasked."""
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        assert b0 & 0x80 and not b0 & 0x70 and not b1 & 0x80, self.buf[:2]
        n, at = b1 & 0x7F, 2
        if n == 126:
            self._need(4)
            n, at = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, at = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(at + n)
        payload, self.buf = self.buf[at:at + n], self.buf[at + n:]
        return b0 & 0x0F, payload

    def line(self):
        """The next IRC line; pings from the server are answered."""
        while True:
            op, payload = self.recv_frame()
            if op in (TEXT, BINARY):
                assert b"\r" not in payload and b"\n" not in payload, payload
                text = payload.decode("utf-8", "replace")
                if text.startswith("PING "):
                    self.send("PONG " + text[5:])
                    continue
                return text
            if op == CLOSE:
                raise EOFError(f"closed: {close_of(payload)}")

    def expect(self, text, limit=300):
        seen = []
        while len(seen) < limit:
            line = self.line()
            seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} in {seen}")

    def register(self, nick):
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick}")
        self.expect(" 001 ")

    def close_frame(self):
        """The (code, reason) of the close frame that ends what the server
        sends, skipping messages before it."""
        while True:
            op, payload = self.recv_frame()
            if op == CLOSE:
                return close_of(payload)

    def closed(self):
        """True once the server has closed the TCP connection."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except (ConnectionResetError, socket.timeout):
            return False


def close_of(payload):
    if len(payload) < 2:
        return (None, "")
    return (struct.unpack("!H", payload[:2])[0], payload[2:].decode())


def http_get(port, request):
    """The raw response to raw `request` bytes, read until the server closes
    or a whole response with its body has come."""
    s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    s.sendall(request)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
        if b"\r\n\r\n" in data:
            head, body = data.split(b"\r\n\r\n", 1)
            length = [int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")]
            if length and len(body) >= length[0] and b"keep-alive" in head:
                break
    s.close()
    return data.decode("utf-8", "replace")
