// WebSocket framing (RFC 6455) and the HTTP heads of the web door, with the
// RFC's own examples.
#include <array>
#include <string>

#include <catch2/catch.hpp>

#include "protocol/http.hpp"
#include "protocol/websocket.hpp"

namespace ws = protocol::ws;
namespace http = protocol::http;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (const int c : b) s.push_back(static_cast<char>(c));
  return s;
}

// The one event `input` decodes to (the decoder must want nothing more).
ws::frame_event only_event(ws::decoder& d, const std::string& input, std::string& keep) {
  d.feed(input);
  auto ev = d.next();
  REQUIRE(ev.has_value());
  REQUIRE(ev->has_value());
  keep.assign((*ev)->payload);
  return **ev;
}

ws::failure failure_of(const std::string& input, std::size_t max = ws::kMaxMessage) {
  ws::decoder d(true, max);
  d.feed(input);
  for (int i = 0; i < 10; ++i) {
    auto ev = d.next();
    if (!ev) return ev.error();
    if (!*ev) break;
  }
  FAIL("no failure");
  return {};
}

const std::array<unsigned char, 4> kKey = {0x37, 0xfa, 0x21, 0x3d};

std::string masked(ws::opcode op, std::string_view payload, bool fin = true) {
  std::string out;
  ws::encode_frame(out, op, payload, kKey);
  if (!fin) out[0] = static_cast<char>(out[0] & 0x7F);
  return out;
}

}  // namespace

TEST_CASE("RFC 6455 examples decode", "[websocket]") {
  std::string payload;
  SECTION("a masked text message") {
    ws::decoder d;
    auto ev =
        only_event(d, bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}), payload);
    CHECK(ev.op == ws::opcode::text);
    CHECK(payload == "Hello");
  }
  SECTION("an unmasked text message, when masks are not required") {
    ws::decoder d(false);
    only_event(d, bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}), payload);
    CHECK(payload == "Hello");
  }
  SECTION("a fragmented unmasked text message") {
    ws::decoder d(false);
    d.feed(bytes({0x01, 0x03, 0x48, 0x65, 0x6c}));
    auto first = d.next();
    REQUIRE(first.has_value());
    CHECK_FALSE(first->has_value());  // the first fragment alone is no message
    only_event(d, bytes({0x80, 0x02, 0x6c, 0x6f}), payload);
    CHECK(payload == "Hello");
  }
  SECTION("a ping and a masked pong") {
    ws::decoder d(false);
    auto ping = only_event(d, bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}), payload);
    CHECK(ping.op == ws::opcode::ping);
    CHECK(payload == "Hello");
    auto pong =
        only_event(d, bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}), payload);
    CHECK(pong.op == ws::opcode::pong);
    CHECK(payload == "Hello");
  }
}

TEST_CASE("RFC 6455 examples encode", "[websocket]") {
  std::string out;
  ws::encode_frame(out, ws::opcode::text, "Hello");
  CHECK(out == bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  out.clear();
  ws::encode_frame(out, ws::opcode::text, "Hello", kKey);
  CHECK(out == bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  out.clear();
  ws::encode_frame(out, ws::opcode::binary, std::string(256, 'x'));
  CHECK(out.substr(0, 4) == bytes({0x82, 0x7E, 0x01, 0x00}));
  CHECK(out.size() == 4 + 256);
  out.clear();
  ws::encode_frame(out, ws::opcode::binary, std::string(65536, 'x'));
  CHECK(out.substr(0, 10) == bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}));
}

TEST_CASE("a message byte by byte decodes whole", "[websocket]") {
  const std::string frame = masked(ws::opcode::text, "PRIVMSG #lobby :hi");
  ws::decoder d;
  for (std::size_t i = 0; i + 1 < frame.size(); ++i) {
    d.feed(frame.substr(i, 1));
    auto ev = d.next();
    REQUIRE(ev.has_value());
    REQUIRE_FALSE(ev->has_value());
  }
  d.feed(frame.substr(frame.size() - 1));
  auto ev = d.next();
  REQUIRE(ev.has_value());
  REQUIRE(ev->has_value());
  CHECK((*ev)->payload == "PRIVMSG #lobby :hi");
}

