// The IRC door without sockets: JOIN, PART, TOPIC, NAMES, LIST, MODE, KICK
// and INVITE, with their replies and errors, rendered from the rooms' events.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/limits.hpp"
#include "support/door_harness.hpp"

using test::door_harness;
using test::has_line;
using lines_t = std::vector<std::string>;

namespace {

// a (operator) and b in #x, their join bursts read.
struct two_in_x {
  door_harness h;
  door_harness::client& a = h.irc_user("a");
  door_harness::client& b = h.irc_user("b");
  two_in_x() {
    a.send("JOIN #x");
    b.send("JOIN #x");
    (void)a.lines();
    (void)b.lines();
  }
};

}  // namespace

TEST_CASE("irc door: JOIN answers with the JOIN, the names and the topic", "[door][irc][join]") {
  door_harness h;
  auto& a = h.irc_user("a");
  a.send("JOIN #x");
  CHECK(a.lines() == lines_t{":a!~a@127.0.0.1 JOIN #x", ":chat.server 353 a = #x :@a",
                             ":chat.server 366 a #x :End of /NAMES list"});
  a.send("TOPIC #x :the topic");
  (void)a.lines();
  auto& b = h.irc_user("b");
  b.send("JOIN #X,#y");
  const auto lines = b.lines();
  CHECK(lines[0] == ":b!~b@127.0.0.1 JOIN #x");
  CHECK(lines[1] == ":chat.server 332 b #x :the topic");
  CHECK(lines[2].starts_with(":chat.server 333 b #x a!~a@127.0.0.1 "));
  CHECK(lines[3] == ":chat.server 353 b = #x :@a b");
  CHECK(lines[4] == ":chat.server 366 b #x :End of /NAMES list");
  CHECK(lines[5] == ":b!~b@127.0.0.1 JOIN #y");
  // Others see the join; it may wait for the deferred flush.
  CHECK(a.lines() == lines_t{":b!~b@127.0.0.1 JOIN #x"});
  CHECK(a.link->deferred_sends() >= 1);
}

TEST_CASE("irc door: JOIN errors", "[door][irc][join]") {
  door_harness h;
  auto& a = h.irc_user("a");
  a.send("JOIN x");
  a.send("JOIN #bad,name");  // the comma separates: "#bad" and "name"
  const auto lines = a.lines();
  CHECK(lines[0] == ":chat.server 403 a x :No such channel");
  CHECK(has_line(lines, ":a!~a@127.0.0.1 JOIN #bad"));
  CHECK(has_line(lines, ":chat.server 403 a name :No such channel"));
  a.send("JOIN #" + std::string(protocol::kMaxRoomNameLength, 'c'));
  CHECK(a.lines()[0].find(" 403 ") != std::string::npos);
  SECTION("CHANLIMIT: one channel too many is 405") {
    h.irc_settings().max_rooms_per_user = 2;
    auto& b = h.irc_user("b");
    b.send("JOIN #1,#2,#3");
    const auto got = b.lines();
    CHECK(has_line(got, ":chat.server 405 b #3 :You have joined too many channels"));
    CHECK(!has_line(got, "JOIN #3"));
    b.send("JOIN 0");  // parts everything
    CHECK(test::count_lines(b.lines(), " PART #") == 2);
    b.send("JOIN #3");
    CHECK(b.lines()[0] == ":b!~b@127.0.0.1 JOIN #3");
  }
}

