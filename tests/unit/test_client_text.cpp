// Text from the network made safe for a terminal (sanitize), the nick
// colours (style) and when colour is wanted (colour_wanted).
#include <cstddef>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "core/text.hpp"
#include "net/log.hpp"
#include "protocol/utf8.hpp"

using client::sanitize;

namespace {

// A printable form of bytes for INFO: control and non-ASCII bytes as \xNN.
std::string hex(std::string_view s) {
  return net::sample(s, s.size());  // the log's printable form: quoted, \xNN for the rest
}

void check_sanitize(std::string_view in, std::string_view expected) {
  const auto out = sanitize(in);
  INFO("in: \"" << hex(in) << "\" out: \"" << hex(out) << "\" expected: \"" << hex(expected) << "\"");
  CHECK(out == expected);
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// What sanitize must never let through; empty if the text is harmless.
std::string harmful_part(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7F) return "control byte at " + std::to_string(i);
    const auto next = [&](std::size_t k) {
      return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
    };
    if (b == 0xC2 && next(1) >= 0x80 && next(1) <= 0x9F) return "C1 control at " + std::to_string(i);
    if (b == 0xE2 && next(1) == 0x80 && next(2) >= 0xAA && next(2) <= 0xAE)
      return "bidi override at " + std::to_string(i);
    if (b == 0xE2 && next(1) == 0x81 && next(2) >= 0xA6 && next(2) <= 0xA9)
      return "bidi isolate at " + std::to_string(i);
  }
  if (!protocol::is_valid_utf8(s)) return "invalid UTF-8";
  return {};
}

}  // namespace

TEST_CASE("sanitize: plain ASCII is unchanged", "[client][text][sanitize]") {
  check_sanitize("", "");
  check_sanitize("hello, world!", "hello, world!");
  check_sanitize("a > b [x] ~ ^ ?", "a > b [x] ~ ^ ?");
}

TEST_CASE("sanitize: ESC becomes caret notation", "[client][text][sanitize]") {
  check_sanitize("\x1b", "^[");
  check_sanitize("\x1b[2J", "^[[2J");
  check_sanitize("a\x1b[31mred\x1b[0m", "a^[[31mred^[[0m");
  check_sanitize("\x1b]0;title\x07", "^[]0;title^G");
}

TEST_CASE("sanitize: BEL DEL and NUL in caret notation", "[client][text][sanitize]") {
  check_sanitize("\x07", "^G");
  check_sanitize("\x7f", "^?");
  check_sanitize(std::string_view("\0", 1), "^@");
  check_sanitize(std::string_view("a\0b", 3), "a^@b");
  check_sanitize("\x08", "^H");
  check_sanitize("\x0c", "^L");
  check_sanitize("\x1c", "^\\");
}

TEST_CASE("sanitize: TAB becomes a space", "[client][text][sanitize]") {
  check_sanitize("\t", " ");
  check_sanitize("a\tb\t\tc", "a b  c");
}

TEST_CASE("sanitize: CR and LF become caret notation", "[client][text][sanitize]") {
  check_sanitize("\r", "^M");
  check_sanitize("\n", "^J");
  check_sanitize("one\r\ntwo", "one^M^Jtwo");
}

TEST_CASE("sanitize: IRC formatting codes are dropped", "[client][text][sanitize][irc]") {
  check_sanitize(
      "\x02"
      "bold"
      "\x02",
      "bold");
  check_sanitize(
      "a\x0f"
      "b",
      "ab");
  check_sanitize(
      "\x1d"
      "italic"
      "\x1d",
      "italic");
  check_sanitize(
      "\x1f"
      "under"
      "\x1f",
      "under");
  check_sanitize(
      "\x16"
      "reverse",
      "reverse");
  check_sanitize(
      "\x11"
      "mono",
      "mono");
  check_sanitize(
      "\x1e"
      "strike",
      "strike");
  check_sanitize("\x02\x0f\x1d\x1f\x16\x11\x1e", "");
}

