// The client's seed-protocol machine, sans I/O: frames from the server and
// typed lines go in; the frames it sends, the lines it shows and its state
// are checked. The style has colour off, so shown lines are plain text.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "core/effects.hpp"
#include "core/seed_machine.hpp"
#include "core/text.hpp"
#include "net/log.hpp"
#include "protocol/seed.hpp"

using client::effects;
using client::seed_machine;
using protocol::seed::encode_frame;

namespace {

using lines = std::vector<std::string>;

std::string hex(std::string_view s) {
  return net::sample(s, s.size());  // the log's printable form: quoted, \xNN for the rest
}

bool shows(const effects& e, std::string_view part) {
  for (const auto& line : e.show)
    if (line.find(part) != std::string::npos) return true;
  return false;
}

seed_machine make(std::string name = "alice") {
  return seed_machine(std::move(name), client::style(false));
}

// Connects and gets the server's welcome.
void log_in(seed_machine& m) {
  m.connected();
  m.on_bytes(encode_frame(protocol::seed::kYouJoined));
  REQUIRE(m.logged_in());
}

}  // namespace

TEST_CASE("seed_machine: connected sends the username frame", "[client][seed][login]") {
  auto m = make();
  const auto e = m.connected();
  CHECK(e.send == encode_frame("alice"));
  CHECK(e.send == "5         alice");
  CHECK(e.show.empty());
  CHECK_FALSE(m.logged_in());
  CHECK_FALSE(m.quitting());
  CHECK_FALSE(m.awaiting_nick());
  CHECK_FALSE(m.failed());
  CHECK(m.nick() == "alice");
  CHECK(m.prompt() == "> ");
}

TEST_CASE("seed_machine: the welcome frame logs in", "[client][seed][login]") {
  auto m = make();
  m.connected();
  const auto e = m.on_bytes(encode_frame("You have joined the chat!"));
  CHECK(m.logged_in());
  CHECK(e.registered);
  CHECK(e.show == lines{"You have joined the chat!"});
  CHECK(e.send.empty());
  CHECK_FALSE(e.relogin);
}

TEST_CASE("seed_machine: lines typed before the welcome are sent after it", "[client][seed][login][queue]") {
  auto m = make();
  m.connected();
  CHECK(m.on_input("hello").send.empty());
  CHECK(m.on_input("!who").send.empty());
  CHECK(m.on_input("  spaced  ").send.empty());
  const auto e = m.on_bytes(encode_frame(protocol::seed::kYouJoined));
  CHECK(e.send == encode_frame("hello") + encode_frame("!who") + encode_frame("  spaced  "));
  CHECK(e.show == lines{"You have joined the chat!", "alice > hello", "alice >   spaced  "});
  // Nothing is queued any more.
  CHECK(m.on_input("again").send == encode_frame("again"));
}

TEST_CASE("seed_machine: a refusal first asks for another name", "[client][seed][login][relogin]") {
  auto m = make();
  m.connected();
  const auto e = m.on_bytes(encode_frame("Error: username alice is already taken"));
  CHECK_FALSE(m.logged_in());
  CHECK(e.relogin);
  CHECK_FALSE(e.registered);
  CHECK(m.awaiting_nick());
  CHECK(m.prompt() == "Username: ");
  REQUIRE(e.prompt.has_value());
  CHECK(*e.prompt == "Username: ");
  CHECK(e.show == lines{"Error: username alice is already taken", "Choose another name."});
  CHECK(e.send.empty());

  SECTION("an empty line is ignored") {
    const auto empty = m.on_input("");
    CHECK(empty.send.empty());
    CHECK(m.awaiting_nick());
    CHECK(m.nick() == "alice");
  }
  SECTION("the next line is the new name and the next connection sends it") {
    const auto answer = m.on_input("bob");
    CHECK(answer.send.empty());
    CHECK(m.nick() == "bob");
    CHECK_FALSE(m.awaiting_nick());
    REQUIRE(answer.prompt.has_value());
    CHECK(*answer.prompt == "> ");
    CHECK(m.prompt() == "> ");

    const auto again = m.connected();
    CHECK(again.send == encode_frame("bob"));
    const auto welcome = m.on_bytes(encode_frame(protocol::seed::kYouJoined));
    CHECK(m.logged_in());
    CHECK(welcome.registered);
    CHECK(m.on_input("hi").show == lines{"bob > hi"});
  }
  SECTION("a CR at the end of the name is dropped") {
    m.on_input("carol\r");
    CHECK(m.nick() == "carol");
  }
}