TEST_CASE("messages at the size limit pass and one byte more fails", "[websocket]") {
  ws::decoder d;
  d.feed(masked(ws::opcode::text, std::string(ws::kMaxMessage, 'a')));
  auto ev = d.next();
  REQUIRE(ev.has_value());
  REQUIRE(ev->has_value());
  CHECK((*ev)->payload.size() == ws::kMaxMessage);
  CHECK(failure_of(masked(ws::opcode::text, std::string(ws::kMaxMessage + 1, 'a'))).code ==
        ws::close_code::too_big);
  // Fragments that add up to one byte more.
  const std::string half(ws::kMaxMessage / 2, 'a');
  CHECK(
      failure_of(masked(ws::opcode::text, half, false) + masked(ws::opcode::continuation, half + "a")).code ==
      ws::close_code::too_big);
  // A header announcing a huge frame is refused before any payload comes.
  CHECK(failure_of(bytes({0x81, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0})).code == ws::close_code::too_big);
}

TEST_CASE("frames that break RFC 6455 fail with the code that says why", "[websocket]") {
  CHECK(failure_of(bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f})).reason ==
        "client frames must be masked");
  auto rsv = masked(ws::opcode::text, "x");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  CHECK(failure_of(rsv).reason == "reserved bits set");
  auto unknown = masked(ws::opcode::text, "x");
  unknown[0] = static_cast<char>(0x83);
  CHECK(failure_of(unknown).reason == "unknown opcode");
  CHECK(failure_of(masked(ws::opcode::ping, "x", false)).reason == "fragmented control frame");
  CHECK(failure_of(masked(ws::opcode::ping, std::string(126, 'x'))).reason == "control frame too long");
  CHECK(failure_of(masked(ws::opcode::continuation, "x")).reason == "continuation without a message");
  CHECK(failure_of(masked(ws::opcode::text, "a", false) + masked(ws::opcode::text, "b")).reason ==
        "new message inside a fragmented one");
  CHECK(failure_of(masked(ws::opcode::close, "x")).reason == "close frame of one byte");
  CHECK(failure_of(masked(ws::opcode::close, bytes({0x03, 0xEC}))).reason == "invalid close code");  // 1004
  auto bad_utf8 = failure_of(masked(ws::opcode::text, "caf\xC3"));
  CHECK(bad_utf8.code == ws::close_code::invalid_data);
  // Split inside a character across fragments is still fine when whole.
  ws::decoder d;
  d.feed(masked(ws::opcode::text, "caf\xC3", false) + masked(ws::opcode::continuation, "\xA9"));
  auto ev = d.next();
  REQUIRE(ev.has_value());
  REQUIRE(ev->has_value());
  CHECK((*ev)->payload == "caf\xC3\xA9");
  // A control frame between fragments is fine.
  ws::decoder e;
  e.feed(masked(ws::opcode::text, "a", false) + masked(ws::opcode::ping, "p") +
         masked(ws::opcode::continuation, "b"));
  auto ping = e.next();
  REQUIRE(ping.has_value());
  REQUIRE(ping->has_value());
  CHECK((*ping)->op == ws::opcode::ping);
  auto whole = e.next();
  REQUIRE(whole.has_value());
  REQUIRE(whole->has_value());
  CHECK((*whole)->payload == "ab");
}

TEST_CASE("a close frame gives its code and reason", "[websocket]") {
  ws::decoder d;
  std::string reason;
  auto ev =
      only_event(d, masked(ws::opcode::close, ws::close_payload(ws::close_code::normal, "bye")), reason);
  CHECK(ev.op == ws::opcode::close);
  CHECK(ev.close_code == 1000);
  CHECK(reason == "bye");
  CHECK(ws::close_payload(ws::close_code::policy, std::string(300, 'x')).size() == ws::kMaxControlPayload);
}

