// libFuzzer harness for the web door's parsers: the WebSocket decoder (whole
// and in chunks, which must agree; what it returns re-encodes to itself) and
// HTTP request heads (bounded; a parse does not change with what follows a
// complete head). Input: one config byte (which parser, chunking seed), then
// the bytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "protocol/http.hpp"
#include "protocol/utf8.hpp"
#include "protocol/websocket.hpp"

namespace {

namespace ws = protocol::ws;
namespace http = protocol::http;

struct event {
  ws::opcode op;
  std::string payload;
  std::optional<std::uint16_t> code;
  friend bool operator==(const event&, const event&) = default;
};

struct outcome {
  std::vector<event> events;
  std::optional<ws::close_code> failed;
  friend bool operator==(const outcome&, const outcome&) = default;
};

outcome decode(std::string_view input, fuzz::rng* chunks, bool require_mask) {
  ws::decoder d(require_mask);
  outcome out;
  std::size_t at = 0;
  while (at < input.size() && !out.failed) {
    const std::size_t n = chunks != nullptr ? chunks->chunk(input.size() - at) : input.size() - at;
    d.feed(input.substr(at, n));
    at += n;
    for (;;) {
      auto ev = d.next();
      if (!ev) {
        out.failed = ev.error().code;
        break;
      }
      if (!*ev) break;
      const auto& e = **ev;
      if (e.op == ws::opcode::text || e.op == ws::opcode::binary) {
        FUZZ_CHECK(e.payload.size() <= ws::kMaxMessage);
        if (e.op == ws::opcode::text) FUZZ_CHECK(protocol::is_valid_utf8(e.payload));
      } else {
        FUZZ_CHECK(e.payload.size() <= ws::kMaxControlPayload);
      }
      out.events.push_back({e.op, std::string(e.payload), e.close_code});
    }
    FUZZ_CHECK(d.buffered() <= input.size() + ws::kMaxMessage);
  }
  return out;
}

void fuzz_websocket(std::string_view input, std::uint8_t config) {
  const bool require_mask = (config & 0x2) == 0;
  const outcome whole = decode(input, nullptr, require_mask);
  fuzz::rng r(config + input.size());
  FUZZ_CHECK(decode(input, &r, require_mask) == whole);
  // Every event re-encodes (masked, as a client would) to one that decodes
  // to the same event.
  std::string again;
  for (const auto& e : whole.events) {
    std::string payload = e.payload;
    if (e.op == ws::opcode::close && e.code) {
      payload = std::string{static_cast<char>(*e.code >> 8U), static_cast<char>(*e.code & 0xFFU)} + e.payload;
    }
    ws::encode_frame(again, e.op, payload, std::array<unsigned char, 4>{1, 2, 3, 4});
  }
  const outcome round = decode(again, nullptr, true);
  FUZZ_CHECK(!round.failed);
  FUZZ_CHECK(round.events == whole.events);
}

void fuzz_http(std::string_view input) {
  auto r = http::parse_request(input);
  if (!r) {
    FUZZ_CHECK(r.error().status >= 400 && r.error().status < 600 && !r.error().reason.empty());
    return;
  }
  if (!*r) {
    FUZZ_CHECK(input.size() < http::kMaxHttpHead + 64);
    return;
  }
  const auto& p = **r;
  FUZZ_CHECK(p.consumed <= input.size());
  FUZZ_CHECK(p.req.headers.size() <= http::kMaxHttpHeaders);
  FUZZ_CHECK(p.req.target.size() <= http::kMaxHttpTarget && p.req.target.front() == '/');
  for (const auto& [name, value] : p.req.headers) {
    FUZZ_CHECK(value.find_first_of("\r\n") == std::string::npos && name.find(':') == std::string::npos);
  }
  // What follows a complete head does not change it.
  std::string more(input.substr(0, p.consumed));
  more += "GET / HTTP/1.1\r\n";
  auto again = http::parse_request(more);
  FUZZ_CHECK(again && *again && (*again)->consumed == p.consumed && (*again)->req.target == p.req.target);
  constexpr std::array<std::string_view, 2> kOurs = {"text.ircv3.net", "binary.ircv3.net"};
  if (auto up = http::check_upgrade(p.req, kOurs)) FUZZ_CHECK(up->accept.size() == 28);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t config = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((config & 0x1) == 0) {
    fuzz_websocket(input, config);
  } else {
    fuzz_http(input);
  }
  return 0;
}
