// IRC messages: parse_message, encode_message and their round-trip law,
// split_text, and the incremental line_decoder.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>
#include <tl/expected.hpp>

#include "protocol/errc.hpp"
#include "protocol/irc.hpp"
#include "protocol/limits.hpp"
#include "protocol/utf8.hpp"

using protocol::errc;
using protocol::kIrcMaxClientTags;
using protocol::kIrcMaxLine;
using protocol::kIrcMaxParams;
namespace irc = protocol::irc;

namespace {

// A printable form of a line for INFO: control characters as \xNN.
std::string show(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

// parse_view must agree with parse_message on every line the tests parse:
// same error, or the same fields before copying (the command in its case,
// tags raw).
void check_view_agrees(std::string_view line, const tl::expected<irc::message, errc>& owned) {
  const auto view = irc::parse_view(line);
  REQUIRE(view.has_value() == owned.has_value());
  if (!owned.has_value()) {
    CHECK(view.error() == owned.error());
    return;
  }
  CHECK(view->source == owned->source);
  CHECK(irc::is_command(view->command, owned->command));
  CHECK(std::vector<std::string>(view->params().begin(), view->params().end()) == owned->params);
  CHECK(view->tags.empty() == owned->tags.empty());
}

// The message a line parses to; fails the test if it does not parse.
irc::message parse_ok(std::string_view line) {
  const auto r = irc::parse_message(line);
  INFO("line: \"" << show(line) << "\"");
  check_view_agrees(line, r);
  if (!r.has_value()) {
    INFO("error: " << protocol::describe(r.error()));
    REQUIRE(r.has_value());
  }
  return *r;
}

// The error a line is refused with; fails the test if it parses.
errc parse_err(std::string_view line) {
  const auto r = irc::parse_message(line);
  INFO("line: \"" << show(line) << "\"");
  check_view_agrees(line, r);
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

// encode_message without its CRLF; fails the test if the CRLF is missing.
std::string wire(const irc::message& m) {
  auto out = irc::encode_message(m);
  REQUIRE(out.size() >= 2);
  REQUIRE(out.substr(out.size() - 2) == "\r\n");
  out.resize(out.size() - 2);
  return out;
}

irc::message msg(std::string command, std::vector<std::string> params = {}, std::string source = {},
                 std::vector<irc::tag> tags = {}) {
  return irc::message{std::move(tags), std::move(source), std::move(command), std::move(params)};
}

// Checks the round-trip law for one message.
void check_round_trip(const irc::message& m) {
  const auto line = wire(m);
  INFO("encoded: \"" << show(line) << "\"");
  const auto back = irc::parse_message(line);
  REQUIRE(back.has_value());
  CHECK(*back == m);
}

// What a line_decoder hands out, with a too-long report as "<too long>".
constexpr std::string_view kTooLong = "<too long>";
std::vector<std::string> feed(irc::line_decoder& d, std::string_view bytes) {
  std::vector<std::string> out;
  d.consume(bytes, [&](tl::expected<std::string_view, errc> r) {
    if (r.has_value()) {
      out.emplace_back(*r);
    } else {
      out.emplace_back(r.error() == errc::irc_line_too_long ? kTooLong : "<other error>");
    }
    return true;
  });
  return out;
}
std::vector<std::string> feed_bytewise(irc::line_decoder& d, std::string_view bytes) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (auto& line : feed(d, bytes.substr(i, 1))) out.push_back(std::move(line));
  }
  return out;
}

// A small deterministic generator (xorshift64*), the same on every platform.
class rng {
 public:
  explicit rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
  }
  // Uniform enough in [0, n).
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  bool chance(std::size_t percent) { return below(100) < percent; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }

 private:
  std::uint64_t state_;
};

std::string repeat_pieces(rng& r, const std::vector<std::string>& pieces, std::size_t min, std::size_t max) {
  std::string out;
  const auto n = min + r.below(max - min + 1);
  for (std::size_t i = 0; i < n; ++i) out += r.pick(pieces);
  return out;
}

// A random message that meets encode_message's preconditions.
irc::message random_message(rng& r) {
  static const std::vector<std::string> key_chars = {"a", "z", "K", "0", "9", "-"};
  static const std::vector<std::string> key_prefixes = {"", "+", "example.com/", "+draft/"};
  static const std::vector<std::string> value_pieces = {
      "a", "Z", "0", " ", ";", "\\", "\r", "\n", "=", ":", ",", "@", "\\s", "\xc3\xa9", "\xf0\x9f\x92\xac"};
  static const std::vector<std::string> word_pieces = {
      "a", "Q", "7", "#", "&", "!", "@", ".", ":", "=", "*", "\xc3\xa9", "\xe2\x82\xac", "\\", "\t"};
  static const std::vector<std::string> text_pieces = {
      "a", "B", "5", " ", " ", ":", ";", "\\", "@", "\t", "\x01", "\xc3\xa9", "\xf0\x9f\x98\x80"};
  static const std::vector<std::string> sources = {
      "", "", "irc.example.com", "nick!user@host", "dan!d@localhost", "x"};
  irc::message m;
  const auto ntags = r.chance(40) ? 1 + r.below(4) : 0;
  for (std::size_t i = 0; i < ntags; ++i) {
    irc::tag t;
    t.key = r.pick(key_prefixes) + repeat_pieces(r, key_chars, 1, 12);
    t.value = r.chance(25) ? std::string() : repeat_pieces(r, value_pieces, 1, 20);
    m.tags.push_back(std::move(t));
  }
  m.source = r.pick(sources);
  if (r.chance(20)) {
    for (int i = 0; i < 3; ++i) m.command += static_cast<char>('0' + r.below(10));
  } else {
    const auto n = 1 + r.below(10);
    for (std::size_t i = 0; i < n; ++i) m.command += static_cast<char>('A' + r.below(26));
  }
  const auto nparams = r.below(kIrcMaxParams + 1);
  for (std::size_t i = 0; i + 1 < nparams; ++i) {
    // A middle parameter: non-empty, no space, not starting with ':'.
    auto p = repeat_pieces(r, word_pieces, 1, 5);
    if (p.front() == ':') p.insert(p.begin(), 'x');
    m.params.push_back(std::move(p));
  }
  if (nparams > 0) {
    auto last = r.chance(15) ? std::string() : repeat_pieces(r, text_pieces, 1, 30);
    if (r.chance(10)) last.insert(last.begin(), ':');
    m.params.push_back(std::move(last));
  }
  return m;
}