TEST_CASE("sanitize: colour codes are dropped with their digits", "[client][text][sanitize][irc]") {
  check_sanitize(
      "\x03"
      "plain",
      "plain");
  check_sanitize(
      "\x03"
      "4red",
      "red");
  check_sanitize(
      "\x03"
      "04red",
      "red");
  check_sanitize(
      "\x03"
      "4,5red",
      "red");
  check_sanitize(
      "\x03"
      "04,05red",
      "red");
  check_sanitize(
      "\x03"
      "12,1x",
      "x");
  check_sanitize(
      "\x03"
      "4,12x",
      "x");
  check_sanitize(
      "a\x03"
      "4b\x03"
      "c",
      "abc");
  check_sanitize("\x03", "");
  check_sanitize(
      "\x03"
      "4",
      "");
  check_sanitize(
      "\x03"
      "4,",
      ",");
}

TEST_CASE("sanitize: a colour takes at most two digits", "[client][text][sanitize][irc]") {
  check_sanitize(
      "\x03"
      "123",
      "3");
  check_sanitize(
      "\x03"
      "1,234",
      "4");
  check_sanitize(
      "\x03"
      "2024 was a year",
      "24 was a year");
}

TEST_CASE("sanitize: a comma not followed by a digit stays", "[client][text][sanitize][irc]") {
  check_sanitize(
      "\x03"
      "4,x",
      ",x");
  check_sanitize(
      "\x03"
      "4, hello",
      ", hello");
  check_sanitize(
      "\x03"
      "12,",
      ",");
  // Without a foreground there is no background either.
  check_sanitize(
      "\x03"
      ",5x",
      ",5x");
}

TEST_CASE("sanitize: hex colour codes are dropped", "[client][text][sanitize][irc]") {
  check_sanitize(
      "\x04"
      "FF0000red",
      "red");
  check_sanitize(
      "\x04"
      "ff00aared",
      "red");
  check_sanitize(
      "\x04"
      "FF0000,00FF00x",
      "x");
  check_sanitize(
      "\x04"
      "plain",
      "plain");
  check_sanitize("\x04", "");
  // Fewer than six hex digits are no colour: only the code goes.
  check_sanitize(
      "\x04"
      "FF00",
      "FF00");
  // A background that is not six hex digits stays.
  check_sanitize(
      "\x04"
      "FF0000,12x",
      ",12x");
}

TEST_CASE("sanitize: C1 controls are shown as code points", "[client][text][sanitize][unicode]") {
  check_sanitize("\xc2\x9b", "<U+009B>");
  check_sanitize("\xc2\x80", "<U+0080>");
  check_sanitize("\xc2\x9f", "<U+009F>");
  check_sanitize(
      "a\xc2\x9b"
      "2Jb",
      "a<U+009B>2Jb");
  // U+00A0 (no-break space) is the first code point after the C1 block.
  check_sanitize("\xc2\xa0", "\xc2\xa0");
}

TEST_CASE("sanitize: bidi overrides and isolates are shown as code points",
          "[client][text][sanitize][unicode]") {
  check_sanitize("\xe2\x80\xae", "<U+202E>");
  check_sanitize("\xe2\x81\xa6", "<U+2066>");
  check_sanitize("\xe2\x80\xaa", "<U+202A>");
  check_sanitize("\xe2\x80\xab", "<U+202B>");
  check_sanitize("\xe2\x80\xac", "<U+202C>");
  check_sanitize("\xe2\x80\xad", "<U+202D>");
  check_sanitize("\xe2\x81\xa7", "<U+2067>");
  check_sanitize("\xe2\x81\xa8", "<U+2068>");
  check_sanitize("\xe2\x81\xa9", "<U+2069>");
  check_sanitize(
      "abc\xe2\x80\xae"
      "fed",
      "abc<U+202E>fed");
  // Neighbours outside the ranges are ordinary text.
  check_sanitize("\xe2\x80\xa9", "\xe2\x80\xa9");  // U+2029
  check_sanitize("\xe2\x80\xaf", "\xe2\x80\xaf");  // U+202F
  check_sanitize("\xe2\x81\xa5", "\xe2\x81\xa5");  // U+2065
  check_sanitize("\xe2\x81\xaa", "\xe2\x81\xaa");  // U+206A
}

