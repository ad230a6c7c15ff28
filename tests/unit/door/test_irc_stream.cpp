// Long replies a chunk at a time: while the client's queue is backlogged the
// door sends no more of the reply, asks to wait for the queue to drain, and
// handles no further commands; on_bytes("") (the queue drained) goes on.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "door/irc_stream.hpp"
#include "protocol/limits.hpp"
#include "support/door_harness.hpp"

using test::count_lines;
using test::door_harness;
using test::has_line;

TEST_CASE("irc door: a LIST longer than a chunk streams as the queue drains", "[door][irc][list][stream]") {
  door_harness h;
  h.irc_settings().max_rooms_per_user = 1000;
  auto& owner = h.irc_user("owner");
  const int rooms = 400;
  for (int i = 0; i < rooms; ++i) {
    owner.send("JOIN #room-" + std::to_string(i));
    owner.send("TOPIC #room-" + std::to_string(i) + " :" + std::string(i == 7 ? 200 : 100, 't'));
  }
  (void)owner.lines();
  auto& a = h.irc_user("a");
  a.link->set_backlogged(true);
  a.send("LIST");
  a.send("PING after");
  auto first = a.lines();
  CHECK(first.front() == ":chat.server 321 a Channel :Users  Name");
  CHECK(!has_line(first, " 323 "));
  CHECK(!has_line(first, "PONG"));  // the next command waits for the reply
  CHECK(a.link->take_drain_wait());
  std::size_t bytes = 0;
  for (const auto& l : first) bytes += l.size() + 2;
  CHECK(bytes >= door::kReplyChunk);
  CHECK(bytes < 2 * door::kReplyChunk);
  // Each drain: the next chunk, no more.
  std::vector<std::string> all = first;
  for (int round = 0; round < 100 && !has_line(all, " 323 "); ++round) {
    a.door->on_bytes("");
    const auto more = a.lines();
    REQUIRE(!more.empty());
    all.insert(all.end(), more.begin(), more.end());
  }
  a.link->set_backlogged(false);
  a.door->on_bytes("");
  const auto rest = a.lines();
  all.insert(all.end(), rest.begin(), rest.end());
  CHECK(count_lines(all, " 322 a #room-") == rooms);
  std::set<std::string> seen;
  for (const auto& l : all)
    if (l.find(" 322 ") != std::string::npos) seen.insert(l.substr(0, l.find(' ', l.find("#room"))));
  CHECK(seen.size() == rooms);  // each once
  CHECK(has_line(all, ":chat.server 322 a #room-7 1 :" + std::string(200, 't')));
  // The reply's end, then the command that waited.
  REQUIRE(all.size() >= 2);
  CHECK(all[all.size() - 2] == ":chat.server 323 a :End of /LIST");
  CHECK(all.back() == ":chat.server PONG chat.server :after");
}

TEST_CASE("irc door: WHO and NAMES of a big channel stream - small ones are one write",
          "[door][irc][who][stream]") {
  door_harness h;
  std::vector<door_harness::client*> users;
  const std::size_t members = door::kStreamRoster + 50;
  for (std::size_t i = 0; i < members; ++i) {
    auto& u = h.irc_user("u" + std::to_string(i));
    u.send("JOIN #big");
    users.push_back(&u);
  }
  auto& a = *users.back();
  (void)a.lines();
  a.link->set_backlogged(true);
  a.send("WHO #big");
  auto lines = a.lines();
  CHECK(!has_line(lines, " 315 "));
  CHECK(a.link->take_drain_wait());
  a.link->set_backlogged(false);
  a.door->on_bytes("");
  const auto rest = a.lines();
  lines.insert(lines.end(), rest.begin(), rest.end());
  CHECK(count_lines(lines, " 352 u" + std::to_string(members - 1) + " #big ") == members);
  CHECK(lines.back() == ":chat.server 315 u" + std::to_string(members - 1) + " #big :End of /WHO list");
  a.send("NAMES #big");
  const auto names = a.lines();
  std::size_t listed = 0;
  for (const auto& l : names) {
    CHECK(l.size() + 2 <= protocol::kIrcMaxLine);
    if (l.find(" 353 ") != std::string::npos)
      listed += static_cast<std::size_t>(std::count(l.begin(), l.end(), ' ')) - 4;
  }
  CHECK(listed == members);
  CHECK(names.back().ends_with(" 366 u" + std::to_string(members - 1) + " #big :End of /NAMES list"));
  // A small channel: the whole reply in one send.
  auto& b = h.irc_user("b");
  b.send("JOIN #small");
  (void)b.lines();
  const auto before = b.link->bytes().size();
  b.send("WHO #small");
  CHECK(b.lines().size() == 2);
  CHECK(b.link->bytes().size() > before);
}

TEST_CASE("irc door: a sender whose message leaves a recipient backlogged is asked to wait",
          "[door][irc][backpressure]") {
  door_harness h;
  auto& a = h.irc_user("a");
  auto& b = h.irc_user("b");
  auto& c = h.irc_user("c");
  a.send("JOIN #x");
  b.send("JOIN #x");
  c.send("JOIN #x");
  b.link->set_backlogged(true);
  a.send("PRIVMSG #x :hi");
  CHECK(a.link->waits_for() == 1);  // b, not c, not a itself
  a.send("PRIVMSG b :direct");
  CHECK(a.link->waits_for() == 2);
  a.send("PRIVMSG c :direct");
  CHECK(a.link->waits_for() == 2);
}