// A random, often irregular line: odd spacing, case, escapes and colons.
std::string random_line(rng& r) {
  static const std::vector<std::string> spaces = {"", " ", " ", "  ", "   "};
  static const std::vector<std::string> tag_pieces = {"a",   "k", "=", "v", ";",   "\\",      "\\s",
                                                      "\\:", "+", "/", ".", "x=y", "\xc3\xa9"};
  static const std::vector<std::string> word_pieces = {"n", "!", "u", "@", "h", ".", ":"};
  static const std::vector<std::string> commands = {"privmsg", "PING", "001", "Notice", "x", "1x", "@a", ""};
  static const std::vector<std::string> tail_pieces = {" ", "  ", ":",        "a",  "Z",  "#",  ";",
                                                       "=", "\\", "\xc3\xa9", "::", " :", " a", " #c"};
  std::string line;
  if (r.chance(40)) line += "@" + repeat_pieces(r, tag_pieces, 0, 12) + " ";
  line += r.pick(spaces);
  if (r.chance(40)) line += ":" + repeat_pieces(r, word_pieces, 0, 6) + " ";
  line += r.pick(spaces);
  line += r.pick(commands);
  line += repeat_pieces(r, tail_pieces, 0, 30);
  return line;
}

}  // namespace

// ---- parse_message: examples ---------------------------------------------------

TEST_CASE("parse_message: tags, source, command and trailing parameter", "[irc][parse]") {
  const auto m = parse_ok("@id=123AB;rose :nick!user@host PRIVMSG #chan :Hello world");
  CHECK(m.tags == std::vector<irc::tag>{{"id", "123AB"}, {"rose", ""}});
  CHECK(m.source == "nick!user@host");
  CHECK(m.command == "PRIVMSG");
  CHECK(m.params == std::vector<std::string>{"#chan", "Hello world"});
}

TEST_CASE("parse_message: modern.ircdocs.horse examples", "[irc][parse]") {
  CHECK(parse_ok(":irc.example.com CAP * LIST :") == msg("CAP", {"*", "LIST", ""}, "irc.example.com"));
  CHECK(parse_ok("CAP * LS :multi-prefix sasl") == msg("CAP", {"*", "LS", "multi-prefix sasl"}));
  CHECK(parse_ok("CAP REQ :sasl") == msg("CAP", {"REQ", "sasl"}));
  CHECK(parse_ok(":irc.example.com CAP LS * :multi-prefix extended-join sasl") ==
        msg("CAP", {"LS", "*", "multi-prefix extended-join sasl"}, "irc.example.com"));
  CHECK(parse_ok("@id=234AB :dan!d@localhost PRIVMSG #chan :Hey what's up!") ==
        msg("PRIVMSG", {"#chan", "Hey what's up!"}, "dan!d@localhost", {{"id", "234AB"}}));
  CHECK(parse_ok(":dan!d@localhost PRIVMSG #chan :Hey!") ==
        msg("PRIVMSG", {"#chan", "Hey!"}, "dan!d@localhost"));
  CHECK(parse_ok(":SomeOp MODE #channel :+i") == msg("MODE", {"#channel", "+i"}, "SomeOp"));
  CHECK(parse_ok(":SomeOp MODE #channel +oo SomeUser :AnotherUser") ==
        msg("MODE", {"#channel", "+oo", "SomeUser", "AnotherUser"}, "SomeOp"));
}

TEST_CASE("parse_message: a bare command has no parameters", "[irc][parse]") {
  const auto m = parse_ok("PING");
  CHECK(m == msg("PING"));
  CHECK(m.params.empty());
  CHECK(m.tags.empty());
  CHECK(m.source.empty());
  CHECK(parse_ok(":src AWAY") == msg("AWAY", {}, "src"));
  CHECK(parse_ok(":src AWAY ") == msg("AWAY", {}, "src"));
}

TEST_CASE("parse_message uppercases the command", "[irc][parse]") {
  CHECK(parse_ok("privmsg #c :hi").command == "PRIVMSG");
  CHECK(parse_ok("Ping x").command == "PING");
  CHECK(parse_ok("foo bar baz asdf") == msg("FOO", {"bar", "baz", "asdf"}));
  // Parameters keep their case.
  CHECK(parse_ok("nick Alice").params == std::vector<std::string>{"Alice"});
}

TEST_CASE("parse_message: numeric commands are three digits", "[irc][parse]") {
  CHECK(parse_ok(":irc.example.com 001 alice :Welcome to the network") ==
        msg("001", {"alice", "Welcome to the network"}, "irc.example.com"));
  CHECK(parse_ok("999").command == "999");
  CHECK(parse_ok("000").command == "000");
}

TEST_CASE("parse_message: runs of spaces separate like one space", "[irc][parse]") {
  CHECK(parse_ok(":gravel.mozilla.org 432  #momo :Erroneous Nickname: Illegal characters") ==
        msg("432", {"#momo", "Erroneous Nickname: Illegal characters"}, "gravel.mozilla.org"));
  CHECK(parse_ok(":gravel.mozilla.org MODE #tckk +n ") == msg("MODE", {"#tckk", "+n"}, "gravel.mozilla.org"));
  CHECK(parse_ok(":services.esper.net MODE #foo-bar +o foobar  ") ==
        msg("MODE", {"#foo-bar", "+o", "foobar"}, "services.esper.net"));
  CHECK(parse_ok("   PING   x    y   ") == msg("PING", {"x", "y"}));
  CHECK(parse_ok("@a=b    :src    JOIN    #c") == msg("JOIN", {"#c"}, "src", {{"a", "b"}}));
  CHECK(parse_ok("  :src JOIN #c") == msg("JOIN", {"#c"}, "src"));
  CHECK(parse_ok("PRIVMSG #c    :  spaced  ") == msg("PRIVMSG", {"#c", "  spaced  "}));
}

