// Seed framing: the 10-byte ASCII length header, decode_frame, encode_frame
// and the incremental frame_decoder.
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/errc.hpp"
#include "protocol/limits.hpp"
#include "protocol/seed.hpp"

using protocol::errc;
using protocol::kMaxSeedPayload;
using protocol::kSeedHeaderSize;
namespace seed = protocol::seed;

namespace {

// The length a header parses to; fails the test if it does not parse.
std::size_t header_ok(std::string_view header) {
  const auto r = seed::parse_header(header);
  INFO("header: \"" << std::string(header) << "\"");
  REQUIRE(r.has_value());
  return *r;
}

// The error a header is refused with; fails the test if it parses.
errc header_err(std::string_view header, std::size_t max_payload = kMaxSeedPayload) {
  const auto r = seed::parse_header(header, max_payload);
  INFO("header: \"" << std::string(header) << "\"");
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

// A payload of `n` bytes cycling through the letters.
std::string letters(std::size_t n) {
  std::string s(n, 'a');
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>('a' + i % 26);
  }
  return s;
}

// Drains every complete frame currently in `d`, copying the payloads out.
std::vector<std::string> drain(seed::frame_decoder& d) {
  std::vector<std::string> out;
  for (;;) {
    auto r = d.next();
    REQUIRE(r.has_value());
    if (!r->has_value()) {
      return out;
    }
    out.emplace_back(**r);
  }
}

}  // namespace

// ---- parse_header -----------------------------------------------------------

TEST_CASE("parse_header accepts the original's left-aligned header", "[seed][framing]") {
  CHECK(header_ok("25        ") == 25);
  CHECK(header_ok("0         ") == 0);
  CHECK(header_ok("8192      ") == 8192);
}

TEST_CASE("parse_header accepts right-aligned and zero-padded headers", "[seed][framing]") {
  CHECK(header_ok("        25") == 25);
  CHECK(header_ok("    25    ") == 25);
  CHECK(header_ok("0000000003") == 3);
  CHECK(header_ok("0000000000") == 0);
}

TEST_CASE("parse_header strips any ASCII white space like str.strip()", "[seed][framing]") {
  CHECK(header_ok("3\n        ") == 3);
  CHECK(header_ok("3\r\n       ") == 3);
  CHECK(header_ok("\t3\t\t\t\t\t\t\t\t") == 3);
  CHECK(header_ok("\v\f 42 \f\v ") == 42);
  CHECK(header_ok("\n\n\n\n\n\n\n\n\n7") == 7);
}

TEST_CASE("parse_header accepts one leading '+' only", "[seed][framing]") {
  CHECK(header_ok("+3        ") == 3);
  CHECK(header_ok("   +17    ") == 17);
  CHECK(header_err("+         ") == errc::frame_header_invalid);
  CHECK(header_err("++3       ") == errc::frame_header_invalid);
  CHECK(header_err("+ 3       ") == errc::frame_header_invalid);
  CHECK(header_err("3+        ") == errc::frame_header_invalid);
}

TEST_CASE("parse_header refuses blank, negative and non-decimal headers", "[seed][framing]") {
  CHECK(header_err("          ") == errc::frame_header_invalid);
  CHECK(header_err("") == errc::frame_header_invalid);
  CHECK(header_err("-1        ") == errc::frame_header_invalid);
  CHECK(header_err("        -1") == errc::frame_header_invalid);
  CHECK(header_err("abc       ") == errc::frame_header_invalid);
  CHECK(header_err("12a       ") == errc::frame_header_invalid);
  CHECK(header_err("0x10      ") == errc::frame_header_invalid);
  CHECK(header_err("1 2       ") == errc::frame_header_invalid);
  CHECK(header_err("1.5       ") == errc::frame_header_invalid);
  CHECK(header_err(std::string_view("1\0        ", 10)) == errc::frame_header_invalid);
  CHECK(header_err("GET / HTTP") == errc::frame_header_invalid);
}

TEST_CASE("parse_header enforces kMaxSeedPayload at its edge", "[seed][framing][limits]") {
  REQUIRE(kMaxSeedPayload == 8192);
  const auto at_limit = std::to_string(kMaxSeedPayload);
  const auto over_limit = std::to_string(kMaxSeedPayload + 1);
  CHECK(header_ok(at_limit) == kMaxSeedPayload);
  CHECK(header_err(over_limit) == errc::frame_too_large);
  CHECK(header_err("9999999999") == errc::frame_too_large);
  CHECK(header_err("+9999999999") == errc::frame_too_large);
  // Beyond what fits in 64 bits is too large too, not "invalid".
  CHECK(header_err("99999999999999999999999") == errc::frame_too_large);
}

