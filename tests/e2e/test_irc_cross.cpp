// The two front doors share rooms and nicks: seed users are members of
// #lobby, and messages cross both ways.
#include <optional>

#include <catch2/catch.hpp>

#include "protocol/limits.hpp"
#include "support/irc_client.hpp"
#include "support/seed_client.hpp"
#include "support/test_server.hpp"

using test::irc_client;
using test::irc_login;
using test::login;
using test::seed_client;
using namespace std::chrono_literals;

namespace {

// An IRC user in #lobby and a seed user, each having seen the other arrive.
struct pair_in_lobby {
  // ann joins #lobby first (and so is its operator), then sam logs in.
  explicit pair_in_lobby(test::test_server& server) : ann(irc_login(server.irc_port(), "ann")) {
    ann.send("JOIN #lobby");
    REQUIRE(ann.expect(" 366 ").has_value());
    sam.emplace(login(server.port(), "sam"));
    REQUIRE(ann.expect("JOIN #lobby") == ":sam!sam@127.0.0.1 JOIN #lobby");
  }
  irc_client ann;
  std::optional<seed_client> sam;
};

}  // namespace

TEST_CASE("seed users are ordinary nicks in #lobby", "[irc][cross]") {
  test::test_server server;
  auto sam = login(server.port(), "sam");
  auto ann = irc_login(server.irc_port(), "ann");
  ann.send("JOIN #lobby");
  // A seed user is never operator: it could not act as one. ann, who can, is.
  CHECK(ann.expect(" 353 ") == ":chat.server 353 ann = #lobby :sam @ann");
  CHECK(sam.recv() == "ann has joined the chat!");
  ann.send("WHOIS sam");
  CHECK(ann.expect(" 311 ") == ":chat.server 311 ann sam sam 127.0.0.1 * :sam");
  CHECK(ann.line() == ":chat.server 319 ann sam :#lobby");
  sam.send("!who");
  CHECK(sam.recv() == "-> ann");
}

TEST_CASE("messages cross between the front doors both ways", "[irc][cross]") {
  test::test_server server;
  pair_in_lobby p(server);
  p.sam->send("hello from seed");
  CHECK(p.ann.line() == ":sam!sam@127.0.0.1 PRIVMSG #lobby :hello from seed");
  p.ann.send("PRIVMSG #lobby :hello from irc");
  CHECK(p.sam->recv() == "ann > hello from irc");
  p.ann.send("NOTICE #lobby :a notice");
  CHECK(p.sam->recv() == "ann > a notice");
  p.ann.send("PRIVMSG sam :private to seed");
  CHECK(p.sam->recv() == "privately ann > private to seed");
  p.sam->send("!msg ann private to irc");
  CHECK(p.ann.line() == ":sam!sam@127.0.0.1 PRIVMSG ann :private to irc");
  p.sam->send("!msg ANN case does not matter");
  CHECK(p.ann.line() == ":sam!sam@127.0.0.1 PRIVMSG ann :case does not matter");
}

TEST_CASE("one nick namespace for both front doors", "[irc][cross]") {
  test::test_server server;
  auto sam = login(server.port(), "sam");
  irc_client c(server.irc_port());
  c.send("NICK Sam");
  CHECK(c.line()->find(" 433 * Sam :Nickname is already in use") != std::string::npos);
  auto ann = irc_login(server.irc_port(), "ann");
  seed_client s(server.port());
  s.send("ANN");
  CHECK(s.recv() == "Error: username ANN is already taken");
  CHECK(s.closed_within());
}

TEST_CASE("departures, nick changes and kicks reach the other side", "[irc][cross]") {
  test::test_server server;
  pair_in_lobby p(server);
  p.ann.send("NICK annie");
  CHECK(p.sam->recv() == "ann is now known as annie");
  p.sam->send("!msg annie still reachable");
  CHECK(p.ann.expect("PRIVMSG") == ":sam!sam@127.0.0.1 PRIVMSG annie :still reachable");

  SECTION("an IRC user quits") {
    p.ann.send("QUIT :bye");
    CHECK(p.sam->recv() == "annie has left the chat!");
  }
  SECTION("an IRC user parts #lobby") {
    p.ann.send("PART #lobby");
    CHECK(p.sam->recv() == "annie has left the chat!");
  }
  SECTION("a seed user leaves") {
    p.sam->close();
    CHECK(p.ann.expect("PART") == ":sam!sam@127.0.0.1 PART #lobby");  // seed users leave the room
  }
}

TEST_CASE("a seed user kicked from #lobby is told and disconnected", "[irc][cross]") {
  test::test_server server;
  auto boss = irc_login(server.irc_port(), "boss");
  boss.send("JOIN #lobby");  // first member: operator
  REQUIRE(boss.expect(" 366 ").has_value());
  auto sam = login(server.port(), "sam");
  REQUIRE(boss.expect("JOIN #lobby").has_value());
  boss.send("KICK #lobby sam :spam");
  CHECK(sam.recv() == "You were kicked from the chat by boss: spam");
  CHECK(sam.closed_within());
  boss.send("MODE #lobby +b sam!*@*");
  REQUIRE(boss.expect("MODE").has_value());
  seed_client again(server.port());
  again.send("sam");
  CHECK(again.recv() == "Error: you are banned from the chat");  // the room refuses the login
  CHECK(again.closed_within());
}

TEST_CASE("long and multi-line seed text becomes several IRC lines of at most 512 bytes", "[irc][cross]") {
  test::test_server server;
  pair_in_lobby p(server);
  std::string text;
  while (text.size() < protocol::kMaxSeedPayload - 8) text += "caf\xc3\xa9 \xf0\x9f\x98\x80 ";
  p.sam->send(text);
  std::string joined;
  while (joined.size() < text.size()) {
    auto l = p.ann.line();
    REQUIRE(l);
    CHECK(l->size() + 2 <= protocol::kIrcMaxLine);
    const std::string head = ":sam!sam@127.0.0.1 PRIVMSG #lobby :";
    REQUIRE(l->starts_with(head));
    joined += l->substr(head.size());
  }
  CHECK(joined == text);

  p.sam->send("line one\r\nQUIT :injected\nline two");
  CHECK(p.ann.line() == ":sam!sam@127.0.0.1 PRIVMSG #lobby :line one");
  CHECK(p.ann.line() == ":sam!sam@127.0.0.1 PRIVMSG #lobby :QUIT :injected");
  CHECK(p.ann.line() == ":sam!sam@127.0.0.1 PRIVMSG #lobby :line two");
}