TEST_CASE("parse_message: the trailing parameter keeps colons and spaces", "[irc][parse]") {
  CHECK(parse_ok(":coolguy PRIVMSG bar :lol :) ") == msg("PRIVMSG", {"bar", "lol :) "}, "coolguy"));
  CHECK(parse_ok("foo bar baz ::asdf") == msg("FOO", {"bar", "baz", ":asdf"}));
  CHECK(parse_ok(":coolguy foo bar baz :  asdf quux ") ==
        msg("FOO", {"bar", "baz", "  asdf quux "}, "coolguy"));
  CHECK(parse_ok("foo bar baz :asdf quux") == msg("FOO", {"bar", "baz", "asdf quux"}));
  CHECK(parse_ok("PRIVMSG #c :a:b: c :d") == msg("PRIVMSG", {"#c", "a:b: c :d"}));
  // A colon inside a middle parameter is just a character.
  CHECK(parse_ok("PRIVMSG a:b :x") == msg("PRIVMSG", {"a:b", "x"}));
}

TEST_CASE("parse_message: an empty trailing parameter", "[irc][parse]") {
  CHECK(parse_ok("PRIVMSG #c :") == msg("PRIVMSG", {"#c", ""}));
  CHECK(parse_ok("foo bar baz :") == msg("FOO", {"bar", "baz", ""}));
  CHECK(parse_ok("PING :") == msg("PING", {""}));
}

TEST_CASE("parse_message: a trailing or middle last parameter is the same", "[irc][parse]") {
  CHECK(parse_ok(":src JOIN #chan") == parse_ok(":src JOIN :#chan"));
  CHECK(parse_ok(":src JOIN #chan").params == std::vector<std::string>{"#chan"});
}

TEST_CASE("parse_message: sources are kept verbatim", "[irc][parse]") {
  CHECK(parse_ok(":cool\tguy foo bar baz").source == "cool\tguy");
  CHECK(parse_ok(":coolguy!ag@net\x03"
                 "5w\x03ork.admin PRIVMSG foo :bar baz")
            .source ==
        "coolguy!ag@net\x03"
        "5w\x03ork.admin");
  // An empty source is no source.
  CHECK(parse_ok(": PING") == msg("PING"));
}

// ---- parse_message: tags ---------------------------------------------------------

TEST_CASE("parse_message: tags without a value and with an empty value", "[irc][parse][tags]") {
  CHECK(parse_ok("@a=b;c=32;k;rt=ql7 foo").tags ==
        std::vector<irc::tag>{{"a", "b"}, {"c", "32"}, {"k", ""}, {"rt", "ql7"}});
  const auto m = parse_ok("@c;h=;a=b :quux ab cd");
  CHECK(m == msg("AB", {"cd"}, "quux", {{"c", ""}, {"h", ""}, {"a", "b"}}));
  CHECK(parse_ok("@tag1=value1;tag2;vendor1/tag3=value2;vendor2/tag4= :irc.example.com COMMAND param1 param2 "
                 ":param3 param3") ==
        msg("COMMAND", {"param1", "param2", "param3 param3"}, "irc.example.com",
            {{"tag1", "value1"}, {"tag2", ""}, {"vendor1/tag3", "value2"}, {"vendor2/tag4", ""}}));
  CHECK(parse_ok("@tag1=value1;tag2;vendor1/tag3=value2;vendor2/tag4 COMMAND param1 param2 :param3 param3") ==
        msg("COMMAND", {"param1", "param2", "param3 param3"}, "",
            {{"tag1", "value1"}, {"tag2", ""}, {"vendor1/tag3", "value2"}, {"vendor2/tag4", ""}}));
}

TEST_CASE("parse_message unescapes tag values", "[irc][parse][tags]") {
  CHECK(parse_ok(R"(@a=b\\and\nk;c=72\s45;d=gh\:764 foo)").tags ==
        std::vector<irc::tag>{{"a", "b\\and\nk"}, {"c", "72 45"}, {"d", "gh;764"}});
  CHECK(parse_ok(R"(@foo=\\\\\:\\s\s\r\n COMMAND)").tags == std::vector<irc::tag>{{"foo", "\\\\;\\s \r\n"}});
  // The IRCv3 message-tags example: '=' and ':' are plain inside a value.
  const auto m = parse_ok(R"(@+example=raw+:=,escaped\:\s\\ :irc.example.com NOTICE #channel :Message)");
  CHECK(m == msg("NOTICE", {"#channel", "Message"}, "irc.example.com", {{"+example", "raw+:=,escaped; \\"}}));
}

TEST_CASE("parse_message: unknown escapes and a trailing backslash", "[irc][parse][tags]") {
  CHECK(parse_ok(R"(@tag1=value\1 COMMAND)").tags == std::vector<irc::tag>{{"tag1", "value1"}});
  CHECK(parse_ok(R"(@tag1=value1\ COMMAND)").tags == std::vector<irc::tag>{{"tag1", "value1"}});
  CHECK(parse_ok(R"(@t=\b\a\t COMMAND)").tags == std::vector<irc::tag>{{"t", "bat"}});
  CHECK(parse_ok(R"(@t=\ COMMAND)").tags == std::vector<irc::tag>{{"t", ""}});
  CHECK(parse_ok(R"(@t=\\\ COMMAND)").tags == std::vector<irc::tag>{{"t", "\\"}});
}

TEST_CASE("parse_message keeps duplicate tags in order and skips empty entries", "[irc][parse][tags]") {
  CHECK(parse_ok("@tag1=1;tag2=3;tag3=4;tag1=5 COMMAND").tags ==
        std::vector<irc::tag>{{"tag1", "1"}, {"tag2", "3"}, {"tag3", "4"}, {"tag1", "5"}});
  CHECK(parse_ok("@;a=1;;b; PING").tags == std::vector<irc::tag>{{"a", "1"}, {"b", ""}});
  CHECK(parse_ok("@=nokey;k=v PING").tags == std::vector<irc::tag>{{"k", "v"}});
  CHECK(parse_ok("@ PING") == msg("PING"));
}

// ---- parse_message: errors ---------------------------------------------------------

