// Nicks (parse_nick, fold_nick) and UTF-8 validation (is_valid_utf8, utf8_prefix).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/errc.hpp"
#include "protocol/limits.hpp"
#include "protocol/nick.hpp"
#include "protocol/utf8.hpp"

using protocol::errc;
using protocol::is_valid_utf8;
using protocol::kMaxNickLength;
using protocol::utf8_prefix;

namespace {

bool nick_ok(std::string_view name) {
  const auto r = protocol::parse_nick(name);
  return r.has_value() && *r == name && r->data() == name.data();
}

errc nick_err(std::string_view name, std::size_t max_length = kMaxNickLength) {
  const auto r = protocol::parse_nick(name, max_length);
  INFO("nick: \"" << std::string(name) << "\"");
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

std::string bytes(std::initializer_list<unsigned> values) {
  std::string s;
  for (const unsigned v : values) s.push_back(static_cast<char>(v));
  return s;
}

}  // namespace

// ---- parse_nick ---------------------------------------------------------------

TEST_CASE("parse_nick length edges", "[nick][limits]") {
  REQUIRE(kMaxNickLength == 30);
  CHECK(nick_ok("a"));
  CHECK(nick_ok(std::string(kMaxNickLength, 'a')));
  CHECK(nick_err(std::string(kMaxNickLength + 1, 'a')) == errc::nick_too_long);
  CHECK(nick_err("") == errc::nick_empty);
  CHECK(nick_err("", 0) == errc::nick_empty);
  // Length is checked before the alphabet.
  CHECK(nick_err(std::string(kMaxNickLength + 1, '1')) == errc::nick_too_long);
  // A custom maximum.
  CHECK(protocol::parse_nick("abcd", 4).has_value());
  CHECK(nick_err("abcde", 4) == errc::nick_too_long);
}

TEST_CASE("parse_nick first character", "[nick]") {
  CHECK(nick_ok("alice"));
  CHECK(nick_ok("Zed"));
  CHECK(nick_err("1alice") == errc::nick_invalid);
  CHECK(nick_err("9") == errc::nick_invalid);
  CHECK(nick_err("-alice") == errc::nick_invalid);
  CHECK(nick_err("-") == errc::nick_invalid);
  for (const char c : std::string_view("[]\\`_^{|}")) {
    const std::string name = std::string(1, c) + "x";
    INFO("nick: " << name);
    CHECK(nick_ok(name));
    CHECK(nick_ok(std::string(1, c)));
  }
}

TEST_CASE("parse_nick later characters", "[nick]") {
  CHECK(nick_ok("a1"));
  CHECK(nick_ok("a-b"));
  CHECK(nick_ok("a-"));
  CHECK(nick_ok("x[]\\`_^{|}-09AZaz"));
  CHECK(nick_err("a b") == errc::nick_invalid);
  CHECK(nick_err("alice ") == errc::nick_invalid);
  CHECK(nick_err(" alice") == errc::nick_invalid);
  CHECK(nick_err("a.b") == errc::nick_invalid);
  CHECK(nick_err("a!b") == errc::nick_invalid);
  CHECK(nick_err("a@b") == errc::nick_invalid);
  CHECK(nick_err("a,b") == errc::nick_invalid);
  CHECK(nick_err("a:b") == errc::nick_invalid);
  CHECK(nick_err("#chan") == errc::nick_invalid);
  CHECK(nick_err("a~") == errc::nick_invalid);
}

TEST_CASE("parse_nick refuses non-ASCII and control characters", "[nick]") {
  CHECK(nick_err("\xC3\xA9lise") == errc::nick_invalid);
  CHECK(nick_err("ren\xC3\xA9") == errc::nick_invalid);
  CHECK(nick_err("a\xFF") == errc::nick_invalid);
  CHECK(nick_err("a\x01") == errc::nick_invalid);
  CHECK(nick_err("a\tb") == errc::nick_invalid);
  CHECK(nick_err("a\r\n") == errc::nick_invalid);
  CHECK(nick_err("a\x7f") == errc::nick_invalid);
  CHECK(nick_err("\x1b[31mred") == errc::nick_invalid);
  CHECK(nick_err("red\x1b[0m") == errc::nick_invalid);
  CHECK(nick_err(std::string_view("a\0b", 3)) == errc::nick_invalid);
  // Every byte outside the alphabet is refused in second position.
  for (unsigned v = 0; v < 256; ++v) {
    const char c = static_cast<char>(v);
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         std::string_view("[]\\`_^{|}-").find(c) != std::string_view::npos;
    const std::string name = std::string("a") + c;
    INFO("byte " << v);
    CHECK(protocol::parse_nick(name).has_value() == allowed);
  }
}

TEST_CASE("fold_nick folds ASCII letters only", "[nick]") {
  CHECK(protocol::fold_nick("Alice") == "alice");
  CHECK(protocol::fold_nick("ALICE") == protocol::fold_nick("alice"));
  CHECK(protocol::fold_nick("AbC-09_XyZ") == "abc-09_xyz");
  // CASEMAPPING=ascii: []\~ are not folded to {}|^.
  CHECK(protocol::fold_nick("[A]\\") == "[a]\\");
  CHECK(protocol::fold_nick("\xC3\x89") == "\xC3\x89");
  CHECK(protocol::fold_nick("").empty());
  CHECK(protocol::fold_nick("@Z[`") == "@z[`");  // bytes next to 'A' and 'Z' stay
}

TEST_CASE("fold_hash, fold_equal and fold_less agree with fold_nick", "[nick]") {
  const std::vector<std::string> names = {
      "",      "a",    "A",    "alice", "Alice",    "ALICE",    "alicE", "bob",   "Bob",    "[A]\\",
      "[a]\\", "{a}|", "@Z[`", "@z[`",  "\xC3\x89", "\xC3\xA9", "a\x80", "A\x80", "alice2", "ali"};
  const protocol::fold_hash hash;
  const protocol::fold_equal equal;
  const protocol::fold_less less;
  for (const auto& a : names) {
    for (const auto& b : names) {
      INFO("\"" << a << "\" vs \"" << b << "\"");
      const auto fa = protocol::fold_nick(a);
      const auto fb = protocol::fold_nick(b);
      CHECK(equal(a, b) == (fa == fb));
      CHECK(less(a, b) == (fa < fb));  // same order as the folded keys
      if (fa == fb) CHECK(hash(a) == hash(b));
    }
    CHECK(hash(a) == hash(protocol::fold_nick(a)));
  }
  // Only ASCII letters fold: bytes around 'A'..'Z' and non-ASCII stay apart.
  CHECK_FALSE(equal("[", "{"));
  CHECK_FALSE(equal("@", "`"));
  CHECK_FALSE(equal("\xC3\x89", "\xC3\xA9"));
  // Bytes above 0x7f sort after ASCII, as in std::string.
  CHECK(less("z", "\xC3\x89"));
}

// ---- is_valid_utf8 ------------------------------------------------------------

TEST_CASE("is_valid_utf8 accepts well-formed text", "[utf8]") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("hello"));
  CHECK(is_valid_utf8(std::string_view("\0", 1)));
  CHECK(is_valid_utf8("\x7f"));
  CHECK(is_valid_utf8("\xC2\x80"));          // U+0080, smallest 2-byte
  CHECK(is_valid_utf8("\xC3\xA9"));          // é
  CHECK(is_valid_utf8("\xDF\xBF"));          // U+07FF, largest 2-byte
  CHECK(is_valid_utf8("\xE0\xA0\x80"));      // U+0800, smallest 3-byte
  CHECK(is_valid_utf8("\xE2\x82\xAC"));      // €
  CHECK(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
  CHECK(is_valid_utf8("\xEE\x80\x80"));      // U+E000, just above them
  CHECK(is_valid_utf8("\xEF\xBF\xBF"));      // U+FFFF
  CHECK(is_valid_utf8("\xF0\x90\x80\x80"));  // U+10000, smallest 4-byte
  CHECK(is_valid_utf8("\xF0\x9F\x98\x80"));  // 😀
  CHECK(is_valid_utf8("\xF3\xBF\xBF\xBF"));
  CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the largest
  CHECK(
      is_valid_utf8("a\xC3\xA9"
                    "b\xE2\x82\xAC"
                    "c\xF0\x9F\x98\x80"
                    "d"));
}

