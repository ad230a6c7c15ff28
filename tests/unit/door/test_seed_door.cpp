// The seed door without sockets: login and its refusals, commands, and how
// IRC users' events read in the seed protocol's words.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/seed.hpp"
#include "support/door_harness.hpp"

using test::door_harness;
using frames_t = std::vector<std::string>;

namespace {

void say(door_harness::client& c, std::string_view text) {
  c.send_raw(protocol::seed::encode_frame(text));
}

}  // namespace

TEST_CASE("seed door: login, text, !who, !msg and !logout", "[door][seed]") {
  door_harness h;
  auto& a = h.seed();
  REQUIRE(a.link->deadline() == h.seed_settings().login_timeout);
  say(a, "alice");
  CHECK(a.frames() == frames_t{"You have joined the chat!"});
  CHECK(!a.link->deadline().has_value());
  auto& b = h.seed();
  say(b, "bob");
  CHECK(b.frames() == frames_t{"You have joined the chat!"});
  CHECK(a.frames() == frames_t{"bob has joined the chat!"});
  say(a, "hello");
  CHECK(b.frames() == frames_t{"alice > hello"});
  CHECK(a.frames().empty());  // never an echo
  say(a, "!who");
  CHECK(a.frames() == frames_t{"-> bob"});
  say(a, "!msg BOB psst");
  CHECK(b.frames() == frames_t{"privately alice > psst"});
  say(a, "!msg carol hi");
  CHECK(a.frames() == frames_t{"carol is not online"});
  say(a, "!msg bob");
  CHECK(a.frames() == frames_t{"Usage: !msg <user> <message>"});
  say(b, "!logout");
  CHECK(b.link->closing());
  CHECK(a.frames() == frames_t{"bob has left the chat!"});
  say(a, "!who");
  CHECK(a.frames() == frames_t{"No one but you is active"});
}

TEST_CASE("seed door: refused logins close with a reason", "[door][seed]") {
  door_harness h;
  auto& taken = h.seed_user("alice");
  (void)taken;
  SECTION("taken, in any letter case") {
    auto& c = h.seed();
    say(c, "ALICE");
    CHECK(c.frames() == frames_t{"Error: username ALICE is already taken"});
    CHECK(c.link->closing());
  }
  SECTION("not a nick") {
    auto& c = h.seed();
    say(c, "9lives");
    CHECK(c.frames()[0].starts_with("Error: username has a character that is not allowed"));
    CHECK(c.link->closing());
  }
  SECTION("a bad header") {
    auto& c = h.seed();
    c.send_raw("nonsense!!");
    CHECK(c.frames() == frames_t{"Error: invalid frame header"});
    CHECK(c.link->closing());
  }
  SECTION("the login deadline") {
    auto& c = h.seed();
    c.door->on_deadline();
    CHECK(c.frames() == frames_t{"Error: login timed out"});
    CHECK(c.link->closing());
  }
}

TEST_CASE("seed door: what IRC users do, in seed words", "[door][seed][irc]") {
  door_harness h;
  auto& s = h.seed_user("sid");
  auto& i = h.irc_user("ivy");
  i.send("JOIN #lobby");
  CHECK(s.frames() == frames_t{"ivy has joined the chat!"});
  i.send("PRIVMSG #lobby :hi sid");
  CHECK(s.frames() == frames_t{"ivy > hi sid"});
  i.send(
      "PRIVMSG #lobby :\x01"
      "ACTION dances\x01");
  CHECK(s.frames() == frames_t{"* ivy dances"});
  i.send(
      "PRIVMSG sid :\x01"
      "ACTION winks\x01");
  CHECK(s.frames() == frames_t{"privately * ivy winks"});
  i.send("NOTICE sid :a notice");
  CHECK(s.frames() == frames_t{"privately ivy > a notice"});
  i.send("@+typing=active TAGMSG #lobby");
  CHECK(s.frames().empty());
  i.send("NICK ivan");
  CHECK(s.frames() == frames_t{"ivy is now known as ivan"});
  i.send("TOPIC #lobby :a topic");
  CHECK(s.frames().empty());  // no words for it
  // The seed user's text reaches IRC users as PRIVMSG from nick!nick@host.
  (void)i.lines();
  say(s, "hello ivan");
  CHECK(i.lines() == std::vector<std::string>{":sid!sid@127.0.0.1 PRIVMSG #lobby :hello ivan"});
  i.send("PART #lobby");
  CHECK(s.frames() == frames_t{"ivan has left the chat!"});
}

TEST_CASE("seed door: a kick, a ban and a moderated lobby", "[door][seed][irc]") {
  door_harness h;
  auto& op = h.irc_user("op");
  op.send("JOIN #lobby");  // the first who may operate becomes operator
  auto& s = h.seed_user("sid");
  auto& t = h.seed_user("tom");
  (void)s.frames();
  op.send("MODE #lobby +m");
  say(s, "can I speak?");
  CHECK(s.frames() == frames_t{"Error: you cannot send to the chat now (moderated or banned)"});
  op.send("KICK #lobby sid :rude");
  CHECK(s.frames() == frames_t{"You were kicked from the chat by op: rude"});
  CHECK(s.link->closing());
  CHECK(t.frames() == frames_t{"sid has left the chat!"});
  op.send("MODE #lobby -m+b bad!*@*");
  auto& bad = h.seed();
  say(bad, "bad");
  CHECK(bad.frames() == frames_t{"Error: you are banned from the chat"});
  CHECK(bad.link->closing());
}

TEST_CASE("seed door: shutdown, flood and a lost connection", "[door][seed]") {
  door_harness h;
  auto& a = h.seed_user("a");
  auto& b = h.seed_user("b");
  (void)a.frames();
  a.door->on_shutdown();
  CHECK(a.frames() == frames_t{"Server is shutting down"});
  b.door->on_excess_flood();
  CHECK(b.frames() == frames_t{"Error: too many messages too fast, disconnecting"});
  CHECK(b.link->closing());
  CHECK(a.frames() == frames_t{"b has left the chat!"});
  auto& c = h.seed_user("c");
  (void)a.frames();
  c.stop();
  CHECK(a.frames() == frames_t{"c has left the chat!"});
  auto& again = h.seed_user("c");  // the name is free again
  CHECK(again.link->bytes().find("You have joined") != std::string::npos);
}
