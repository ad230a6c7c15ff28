// The IRC door without sockets: WHO, WHOIS, ISON, USERHOST, AWAY, LUSERS,
// MOTD, TIME, VERSION, and the operator commands OPER, KILL, WALLOPS,
// REHASH and DIE.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/door_harness.hpp"

using test::door_harness;
using test::has_line;
using lines_t = std::vector<std::string>;

TEST_CASE("irc door: WHO on a channel and on a nick", "[door][irc][who]") {
  door_harness h;
  auto& a = h.irc_user("a");
  auto& b = h.irc_user("b");
  a.send("JOIN #x");
  b.send("JOIN #x");
  b.send("AWAY :gone");
  (void)a.lines();
  a.send("WHO #x");
  CHECK(a.lines() == lines_t{":chat.server 352 a #x ~a 127.0.0.1 chat.server a H@ :0 a Example",
                             ":chat.server 352 a #x ~b 127.0.0.1 chat.server b G :0 b Example",
                             ":chat.server 315 a #x :End of /WHO list"});
  a.send("WHO B");
  CHECK(a.lines() == lines_t{":chat.server 352 a #x ~b 127.0.0.1 chat.server b G :0 b Example",
                             ":chat.server 315 a B :End of /WHO list"});
  a.send("WHO ghost");
  a.send("WHO #none");
  CHECK(a.lines() ==
        lines_t{":chat.server 315 a ghost :End of /WHO list", ":chat.server 315 a #none :End of /WHO list"});
}

TEST_CASE("irc door: WHO shows + after @ only with multi-prefix", "[door][irc][who][cap]") {
  door_harness h;
  auto& a = h.irc();
  a.send("CAP REQ multi-prefix");
  a.send("NICK a");
  a.send("USER a 0 * :A");
  a.send("CAP END");
  a.send("JOIN #x");
  a.send("MODE #x +v a");
  (void)a.lines();
  a.send("WHO #x");
  CHECK(a.lines()[0] == ":chat.server 352 a #x ~a 127.0.0.1 chat.server a H@+ :0 A");
  a.send("NAMES #x");
  CHECK(a.lines()[0] == ":chat.server 353 a = #x :@+a");
}

TEST_CASE("irc door: WHOIS", "[door][irc][whois]") {
  door_harness h;
  auto& a = h.irc_user("a");
  auto& b = h.irc_user("b");
  b.send("JOIN #x,#y");
  b.send("AWAY :out");
  a.send("WHOIS b");
  const auto whois = a.lines();
  REQUIRE(whois.size() == 6);
  CHECK(whois[0] == ":chat.server 311 a b ~b 127.0.0.1 * :b Example");
  CHECK(whois[1] == ":chat.server 319 a b :@#x @#y");  // each channel with b's prefix there
  CHECK(whois[2] == ":chat.server 312 a b chat.server :ChatNet");
  CHECK(whois[3] == ":chat.server 301 a b :out");
  CHECK(whois[4].starts_with(":chat.server 317 a b 0 "));
  CHECK(whois[4].ends_with(" :seconds idle, signon time"));
  CHECK(whois[5] == ":chat.server 318 a b :End of /WHOIS list");
  a.send("WHOIS chat.server B");  // WHOIS [server] nick
  const auto again = a.lines();
  CHECK(again.size() == 6);
  CHECK(again.back() == ":chat.server 318 a B :End of /WHOIS list");  // the nick as asked
  a.send("WHOIS ghost");
  CHECK(a.lines() == lines_t{":chat.server 401 a ghost :No such nick/channel",
                             ":chat.server 318 a ghost :End of /WHOIS list"});
  a.send("WHOIS");
  CHECK(a.lines() == lines_t{":chat.server 431 a :No nickname given"});
  auto& s = h.seed_user("sid");
  (void)s;
  a.send("WHOIS sid");
  CHECK(has_line(a.lines(), ":chat.server 312 a sid chat.server :seed-compatible listener"));
}

TEST_CASE("irc door: ISON, USERHOST, LUSERS, MOTD, TIME and VERSION", "[door][irc][query]") {
  door_harness h;
  auto& a = h.irc_user("a");
  auto& b = h.irc_user("bee");
  b.send("AWAY :x");
  a.send("ISON BEE ghost a");
  CHECK(a.lines() == lines_t{":chat.server 303 a :bee a"});
  a.send("ISON ghost");
  CHECK(a.lines() == lines_t{":chat.server 303 a :"});
  a.send("USERHOST a bee ghost");
  CHECK(a.lines() == lines_t{":chat.server 302 a :a=+~a@127.0.0.1 bee=-~bee@127.0.0.1"});
  a.send("LUSERS");
  CHECK(a.lines() ==
        lines_t{":chat.server 251 a :There are 2 users and 0 invisible on 1 servers",
                ":chat.server 252 a 0 :operator(s) online", ":chat.server 253 a 0 :unknown connection(s)",
                ":chat.server 254 a 1 :channels formed", ":chat.server 255 a :I have 2 clients and 0 servers",
                ":chat.server 265 a 2 2 :Current local users 2, max 2",
                ":chat.server 266 a 2 2 :Current global users 2, max 2"});
  h.irc_settings().connections = [] { return std::size_t{7}; };
  a.send("MODE a +i");
  (void)a.lines();
  a.send("LUSERS");
  const auto counted = a.lines();
  REQUIRE(counted.size() == 7);
  CHECK(counted[0] == ":chat.server 251 a :There are 1 users and 1 invisible on 1 servers");
  CHECK(counted[2] == ":chat.server 253 a 5 :unknown connection(s)");  // 7 connections, 2 users
  CHECK(counted[4] == ":chat.server 255 a :I have 7 clients and 0 servers");
  // The invisible count follows +i and -i, and a quit (LUSERS keeps a count, it walks no one).
  a.send("MODE a +i");  // already: not counted twice
  b.send("MODE bee +i");
  a.send("LUSERS");
  CHECK(a.lines()[0] == ":chat.server 251 a :There are 0 users and 2 invisible on 1 servers");
  a.send("MODE a -i");
  b.send("QUIT");
  (void)a.lines();
  a.send("LUSERS");
  CHECK(a.lines()[0] == ":chat.server 251 a :There are 1 users and 0 invisible on 1 servers");
  a.send("MOTD");
  CHECK(a.lines() == lines_t{":chat.server 422 a :MOTD File is missing"});
  a.send("TIME");
  const auto time = a.lines();
  REQUIRE(time.size() == 1);
  CHECK(time[0].starts_with(":chat.server 391 a chat.server :20"));
  CHECK(time[0].ends_with("Z"));
  a.send("VERSION");  // 351, then ISUPPORT again
  const auto version = a.lines();
  REQUIRE(version.size() >= 2);
  CHECK(version[0] == ":chat.server 351 a chat-0.1.0 chat.server :Coroutine chat server");
  CHECK(version[1].starts_with(":chat.server 005 a "));
}