TEST_CASE("sanitize: invalid bytes become U+FFFD", "[client][text][sanitize][unicode]") {
  check_sanitize("\xff", kReplacement);
  check_sanitize("\xfe", kReplacement);
  check_sanitize("\x80", kReplacement);
  check_sanitize(
      "a\xbf"
      "b",
      "a" + std::string(kReplacement) + "b");
  // A truncated sequence: each byte on its own.
  check_sanitize("\xc3", kReplacement);
  check_sanitize("\xe2\x82", repeat(kReplacement, 2));
  check_sanitize("\xf0\x9f\x98", repeat(kReplacement, 3));
  // A lead byte followed by ASCII keeps the ASCII.
  check_sanitize(
      "\xc3"
      "a",
      std::string(kReplacement) + "a");
  check_sanitize(
      "\xe2"
      "ab",
      std::string(kReplacement) + "ab");
  // Bytes F5-FF never start a sequence.
  check_sanitize("\xf5\x80\x80\x80", repeat(kReplacement, 4));
  check_sanitize("\xf8\x88\x80\x80\x80", repeat(kReplacement, 5));
}

TEST_CASE("sanitize: overlong encodings are rejected", "[client][text][sanitize][unicode]") {
  check_sanitize("\xc0\xaf", repeat(kReplacement, 2));          // '/' in two bytes
  check_sanitize("\xc1\xbf", repeat(kReplacement, 2));          // U+007F in two bytes
  check_sanitize("\xc0\x9b", repeat(kReplacement, 2));          // ESC in two bytes
  check_sanitize("\xe0\x80\xaf", repeat(kReplacement, 3));      // '/' in three bytes
  check_sanitize("\xe0\x82\x9b", repeat(kReplacement, 3));      // U+009B in three bytes
  check_sanitize("\xf0\x80\x80\xaf", repeat(kReplacement, 4));  // '/' in four bytes
  check_sanitize("\xf0\x82\x82\xac", repeat(kReplacement, 4));  // U+20AC in four bytes
}

TEST_CASE("sanitize: surrogates and code points above U+10FFFF are rejected",
          "[client][text][sanitize][unicode]") {
  check_sanitize("\xed\xa0\x80", repeat(kReplacement, 3));  // U+D800
  check_sanitize("\xed\xbf\xbf", repeat(kReplacement, 3));  // U+DFFF
  check_sanitize("\xed\x9f\xbf", "\xed\x9f\xbf");           // U+D7FF is fine
  check_sanitize("\xf4\x90\x80\x80", repeat(kReplacement, 4));
  check_sanitize("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");  // U+10FFFF is fine
}

TEST_CASE("sanitize: valid multi-byte text is unchanged", "[client][text][sanitize][unicode]") {
  check_sanitize("caf\xc3\xa9", "caf\xc3\xa9");                            // é
  check_sanitize("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");                  // 😀
  check_sanitize("\xe2\x82\xac 5", "\xe2\x82\xac 5");                      // €
  check_sanitize("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac");  // 日本
  check_sanitize("\xd0\xbf\xd1\x80\xd0\xb8", "\xd0\xbf\xd1\x80\xd0\xb8");  // при
  check_sanitize("\xef\xbf\xbd", "\xef\xbf\xbd");                          // U+FFFD itself
}

TEST_CASE("sanitize: a mix of everything", "[client][text][sanitize]") {
  check_sanitize(
      "\x02"
      "hi\x02 \x03"
      "4,5caf\xc3\xa9\x0f \x1b[2J\xc2\x9b\xe2\x80\xae\xff\t!",
      "hi caf\xc3\xa9 ^[[2J<U+009B><U+202E>" + std::string(kReplacement) + " !");
}

TEST_CASE("sanitize: every single byte is made harmless", "[client][text][sanitize][property]") {
  for (int b = 0; b < 256; ++b) {
    const std::string in(1, static_cast<char>(b));
    const auto out = sanitize(in);
    INFO("byte " << b << " -> \"" << hex(out) << "\"");
    CHECK(harmful_part(out).empty());
    if (b >= 0x20 && b < 0x7f) CHECK(out == in);
  }
}