TEST_CASE("irc door: +k, +i, +l and +b refuse a JOIN", "[door][irc][join][mode]") {
  two_in_x t;
  auto& c = t.h.irc_user("c");
  t.a.send("MODE #x +k sesame");
  c.send("JOIN #x");
  CHECK(c.lines() == lines_t{":chat.server 475 c #x :Cannot join channel (+k)"});
  c.send("JOIN #x sesame");
  CHECK(c.lines()[0] == ":c!~c@127.0.0.1 JOIN #x");
  c.send("PART #x");
  t.a.send("MODE #x -k+i");
  c.send("JOIN #x");
  CHECK(c.lines().back() == ":chat.server 473 c #x :Cannot join channel (+i)");
  t.a.send("MODE #x -i+l 2");
  c.send("JOIN #x");
  CHECK(c.lines().back() == ":chat.server 471 c #x :Cannot join channel (+l)");
  t.a.send("MODE #x -l+b c!*@*");
  c.send("JOIN #x");
  CHECK(c.lines().back() == ":chat.server 474 c #x :Cannot join channel (+b)");
  // An invitation overrides them all.
  t.a.send("INVITE c #x");
  c.send("JOIN #x");
  CHECK(has_line(c.lines(), ":c!~c@127.0.0.1 JOIN #x"));
}

TEST_CASE("irc door: PART", "[door][irc][part]") {
  two_in_x t;
  t.b.send("PART #x :gone now");
  CHECK(t.b.lines() == lines_t{":b!~b@127.0.0.1 PART #x :gone now"});
  CHECK(t.a.lines() == lines_t{":b!~b@127.0.0.1 PART #x :gone now"});
  t.b.send("PART #x");
  CHECK(t.b.lines() == lines_t{":chat.server 442 b #x :You're not on that channel"});
  t.b.send("PART #nowhere");
  CHECK(t.b.lines() == lines_t{":chat.server 403 b #nowhere :No such channel"});
  t.a.send("PART #x");
  CHECK(t.a.lines() == lines_t{":a!~a@127.0.0.1 PART #x"});
}

TEST_CASE("irc door: TOPIC queries and changes", "[door][irc][topic]") {
  two_in_x t;
  t.a.send("TOPIC #x");
  CHECK(t.a.lines() == lines_t{":chat.server 331 a #x :No topic is set"});
  t.a.send("TOPIC #x :hello world");
  CHECK(t.a.lines() == lines_t{":a!~a@127.0.0.1 TOPIC #x :hello world"});
  CHECK(t.b.lines() == lines_t{":a!~a@127.0.0.1 TOPIC #x :hello world"});
  t.b.send("TOPIC #x");
  const auto got = t.b.lines();
  CHECK(got[0] == ":chat.server 332 b #x :hello world");
  CHECK(got[1].starts_with(":chat.server 333 b #x a!~a@127.0.0.1 "));
  t.b.send("TOPIC #x :mine");  // +t: operators only
  CHECK(t.b.lines() == lines_t{":chat.server 482 b #x :You're not channel operator"});
  t.b.send("TOPIC #none :x");
  CHECK(t.b.lines() == lines_t{":chat.server 403 b #none :No such channel"});
  auto& c = t.h.irc_user("c");
  c.send("TOPIC #x :outsider");
  CHECK(c.lines() == lines_t{":chat.server 442 c #x :You're not on that channel"});
  // Longer than TOPICLEN: cut between characters.
  t.a.send("TOPIC #x :" + std::string(protocol::kMaxTopicLength + 10, 't'));
  CHECK(t.a.lines()[0] == ":a!~a@127.0.0.1 TOPIC #x :" + std::string(protocol::kMaxTopicLength, 't'));
}

TEST_CASE("irc door: NAMES and LIST", "[door][irc][names][list]") {
  two_in_x t;
  t.a.send("MODE #x +v b");
  (void)t.a.lines();
  (void)t.b.lines();
  t.b.send("NAMES #x");
  CHECK(t.b.lines() ==
        lines_t{":chat.server 353 b = #x :@a +b", ":chat.server 366 b #x :End of /NAMES list"});
  t.b.send("NAMES");
  CHECK(t.b.lines() == lines_t{":chat.server 366 b * :End of /NAMES list"});
  t.b.send("NAMES #none");
  CHECK(t.b.lines() == lines_t{":chat.server 366 b #none :End of /NAMES list"});
  t.a.send("TOPIC #x :talk");
  t.a.send("JOIN #y");
  (void)t.a.lines();
  (void)t.b.lines();
  t.b.send("LIST");
  const auto all = t.b.lines();
  CHECK(all.front() == ":chat.server 321 b Channel :Users  Name");
  CHECK(has_line(all, ":chat.server 322 b #x 2 :talk"));
  CHECK(has_line(all, ":chat.server 322 b #y 1 :"));
  CHECK(all.back() == ":chat.server 323 b :End of /LIST");
  t.b.send("LIST #Y");
  CHECK(t.b.lines() == lines_t{":chat.server 321 b Channel :Users  Name",
                               ":chat.server 322 b #y 1 :", ":chat.server 323 b :End of /LIST"});
}