TEST_CASE("irc door: OPER, and 481 for operator commands", "[door][irc][oper]") {
  door_harness h;
  h.irc_settings().live->set({.motd = {}, .password = {}, .opers = {{"admin", "s3cret"}}});
  auto& a = h.irc_user("a");
  for (const auto* cmd : {"KILL b :x", "WALLOPS :x", "REHASH", "DIE"}) {
    a.send(cmd);
    CHECK(a.lines() == lines_t{":chat.server 481 a :Permission Denied- You're not an IRC operator"});
  }
  a.send("OPER admin wrong");
  a.send("OPER nobody s3cret");
  CHECK(a.lines() ==
        lines_t{":chat.server 464 a :Password incorrect", ":chat.server 464 a :Password incorrect"});
  a.send("OPER admin s3cret");
  CHECK(a.lines() == lines_t{":chat.server 381 a :You are now an IRC operator", ":a MODE a :+ow"});
  a.send("MODE a");
  CHECK(a.lines() == lines_t{":chat.server 221 a :+ow"});
  a.send("MODE a -o");
  CHECK(a.lines() == lines_t{":a MODE a :-o"});
  a.send("DIE");
  CHECK(a.lines() == lines_t{":chat.server 481 a :Permission Denied- You're not an IRC operator"});
}

TEST_CASE("irc door: KILL, WALLOPS, REHASH and DIE for operators", "[door][irc][oper]") {
  door_harness h;
  h.irc_settings().live->set({.motd = {}, .password = {}, .opers = {{"admin", "pw"}}});
  auto& op = h.irc_user("op");
  op.send("OPER admin pw");
  (void)op.lines();
  auto& b = h.irc_user("b");
  auto& w = h.irc_user("w");
  w.send("MODE w +w");
  (void)w.lines();
  auto& s = h.seed_user("sid");
  b.send("JOIN #x");
  op.send("JOIN #x");
  (void)b.lines();
  op.send("WALLOPS :hear ye");
  CHECK(has_line(op.lines(), ":op!~op@127.0.0.1 WALLOPS :hear ye"));
  CHECK(w.lines() == lines_t{":op!~op@127.0.0.1 WALLOPS :hear ye"});
  CHECK(b.lines().empty());
  op.send("WALLOPS :");
  CHECK(op.lines() == lines_t{":chat.server 461 op WALLOPS :Not enough parameters"});
  op.send("KILL ghost :x");
  CHECK(op.lines() == lines_t{":chat.server 401 op ghost :No such nick/channel"});
  op.send("KILL b :spamming");
  CHECK(b.lines() == lines_t{"ERROR :Closing Link: 127.0.0.1 (Killed (op (spamming)))"});
  CHECK(b.link->closing());
  CHECK(has_line(op.lines(), ":b!~b@127.0.0.1 QUIT :Killed (op (spamming))"));
  op.send("KILL sid :bye");
  CHECK(s.frames() == lines_t{"You were disconnected by op: bye"});
  CHECK(s.link->closing());
  SECTION("REHASH and DIE not available") {
    op.send("REHASH");
    op.send("DIE");
    CHECK(op.lines() == lines_t{":chat.server 382 op - :Rehashing is not available",
                                ":chat.server 481 op :Permission Denied- DIE is not available"});
  }
  SECTION("REHASH and DIE provided by the program") {
    std::string problem;
    int dies = 0;
    h.irc_settings().rehash = [&] { return problem; };
    h.irc_settings().die = [&] { ++dies; };
    op.send("REHASH");
    CHECK(op.lines() == lines_t{":chat.server 382 op configuration :Rehashing"});
    problem = "no such file";
    op.send("REHASH");
    CHECK(op.lines() ==
          lines_t{":chat.server NOTICE op :REHASH failed, the old configuration stays: no such file"});
    op.send("DIE");
    CHECK(dies == 1);
  }
}

TEST_CASE("irc door: INFO", "[door][irc][query]") {
  door_harness h;
  auto& a = h.irc_user("a");
  a.send("INFO");
  const auto lines = a.lines();
  REQUIRE(lines.size() == 5);
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) CHECK(lines[i].starts_with(":chat.server 371 a :"));
  CHECK(lines[3] == ":chat.server 371 a :Version chat-0.1.0, up since 2026-12-01 00:00:00 UTC");
  CHECK(lines[4] == ":chat.server 374 a :End of /INFO list");
  auto& u = h.irc();
  u.send("INFO");
  CHECK(u.lines() == lines_t{":chat.server 451 * :You have not registered"});
}