TEST_CASE("sanitize: random bytes always come out harmless", "[client][text][sanitize][property]") {
  std::mt19937 rng(20240601u);
  std::uniform_int_distribution<int> any_byte(0, 255);
  std::uniform_int_distribution<int> length(0, 40);
  for (int i = 0; i < 4000; ++i) {
    std::string in;
    const int n = length(rng);
    for (int k = 0; k < n; ++k) in += static_cast<char>(any_byte(rng));
    const auto out = sanitize(in);
    const auto problem = harmful_part(out);
    INFO("in: \"" << hex(in) << "\" out: \"" << hex(out) << "\" problem: " << problem);
    REQUIRE(problem.empty());
    // What comes out is already harmless: a second pass changes nothing.
    REQUIRE(sanitize(out) == out);
  }
}

TEST_CASE("sanitize: random hostile fragments always come out harmless",
          "[client][text][sanitize][property]") {
  // Random bytes rarely form the dangerous multi-byte sequences; these do.
  const std::vector<std::string_view> fragments{
      "a",
      " ",
      "\x1b",
      "[2J",
      "\x07",
      "\x7f",
      std::string_view("\0", 1),
      "\r",
      "\n",
      "\t",
      "\x03",
      "\x04",
      "12",
      ",",
      "5",
      "FF00FF",
      "\x02",
      "\x0f",
      "\xc2",
      "\x9b",
      "\xc2\x9b",
      "\xc2\x85",
      "\xe2",
      "\x80",
      "\x81",
      "\xae",
      "\xa6",
      "\xe2\x80\xae",
      "\xe2\x81\xa6",
      "\xe2\x81\xa9",
      "\xed\xa0\x80",
      "\xc0\xaf",
      "\xf0\x9f\x98\x80",
      "\xc3\xa9",
      "\xff",
      "\xf4\x90",
  };
  std::mt19937 rng(7u);
  std::uniform_int_distribution<std::size_t> pick(0, fragments.size() - 1);
  std::uniform_int_distribution<int> length(0, 20);
  for (int i = 0; i < 4000; ++i) {
    std::string in;
    const int n = length(rng);
    for (int k = 0; k < n; ++k) in += fragments[pick(rng)];
    const auto out = sanitize(in);
    const auto problem = harmful_part(out);
    INFO("in: \"" << hex(in) << "\" out: \"" << hex(out) << "\" problem: " << problem);
    REQUIRE(problem.empty());
    // What comes out is already harmless: a second pass changes nothing.
    REQUIRE(sanitize(out) == out);
  }
}

