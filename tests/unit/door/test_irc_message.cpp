// The IRC door without sockets: PRIVMSG, NOTICE and TAGMSG to channels and
// users, with capabilities (echo-message, server-time, message-tags), CTCP
// ACTION, away replies, several targets, and the cut that keeps a relayed
// message on one line.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/limits.hpp"
#include "support/door_harness.hpp"

using test::door_harness;
using test::has_line;
using lines_t = std::vector<std::string>;

TEST_CASE("irc door: PRIVMSG and NOTICE to a channel and to a user", "[door][irc][privmsg]") {
  door_harness h;
  auto& a = h.irc_user("a");
  auto& b = h.irc_user("b");
  a.send("JOIN #x");
  b.send("JOIN #x");
  (void)a.lines();
  (void)b.lines();
  a.send("PRIVMSG #x :hello there");
  CHECK(b.lines() == lines_t{":a!~a@127.0.0.1 PRIVMSG #x :hello there"});
  CHECK(a.lines().empty());  // no echo without echo-message
  a.send("NOTICE #X :note");
  CHECK(b.lines() == lines_t{":a!~a@127.0.0.1 NOTICE #x :note"});
  a.send("PRIVMSG B :psst");
  CHECK(b.lines() == lines_t{":a!~a@127.0.0.1 PRIVMSG b :psst"});
  a.send("privmsg b :lower case");
  CHECK(b.lines() == lines_t{":a!~a@127.0.0.1 PRIVMSG b :lower case"});
  a.send("PRIVMSG a :to myself");  // delivered, as every IRC server does
  CHECK(a.lines() == lines_t{":a!~a@127.0.0.1 PRIVMSG a :to myself"});
}

TEST_CASE("irc door: PRIVMSG errors, and NOTICE never gets one", "[door][irc][privmsg]") {
  door_harness h;
  auto& a = h.irc_user("a");
  a.send("PRIVMSG");
  a.send("PRIVMSG b");
  a.send("PRIVMSG b :");
  a.send("PRIVMSG ghost :hi");
  a.send("PRIVMSG #none :hi");
  CHECK(a.lines() == lines_t{":chat.server 411 a :No recipient given (PRIVMSG)",
                             ":chat.server 412 a :No text to send", ":chat.server 412 a :No text to send",
                             ":chat.server 401 a ghost :No such nick/channel",
                             ":chat.server 403 a #none :No such channel"});
  a.send("NOTICE");
  a.send("NOTICE b");
  a.send("NOTICE ghost :hi");
  a.send("NOTICE #none :hi");
  CHECK(a.lines().empty());
  // +n: outsiders cannot send to the channel (a NOTICE fails silently).
  auto& b = h.irc_user("b");
  b.send("JOIN #x");
  a.send("PRIVMSG #x :outside");
  a.send("NOTICE #x :outside");
  CHECK(a.lines() == lines_t{":chat.server 404 a #x :Cannot send to channel"});
  CHECK(!has_line(b.lines(), "outside"));
}

TEST_CASE("irc door: a message to an away user gets 301", "[door][irc][privmsg][away]") {
  door_harness h;
  auto& a = h.irc_user("a");
  auto& b = h.irc_user("b");
  b.send("AWAY :at lunch");
  CHECK(b.lines() == lines_t{":chat.server 306 b :You have been marked as being away"});
  a.send("PRIVMSG b :hi");
  CHECK(a.lines() == lines_t{":chat.server 301 a b :at lunch"});
  CHECK(b.lines() == lines_t{":a!~a@127.0.0.1 PRIVMSG b :hi"});
  a.send("NOTICE b :hi");
  CHECK(a.lines().empty());
  b.send("AWAY");
  CHECK(b.lines().back() == ":chat.server 305 b :You are no longer marked as being away");
  a.send("PRIVMSG b :back?");
  CHECK(a.lines().empty());
}

TEST_CASE("irc door: up to four targets in one PRIVMSG", "[door][irc][privmsg]") {
  door_harness h;
  auto& a = h.irc_user("a");
  std::vector<door_harness::client*> others;
  for (const auto* n : {"b", "c", "d", "e", "f"}) others.push_back(&h.irc_user(n));
  a.send("PRIVMSG b,c,,d,e,f :all");
  CHECK(others[0]->lines() == lines_t{":a!~a@127.0.0.1 PRIVMSG b :all"});
  CHECK(others[3]->lines() == lines_t{":a!~a@127.0.0.1 PRIVMSG e :all"});
  CHECK(others[4]->lines().empty());  // TARGMAX=PRIVMSG:4
}