TEST_CASE("is_valid_utf8 refuses overlong forms", "[utf8]") {
  CHECK_FALSE(is_valid_utf8("\xC0\x80"));
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));
  CHECK_FALSE(is_valid_utf8("\xC1\xBF"));
  CHECK_FALSE(is_valid_utf8("\xE0\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\xE0\x9F\xBF"));
  CHECK_FALSE(is_valid_utf8("\xF0\x80\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF"));
}

TEST_CASE("is_valid_utf8 refuses surrogates and code points above U+10FFFF", "[utf8]") {
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));              // U+D800
  CHECK_FALSE(is_valid_utf8("\xED\xBF\xBF"));              // U+DFFF
  CHECK_FALSE(is_valid_utf8("\xED\xA0\xBD\xED\xB8\x80"));  // CESU-8 pair
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));          // U+110000
  CHECK_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\xF7\xBF\xBF\xBF"));
  CHECK_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\xFC\x84\x80\x80\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\xFE"));
  CHECK_FALSE(is_valid_utf8("\xFF"));
}

TEST_CASE("is_valid_utf8 refuses truncated sequences and stray continuations", "[utf8]") {
  CHECK_FALSE(is_valid_utf8("\xC3"));
  CHECK_FALSE(is_valid_utf8("\xE2\x82"));
  CHECK_FALSE(is_valid_utf8("\xE2"));
  CHECK_FALSE(is_valid_utf8("\xF0\x9F\x98"));
  CHECK_FALSE(is_valid_utf8("\xF0\x9F"));
  CHECK_FALSE(is_valid_utf8("\xF0"));
  CHECK_FALSE(is_valid_utf8("abc\xC3"));
  // A lead byte followed by a non-continuation.
  CHECK_FALSE(
      is_valid_utf8("\xC3"
                    "a"));
  CHECK_FALSE(
      is_valid_utf8("\xE2\x82"
                    "a"));
  CHECK_FALSE(
      is_valid_utf8("\xE2"
                    "a"
                    "\xAC"));
  CHECK_FALSE(
      is_valid_utf8("\xF0\x9F\x98"
                    "a"));
  CHECK_FALSE(
      is_valid_utf8("\xF0\x9F"
                    "a"
                    "\x80"));
  CHECK_FALSE(is_valid_utf8("\xC3\xC3\xA9"));
  // Continuation bytes with no lead.
  CHECK_FALSE(is_valid_utf8("\x80"));
  CHECK_FALSE(is_valid_utf8("\xBF"));
  CHECK_FALSE(
      is_valid_utf8("a\x80"
                    "b"));
  CHECK_FALSE(is_valid_utf8("\xC3\xA9\xA9"));
}