TEST_CASE("seed_machine: a refusal is answered by the first queued line", "[client][seed][login][relogin]") {
  auto m = make();
  m.connected();
  m.on_input("alice2");
  m.on_input("hello");
  const auto e = m.on_bytes(encode_frame("Error: username alice is already taken"));
  CHECK(e.relogin);
  CHECK(m.nick() == "alice2");
  CHECK_FALSE(m.awaiting_nick());
  CHECK(m.connected().send == encode_frame("alice2"));
  const auto welcome = m.on_bytes(encode_frame(protocol::seed::kYouJoined));
  CHECK(welcome.send == encode_frame("hello"));
}

TEST_CASE("seed_machine: text is sent as a frame and shown", "[client][seed][say]") {
  auto m = make();
  log_in(m);
  const auto e = m.on_input("hello world");
  CHECK(e.send == encode_frame("hello world"));
  CHECK(e.show == lines{"alice > hello world"});
  CHECK(m.on_input("caf\xc3\xa9").send == encode_frame("caf\xc3\xa9"));
  CHECK(m.on_input("//slash").send == encode_frame("/slash"));
  CHECK(m.on_input("").send.empty());
  CHECK(m.on_input("   ").send.empty());
}

TEST_CASE("seed_machine: our own text is sanitized when shown", "[client][seed][say]") {
  auto m = make();
  log_in(m);
  const auto e = m.on_input("a\x1b[2Jb");
  CHECK(e.send == encode_frame("a\x1b[2Jb"));
  CHECK(e.show == lines{"alice > a^[[2Jb"});
}

TEST_CASE("seed_machine: who and logout send those exact frames", "[client][seed][commands]") {
  auto m = make();
  log_in(m);
  const auto who = m.on_input("!who");
  CHECK(who.send == encode_frame("!who"));
  CHECK(who.show.empty());
  CHECK(m.on_input("/WHO").send == encode_frame("!who"));
  CHECK(m.on_input("/names").send == encode_frame("!who"));
  CHECK_FALSE(m.quitting());

  const auto bye = m.on_input("!logout");
  CHECK(bye.send == encode_frame("!logout"));
  CHECK(bye.quit);
  CHECK(m.quitting());
}

TEST_CASE("seed_machine: quit and exit also log out", "[client][seed][commands]") {
  for (const char* line : {"/quit", "/exit", "!logout with a reason"}) {
    auto m = make();
    log_in(m);
    INFO(line);
    const auto e = m.on_input(line);
    CHECK(e.send == encode_frame("!logout"));
    CHECK(e.quit);
    CHECK(m.quitting());
  }
}

TEST_CASE("seed_machine: msg sends the original's msg command", "[client][seed][commands]") {
  auto m = make();
  log_in(m);
  const auto e = m.on_input("!msg bob hi");
  CHECK(e.send == encode_frame("!msg bob hi"));
  CHECK(e.show == lines{"privately to bob > hi"});
  CHECK(m.on_input("/msg bob hi there").send == encode_frame("!msg bob hi there"));
  CHECK(m.on_input("/query bob yo").send == encode_frame("!msg bob yo"));
  CHECK(m.on_input("!MSG bob hey").send == encode_frame("!msg bob hey"));
}

TEST_CASE("seed_machine: msg without a text gives its usage", "[client][seed][commands]") {
  auto m = make();
  log_in(m);
  const auto e = m.on_input("!msg bob");
  CHECK(e.send.empty());
  CHECK(e.show == lines{"Usage: !msg <user> <text>"});
}