TEST_CASE("parse_header honours a custom max_payload", "[seed][framing][limits]") {
  const auto r = seed::parse_header("10        ", 10);
  REQUIRE(r.has_value());
  CHECK(*r == 10);
  CHECK(header_err("11        ", 10) == errc::frame_too_large);
  CHECK(header_err("1         ", 0) == errc::frame_too_large);
}

// ---- decode_frame -------------------------------------------------------------

TEST_CASE("decode_frame returns a complete frame", "[seed][framing]") {
  const std::string wire = "5         hello";
  const auto r = seed::decode_frame(wire);
  REQUIRE(r.has_value());
  REQUIRE(r->has_value());
  CHECK((*r)->payload == "hello");
  CHECK((*r)->wire_size == 15);
  // The payload is a view into the input.
  CHECK((*r)->payload.data() == wire.data() + 10);
}

TEST_CASE("decode_frame ignores bytes after the frame", "[seed][framing]") {
  const auto r = seed::decode_frame("3         abcXYZ");
  REQUIRE(r.has_value());
  REQUIRE(r->has_value());
  CHECK((*r)->payload == "abc");
  CHECK((*r)->wire_size == 13);
}

TEST_CASE("decode_frame asks for more bytes on an incomplete header", "[seed][framing]") {
  for (std::string_view prefix : {"", "5", "5 ", "5        ", "  ", "+", "  +1", "12\n", "000"}) {
    INFO("prefix: \"" << std::string(prefix) << "\"");
    const auto r = seed::decode_frame(prefix);
    REQUIRE(r.has_value());
    CHECK_FALSE(r->has_value());
  }
}

TEST_CASE("decode_frame asks for more bytes on an incomplete body", "[seed][framing]") {
  for (std::string_view wire : {"5         ", "5         h", "5         hell"}) {
    INFO("wire: \"" << std::string(wire) << "\"");
    const auto r = seed::decode_frame(wire);
    REQUIRE(r.has_value());
    CHECK_FALSE(r->has_value());
  }
}

TEST_CASE("decode_frame rejects garbage before ten bytes arrive", "[seed][framing]") {
  for (std::string_view garbage :
       {"GET", "G", "-", "-1", "a", "1a", "1 2", "++", "+ ", "+a", "12 x", "\x16\x03\x01"}) {
    INFO("garbage: \"" << std::string(garbage) << "\"");
    REQUIRE(garbage.size() < kSeedHeaderSize);
    const auto r = seed::decode_frame(garbage);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == errc::frame_header_invalid);
  }
}

TEST_CASE("decode_frame rejects a complete invalid or oversized header", "[seed][framing]") {
  {
    const auto r = seed::decode_frame("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == errc::frame_header_invalid);
  }
  {
    const auto r = seed::decode_frame("9999999999");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == errc::frame_too_large);
  }
  {
    const auto r = seed::decode_frame(std::to_string(kMaxSeedPayload + 1) + "      ");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == errc::frame_too_large);
  }
  {
    // A header exactly at the limit is fine and waits for its body.
    const auto r = seed::decode_frame(std::to_string(kMaxSeedPayload) + "      ");
    REQUIRE(r.has_value());
    CHECK_FALSE(r->has_value());
  }
}

TEST_CASE("decode_frame splits two merged frames", "[seed][framing]") {
  const std::string wire = seed::encode_frame("first") + seed::encode_frame("second one");
  const auto a = seed::decode_frame(wire);
  REQUIRE(a.has_value());
  REQUIRE(a->has_value());
  CHECK((*a)->payload == "first");
  const std::string_view rest = std::string_view(wire).substr((*a)->wire_size);
  const auto b = seed::decode_frame(rest);
  REQUIRE(b.has_value());
  REQUIRE(b->has_value());
  CHECK((*b)->payload == "second one");
  CHECK((*a)->wire_size + (*b)->wire_size == wire.size());
}