TEST_CASE("the handshake key of RFC 6455 section 1.3", "[websocket][http]") {
  CHECK(http::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

namespace {

http::request head_of(const std::string& text) {
  auto r = http::parse_request(text);
  REQUIRE(r.has_value());
  REQUIRE(r->has_value());
  return (*r)->req;
}

int status_of(const std::string& text) {
  auto r = http::parse_request(text);
  REQUIRE_FALSE(r.has_value());
  return r.error().status;
}

const std::string kUpgrade =
    "GET / HTTP/1.1\r\nHost: chat.example:8080\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: chat, binary.ircv3.net, text.ircv3.net\r\n";

}  // namespace

TEST_CASE("request heads parse and wait for their end", "[http]") {
  auto partial = http::parse_request("GET / HTTP/1.1\r\nHost: x\r\n");
  REQUIRE(partial.has_value());
  CHECK_FALSE(partial->has_value());
  const auto req = head_of("GET /app.js?v=1 HTTP/1.1\r\nhost:  x \r\nConnection: close\r\n\r\nextra");
  CHECK(req.method == "GET");
  CHECK(req.path() == "/app.js");
  CHECK(req.header("Host") == std::optional<std::string_view>("x"));
  CHECK_FALSE(req.keep_alive());
  CHECK(head_of("GET / HTTP/1.0\r\n\r\n").keep_alive() == false);
}

TEST_CASE("request heads past their limits get the 4xx that says so", "[http]") {
  std::string big = "GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(http::kMaxHttpHead, 'a');
  CHECK(status_of(big) == 431);
  // Exactly at the limit passes.
  std::string at = "GET / HTTP/1.1\r\nHost: x\r\nX: ";
  at += std::string(http::kMaxHttpHead - at.size() - 4, 'a') + "\r\n\r\n";
  REQUIRE(at.size() == http::kMaxHttpHead);
  CHECK(head_of(at).header("X")->size() > 8000);
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (std::size_t i = 1; i < http::kMaxHttpHeaders; ++i) many += "X: 1\r\n";
  CHECK(head_of(many + "\r\n").headers.size() == http::kMaxHttpHeaders);
  CHECK(status_of(many + "Y: 1\r\n\r\n") == 431);
  CHECK(status_of("GET /" + std::string(http::kMaxHttpTarget, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n") == 414);
  CHECK(status_of("GET / HTTP/2.0\r\nHost: x\r\n\r\n") == 505);
  CHECK(status_of("GET / HTTP/1.1\r\n\r\n") == 400);  // no Host
  CHECK(status_of("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n") == 400);
  CHECK(status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n") == 413);
  CHECK(status_of("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n") == 400);
  CHECK(status_of("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n") == 400);
}

TEST_CASE("upgrades are checked and choose the client's first IRC subprotocol", "[http][websocket]") {
  constexpr std::array<std::string_view, 2> kOurs = {"text.ircv3.net", "binary.ircv3.net"};
  auto up = http::check_upgrade(head_of(kUpgrade + "\r\n"), kOurs);
  REQUIRE(up.has_value());
  CHECK(up->accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  CHECK(up->subprotocol == "binary.ircv3.net");
  const auto reply = http::switching_protocols(*up);
  CHECK(reply.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
  CHECK(reply.find("Sec-WebSocket-Protocol: binary.ircv3.net\r\n") != std::string::npos);
  std::string old = kUpgrade;
  old.replace(old.find("Version: 13"), 11, "Version: 8");
  auto refused = http::check_upgrade(head_of(old + "\r\n"), kOurs);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().status == 426);
  std::string bad_key = kUpgrade;
  bad_key.replace(bad_key.find("dGhl"), 4, "dGh");
  CHECK(http::check_upgrade(head_of(bad_key + "\r\n"), kOurs).error().status == 400);
}

TEST_CASE("origins: programs and the own page pass and others only when listed", "[http]") {
  const std::vector<std::string> none;
  const std::vector<std::string> listed = {"https://app.example"};
  CHECK(http::origin_allowed(head_of(kUpgrade + "\r\n"), false, none));
  CHECK(http::origin_allowed(head_of(kUpgrade + "Origin: http://chat.example:8080\r\n\r\n"), false, none));
  CHECK_FALSE(
      http::origin_allowed(head_of(kUpgrade + "Origin: http://chat.example:8080\r\n\r\n"), true, none));
  CHECK_FALSE(http::origin_allowed(head_of(kUpgrade + "Origin: https://evil.example\r\n\r\n"), false, none));
  CHECK(http::origin_allowed(head_of(kUpgrade + "Origin: https://APP.example\r\n\r\n"), false, listed));
  CHECK_FALSE(
      http::origin_allowed(head_of(kUpgrade + "Origin: https://app.example.evil\r\n\r\n"), false, listed));
}
