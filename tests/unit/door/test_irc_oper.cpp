// Operator passwords: argon2id hashes, OPER against hashed and plain entries,
// and the check off the event loop (irc_settings::slow_work) with the
// client's input waiting behind it.
#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "door/secret.hpp"
#include "support/door_harness.hpp"

using test::door_harness;
using lines_t = std::vector<std::string>;

namespace {

bool has_line(const lines_t& lines, std::string_view part) {
  for (const auto& l : lines) {
    if (l.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("secret: an argon2id hash checks the right password only", "[door][secret]") {
  const auto hash = door::hash_password("correct horse");
  REQUIRE(hash.starts_with(door::kHashPrefix));
  CHECK(hash.find("m=19456,t=2,p=1") != std::string::npos);
  CHECK(door::is_password_hash(hash));
  CHECK(door::password_matches(hash, "correct horse"));
  CHECK_FALSE(door::password_matches(hash, "correct horse "));
  CHECK_FALSE(door::password_matches(hash, ""));
  // A fresh salt each time: the same password never hashes alike.
  CHECK(door::hash_password("correct horse") != hash);
  // Plain entries (older configurations) still compare.
  CHECK_FALSE(door::is_password_hash("plain"));
  CHECK(door::password_matches("plain", "plain"));
  CHECK_FALSE(door::password_matches("plain", "Plain"));
  // Something that looks like a hash but is broken never matches.
  CHECK_FALSE(door::password_matches("$argon2id$v=19$m=19456,t=2,p=1$broken", "x"));
}

TEST_CASE("irc oper: a hashed entry, checked in place", "[door][irc][oper]") {
  door_harness h;
  h.irc_settings().live->set({.motd = {}, .password = {}, .opers = {{"admin", door::hash_password("pw")}}});
  auto& a = h.irc_user("a");
  a.send("OPER admin wrong");
  CHECK(a.lines() == lines_t{":chat.server 464 a :Password incorrect"});
  a.send("OPER nobody pw");
  CHECK(a.lines() == lines_t{":chat.server 464 a :Password incorrect"});
  a.send("OPER admin pw");
  CHECK(a.lines() == lines_t{":chat.server 381 a :You are now an IRC operator", ":a MODE a :+ow"});
}

TEST_CASE("irc oper: a hash is checked off the loop while the client's input waits", "[door][irc][oper]") {
  door_harness h;
  std::vector<std::function<void()>> queued;
  h.irc_settings().slow_work = [&queued](std::function<void()> work) { queued.push_back(std::move(work)); };
  h.irc_settings().live->set({.motd = {}, .password = {}, .opers = {{"admin", door::hash_password("pw")}}});
  auto& a = h.irc_user("a");
  a.send_raw("OPER admin pw\r\nPING :after\r\n");
  // Nothing yet: the check waits in slow_work, and so does the PING.
  CHECK(a.lines().empty());
  CHECK(a.link->held());
  REQUIRE(queued.size() == 1);
  queued.front()();
  CHECK(a.lines() == lines_t{":chat.server 381 a :You are now an IRC operator", ":a MODE a :+ow",
                             ":chat.server PONG chat.server :after"});
  CHECK_FALSE(a.link->held());

  // A wrong name costs a hash check too, like a wrong password.
  queued.clear();
  auto& b = h.irc_user("b");
  b.send("OPER nobody pw");
  REQUIRE(queued.size() == 1);
  queued.front()();
  CHECK(b.lines() == lines_t{":chat.server 464 b :Password incorrect"});
}

TEST_CASE("irc oper: a labeled OPER gets its answer labeled after the check", "[door][irc][oper]") {
  door_harness h;
  std::vector<std::function<void()>> queued;
  h.irc_settings().slow_work = [&queued](std::function<void()> work) { queued.push_back(std::move(work)); };
  h.irc_settings().live->set({.motd = {}, .password = {}, .opers = {{"admin", door::hash_password("pw")}}});
  auto& a = h.irc();
  a.send("CAP LS 302");
  a.send("CAP REQ :labeled-response batch");
  a.send("NICK a");
  a.send("USER a 0 * :a");
  a.send("CAP END");
  REQUIRE(has_line(a.lines(), " 001 "));
  a.send("@label=op1 OPER admin pw");
  CHECK(a.lines().empty());
  REQUIRE(queued.size() == 1);
  queued.front()();
  const auto lines = a.lines();
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].starts_with("@label=op1 :chat.server BATCH +"));
  CHECK(lines[1].ends_with(" 381 a :You are now an IRC operator"));
  CHECK(lines[2].ends_with(":a MODE a :+ow"));
  CHECK(lines[3].starts_with(":chat.server BATCH -"));
  CHECK_FALSE(a.link->held());
}

TEST_CASE("irc oper: plain entries still work, compared in constant time", "[door][irc][oper]") {
  door_harness h;
  std::vector<std::function<void()>> queued;
  h.irc_settings().slow_work = [&queued](std::function<void()> work) { queued.push_back(std::move(work)); };
  h.irc_settings().live->set({.motd = {}, .password = {}, .opers = {{"admin", "pw"}}});
  auto& a = h.irc_user("a");
  a.send("OPER admin pw");
  CHECK(queued.empty());  // nothing slow to do
  CHECK(a.lines() == lines_t{":chat.server 381 a :You are now an IRC operator", ":a MODE a :+ow"});
}

TEST_CASE("irc oper: with any hashed entry every OPER costs one check, and a failure costs tokens",
          "[door][irc][oper]") {
  door_harness h;
  std::vector<std::function<void()>> queued;
  h.irc_settings().slow_work = [&queued](std::function<void()> work) { queued.push_back(std::move(work)); };
  h.irc_settings().live->set(
      {.motd = {}, .password = {}, .opers = {{"hashed", door::hash_password("pw")}, {"legacy", "plainpw"}}});
  auto& a = h.irc_user("a");
  // A plain entry beside a hashed one: checked off the loop too, so that
  // the time does not tell which names exist.
  a.send("OPER legacy plainpw");
  REQUIRE(queued.size() == 1);
  queued.front()();
  CHECK(a.lines() == lines_t{":chat.server 381 a :You are now an IRC operator", ":a MODE a :+ow"});
  auto& b = h.irc_user("b");
  const auto spent = b.link->tokens_spent();
  b.send("OPER legacy wrong");
  REQUIRE(queued.size() == 2);
  queued.back()();
  CHECK(b.lines() == lines_t{":chat.server 464 b :Password incorrect"});
  CHECK(b.link->tokens_spent() >= spent + 1 + door::kOperFailureTokens);
}