TEST_CASE("seed_machine: IRC-only commands are not available", "[client][seed][commands]") {
  auto m = make();
  log_in(m);
  for (const char* line : {"!join #x", "/join x", "!part", "!rooms", "/list", "!nick bob"}) {
    INFO(line);
    const auto e = m.on_input(line);
    CHECK(e.send.empty());
    REQUIRE(e.show.size() == 1);
    CHECK_THAT(e.show[0], Catch::Contains("Not available with --seed"));
  }
  CHECK_FALSE(m.quitting());
}

TEST_CASE("seed_machine: !me is sent as a CTCP ACTION, which the server shows as an emote",
          "[client][seed][commands]") {
  auto m = make();
  log_in(m);
  const auto e = m.on_input("!me waves");
  CHECK(e.send == protocol::seed::encode_frame("\x01"
                                               "ACTION waves\x01"));
  REQUIRE(e.show.size() == 1);
  CHECK_THAT(e.show[0], Catch::Contains("waves"));
  CHECK_THAT(e.show[0], Catch::StartsWith("* "));
}

TEST_CASE("seed_machine: help and unknown commands are shown not sent", "[client][seed][commands]") {
  auto m = make();
  log_in(m);
  const auto help = m.on_input("!help");
  CHECK(help.send.empty());
  CHECK(shows(help, "!msg <user> <text>"));
  const auto typo = m.on_input("!whp");
  CHECK(typo.send.empty());
  CHECK(shows(typo, "Did you mean !who?"));
}

TEST_CASE("seed_machine: frames are shown line by line", "[client][seed][frames]") {
  auto m = make();
  log_in(m);
  CHECK(m.on_bytes(encode_frame("bob > hi")).show == lines{"bob > hi"});
  CHECK(m.on_bytes(encode_frame("-> a\n-> b")).show == lines{"-> a", "-> b"});
  CHECK(m.on_bytes(encode_frame("x\n")).show == lines{"x", ""});
  CHECK(m.on_bytes(encode_frame("")).show == lines{""});
  // Two frames in one read.
  CHECK(m.on_bytes(encode_frame("one") + encode_frame("two")).show == lines{"one", "two"});
}

TEST_CASE("seed_machine: frames split across reads are reassembled", "[client][seed][frames]") {
  auto m = make();
  log_in(m);
  const std::string wire = encode_frame("bob > hello") + encode_frame("carol > hey");
  SECTION("byte by byte") {
    lines seen;
    for (const char c : wire) {
      const auto e = m.on_bytes(std::string_view(&c, 1));
      seen.insert(seen.end(), e.show.begin(), e.show.end());
    }
    CHECK(seen == lines{"bob > hello", "carol > hey"});
  }
  SECTION("inside the header") {
    CHECK(m.on_bytes(wire.substr(0, 4)).show.empty());
    CHECK(m.on_bytes(wire.substr(4, 12)).show.empty());
    CHECK(m.on_bytes(wire.substr(16)).show == lines{"bob > hello", "carol > hey"});
  }
  SECTION("at every cut") {
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
      auto fresh = make();
      log_in(fresh);
      lines seen;
      for (const auto& part : {wire.substr(0, cut), wire.substr(cut)}) {
        const auto e = fresh.on_bytes(part);
        seen.insert(seen.end(), e.show.begin(), e.show.end());
      }
      INFO("cut at " << cut);
      CHECK(seen == lines{"bob > hello", "carol > hey"});
      CHECK_FALSE(fresh.failed());
    }
  }
  CHECK_FALSE(m.failed());
}

TEST_CASE("seed_machine: the welcome split across reads logs in", "[client][seed][frames]") {
  auto m = make();
  m.connected();
  const auto wire = encode_frame(protocol::seed::kYouJoined);
  CHECK(m.on_bytes(wire.substr(0, 13)).show.empty());
  CHECK_FALSE(m.logged_in());
  CHECK(m.on_bytes(wire.substr(13)).registered);
  CHECK(m.logged_in());
}

