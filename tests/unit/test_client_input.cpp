// The client's command line: parse_input for every verb, the `/` aliases and
// `//text`, usage hints and the "Did you mean" suggestion for typos.
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "core/input.hpp"

using client::command;
using client::parse_input;
using client::verb;

namespace {

// The command a line parses to, checked field by field.
void check(std::string_view line, verb what, std::string_view arg, std::string_view text) {
  INFO("line: \"" << std::string(line) << "\"");
  const command c = parse_input(line);
  CHECK(c.what == what);
  CHECK(c.arg == arg);
  CHECK(c.text == text);
}

// The hint of a line that parses to verb::invalid.
std::string hint_of(std::string_view line) {
  INFO("line: \"" << std::string(line) << "\"");
  const command c = parse_input(line);
  REQUIRE(c.what == verb::invalid);
  CHECK(c.arg.empty());
  return c.text;
}

}  // namespace

TEST_CASE("parse_input: an empty or space-only line is nothing to do", "[client][input]") {
  check("", verb::none, "", "");
  check(" ", verb::none, "", "");
  check("     ", verb::none, "", "");
  check("\r", verb::none, "", "");
  check("\n", verb::none, "", "");
  check("  \r\n", verb::none, "", "");
}

TEST_CASE("parse_input: plain text is said in the current room as typed", "[client][input][say]") {
  check("hello", verb::say, "", "hello");
  check("hello world", verb::say, "", "hello world");
  check("  two  spaces  inside  ", verb::say, "", "  two  spaces  inside  ");
  check("a!b/c", verb::say, "", "a!b/c");
  check("caf\xc3\xa9 \xf0\x9f\x98\x80", verb::say, "", "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

TEST_CASE("parse_input: a line ending is dropped from said text", "[client][input][say]") {
  check("hello\r\n", verb::say, "", "hello");
  check("hello\n", verb::say, "", "hello");
  check("hello\r", verb::say, "", "hello");
}

TEST_CASE("parse_input: a text starting with a space is not a command", "[client][input][say]") {
  check(" !who", verb::say, "", " !who");
  check(" /quit", verb::say, "", " /quit");
}

TEST_CASE("parse_input: a double slash says the text with one slash", "[client][input][say]") {
  check("//text", verb::say, "", "/text");
  check("//who", verb::say, "", "/who");
  check("//", verb::say, "", "/");
  check("// spaced  out ", verb::say, "", "/ spaced  out ");
  check("///", verb::say, "", "//");
}

TEST_CASE("parse_input: a double bang says the text with one bang", "[client][input][say]") {
  check("!!wow that was fast", verb::say, "", "!wow that was fast");
  check("!!who", verb::say, "", "!who");
  check("!!", verb::say, "", "!");
  // A mistyped command still gets its hint.
  CHECK_THAT(hint_of("!wow that was fast"), Catch::Contains("Unknown command !wow."));
  CHECK_THAT(hint_of("/whoiss bob"), Catch::Contains("Did you mean /whois?"));
}

TEST_CASE("parse_input: the moderation and query commands", "[client][input]") {
  check("/whois bob", verb::whois, "bob", "");
  check("!topic", verb::topic, "", "");
  check("/topic a new  topic", verb::topic, "", "a new  topic");
  check("/topic #x the topic", verb::topic, "#x", "the topic");
  check("/away", verb::away, "", "");
  check("/away gone for lunch", verb::away, "", "gone for lunch");
  check("/kick bob", verb::kick, "bob", "");
  check("/kick bob be nice", verb::kick, "bob", "be nice");
  check("/mode +m", verb::mode, "", "+m");
  check("/mode #x +o bob", verb::mode, "", "#x +o bob");
  check("/invite bob", verb::invite, "bob", "");
  check("/invite bob x", verb::invite, "bob", "#x");
  check("/ban bob", verb::ban, "bob", "");
  check("/query bob", verb::query, "bob", "");
  check("/query bob hi there", verb::query, "bob", "hi there");
  check("/notice #x hello", verb::notice, "#x", "hello");
  check("/quote PRIVMSG bob :raw", verb::quote, "", "PRIVMSG bob :raw");
  check("/ignore", verb::ignore, "", "");
  check("/ignore bob", verb::ignore, "bob", "");
  check("/unignore bob", verb::unignore, "bob", "");
  CHECK(hint_of("/whois") == "Usage: /whois <nick>");
  CHECK(hint_of("!kick") == "Usage: !kick <nick> [reason]");
  CHECK(hint_of("/quote") == "Usage: /quote <raw IRC line>");
  CHECK(hint_of("/notice bob") == "Usage: /notice <target> <text>");
  CHECK(hint_of("/unignore") == "Usage: /unignore <nick>");
  CHECK(hint_of("/query") == "Usage: /query <nick> [text]");
}

TEST_CASE("parse_input: say via me", "[client][input][me]") {
  check("!me waves", verb::me, "", "waves");
  check("/me waves", verb::me, "", "waves");
  check("!me waves  at   everyone", verb::me, "", "waves  at   everyone");
}

TEST_CASE("parse_input: me without an action gives its usage", "[client][input][me]") {
  CHECK(hint_of("!me") == "Usage: !me <action>");
  CHECK(hint_of("!me    ") == "Usage: !me <action>");
  CHECK(hint_of("/me") == "Usage: /me <action>");
}

TEST_CASE("parse_input: who without a room is the current room", "[client][input][who]") {
  check("!who", verb::who, "", "");
  check("/who", verb::who, "", "");
  check("!who   ", verb::who, "", "");
}

TEST_CASE("parse_input: who with a room", "[client][input][who]") {
  check("!who #rust", verb::who, "#rust", "");
  check("!who rust", verb::who, "#rust", "");
  check("!who &local", verb::who, "&local", "");
  check("!who   #rust   ", verb::who, "#rust", "");
  check("/names #rust", verb::who, "#rust", "");
  check("/names", verb::who, "", "");
}

TEST_CASE("parse_input: msg takes a user and the text as typed", "[client][input][msg]") {
  check("!msg bob hi", verb::msg, "bob", "hi");
  check("/msg bob hi there", verb::msg, "bob", "hi there");
  check("!msg bob hi  there", verb::msg, "bob", "hi  there");
  check("!msg bob a  b   c", verb::msg, "bob", "a  b   c");
  check("!msg   bob hi", verb::msg, "bob", "hi");
  check("!msg #room hello", verb::msg, "#room", "hello");
}

TEST_CASE("parse_input: msg without a user or text gives its usage", "[client][input][msg]") {
  CHECK(hint_of("!msg") == "Usage: !msg <user> <text>");
  CHECK(hint_of("!msg bob") == "Usage: !msg <user> <text>");
  CHECK(hint_of("!msg bob ") == "Usage: !msg <user> <text>");
  CHECK(hint_of("!msg bob    ") == "Usage: !msg <user> <text>");
  CHECK(hint_of("!msg    ") == "Usage: !msg <user> <text>");
  CHECK(hint_of("/msg bob") == "Usage: /msg <user> <text>");
}

TEST_CASE("parse_input: join adds a missing hash sign", "[client][input][join]") {
  check("!join #rust", verb::join, "#rust", "");
  check("!join rust", verb::join, "#rust", "");
  check("/join rust", verb::join, "#rust", "");
  check("!join &local", verb::join, "&local", "");
  check("!join   rust   ", verb::join, "#rust", "");
  // Only the first word is the room.
  check("!join rust extra", verb::join, "#rust", "");
}

TEST_CASE("parse_input: join without a room gives its usage", "[client][input][join]") {
  CHECK(hint_of("!join") == "Usage: !join <#room>");
  CHECK(hint_of("!join   ") == "Usage: !join <#room>");
  CHECK(hint_of("/join") == "Usage: /join <#room>");
}

TEST_CASE("parse_input: part of the current room", "[client][input][part]") {
  check("!part", verb::part, "", "");
  check("/part", verb::part, "", "");
  check("/leave", verb::part, "", "");
}

TEST_CASE("parse_input: part with a room and a reason", "[client][input][part]") {
  check("!part #rust", verb::part, "#rust", "");
  check("!part #rust bye now", verb::part, "#rust", "bye now");
  check("!part #rust   bye  now  ", verb::part, "#rust", "bye  now");
  check("!part &local bye", verb::part, "&local", "bye");
  check("/leave #rust bye", verb::part, "#rust", "bye");
}

TEST_CASE("parse_input: part with a reason only leaves the current room", "[client][input][part]") {
  check("!part bye now", verb::part, "", "bye now");
  check("!part   see you  ", verb::part, "", "see you");
}

TEST_CASE("parse_input: rooms and its list alias", "[client][input][rooms]") {
  check("!rooms", verb::rooms, "", "");
  check("/rooms", verb::rooms, "", "");
  check("/list", verb::rooms, "", "");
  check("!list", verb::rooms, "", "");
  // Arguments are ignored.
  check("!rooms extra words", verb::rooms, "", "");
}

TEST_CASE("parse_input: nick takes one word", "[client][input][nick]") {
  check("!nick carol", verb::nick, "carol", "");
  check("/nick carol", verb::nick, "carol", "");
  check("!nick   carol   ", verb::nick, "carol", "");
  check("!nick carol extra", verb::nick, "carol", "");
}

TEST_CASE("parse_input: nick without a name gives its usage", "[client][input][nick]") {
  CHECK(hint_of("!nick") == "Usage: !nick <new nick>");
  CHECK(hint_of("/nick  ") == "Usage: /nick <new nick>");
}

TEST_CASE("parse_input: help", "[client][input][help]") {
  check("!help", verb::help, "", "");
  check("/help", verb::help, "", "");
  check("!help me", verb::help, "", "");
}

TEST_CASE("parse_input: logout quit and exit with and without a reason", "[client][input][logout]") {
  check("!logout", verb::logout, "", "");
  check("/logout", verb::logout, "", "");
  check("/quit", verb::logout, "", "");
  check("!quit", verb::logout, "", "");
  check("/exit", verb::logout, "", "");
  check("!logout gone fishing", verb::logout, "", "gone fishing");
  check("/quit   gone  fishing  ", verb::logout, "", "gone  fishing");
  check("/exit bye", verb::logout, "", "bye");
}

TEST_CASE("parse_input: command names are case-insensitive", "[client][input][case]") {
  check("!WHO", verb::who, "", "");
  check("/Who #Rust", verb::who, "#Rust", "");
  check("!MSG bob Hi", verb::msg, "bob", "Hi");
  check("!Join rust", verb::join, "#rust", "");
  check("/QUIT Bye", verb::logout, "", "Bye");
  check("!LogOut", verb::logout, "", "");
  check("/LIST", verb::rooms, "", "");
  check("/Names", verb::who, "", "");
  check("!ME waves", verb::me, "", "waves");
  check("/HELP", verb::help, "", "");
  check("/Leave", verb::part, "", "");
  check("/QUERY bob hi", verb::query, "bob", "hi");
}

TEST_CASE("parse_input: arguments keep their case", "[client][input][case]") {
  check("!nick CamelCase", verb::nick, "CamelCase", "");
  check("!msg Bob Hello World", verb::msg, "Bob", "Hello World");
}

TEST_CASE("parse_input: an unknown command close to a known one suggests it", "[client][input][invalid]") {
  const auto hint = hint_of("!whp");
  CHECK(hint == "Unknown command !whp. Did you mean !who? Type !help for the list.");
  CHECK_THAT(hint_of("!woh"), Catch::Contains("Did you mean !who?"));
  CHECK_THAT(hint_of("!wh"), Catch::Contains("Did you mean !who?"));
  CHECK_THAT(hint_of("!logot"), Catch::Contains("Did you mean !logout?"));
  CHECK_THAT(hint_of("!jion"), Catch::Contains("Did you mean !join?"));
  CHECK_THAT(hint_of("!mgs bob hi"), Catch::Contains("Did you mean !msg?"));
}

TEST_CASE("parse_input: the suggestion uses the sigil typed", "[client][input][invalid]") {
  const auto hint = hint_of("/whp");
  CHECK(hint == "Unknown command /whp. Did you mean /who? Type /help for the list.");
}

TEST_CASE("parse_input: a typo in another case is suggested in lowercase", "[client][input][invalid]") {
  CHECK_THAT(hint_of("!WHP"), Catch::Contains("Did you mean !who?"));
}

TEST_CASE("parse_input: an unknown command far from every known one has no suggestion",
          "[client][input][invalid]") {
  const auto hint = hint_of("!xyzzyplugh");
  CHECK(hint == "Unknown command !xyzzyplugh. Type !help for the list.");
  CHECK_THAT(hint, !Catch::Contains("Did you mean"));
  CHECK_THAT(hint_of("/frobnicate"), !Catch::Contains("Did you mean"));
}

TEST_CASE("parse_input: a sigil without a command name", "[client][input][invalid]") {
  CHECK_THAT(hint_of("!"), Catch::Contains("A command name must follow !"));
  CHECK_THAT(hint_of("!   "), Catch::Contains("A command name must follow !"));
  CHECK_THAT(hint_of("/"), Catch::Contains("A command name must follow /"));
}

TEST_CASE("help_text lists every command one per line", "[client][input][help]") {
  const std::string text(client::help_text());
  CHECK_FALSE(text.empty());
  CHECK(text.back() != '\n');
  for (const char* name : {"!who", "!msg", "!me", "!join", "!part", "!rooms", "!nick", "!logout", "//text"}) {
    INFO(name);
    CHECK_THAT(text, Catch::Contains(name));
  }
}

TEST_CASE("parse_input: the text of a private message keeps its spaces as typed", "[client][input]") {
  const auto c = client::parse_input("!msg bob  hi  there  ");
  CHECK(c.what == client::verb::msg);
  CHECK(c.arg == "bob");
  CHECK(c.text == " hi  there  ");
}