TEST_CASE("decode_frame handles a zero-length payload", "[seed][framing]") {
  const std::string wire = "0         " + seed::encode_frame("x");
  const auto r = seed::decode_frame(wire);
  REQUIRE(r.has_value());
  REQUIRE(r->has_value());
  CHECK((*r)->payload.empty());
  CHECK((*r)->wire_size == kSeedHeaderSize);
  const auto next = seed::decode_frame(std::string_view(wire).substr((*r)->wire_size));
  REQUIRE(next.has_value());
  REQUIRE(next->has_value());
  CHECK((*next)->payload == "x");
}

// ---- encode_frame -------------------------------------------------------------

TEST_CASE("encode_frame is byte-exact with the original f'{len:<10}'", "[seed][framing]") {
  CHECK(seed::encode_frame("You have joined the chat!") == "25        You have joined the chat!");
  CHECK(seed::encode_frame("") == "0         ");
  CHECK(seed::encode_frame("x") == "1         x");
  CHECK(seed::encode_frame(letters(kMaxSeedPayload)).substr(0, 10) == "8192      ");
  CHECK(seed::encode_frame(letters(123456)).substr(0, 10) == "123456    ");
  // "é" is two bytes: the header counts bytes, not characters.
  CHECK(seed::encode_frame("\xC3\xA9") == "2         \xC3\xA9");
}

TEST_CASE("append_frame appends to what is already there", "[seed][framing]") {
  std::string out = "prefix";
  seed::append_frame(out, "ab");
  seed::append_frame(out, "");
  CHECK(out == "prefix2         ab0         ");
}

TEST_CASE("decode(encode(x)) == x for many payloads", "[seed][framing]") {
  std::vector<std::string> payloads = {
      "",
      "a",
      "hello world",
      "You have joined the chat!",
      "          ",  // spaces only
      "0         ",  // looks like a header
      "line1\nline2\r\n",
      std::string("nul\0inside", 10),
      "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80",  // é € 😀
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",  // 日本語
      letters(kMaxSeedPayload - 1),
      letters(kMaxSeedPayload),
  };
  for (std::size_t n : {9u, 10u, 11u, 99u, 100u, 999u, 1000u, 4096u}) {
    payloads.push_back(letters(n));
  }
  for (const auto& p : payloads) {
    INFO("payload size " << p.size());
    const auto wire = seed::encode_frame(p);
    CHECK(wire.size() == kSeedHeaderSize + p.size());
    const auto len = seed::parse_header(std::string_view(wire).substr(0, kSeedHeaderSize));
    REQUIRE(len.has_value());
    CHECK(*len == p.size());
    const auto r = seed::decode_frame(wire);
    REQUIRE(r.has_value());
    REQUIRE(r->has_value());
    CHECK((*r)->payload == p);
    CHECK((*r)->wire_size == wire.size());
  }
}

// ---- frame_decoder ------------------------------------------------------------

TEST_CASE("frame_decoder reassembles frames fed byte by byte", "[seed][decoder]") {
  const std::vector<std::string> payloads = {"alice", "", "hello there", letters(300), "\xF0\x9F\x98\x80"};
  std::string wire;
  for (const auto& p : payloads) seed::append_frame(wire, p);

  seed::frame_decoder d;
  std::vector<std::string> got;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    d.feed(std::string_view(wire).substr(i, 1));
    auto more = drain(d);
    got.insert(got.end(), more.begin(), more.end());
    // A frame completes exactly when its last byte arrives.
    CHECK(d.buffered() <= i + 1);
  }
  CHECK(got == payloads);
  CHECK(d.buffered() == 0);
}

TEST_CASE("frame_decoder yields nothing until the last byte of a frame", "[seed][decoder]") {
  const std::string wire = seed::encode_frame("hello");
  seed::frame_decoder d;
  for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
    d.feed(std::string_view(wire).substr(i, 1));
    const auto r = d.next();
    REQUIRE(r.has_value());
    CHECK_FALSE(r->has_value());
    CHECK(d.buffered() == i + 1);
  }
  d.feed(std::string_view(wire).substr(wire.size() - 1));
  const auto r = d.next();
  REQUIRE(r.has_value());
  REQUIRE(r->has_value());
  CHECK(**r == "hello");
  CHECK(d.buffered() == 0);
}