TEST_CASE("parse_message: a line of nothing but spaces is empty", "[irc][parse][errors]") {
  CHECK(parse_err("") == errc::irc_empty_line);
  CHECK(parse_err(" ") == errc::irc_empty_line);
  CHECK(parse_err("      ") == errc::irc_empty_line);
  // A long run of spaces is still an empty line, not a long one.
  CHECK(parse_err(std::string(2 * kIrcMaxLine, ' ')) == errc::irc_empty_line);
}

TEST_CASE("parse_message: tags or source without a command", "[irc][parse][errors]") {
  CHECK(parse_err("@a=b") == errc::irc_no_command);
  CHECK(parse_err("@a=b ") == errc::irc_no_command);
  CHECK(parse_err("@a=b    ") == errc::irc_no_command);
  CHECK(parse_err(":nick!user@host") == errc::irc_no_command);
  CHECK(parse_err(":nick!user@host   ") == errc::irc_no_command);
  CHECK(parse_err("@a :src") == errc::irc_no_command);
  CHECK(parse_err(":") == errc::irc_no_command);
  CHECK(parse_err("@") == errc::irc_no_command);
}

TEST_CASE("parse_message refuses NUL, CR and LF anywhere", "[irc][parse][errors]") {
  using namespace std::string_literals;
  CHECK(parse_err("PRIVMSG #c :a\0b"s) == errc::irc_bad_character);
  CHECK(parse_err("PRIVMSG #c :a\rb") == errc::irc_bad_character);
  CHECK(parse_err("PRIVMSG #c :a\nb") == errc::irc_bad_character);
  CHECK(parse_err("PING\r") == errc::irc_bad_character);
  CHECK(parse_err("\nPING") == errc::irc_bad_character);
  CHECK(parse_err("@a=\r PING") == errc::irc_bad_character);
  CHECK(parse_err(":sr\0c PING"s) == errc::irc_bad_character);
  // Checked first: even a line that is otherwise empty.
  CHECK(parse_err("\0"s) == errc::irc_bad_character);
  CHECK(parse_err("  \r") == errc::irc_bad_character);
  // Other control characters are allowed.
  CHECK(parse_ok("PRIVMSG #c :\x01"
                 "ACTION waves\x01")
            .params.back() ==
        "\x01"
        "ACTION waves\x01");
}