TEST_CASE("irc door: NAMES splits a long roster into lines of at most 512 bytes", "[door][irc][names]") {
  door_harness h;
  std::vector<door_harness::client*> users;
  for (int i = 0; i < 60; ++i) {
    auto& u = h.irc_user("user" + std::to_string(i) + std::string(20, 'x'));
    u.send("JOIN #big");
    users.push_back(&u);
  }
  auto& a = *users.front();
  (void)a.lines();
  a.send("NAMES #big");
  const auto lines = a.lines();
  std::size_t names = 0;
  for (const auto& l : lines) {
    CHECK(l.size() + 2 <= protocol::kIrcMaxLine);
    if (l.find(" 353 ") != std::string::npos)
      names += static_cast<std::size_t>(std::count(l.begin(), l.end(), ' ')) - 4;
  }
  CHECK(lines.size() > 3);
  CHECK(names == 60);
}

TEST_CASE("irc door: channel MODE queries, changes and errors", "[door][irc][mode]") {
  two_in_x t;
  t.a.send("MODE #x");
  const auto q = t.a.lines();
  CHECK(q[0] == ":chat.server 324 a #x +nt");
  CHECK(q[1].starts_with(":chat.server 329 a #x "));
  t.a.send("MODE #x +v b");
  CHECK(t.a.lines() == lines_t{":a!~a@127.0.0.1 MODE #x +v b"});
  CHECK(t.b.lines() == lines_t{":a!~a@127.0.0.1 MODE #x +v b"});
  t.a.send("MODE #x +mk-t key");
  CHECK(t.b.lines() == lines_t{":a!~a@127.0.0.1 MODE #x +mk-t key"});
  t.b.send("MODE #x");
  CHECK(t.b.lines()[0] == ":chat.server 324 b #x +kmn *");  // the key only for operators
  t.a.send("MODE #x");
  CHECK(t.a.lines().at(1) == ":chat.server 324 a #x +kmn key");
  t.b.send("MODE #x +i");
  CHECK(t.b.lines() == lines_t{":chat.server 482 b #x :You're not channel operator"});
  t.a.send("MODE #x +z");
  CHECK(t.a.lines() == lines_t{":chat.server 472 a z :is unknown mode char to me"});
  t.a.send("MODE #x +o ghost");  // nobody of that nick: 401
  CHECK(t.a.lines() == lines_t{":chat.server 401 a ghost :No such nick/channel"});
  auto& outside = t.h.irc_user("outside");
  (void)outside;
  t.a.send("MODE #x +o outside");  // online, not in the channel: 441
  CHECK(t.a.lines() == lines_t{":chat.server 441 a outside #x :They aren't on that channel"});
  t.a.send("MODE #x +o");
  CHECK(t.a.lines() == lines_t{":chat.server 461 a MODE :Not enough parameters"});
  t.a.send("MODE #none +m");
  CHECK(t.a.lines() == lines_t{":chat.server 403 a #none :No such channel"});
  auto& c = t.h.irc_user("c");
  c.send("MODE #x +m");
  CHECK(c.lines() == lines_t{":chat.server 442 c #x :You're not on that channel"});
}