TEST_CASE("frame_decoder splits merged frames", "[seed][decoder]") {
  std::string wire;
  for (int i = 0; i < 50; ++i) seed::append_frame(wire, "message " + std::to_string(i));
  wire += "7         partial";  // complete: "partial" is 7 bytes
  wire += "9         part";     // incomplete body: 4 of 9 bytes
  seed::frame_decoder d;
  d.feed(wire);
  const auto got = drain(d);
  REQUIRE(got.size() == 51);
  for (int i = 0; i < 50; ++i) {
    CHECK(got[static_cast<std::size_t>(i)] == "message " + std::to_string(i));
  }
  CHECK(got[50] == "partial");
  CHECK(d.buffered() == 14);
  d.feed("s!!!!");
  const auto rest = drain(d);
  REQUIRE(rest.size() == 1);
  CHECK(rest[0] == "parts!!!!");
  CHECK(d.buffered() == 0);
}

TEST_CASE("frame_decoder prepare/commit API", "[seed][decoder]") {
  seed::frame_decoder d;
  const std::string wire = seed::encode_frame("abc") + seed::encode_frame("defg");

  // Ask for more than arrives, like a socket read; commit only what came.
  auto space = d.prepare(4096);
  REQUIRE(space.size() == 4096);
  std::memcpy(space.data(), wire.data(), 8);
  d.commit(8);
  CHECK(d.buffered() == 8);
  {
    const auto r = d.next();
    REQUIRE(r.has_value());
    CHECK_FALSE(r->has_value());
  }

  space = d.prepare(4096);
  REQUIRE(space.size() == 4096);
  std::memcpy(space.data(), wire.data() + 8, wire.size() - 8);
  d.commit(wire.size() - 8);
  CHECK(d.buffered() == wire.size());

  const auto got = drain(d);
  REQUIRE(got.size() == 2);
  CHECK(got[0] == "abc");
  CHECK(got[1] == "defg");
  CHECK(d.buffered() == 0);

  // Committing zero bytes (a read of 0) changes nothing.
  (void)d.prepare(16);
  d.commit(0);
  CHECK(d.buffered() == 0);
}

TEST_CASE("frame_decoder reassembles a long stream read in uneven chunks", "[seed][decoder]") {
  std::vector<std::string> payloads;
  std::string wire;
  for (std::size_t i = 0; i < 200; ++i) {
    payloads.push_back(letters((i * 37) % 700));
    seed::append_frame(wire, payloads.back());
  }
  payloads.push_back(letters(kMaxSeedPayload));
  seed::append_frame(wire, payloads.back());

  for (std::size_t chunk : {1u, 3u, 7u, 10u, 11u, 64u, 4096u, 100000u}) {
    INFO("chunk " << chunk);
    seed::frame_decoder d;
    std::vector<std::string> got;
    std::size_t pos = 0;
    std::size_t round = 0;
    while (pos < wire.size()) {
      // Vary the read size so that the tail slides and the buffer grows.
      const std::size_t want = chunk + (round++ % 5);
      const std::size_t n = std::min(want, wire.size() - pos);
      auto space = d.prepare(want);
      REQUIRE(space.size() == want);
      std::memcpy(space.data(), wire.data() + pos, n);
      d.commit(n);
      pos += n;
      auto more = drain(d);
      got.insert(got.end(), more.begin(), more.end());
    }
    CHECK(got == payloads);
    CHECK(d.buffered() == 0);
  }
}

TEST_CASE("frame_decoder error is sticky", "[seed][decoder]") {
  seed::frame_decoder d;
  d.feed(seed::encode_frame("ok"));
  d.feed("GET");
  {
    const auto r = d.next();
    REQUIRE(r.has_value());
    REQUIRE(r->has_value());
    CHECK(**r == "ok");
  }
  {
    const auto r = d.next();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == errc::frame_header_invalid);
  }
  // Valid bytes afterwards do not resynchronise the stream.
  d.feed(seed::encode_frame("later"));
  for (int i = 0; i < 3; ++i) {
    const auto r = d.next();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == errc::frame_header_invalid);
  }
}

TEST_CASE("frame_decoder reports an oversized frame and stays failed", "[seed][decoder][limits]") {
  seed::frame_decoder d(16);
  d.feed(seed::encode_frame(letters(16)));
  {
    const auto r = d.next();
    REQUIRE(r.has_value());
    REQUIRE(r->has_value());
    CHECK(**r == letters(16));
  }
  d.feed("17        ");
  {
    const auto r = d.next();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == errc::frame_too_large);
  }
  d.feed(seed::encode_frame("x"));
  const auto r = d.next();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == errc::frame_too_large);
}