TEST_CASE("sanitize: valid text without controls is a fixed point", "[client][text][sanitize][property]") {
  const std::vector<std::string_view> fragments{
      "a", "Z", " ", "!", "~", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc2\xa0", "\xe6\x97\xa5"};
  std::mt19937 rng(42u);
  std::uniform_int_distribution<std::size_t> pick(0, fragments.size() - 1);
  std::uniform_int_distribution<int> length(0, 30);
  for (int i = 0; i < 2000; ++i) {
    std::string in;
    const int n = length(rng);
    for (int k = 0; k < n; ++k) in += fragments[pick(rng)];
    INFO("in: \"" << hex(in) << "\"");
    REQUIRE(sanitize(in) == in);
    // And sanitizing twice changes nothing more.
    REQUIRE(sanitize(sanitize(in)) == sanitize(in));
  }
}

TEST_CASE("style: without colour nick dim and strong are plain", "[client][text][style]") {
  const client::style look(false);
  CHECK_FALSE(look.colour());
  CHECK(look.nick("bob") == "bob");
  CHECK(look.dim("joined") == "joined");
  CHECK(look.strong("error") == "error");
}

TEST_CASE("style: without colour a nick is sanitized", "[client][text][style]") {
  const client::style look(false);
  CHECK(look.nick("b\x1b[2Job") == "b^[[2Job");
  CHECK(look.nick("\x02"
                  "bob\x0f") == "bob");
  CHECK(look.nick("bob\xe2\x80\xae") == "bob<U+202E>");
}

TEST_CASE("style: with colour a nick is wrapped in a colour", "[client][text][style]") {
  const client::style look(true);
  CHECK(look.colour());
  const auto out = look.nick("bob");
  INFO(hex(out));
  REQUIRE(out.size() == std::string("\x1b[31m").size() + 3 + std::string("\x1b[0m").size());
  CHECK(out.substr(0, 3) == "\x1b[3");
  CHECK(out[3] >= '1');
  CHECK(out[3] <= '6');
  CHECK(out.substr(4, 1) == "m");
  CHECK(out.substr(5, 3) == "bob");
  CHECK(out.substr(8) == "\x1b[0m");
}

TEST_CASE("style: the same nick in any case always gets the same colour", "[client][text][style]") {
  const client::style look(true);
  const auto colour_of = [&](std::string_view nick) { return look.nick(nick).substr(0, 5); };
  for (const std::string_view nick : {"bob", "alice", "carol", "Dave_", "x", "[guest]"}) {
    std::string upper(nick);
    std::string mixed(nick);
    for (std::size_t i = 0; i < upper.size(); ++i) {
      if (upper[i] >= 'a' && upper[i] <= 'z') upper[i] = static_cast<char>(upper[i] - 32);
      if (i % 2 == 0 && mixed[i] >= 'a' && mixed[i] <= 'z') mixed[i] = static_cast<char>(mixed[i] - 32);
    }
    INFO(nick << " " << upper << " " << mixed);
    CHECK(look.nick(nick) == look.nick(nick));
    CHECK(colour_of(nick) == colour_of(upper));
    CHECK(colour_of(nick) == colour_of(mixed));
    // The case of the nick itself is kept.
    CHECK(look.nick(upper).substr(5, upper.size()) == upper);
  }
}

TEST_CASE("style: different nicks use more than one colour", "[client][text][style]") {
  const client::style look(true);
  std::set<std::string> colours;
  for (const std::string_view nick : {"alice", "bob", "carol", "dave", "eve", "frank", "grace", "heidi",
                                      "ivan", "judy", "mallory", "oscar", "peggy", "trent", "victor"}) {
    colours.insert(look.nick(nick).substr(0, 5));
  }
  CHECK(colours.size() > 1);
}

TEST_CASE("style: with colour a nick with ESC is still sanitized", "[client][text][style]") {
  const client::style look(true);
  const auto out = look.nick("ev\x1b[2Jil\x07");
  INFO(hex(out));
  REQUIRE(out.size() > 9);
  // Only the style's own escapes: at the start and the reset at the end.
  const auto inner = out.substr(5, out.size() - 9);
  CHECK(inner == "ev^[[2Jil^G");
  CHECK(inner.find('\x1b') == std::string::npos);
  CHECK(out.substr(out.size() - 4) == "\x1b[0m");
}

TEST_CASE("style: with colour dim and strong wrap the text", "[client][text][style]") {
  const client::style look(true);
  CHECK(look.dim("joined") == "\x1b[2mjoined\x1b[0m");
  CHECK(look.strong("error") == "\x1b[1merror\x1b[0m");
}

TEST_CASE("colour_wanted: only on a terminal", "[client][text][colour]") {
  CHECK_FALSE(client::colour_wanted(false, nullptr, "xterm-256color"));
  CHECK_FALSE(client::colour_wanted(false, "", "xterm"));
  CHECK_FALSE(client::colour_wanted(false, nullptr, nullptr));
  CHECK(client::colour_wanted(true, nullptr, "xterm-256color"));
  CHECK(client::colour_wanted(true, nullptr, nullptr));
}

TEST_CASE("colour_wanted: NO_COLOR set and not empty turns colour off", "[client][text][colour]") {
  CHECK_FALSE(client::colour_wanted(true, "1", "xterm"));
  CHECK_FALSE(client::colour_wanted(true, "0", "xterm"));
  CHECK_FALSE(client::colour_wanted(true, "yes", nullptr));
  // An empty NO_COLOR is as if unset.
  CHECK(client::colour_wanted(true, "", "xterm"));
  CHECK(client::colour_wanted(true, "", nullptr));
}

TEST_CASE("colour_wanted: TERM=dumb turns colour off", "[client][text][colour]") {
  CHECK_FALSE(client::colour_wanted(true, nullptr, "dumb"));
  CHECK_FALSE(client::colour_wanted(true, "", "dumb"));
  CHECK(client::colour_wanted(true, nullptr, "dumber"));
  CHECK(client::colour_wanted(true, nullptr, ""));
}