TEST_CASE("is_valid_utf8 around the 8-byte ASCII fast path", "[utf8]") {
  const std::string ascii(40, 'x');
  REQUIRE(is_valid_utf8(ascii));
  for (std::size_t len = 0; len <= ascii.size(); ++len) {
    CHECK(is_valid_utf8(std::string_view(ascii).substr(0, len)));
  }

  SECTION("one bad byte at every offset") {
    for (const unsigned bad : {0x80u, 0xBFu, 0xC0u, 0xC3u, 0xE2u, 0xF0u, 0xF5u, 0xFFu}) {
      for (std::size_t at = 0; at < ascii.size(); ++at) {
        std::string s = ascii;
        s[at] = static_cast<char>(bad);
        INFO("byte " << bad << " at offset " << at);
        CHECK_FALSE(is_valid_utf8(s));
      }
    }
  }

  SECTION("a valid multi-byte character at every offset") {
    for (const auto& ch : {bytes({0xC3, 0xA9}), bytes({0xE2, 0x82, 0xAC}), bytes({0xF0, 0x9F, 0x98, 0x80})}) {
      for (std::size_t at = 0; at + ch.size() <= ascii.size(); ++at) {
        std::string s = ascii;
        s.replace(at, ch.size(), ch);
        INFO("char of " << ch.size() << " bytes at offset " << at);
        CHECK(is_valid_utf8(s));
      }
    }
  }

  SECTION("a truncated character at the end of every length") {
    for (const auto& partial : {bytes({0xC3}), bytes({0xE2, 0x82}), bytes({0xF0, 0x9F, 0x98})}) {
      for (std::size_t len = 0; len < ascii.size(); ++len) {
        const std::string s = ascii.substr(0, len) + partial;
        INFO("partial of " << partial.size() << " bytes after " << len << " ASCII bytes");
        CHECK_FALSE(is_valid_utf8(s));
      }
    }
  }

  SECTION("an invalid sequence after a long valid prefix") {
    const std::string tail[] = {bytes({0xED, 0xA0, 0x80}), bytes({0xC0, 0x80}),
                                bytes({0xF4, 0x90, 0x80, 0x80}), bytes({0xE0, 0x80, 0x80})};
    for (const auto& t : tail) {
      for (std::size_t len = 0; len < 20; ++len) {
        INFO("after " << len << " ASCII bytes");
        CHECK_FALSE(is_valid_utf8(ascii.substr(0, len) + t + ascii));
      }
    }
  }
}