TEST_CASE("irc door: echo-message, server-time and message-tags", "[door][irc][privmsg][cap]") {
  door_harness h;
  auto& a = h.irc();
  a.send("CAP REQ :echo-message server-time message-tags");
  a.send("NICK a");
  a.send("USER a 0 * :A");
  a.send("CAP END");
  (void)a.lines();
  auto& b = h.irc_user("b");
  a.send("JOIN #x");
  b.send("JOIN #x");
  (void)a.lines();
  (void)b.lines();
  a.send("@+draft/react=x;+other=a\\sb;notclient=1 PRIVMSG #x :tagged");
  const auto mine = a.lines();
  REQUIRE(mine.size() == 1);
  CHECK(mine[0].starts_with("@time="));
  CHECK(mine[0].find(";+draft/react=x;+other=a\\sb :a!~a@127.0.0.1 PRIVMSG #x :tagged") != std::string::npos);
  CHECK(mine[0].find("notclient") == std::string::npos);
  // Without the caps, b gets neither the time nor the client tags.
  CHECK(b.lines() == lines_t{":a!~a@127.0.0.1 PRIVMSG #x :tagged"});
  // TAGMSG reaches only clients with message-tags.
  b.send("@+typing=active TAGMSG #x");
  CHECK(has_line(a.lines(), "+typing=active :b!~b@127.0.0.1 TAGMSG #x"));
  a.send("@+typing=done TAGMSG #x");
  CHECK(b.lines().empty());
  CHECK(has_line(a.lines(), "+typing=done :a!~a@127.0.0.1 TAGMSG #x"));  // echo-message
  b.send("TAGMSG #x");                                                   // no client tags: nothing to relay
  CHECK(a.lines().empty());
  // echo-message for a private message: the sender sees it once.
  a.send("PRIVMSG b :direct");
  CHECK(test::count_lines(a.lines(), "PRIVMSG b :direct") == 1);
}

TEST_CASE("irc door: CTCP ACTION is relayed as it came", "[door][irc][privmsg][action]") {
  door_harness h;
  auto& a = h.irc_user("a");
  auto& b = h.irc_user("b");
  a.send(
      "PRIVMSG b :\x01"
      "ACTION waves\x01");
  CHECK(b.lines() == lines_t{":a!~a@127.0.0.1 PRIVMSG b :\x01"
                             "ACTION waves\x01"});
  a.send(
      "PRIVMSG b :\x01"
      "ACTION no closing byte");
  CHECK(b.lines() == lines_t{":a!~a@127.0.0.1 PRIVMSG b :\x01"
                             "ACTION no closing byte\x01"});
  a.send("PRIVMSG b :\x01VERSION\x01");  // other CTCPs are plain text to relay
  CHECK(b.lines() == lines_t{":a!~a@127.0.0.1 PRIVMSG b :\x01VERSION\x01"});
}

TEST_CASE("irc door: a message at the edge is relayed as one line of at most 512 bytes",
          "[door][irc][privmsg][limits]") {
  door_harness h;
  // The longest prefix the rules allow: a 30-byte nick, a 31-byte user name
  // (~ and 30), and an address.
  const std::string nick(protocol::kMaxNickLength, 'n');
  auto& a = h.irc("255.255.255.255");
  a.send("NICK " + nick);
  a.send("USER " + std::string(protocol::kMaxNickLength + 5, 'u') + " 0 * :A");
  (void)a.lines();
  const std::string target(protocol::kMaxNickLength, 'b');
  auto& b = h.irc_user(target);
  const std::string head = "PRIVMSG " + target + " :";
  const std::string text(protocol::kIrcMaxLine - 2 - head.size(), 'z');
  a.send(head + text);
  const auto got = b.lines();
  REQUIRE(got.size() == 1);
  const std::string relayed_head =
      ":" + nick + "!~" + std::string(protocol::kMaxNickLength, 'u') + "@255.255.255.255 " + head;
  CHECK(got[0].size() + 2 == protocol::kIrcMaxLine);
  CHECK(got[0] == relayed_head + text.substr(0, protocol::kIrcMaxLine - 2 - relayed_head.size()));
  // Multi-byte text is cut between characters.
  std::string euros(200, 'x');
  for (int i = 0; i < 89; ++i) euros += "\xe2\x82\xac";  // 467 bytes: the input line fits
  a.send(head + euros);
  const auto cut = b.lines();
  REQUIRE(cut.size() == 1);
  const auto body = cut[0].substr(relayed_head.size());
  // 390 bytes of room: 200 + 63 whole euros (389), not a byte more.
  CHECK(body == euros.substr(0, 389));
}