TEST_CASE("frame_decoder buffered() counts bytes not yet handed out", "[seed][decoder]") {
  seed::frame_decoder d;
  CHECK(d.buffered() == 0);
  const std::string a = seed::encode_frame("12345");       // 15 bytes
  const std::string b = seed::encode_frame("abcdefghij");  // 20 bytes
  d.feed(a + b.substr(0, 12));
  CHECK(d.buffered() == 27);
  const auto got = drain(d);
  REQUIRE(got.size() == 1);
  CHECK(got[0] == "12345");
  CHECK(d.buffered() == 12);
  d.feed(b.substr(12));
  CHECK(d.buffered() == 20);
  const auto got2 = drain(d);
  REQUIRE(got2.size() == 1);
  CHECK(got2[0] == "abcdefghij");
  CHECK(d.buffered() == 0);
}

TEST_CASE("frame_decoder shrink_if_empty", "[seed][decoder]") {
  seed::frame_decoder d;

  SECTION("keeps pending bytes") {
    const std::string wire = seed::encode_frame("pending");
    d.feed(std::string_view(wire).substr(0, 12));
    d.shrink_if_empty();
    CHECK(d.buffered() == 12);
    d.feed(std::string_view(wire).substr(12));
    const auto got = drain(d);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == "pending");
  }

  SECTION("releases an empty buffer and keeps working afterwards") {
    d.feed(seed::encode_frame(letters(5000)));
    auto got = drain(d);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == letters(5000));
    CHECK(d.buffered() == 0);
    d.shrink_if_empty();
    CHECK(d.buffered() == 0);
    {
      const auto r = d.next();
      REQUIRE(r.has_value());
      CHECK_FALSE(r->has_value());
    }
    d.feed(seed::encode_frame("again"));
    got = drain(d);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == "again");
  }

  SECTION("on a fresh decoder is harmless") {
    d.shrink_if_empty();
    CHECK(d.buffered() == 0);
    d.feed(seed::encode_frame("x"));
    const auto got = drain(d);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == "x");
  }
}

TEST_CASE("decode_frame never rejects early a header that would parse", "[seed][framing]") {
  // Every 5-byte string over a small alphabet, padded to a full header on
  // either side: early rejection of a prefix must agree with parse_header.
  const std::string_view alphabet = " +10\nx-";
  std::size_t checked = 0;
  std::size_t valid = 0;
  std::size_t early = 0;
  std::vector<std::string> mismatches;
  std::string s(5, ' ');
  std::size_t total = 1;
  for (std::size_t i = 0; i < s.size(); ++i) total *= alphabet.size();
  for (std::size_t code = 0; code < total; ++code) {
    std::size_t c = code;
    for (auto& ch : s) {
      ch = alphabet[c % alphabet.size()];
      c /= alphabet.size();
    }
    for (const std::string& header : {s + "     ", "     " + s}) {
      REQUIRE(header.size() == kSeedHeaderSize);
      const auto parsed = seed::parse_header(header);
      const bool acceptable = parsed.has_value() || parsed.error() == errc::frame_too_large;
      if (acceptable) ++valid;
      bool rejected_early = false;
      for (std::size_t k = 0; k < kSeedHeaderSize; ++k) {
        const auto r = seed::decode_frame(std::string_view(header).substr(0, k));
        if (!r.has_value()) {
          rejected_early = true;
          ++early;
          if (r.error() != errc::frame_header_invalid) mismatches.push_back("wrong error: " + header);
          break;
        }
      }
      if (acceptable && rejected_early) mismatches.push_back("rejected early: \"" + header + "\"");
      const auto full = seed::decode_frame(header);
      // With ten bytes, decode_frame reports exactly what parse_header says.
      const bool agrees = parsed.has_value() ? (full.has_value() && (!full->has_value()) == (*parsed > 0))
                                             : (!full.has_value() && full.error() == parsed.error());
      if (!agrees) mismatches.push_back("full header disagrees: \"" + header + "\"");
      ++checked;
    }
  }
  INFO("first mismatch: " << (mismatches.empty() ? std::string("none") : mismatches.front()));
  CHECK(mismatches.empty());
  CHECK(checked == 2 * total);
  CHECK(valid > 0);
  CHECK(early > 0);
}