TEST_CASE("irc door: bans and the ban list", "[door][irc][mode][ban]") {
  two_in_x t;
  t.a.send("MODE #x +b *!*@10.0.0.*");
  CHECK(t.b.lines() == lines_t{":a!~a@127.0.0.1 MODE #x +b *!*@10.0.0.*"});
  t.b.send("MODE #x +b");
  CHECK(t.b.lines() ==
        lines_t{":chat.server 367 b #x *!*@10.0.0.*", ":chat.server 368 b #x :End of channel ban list"});
  t.a.send("MODE #x -b *!*@10.0.0.*");
  (void)t.a.lines();
  t.b.send("MODE #x b");
  CHECK(t.b.lines() ==
        lines_t{":a!~a@127.0.0.1 MODE #x -b *!*@10.0.0.*", ":chat.server 368 b #x :End of channel ban list"});
}

TEST_CASE("irc door: user modes", "[door][irc][mode]") {
  door_harness h;
  auto& a = h.irc_user("a");
  a.send("MODE a");
  CHECK(a.lines() == lines_t{":chat.server 221 a :+"});
  a.send("MODE a +w");
  CHECK(a.lines() == lines_t{":a MODE a :+w"});
  a.send("MODE a +w");  // no change, no reply
  CHECK(a.lines().empty());
  a.send("MODE A");
  CHECK(a.lines() == lines_t{":chat.server 221 a :+w"});
  a.send("MODE a +x-w");
  CHECK(a.lines() == lines_t{":chat.server 501 a :Unknown MODE flag", ":a MODE a :-w"});
  a.send("MODE a +o");  // only OPER grants it
  CHECK(a.lines().empty());
  auto& b = h.irc_user("b");
  (void)b;
  a.send("MODE b +w");
  CHECK(a.lines() == lines_t{":chat.server 502 a :Can't change mode for other users"});
}

TEST_CASE("irc door: KICK", "[door][irc][kick]") {
  two_in_x t;
  t.b.send("KICK #x a");
  CHECK(t.b.lines() == lines_t{":chat.server 482 b #x :You're not channel operator"});
  t.a.send("KICK #x ghost");
  CHECK(t.a.lines() == lines_t{":chat.server 441 a ghost #x :They aren't on that channel"});
  t.a.send("KICK #none b");
  CHECK(t.a.lines() == lines_t{":chat.server 403 a #none :No such channel"});
  t.a.send("KICK #x b :behave");
  CHECK(t.a.lines() == lines_t{":a!~a@127.0.0.1 KICK #x b :behave"});
  CHECK(t.b.lines() == lines_t{":a!~a@127.0.0.1 KICK #x b :behave"});
  t.b.send("JOIN #x");
  (void)t.b.lines();
  (void)t.a.lines();
  t.a.send("KICK #x b");  // no reason: the kicker's nick
  CHECK(t.b.lines() == lines_t{":a!~a@127.0.0.1 KICK #x b :a"});
  auto& c = t.h.irc_user("c");
  c.send("KICK #x a");
  CHECK(c.lines() == lines_t{":chat.server 442 c #x :You're not on that channel"});
}

TEST_CASE("irc door: INVITE", "[door][irc][invite]") {
  two_in_x t;
  auto& c = t.h.irc_user("c");
  t.b.send("INVITE c #x");
  CHECK(t.b.lines() == lines_t{":chat.server 341 b c #x"});
  CHECK(c.lines() == lines_t{":b!~b@127.0.0.1 INVITE c #x"});
  t.a.send("MODE #x +i");
  (void)t.b.lines();
  t.b.send("INVITE c #x");  // +i: operators only
  CHECK(t.b.lines() == lines_t{":chat.server 482 b #x :You're not channel operator"});
  t.a.send("INVITE b #x");
  CHECK(t.a.lines().back() == ":chat.server 443 a b #x :is already on channel");
  t.a.send("INVITE ghost #x");
  CHECK(t.a.lines() == lines_t{":chat.server 401 a ghost :No such nick/channel"});
  t.a.send("INVITE c #none");
  CHECK(t.a.lines() == lines_t{":chat.server 403 a #none :No such channel"});
  c.send("INVITE a #x");
  CHECK(c.lines() == lines_t{":chat.server 442 c #x :You're not on that channel"});
}