// ---- utf8_prefix --------------------------------------------------------------

TEST_CASE("utf8_prefix keeps short text whole", "[utf8]") {
  CHECK(utf8_prefix("", 0) == 0);
  CHECK(utf8_prefix("", 10) == 0);
  CHECK(utf8_prefix("abc", 3) == 3);
  CHECK(utf8_prefix("abc", 100) == 3);
  CHECK(utf8_prefix("\xC3\xA9", 2) == 2);
  CHECK(utf8_prefix("abc", 2) == 2);
  CHECK(utf8_prefix("abc", 0) == 0);
}

TEST_CASE("utf8_prefix never cuts inside a character", "[utf8]") {
  // "aé€😀" = 61 | C3 A9 | E2 82 AC | F0 9F 98 80
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  REQUIRE(text.size() == 10);
  const std::size_t expected[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10};
  for (std::size_t limit = 0; limit <= text.size(); ++limit) {
    INFO("limit " << limit);
    CHECK(utf8_prefix(text, limit) == expected[limit]);
  }
  CHECK(utf8_prefix("\xF0\x9F\x98\x80", 1) == 0);
  CHECK(utf8_prefix("\xF0\x9F\x98\x80", 3) == 0);
}

TEST_CASE("utf8_prefix: every cut is valid UTF-8 and as long as possible", "[utf8]") {
  std::string text;
  for (int i = 0; i < 20; ++i) {
    text += "ab\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 ";
  }
  REQUIRE(is_valid_utf8(text));
  for (std::size_t limit = 0; limit <= text.size() + 2; ++limit) {
    const std::size_t cut = utf8_prefix(text, limit);
    INFO("limit " << limit << " cut " << cut);
    CHECK(cut <= limit);
    CHECK(cut <= text.size());
    CHECK(is_valid_utf8(std::string_view(text).substr(0, cut)));
    CHECK(is_valid_utf8(std::string_view(text).substr(cut)));
    // A character is at most 4 bytes, so at most 3 bytes are given up.
    CHECK(cut + 3 >= std::min(limit, text.size()));
  }
}

TEST_CASE("match_mask takes a star in the mask as the wildcard even facing a star in the text",
          "[nick][mask][regression]") {
  // Found by the fuzzer: the star was compared as a plain character first.
  CHECK(protocol::match_mask("*", "*x"));
  CHECK(protocol::match_mask("a*", "a*b"));
  CHECK(protocol::match_mask("*!*@*", "**!u@h"));
  CHECK_FALSE(protocol::match_mask("a*c", "a*b"));
}

TEST_CASE("replace_invalid_utf8 keeps valid text and marks each bad byte with U+FFFD", "[utf8]") {
  using protocol::replace_invalid_utf8;
  CHECK(replace_invalid_utf8("plain ascii") == "plain ascii");
  CHECK(replace_invalid_utf8("caf\xC3\xA9 \xF0\x9F\x98\x80") == "caf\xC3\xA9 \xF0\x9F\x98\x80");
  CHECK(replace_invalid_utf8("a\xFF"
                             "b") ==
        "a\xEF\xBF\xBD"
        "b");
  // Overlong, surrogate and truncated sequences: one U+FFFD per byte.
  CHECK(replace_invalid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(replace_invalid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(replace_invalid_utf8("end\xE2\x82") == "end\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(protocol::is_valid_utf8(replace_invalid_utf8("\x80\xBF\xF8\xFE\xC3")));
  CHECK(replace_invalid_utf8("").empty());
}

TEST_CASE("utf8_sequence_length measures the sequence at the front, or 0", "[utf8]") {
  using protocol::utf8_sequence_length;
  CHECK(utf8_sequence_length("a") == 1);
  CHECK(utf8_sequence_length("\xC3\xA9x") == 2);
  CHECK(utf8_sequence_length("\xE2\x82\xAC") == 3);
  CHECK(utf8_sequence_length("\xF0\x9F\x98\x80") == 4);
  CHECK(utf8_sequence_length("") == 0);
  CHECK(utf8_sequence_length("\xC0\xAF") == 0);      // overlong
  CHECK(utf8_sequence_length("\xED\xA0\x80") == 0);  // surrogate
  CHECK(utf8_sequence_length("\xE2\x82") == 0);      // truncated
  CHECK(utf8_sequence_length("\x80") == 0);          // continuation first
}