TEST_CASE("parse_message: a command is letters or exactly three digits", "[irc][parse][errors]") {
  CHECK(parse_ok("A").command == "A");
  CHECK(parse_ok("abcdefghijklmnopqrstuvwxyz").command == "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  CHECK(parse_err("PR1VMSG #c :x") == errc::irc_bad_command);
  CHECK(parse_err("PRIV-MSG") == errc::irc_bad_command);
  CHECK(parse_err("12") == errc::irc_bad_command);
  CHECK(parse_err("1234") == errc::irc_bad_command);
  CHECK(parse_err("1a2") == errc::irc_bad_command);
  CHECK(parse_err("@a=b :src !x") == errc::irc_bad_command);
  CHECK(parse_err("\xc3\xa9t\xc3\xa9") == errc::irc_bad_command);
  CHECK(parse_err("  @a=b PING") == errc::irc_bad_command);  // tags only at the very start
}

TEST_CASE("parse_message: line length edge, tags excluded", "[irc][parse][errors][limits]") {
  REQUIRE(kIrcMaxLine == 512);
  const std::string head = "PRIVMSG #c :";
  const std::string at_limit = head + std::string(kIrcMaxLine - 2 - head.size(), 'x');
  REQUIRE(at_limit.size() + 2 == kIrcMaxLine);
  CHECK(parse_ok(at_limit).params.back().size() == kIrcMaxLine - 2 - head.size());
  CHECK(parse_err(at_limit + "x") == errc::irc_line_too_long);
  // Tags do not count against the 512 bytes.
  const std::string tags = "@k=" + std::string(1000, 'v') + " ";
  CHECK(parse_ok(tags + at_limit).tags.front().value.size() == 1000);
  CHECK(parse_err(tags + at_limit + "x") == errc::irc_line_too_long);
  // Leading spaces and the space runs do count.
  CHECK(parse_err(" " + at_limit) == errc::irc_line_too_long);
  CHECK(parse_err(tags + " " + at_limit) == errc::irc_line_too_long);
  // Checked before the structure of the rest.
  CHECK(parse_err(std::string(kIrcMaxLine - 1, 'x')) == errc::irc_line_too_long);
  CHECK(parse_err(std::string(kIrcMaxLine - 2, '1')) == errc::irc_bad_command);
}

TEST_CASE("parse_message: tag section length edge", "[irc][parse][errors][limits]") {
  REQUIRE(kIrcMaxClientTags == 4096);
  // '@' + "k=" + value + ' ' == kIrcMaxClientTags
  const std::string at_limit = "@k=" + std::string(kIrcMaxClientTags - 4, 'v') + " ";
  REQUIRE(at_limit.size() == kIrcMaxClientTags);
  CHECK(parse_ok(at_limit + "PING").tags.front().value.size() == kIrcMaxClientTags - 4);
  const std::string over = "@k=" + std::string(kIrcMaxClientTags - 3, 'v') + " ";
  CHECK(parse_err(over + "PING") == errc::irc_tags_too_long);
  // Escapes count as sent, not as unescaped.
  std::string escaped = "@k=";
  while (escaped.size() < kIrcMaxClientTags - 1) escaped += "\\s";
  REQUIRE(escaped.size() == kIrcMaxClientTags - 1);
  CHECK(parse_ok(escaped + " PING").tags.front().value == std::string((kIrcMaxClientTags - 4) / 2, ' '));
  CHECK(parse_err(escaped + "x PING") == errc::irc_tags_too_long);
  // Without a command: too long tags are reported as such, shorter ones lack a command.
  CHECK(parse_err(at_limit.substr(0, at_limit.size() - 1)) == errc::irc_no_command);
  CHECK(parse_err(over.substr(0, over.size() - 1)) == errc::irc_tags_too_long);
  // Tags and the rest at their limits together.
  const std::string rest = "PRIVMSG #c :" + std::string(kIrcMaxLine - 2 - 12, 'x');
  CHECK(parse_ok(at_limit + rest).params.back().size() == kIrcMaxLine - 14);
}

TEST_CASE("parse_message: parameter count edge", "[irc][parse][errors][limits]") {
  REQUIRE(kIrcMaxParams == 15);
  std::string line = "CMD";
  for (std::size_t i = 1; i <= kIrcMaxParams; ++i) line += " p" + std::to_string(i);
  CHECK(parse_ok(line).params.size() == kIrcMaxParams);
  CHECK(parse_ok(line + "   ").params.size() == kIrcMaxParams);
  CHECK(parse_err(line + " p16") == errc::irc_too_many_params);
  CHECK(parse_err(line + " :p16") == errc::irc_too_many_params);
  CHECK(parse_err(line + " :") == errc::irc_too_many_params);
  // Fifteen with the last as a trailing parameter.
  std::string trailing = "CMD";
  for (std::size_t i = 1; i < kIrcMaxParams; ++i) trailing += " p" + std::to_string(i);
  const auto m = parse_ok(trailing + " :last one");
  CHECK(m.params.size() == kIrcMaxParams);
  CHECK(m.params.back() == "last one");
}

TEST_CASE("parse_view borrows every field from the line", "[irc][parse][view]") {
  const std::string line = "@+a=b\\sc;id=1 :nick!u@h privMsg #chan  bob :Hello  world ";
  const auto v = irc::parse_view(line);
  REQUIRE(v.has_value());
  const auto inside = [&](std::string_view part) {
    return part.data() >= line.data() && part.data() + part.size() <= line.data() + line.size();
  };
  CHECK(v->tags == "+a=b\\sc;id=1");  // raw: still escaped
  CHECK(v->source == "nick!u@h");
  CHECK(v->command == "privMsg");  // letter case kept
  REQUIRE(v->params().size() == 3);
  CHECK(v->params()[0] == "#chan");
  CHECK(v->params()[1] == "bob");
  CHECK(v->params()[2] == "Hello  world ");
  CHECK(inside(v->tags));
  CHECK(inside(v->source));
  CHECK(inside(v->command));
  for (const auto p : v->params()) CHECK(inside(p));
  // The owning parse of the same line unescapes and uppercases.
  const auto m = parse_ok(line);
  CHECK(m.command == "PRIVMSG");
  REQUIRE(m.tags.size() == 2);
  CHECK(m.tags[0].value == "b c");
}

TEST_CASE("is_command compares commands in any letter case", "[irc][parse][view]") {
  CHECK(irc::is_command("PRIVMSG", "PRIVMSG"));
  CHECK(irc::is_command("privmsg", "PRIVMSG"));
  CHECK(irc::is_command("PrIvMsG", "PRIVMSG"));
  CHECK_FALSE(irc::is_command("PRIVMSGS", "PRIVMSG"));
  CHECK_FALSE(irc::is_command("PRIVMS", "PRIVMSG"));
  CHECK_FALSE(irc::is_command("NOTICE", "PRIVMSG"));
  CHECK(irc::is_command("001", "001"));
  CHECK_FALSE(irc::is_command("", "PRIVMSG"));
}

TEST_CASE("describe() texts for the IRC errors", "[irc][errors]") {
  CHECK(protocol::describe(errc::irc_empty_line) == "empty line");
  CHECK(protocol::describe(errc::irc_no_command) == "no command");
  CHECK(protocol::describe(errc::irc_bad_character) == "line contains NUL, CR or LF");
  CHECK(protocol::describe(errc::irc_line_too_long) == "input line too long");
  CHECK(protocol::describe(errc::irc_tags_too_long) == "message tags too long");
  CHECK(protocol::describe(errc::irc_too_many_params) == "too many parameters");
  CHECK(protocol::describe(errc::irc_bad_command) == "invalid command");
  for (auto e : {errc::irc_empty_line, errc::irc_no_command, errc::irc_bad_character, errc::irc_line_too_long,
                 errc::irc_tags_too_long, errc::irc_too_many_params, errc::irc_bad_command}) {
    const auto d = protocol::describe(e);
    REQUIRE_FALSE(d.empty());
    CHECK(d.back() != '.');
    CHECK(d != "unknown error");
  }
}

// ---- encode_message ---------------------------------------------------------------

TEST_CASE("encode_message: byte-exact examples", "[irc][encode]") {
  CHECK(irc::encode_message(msg("PING")) == "PING\r\n");
  CHECK(irc::encode_message(msg("PRIVMSG", {"#chan", "Hello world"})) == "PRIVMSG #chan :Hello world\r\n");
  CHECK(irc::encode_message(
            msg("PRIVMSG", {"#chan", "Hello world"}, "nick!user@host", {{"id", "123AB"}, {"rose", ""}})) ==
        "@id=123AB;rose :nick!user@host PRIVMSG #chan :Hello world\r\n");
  CHECK(irc::encode_message(msg("CAP", {"*", "LIST", ""}, "irc.example.com")) ==
        ":irc.example.com CAP * LIST :\r\n");
  CHECK(irc::encode_message(msg("001", {"alice", "Welcome"}, "irc.example.com")) ==
        ":irc.example.com 001 alice Welcome\r\n");
  CHECK(irc::encode_message(msg("JOIN", {"#c"}, "", {{"a", "1"}})) == "@a=1 JOIN #c\r\n");
}

TEST_CASE("encode_message: the last parameter gets ':' only when it needs one", "[irc][encode]") {
  CHECK(wire(msg("X", {"a"})) == "X a");
  CHECK(wire(msg("X", {"a", "b"})) == "X a b");
  CHECK(wire(msg("X", {""})) == "X :");
  CHECK(wire(msg("X", {"a", ""})) == "X a :");
  CHECK(wire(msg("X", {"a b"})) == "X :a b");
  CHECK(wire(msg("X", {" "})) == "X : ");
  CHECK(wire(msg("X", {":)"})) == "X ::)");
  CHECK(wire(msg("X", {"a:b"})) == "X a:b");
  CHECK(wire(msg("X", {"a:", ":"})) == "X a: ::");
}

TEST_CASE("encode_message escapes tag values", "[irc][encode][tags]") {
  CHECK(wire(msg("X", {}, "", {{"k", "a;b c\\d\r\ne"}})) == R"(@k=a\:b\sc\\d\r\ne X)");
  CHECK(wire(msg("X", {}, "", {{"+example", "raw+:=,escaped; \\"}})) ==
        R"(@+example=raw+:=,escaped\:\s\\ X)");
  CHECK(wire(msg("X", {}, "", {{"k", ""}, {"l", "\\s"}})) == R"(@k;l=\\s X)");
  // And back.
  const auto m = msg("X", {}, "", {{"k", "a;b c\\d\r\ne"}, {"empty", ""}, {"bs", "\\"}, {"s", "\\s"}});
  CHECK(parse_ok(wire(m)) == m);
}

// ---- the round-trip law --------------------------------------------------------------

TEST_CASE("round trip: parse_message(encode_message(m)) == m over a table", "[irc][roundtrip]") {
  const std::vector<irc::message> table = {
      msg("PING"),
      msg("PING", {"irc.example.com"}),
      msg("PING", {""}),
      msg("PRIVMSG", {"#chan", "Hello world"}, "nick!user@host", {{"id", "123AB"}, {"rose", ""}}),
      msg("PRIVMSG", {"#chan", ":)"}),
      msg("PRIVMSG", {"#chan", " leading and trailing "}),
      msg("PRIVMSG", {"#chan", "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80"}),
      msg("PRIVMSG", {"#chan",
                      "\x01"
                      "ACTION waves\x01"}),
      msg("CAP", {"*", "LIST", ""}, "irc.example.com"),
      msg("CAP", {"*", "LS", "multi-prefix sasl"}),
      msg("001", {"alice", "Welcome to the network, alice"}, "irc.example.com"),
      msg("MODE", {"#channel", "+oo", "SomeUser", "AnotherUser"}, "SomeOp"),
      msg("NOTICE", {"#channel", "Message"}, "irc.example.com", {{"+example", "raw+:=,escaped; \\"}}),
      msg("TAGMSG", {"#c"}, "", {{"+typing", "active"}, {"msgid", "x;y z\r\n\\"}, {"k", ""}}),
      msg("JOIN", {"a:b", "c"}),
      msg("X",
          {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "fifteen with spaces"}),
  };
  for (const auto& m : table) {
    check_round_trip(m);
  }
}

TEST_CASE("round trip over generated messages", "[irc][roundtrip]") {
  rng r(0x1badc0ffeeULL);
  std::size_t with_tags = 0;
  std::size_t with_trailing = 0;
  for (int i = 0; i < 4000; ++i) {
    const auto m = random_message(r);
    const auto encoded = irc::encode_message(m);
    INFO("iteration " << i << ": \"" << show(encoded) << "\"");
    // Exactly one CRLF, at the end.
    REQUIRE(encoded.find_first_of(std::string_view("\r\n\0", 3)) == encoded.size() - 2);
    const auto back = irc::parse_message(std::string_view(encoded).substr(0, encoded.size() - 2));
    REQUIRE(back.has_value());
    REQUIRE(*back == m);
    if (!m.tags.empty()) ++with_tags;
    if (encoded.find(" :") != std::string::npos) ++with_trailing;
  }
  // The generator exercises the interesting shapes.
  CHECK(with_tags > 1000);
  CHECK(with_trailing > 1000);
}

TEST_CASE("parsing is a fixed point of encoding on generated lines", "[irc][roundtrip]") {
  // Whatever parses, however irregular, encodes to a line that parses back to
  // the same message.
  rng r(42);
  std::size_t parsed = 0;
  for (int i = 0; i < 5000; ++i) {
    const auto line = random_line(r);
    INFO("iteration " << i << ": \"" << show(line) << "\"");
    const auto m = irc::parse_message(line);
    if (!m.has_value()) {
      continue;
    }
    ++parsed;
    const auto back = irc::parse_message(wire(*m));
    REQUIRE(back.has_value());
    REQUIRE(*back == *m);
  }
  CHECK(parsed > 500);
}

// ---- split_text ---------------------------------------------------------------------

TEST_CASE("split_text: short and empty text is one piece", "[irc][split]") {
  CHECK(irc::split_text("", 10) == std::vector<std::string_view>{""});
  CHECK(irc::split_text("hello", 10) == std::vector<std::string_view>{"hello"});
  CHECK(irc::split_text("0123456789", 10) == std::vector<std::string_view>{"0123456789"});
  // The pieces are views into the text.
  const std::string text = "some text";
  const auto pieces = irc::split_text(text, 40);
  REQUIRE(pieces.size() == 1);
  CHECK(pieces.front().data() == text.data());
}

TEST_CASE("split_text: ASCII without spaces is cut at the limit", "[irc][split]") {
  CHECK(irc::split_text("abcdefghijk", 4) == std::vector<std::string_view>{"abcd", "efgh", "ijk"});
  CHECK(irc::split_text("abcdefgh", 4) == std::vector<std::string_view>{"abcd", "efgh"});
}

TEST_CASE("split_text cuts after a space in the piece's second half", "[irc][split]") {
  CHECK(irc::split_text("hello world foo", 8) == std::vector<std::string_view>{"hello ", "world ", "foo"});
  // A space exactly at the half counts.
  CHECK(irc::split_text("abcd efghij", 8) == std::vector<std::string_view>{"abcd ", "efghij"});
  // A space only in the first half does not: a hard cut instead.
  CHECK(irc::split_text("a bcdefghijkl", 8) == std::vector<std::string_view>{"a bcdefg", "hijkl"});
  CHECK(irc::split_text("abc defghijkl", 8) == std::vector<std::string_view>{"abc defg", "hijkl"});
  // The last space of the piece is the one used.
  CHECK(irc::split_text("ab cd ef gh ij", 10) == std::vector<std::string_view>{"ab cd ef ", "gh ij"});
}

TEST_CASE("split_text never splits a UTF-8 character", "[irc][split]") {
  const std::string e_acute = "\xc3\xa9";
  const std::string euro = "\xe2\x82\xac";
  const std::string grin = "\xf0\x9f\x98\x80";
  const std::string two_e = e_acute + e_acute;
  const std::string five_e = two_e + two_e + e_acute;
  CHECK(irc::split_text(five_e, 5) == std::vector<std::string_view>{two_e, two_e, e_acute});
  const std::string two_grins = grin + grin;
  CHECK(irc::split_text(two_grins, 4) == std::vector<std::string_view>{grin, grin});
  CHECK(irc::split_text(two_grins, 7) == std::vector<std::string_view>{grin, grin});
  const std::string a_euro = "a" + euro;
  CHECK(irc::split_text(a_euro + euro, 4) == std::vector<std::string_view>{a_euro, euro});
}

TEST_CASE("split_text: generated UTF-8 text, every piece valid and in order", "[irc][split]") {
  const std::vector<std::string> pieces = {"a", "b", " ", " ", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                           ":"};
  rng r(7);
  for (int i = 0; i < 2000; ++i) {
    const auto text = repeat_pieces(r, pieces, 0, 80);
    const auto max = 4 + r.below(30);
    INFO("text: \"" << text << "\", max " << max);
    const auto out = irc::split_text(text, max);
    REQUIRE_FALSE(out.empty());
    std::string joined;
    for (std::size_t k = 0; k < out.size(); ++k) {
      const auto p = out[k];
      CHECK(p.size() <= max);
      CHECK(protocol::is_valid_utf8(p));
      if (!text.empty()) CHECK_FALSE(p.empty());
      // Each piece continues where the previous one ended.
      CHECK(p.data() == text.data() + joined.size());
      joined += p;
    }
    CHECK(joined == text);
  }
}

TEST_CASE("split_text makes progress on invalid UTF-8", "[irc][split]") {
  const std::string continuation(10, '\x80');
  const auto out = irc::split_text(continuation, 4);
  CHECK(out == std::vector<std::string_view>{continuation.substr(0, 4), continuation.substr(4, 4),
                                             continuation.substr(8)});
}

// ---- line_decoder --------------------------------------------------------------------

TEST_CASE("line_decoder: CRLF and bare LF both end a line", "[irc][decoder]") {
  irc::line_decoder d;
  CHECK(feed(d, "PING\r\nPONG\nNICK a\r\n") == std::vector<std::string>{"PING", "PONG", "NICK a"});
  CHECK(d.buffered() == 0);
}

TEST_CASE("line_decoder keeps a bare CR inside the line", "[irc][decoder]") {
  irc::line_decoder d;
  CHECK(feed(d, "A\rB\r\n") == std::vector<std::string>{"A\rB"});
  CHECK(feed(d, "C\r") == std::vector<std::string>{});
  CHECK(feed(d, "D\n") == std::vector<std::string>{"C\rD"});
  CHECK(feed(d, "E\r\r\n") == std::vector<std::string>{"E\r"});
  // parse_message then refuses it.
  CHECK(parse_err("A\rB") == errc::irc_bad_character);
}

TEST_CASE("line_decoder delivers empty lines", "[irc][decoder]") {
  irc::line_decoder d;
  CHECK(feed(d, "\r\n\nPING\n\r\n") == std::vector<std::string>{"", "", "PING", ""});
}

TEST_CASE("line_decoder: several lines and a partial one in one feed", "[irc][decoder]") {
  irc::line_decoder d;
  CHECK(feed(d, "A\nB\r\nC") == std::vector<std::string>{"A", "B"});
  CHECK(d.buffered() == 1);
  CHECK(feed(d, "D") == std::vector<std::string>{});
  CHECK(d.buffered() == 2);
  CHECK(feed(d, "\r\nE\nF\r") == std::vector<std::string>{"CD", "E"});
  CHECK(d.buffered() == 2);
  CHECK(feed(d, "\n") == std::vector<std::string>{"F"});
  CHECK(d.buffered() == 0);
}

TEST_CASE("line_decoder: lines split across feeds byte by byte", "[irc][decoder]") {
  const std::string stream = "@id=1 :a!b@c PRIVMSG #c :hello world\r\nPING x\n\r\nA\rB\r\nNICK \xc3\xa9\r\n";
  irc::line_decoder whole;
  const auto expected = feed(whole, stream);
  REQUIRE(expected == std::vector<std::string>{"@id=1 :a!b@c PRIVMSG #c :hello world", "PING x", "", "A\rB",
                                               "NICK \xc3\xa9"});
  irc::line_decoder d;
  CHECK(feed_bytewise(d, stream) == expected);
  CHECK(d.buffered() == 0);
}

TEST_CASE("line_decoder hands out views into the input when nothing is buffered", "[irc][decoder]") {
  irc::line_decoder d;
  const std::string bytes = "PING a\r\nPING b\n";
  std::vector<const char*> starts;
  d.consume(bytes, [&](tl::expected<std::string_view, errc> r) {
    REQUIRE(r.has_value());
    starts.push_back(r->data());
    return true;
  });
  CHECK(starts == std::vector<const char*>{bytes.data(), bytes.data() + 8});
}

TEST_CASE("line_decoder stops when on_line returns false and resumes later", "[irc][decoder]") {
  irc::line_decoder d;
  std::vector<std::string> got;
  d.consume("A\nB\nC\nD", [&](tl::expected<std::string_view, errc> r) {
    REQUIRE(r.has_value());
    got.emplace_back(*r);
    return got.size() < 2;
  });
  CHECK(got == std::vector<std::string>{"A", "B"});
  CHECK(d.buffered() == 3);  // "C\nD"
  // Resuming with no new bytes hands out what was left.
  CHECK(feed(d, "") == std::vector<std::string>{"C"});
  CHECK(feed(d, "\nE\n") == std::vector<std::string>{"D", "E"});
  CHECK(d.buffered() == 0);
  // Stopping while completing a buffered line keeps the rest of the new bytes.
  CHECK(feed(d, "F") == std::vector<std::string>{});
  got.clear();
  d.consume("G\nH\nI\n", [&](tl::expected<std::string_view, errc> r) {
    REQUIRE(r.has_value());
    got.emplace_back(*r);
    return false;
  });
  CHECK(got == std::vector<std::string>{"FG"});
  CHECK(feed(d, "") == std::vector<std::string>{"H", "I"});
  CHECK(d.buffered() == 0);
}

TEST_CASE("line_decoder: line length edge with the terminator", "[irc][decoder][limits]") {
  irc::line_decoder d(10);
  const std::string ten(10, 'x');
  CHECK(feed(d, ten + "\r\n" + ten + "\n") == std::vector<std::string>{ten, ten});
  CHECK(feed(d, ten + "y\r\nnext\r\n") == std::vector<std::string>{std::string(kTooLong), "next"});
  // Buffered: the limit plus a CR waits for the LF.
  CHECK(feed(d, ten + "\r") == std::vector<std::string>{});
  CHECK(d.buffered() == 11);
  CHECK(feed(d, "\n") == std::vector<std::string>{ten});
  // A CR that is not followed by LF is part of the line.
  CHECK(feed(d, ten + "\r") == std::vector<std::string>{});
  CHECK(feed(d, "z") == std::vector<std::string>{std::string(kTooLong)});
  CHECK(feed(d, "\nok\n") == std::vector<std::string>{"ok"});
}

TEST_CASE("line_decoder reports an overlong line once, as soon as it is certain", "[irc][decoder][limits]") {
  irc::line_decoder d(10);
  CHECK(feed(d, std::string(10, 'x')) == std::vector<std::string>{});
  CHECK(feed(d, "x") == std::vector<std::string>{std::string(kTooLong)});
  CHECK(d.buffered() == 0);
  // The rest of that line, over many feeds, is dropped silently.
  for (int i = 0; i < 100; ++i) {
    CHECK(feed(d, std::string(100, 'y')) == std::vector<std::string>{});
    CHECK(d.buffered() == 0);
  }
  CHECK(feed(d, "tail of the long line\r\nPING\r\n") == std::vector<std::string>{"PING"});
  CHECK(d.buffered() == 0);
}

TEST_CASE("line_decoder: an overlong line fed byte by byte, then a good line", "[irc][decoder][limits]") {
  irc::line_decoder d(10);
  CHECK(feed_bytewise(d, std::string(50, 'a') + "\r\nPING\r\n") ==
        std::vector<std::string>{std::string(kTooLong), "PING"});
  // Completing a buffered partial line that turns out too long.
  CHECK(feed(d, "12345") == std::vector<std::string>{});
  CHECK(feed(d, "678901\nPONG\n") == std::vector<std::string>{std::string(kTooLong), "PONG"});
  CHECK(d.buffered() == 0);
}

TEST_CASE("line_decoder: default limit is the largest line with tags", "[irc][decoder][limits]") {
  constexpr auto kMax = kIrcMaxClientTags + kIrcMaxLine;
  irc::line_decoder d;
  const std::string longest(kMax, 'a');
  const auto got = feed(d, longest + "\r\n" + longest + "a\r\nPING\r\n");
  REQUIRE(got.size() == 3);
  CHECK(got[0] == longest);
  CHECK(got[1] == kTooLong);
  CHECK(got[2] == "PING");
}

TEST_CASE("line_decoder: random chunking gives the same lines", "[irc][decoder]") {
  rng r(99);
  const std::vector<std::string> lines = {"PING",
                                          "",
                                          "PRIVMSG #c :hello",
                                          std::string(30, 'L'),
                                          "A\rB",
                                          std::string(20, 'x'),
                                          std::string(21, 'y'),
                                          "\xc3\xa9"};
  for (int round = 0; round < 300; ++round) {
    std::string stream;
    std::vector<std::string> expected;
    const auto n = r.below(12);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& line = r.pick(lines);
      stream += line;
      stream += r.chance(50) ? "\r\n" : "\n";
      expected.push_back(line.size() > 20 ? std::string(kTooLong) : line);
    }
    irc::line_decoder d(20);
    std::vector<std::string> got;
    std::size_t pos = 0;
    while (pos < stream.size()) {
      const auto len = 1 + r.below(25);
      for (auto& l : feed(d, std::string_view(stream).substr(pos, len))) got.push_back(std::move(l));
      pos += len;
    }
    INFO("stream: \"" << show(stream) << "\"");
    CHECK(got == expected);
    CHECK(d.buffered() == 0);
  }
}