TEST_CASE("seed_machine: a frame with control bytes is sanitized", "[client][seed][frames][hostile]") {
  auto m = make();
  log_in(m);
  const auto e = m.on_bytes(encode_frame("ev\x1b[2Jil\x07 > \x1b]0;title\x07\xe2\x80\xae\xc2\x9b\xff"));
  CHECK(e.show == lines{"ev^[[2Jil^G > ^[]0;title^G<U+202E><U+009B>\xEF\xBF\xBD"});
  for (const auto& line : e.show) {
    INFO(hex(line));
    for (const char c : line) CHECK(static_cast<unsigned char>(c) >= 0x20);
  }
  // A CR inside a line is made visible too.
  CHECK(m.on_bytes(encode_frame("a\r\nb")).show == lines{"a^M", "b"});
}

TEST_CASE("seed_machine: an invalid header fails", "[client][seed][frames][errors]") {
  auto m = make();
  log_in(m);
  const auto e = m.on_bytes("garbage!!!");
  CHECK(m.failed());
  INFO(e.show.size());
  CHECK(shows(e, "Invalid data from the server"));
  CHECK(shows(e, "invalid frame header"));
}

TEST_CASE("seed_machine: an invalid header is caught at its first bad byte",
          "[client][seed][frames][errors]") {
  auto m = make();
  log_in(m);
  CHECK_FALSE(m.failed());
  m.on_bytes("x");
  CHECK(m.failed());
}

TEST_CASE("seed_machine: frames before a bad header are still shown", "[client][seed][frames][errors]") {
  auto m = make();
  log_in(m);
  const auto e = m.on_bytes(encode_frame("fine") + "not a header");
  CHECK(m.failed());
  REQUIRE(e.show.size() == 2);
  CHECK(e.show[0] == "fine");
  CHECK_THAT(e.show[1], Catch::Contains("Invalid data from the server"));
}

TEST_CASE("seed_machine: a frame too large fails", "[client][seed][frames][errors]") {
  auto m = make();
  log_in(m);
  const auto e = m.on_bytes("9999999999");
  CHECK(m.failed());
  CHECK(shows(e, "frame too large"));
}

TEST_CASE("seed_machine: a reconnect starts a fresh decoder and login", "[client][seed][reconnect]") {
  auto m = make();
  log_in(m);
  m.on_bytes("garbage!!!");
  REQUIRE(m.failed());
  const auto e = m.connected();
  CHECK(e.send == encode_frame("alice"));
  CHECK_FALSE(m.failed());
  CHECK_FALSE(m.logged_in());
  // A partial frame from the old connection is forgotten too.
  auto n = make();
  log_in(n);
  n.on_bytes("20        half");
  n.connected();
  const auto welcome = n.on_bytes(encode_frame(protocol::seed::kYouJoined));
  CHECK(n.logged_in());
  CHECK(welcome.show == lines{"You have joined the chat!"});
}

TEST_CASE("seed_machine: after a logout a reconnect clears quitting", "[client][seed][reconnect]") {
  auto m = make();
  log_in(m);
  m.on_input("!logout");
  REQUIRE(m.quitting());
  m.connected();
  CHECK_FALSE(m.quitting());
}

TEST_CASE("seed_machine: end of input", "[client][seed][logout]") {
  SECTION("logged in it logs out") {
    auto m = make();
    log_in(m);
    const auto e = m.on_end_of_input();
    CHECK(e.send == encode_frame("!logout"));
    CHECK(e.quit);
    CHECK(m.quitting());
  }
  SECTION("before the welcome with nothing queued it just quits") {
    auto m = make();
    m.connected();
    const auto e = m.on_end_of_input();
    CHECK(e.send.empty());
    CHECK(e.quit);
    CHECK(m.quitting());
  }
  SECTION("while a name is asked for it just quits") {
    auto m = make();
    m.connected();
    m.on_bytes(encode_frame("Error: username alice is already taken"));
    const auto e = m.on_end_of_input();
    CHECK(e.send.empty());
    CHECK(e.quit);
    CHECK(m.quitting());
  }
  SECTION("before the welcome queued lines are sent first") {
    auto m = make();
    m.connected();
    m.on_input("bye all");
    CHECK_FALSE(m.on_end_of_input().quit);
    const auto e = m.on_bytes(encode_frame(protocol::seed::kYouJoined));
    CHECK(e.send == encode_frame("bye all") + encode_frame("!logout"));
    CHECK(e.quit);
    CHECK(m.quitting());
  }
}
