// Seed commands (client to server) and the exact texts the server answers with.
#include <array>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/errc.hpp"
#include "protocol/limits.hpp"
#include "protocol/seed.hpp"

using protocol::errc;
namespace seed = protocol::seed;

namespace {

seed::command command_ok(std::string_view payload) {
  const auto r = seed::parse_command(payload);
  INFO("payload: \"" << std::string(payload) << "\"");
  REQUIRE(r.has_value());
  return *r;
}

errc command_err(std::string_view payload) {
  const auto r = seed::parse_command(payload);
  INFO("payload: \"" << std::string(payload) << "\"");
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

// The text of a plain `say`; fails the test for any other command.
std::string said(std::string_view payload) {
  const auto cmd = command_ok(payload);
  const auto* s = std::get_if<seed::say>(&cmd);
  INFO("payload: \"" << std::string(payload) << "\" index " << cmd.index());
  REQUIRE(s != nullptr);
  return std::string(s->text);
}

seed::private_message private_ok(std::string_view payload) {
  const auto cmd = command_ok(payload);
  const auto* m = std::get_if<seed::private_message>(&cmd);
  INFO("payload: \"" << std::string(payload) << "\" index " << cmd.index());
  REQUIRE(m != nullptr);
  return *m;
}

}  // namespace

// ---- parse_command ------------------------------------------------------------

TEST_CASE("!who matches exactly", "[seed][commands]") {
  CHECK(std::holds_alternative<seed::who>(command_ok("!who")));
  CHECK(said("!who ") == "!who ");
  CHECK(said(" !who") == " !who");
  CHECK(said("!WHO") == "!WHO");
  CHECK(said("!Who") == "!Who");
  CHECK(said("!whoami") == "!whoami");
  CHECK(said("!who\n") == "!who\n");
}

TEST_CASE("!logout matches exactly", "[seed][commands]") {
  CHECK(std::holds_alternative<seed::logout>(command_ok("!logout")));
  CHECK(said("!logout ") == "!logout ");
  CHECK(said("!LOGOUT") == "!LOGOUT");
  CHECK(said("!log") == "!log");
}

TEST_CASE("!msg splits at the first two spaces like split(' ', 2)", "[seed][commands]") {
  {
    const auto m = private_ok("!msg bob hi there");
    CHECK(m.to == "bob");
    CHECK(m.text == "hi there");
  }
  {
    const auto m = private_ok("!msg bob  x");
    CHECK(m.to == "bob");
    CHECK(m.text == " x");
  }
  {
    const auto m = private_ok("!msg bob x");
    CHECK(m.to == "bob");
    CHECK(m.text == "x");
  }
  {
    const auto m = private_ok("!msg bob hi  there ");
    CHECK(m.to == "bob");
    CHECK(m.text == "hi  there ");
  }
  {
    const auto m = private_ok("!msg Bob !who");
    CHECK(m.to == "Bob");
    CHECK(m.text == "!who");
  }
  {
    // UTF-8 text passes through untouched.
    const auto m = private_ok("!msg bob \xC3\xA9t\xC3\xA9");
    CHECK(m.to == "bob");
    CHECK(m.text == "\xC3\xA9t\xC3\xA9");
  }
}

TEST_CASE("!msg without a user or text is a usage error", "[seed][commands]") {
  for (std::string_view p : {"!msg", "!msg ", "!msg bob", "!msg bob ", "!msg  bob hi", "!msg  ", "!msg   "}) {
    CHECK(command_err(p) == errc::msg_usage);
  }
}

TEST_CASE("words that merely start with !msg are plain text", "[seed][commands]") {
  CHECK(said("!msgfoo a b") == "!msgfoo a b");
  CHECK(said("!MSG bob hi") == "!MSG bob hi");
  CHECK(said(" !msg bob hi") == " !msg bob hi");
}

TEST_CASE("plain text is said as it is", "[seed][commands]") {
  CHECK(said("hello") == "hello");
  CHECK(said(" ") == " ");
  CHECK(said("!") == "!");
  CHECK(said("multi\nline") == "multi\nline");
  CHECK(said("\xE2\x82\xAC 5") == "\xE2\x82\xAC 5");
}

TEST_CASE("parse_command errors", "[seed][commands]") {
  CHECK(command_err("") == errc::empty_message);
  CHECK(command_err("\xFF") == errc::invalid_utf8);
  CHECK(command_err("hello \xC0\x80") == errc::invalid_utf8);
  CHECK(command_err("\xC3") == errc::invalid_utf8);
  CHECK(command_err("!msg bob \xFF") == errc::invalid_utf8);
  CHECK(command_err("!who\xFF") == errc::invalid_utf8);
}

// ---- parse_username -----------------------------------------------------------

TEST_CASE("parse_username", "[seed][commands]") {
  {
    const auto r = seed::parse_username("alice");
    REQUIRE(r.has_value());
    CHECK(*r == "alice");
  }
  {
    const auto r = seed::parse_username("[bob]_-1");
    REQUIRE(r.has_value());
    CHECK(*r == "[bob]_-1");
  }
  const std::string longest(protocol::kMaxNickLength, 'n');
  {
    const auto r = seed::parse_username(longest);
    REQUIRE(r.has_value());
    CHECK(*r == longest);
  }
  auto err = [](std::string_view name) {
    const auto r = seed::parse_username(name);
    INFO("name: \"" << std::string(name) << "\"");
    REQUIRE_FALSE(r.has_value());
    return r.error();
  };
  CHECK(err("") == errc::nick_empty);
  CHECK(err(longest + "n") == errc::nick_too_long);
  CHECK(err("1alice") == errc::nick_invalid);
  CHECK(err("al ice") == errc::nick_invalid);
  CHECK(err("alice\n") == errc::nick_invalid);
  CHECK(err("\xC3\xA9lise") == errc::nick_invalid);  // valid UTF-8, not a nick
  CHECK(err("\xFF") == errc::invalid_utf8);
  CHECK(err("ali\xC3") == errc::invalid_utf8);
}

// ---- texts --------------------------------------------------------------------

TEST_CASE("texts are byte-exact with the original", "[seed][texts]") {
  CHECK(seed::kYouJoined == "You have joined the chat!");
  CHECK(seed::kNoOneElse == "No one but you is active");
  CHECK(seed::joined_text("alice") == "alice has joined the chat!");
  CHECK(seed::left_text("alice") == "alice has left the chat!");
  CHECK(seed::said_text("alice", "hi there") == "alice > hi there");
  CHECK(seed::said_text("alice", "") == "alice > ");
  CHECK(seed::private_text("bob", "psst") == "privately bob > psst");
  CHECK(seed::not_online_text("carol") == "carol is not online");
}

TEST_CASE("who_text lists the others", "[seed][texts]") {
  CHECK(seed::who_text({}) == "No one but you is active");
  const std::array<std::string_view, 1> one = {"a"};
  CHECK(seed::who_text(one) == "-> a");
  const std::array<std::string_view, 2> two = {"a", "b"};
  CHECK(seed::who_text(two) == "-> a\n-> b");
  const std::vector<std::string_view> three = {"carol", "alice", "bob"};
  CHECK(seed::who_text(three) == "-> carol\n-> alice\n-> bob");
}

TEST_CASE("describe() has a short text for every errc", "[seed][texts]") {
  CHECK(protocol::describe(errc::frame_header_invalid) == "invalid frame header");
  CHECK(protocol::describe(errc::frame_too_large) == "frame too large");
  CHECK(protocol::describe(errc::nick_empty) == "username is empty");
  CHECK(protocol::describe(errc::nick_too_long) == "username is too long");
  CHECK(protocol::describe(errc::nick_invalid) == "username has a character that is not allowed");
  CHECK(protocol::describe(errc::invalid_utf8) == "message is not valid UTF-8");
  CHECK(protocol::describe(errc::empty_message) == "message is empty");
  CHECK(protocol::describe(errc::msg_usage) == "usage: !msg <user> <message>");
  for (auto e : {errc::frame_header_invalid, errc::frame_too_large, errc::nick_empty, errc::nick_too_long,
                 errc::nick_invalid, errc::invalid_utf8, errc::empty_message, errc::msg_usage}) {
    const auto d = protocol::describe(e);
    REQUIRE_FALSE(d.empty());
    CHECK(d.back() != '.');
  }
}

TEST_CASE("error_text for each errc", "[seed][texts]") {
  CHECK(seed::error_text(errc::frame_header_invalid) == "Error: invalid frame header");
  CHECK(seed::error_text(errc::frame_too_large) == "Error: frame too large (limit 8192 bytes)");
  CHECK(seed::error_text(errc::nick_empty) == "Error: username is empty");
  CHECK(seed::error_text(errc::nick_too_long) == "Error: username is too long (limit 30 bytes)");
  CHECK(
      seed::error_text(errc::nick_invalid) ==
      R"x(Error: username has a character that is not allowed (use letters, digits and []\`_^{|}-, not starting with a digit or -))x");
  CHECK(seed::error_text(errc::invalid_utf8) == "Error: message is not valid UTF-8");
  CHECK(seed::error_text(errc::empty_message) == "Error: message is empty");
  CHECK(seed::error_text(errc::msg_usage) == "Usage: !msg <user> <message>");
}

TEST_CASE("name_taken_text and fixed notices", "[seed][texts]") {
  CHECK(seed::name_taken_text("bob") == "Error: username bob is already taken");
  CHECK(seed::kLoginTimeout == "Error: login timed out");
  CHECK(seed::kOutboxOverflow == "Error: too much unread data, disconnecting");
  CHECK(seed::kServerShutdown == "Server is shutting down");
}