TEST_CASE("line_decoder::shrink_if_empty keeps pending bytes", "[irc][decoder]") {
  irc::line_decoder d;
  CHECK(feed(d, "PRIV") == std::vector<std::string>{});
  d.shrink_if_empty();
  CHECK(d.buffered() == 4);
  CHECK(feed(d, "MSG #c :x\r\n") == std::vector<std::string>{"PRIVMSG #c :x"});
  d.shrink_if_empty();
  CHECK(d.buffered() == 0);
  CHECK(feed(d, "PING\n") == std::vector<std::string>{"PING"});
}

TEST_CASE("line_decoder resumes correctly after on_line stopped at the end of a buffered line",
          "[irc][lines][regression]") {
  // Found by the fuzzer: a stop right after completing a buffered line left
  // the decoder's start offset behind, and the next bytes were lost.
  protocol::irc::line_decoder d;
  std::vector<std::string> lines;
  d.consume("A", [&](auto l) {
    lines.emplace_back(*l);
    return true;
  });
  d.consume("\n", [&](auto l) {
    lines.emplace_back(*l);
    return false;
  });
  CHECK(d.buffered() == 0);
  d.consume("BC", [&](auto l) {
    lines.emplace_back(*l);
    return true;
  });
  CHECK(d.buffered() == 2);
  d.consume("\n", [&](auto l) {
    lines.emplace_back(*l);
    return true;
  });
  CHECK(lines == std::vector<std::string>{"A", "BC"});
}

TEST_CASE("has_forbidden finds NUL, CR and LF anywhere, and nothing else", "[irc]") {
  using protocol::irc::has_forbidden;
  CHECK_FALSE(has_forbidden(""));
  CHECK_FALSE(has_forbidden("PRIVMSG #room :hello \t\x01 world \xc3\xa9"));
  for (const char bad : {'\0', '\r', '\n'}) {
    const std::string c(1, bad);
    CHECK(has_forbidden(c));
    CHECK(has_forbidden(c + "text"));
    CHECK(has_forbidden("te" + c + "xt"));
    CHECK(has_forbidden("text" + c));
  }
}
