// The IRC door without sockets: WHO masks, flags and WHOX; WHOIS details;
// WHOWAS and its bound; MONITOR and its limit; user modes +i and +B.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "chat/whowas.hpp"
#include "door/irc_door.hpp"
#include "support/door_harness.hpp"

using test::count_lines;
using test::door_harness;
using test::has_line;
using lines_t = std::vector<std::string>;

TEST_CASE("irc door: WHO masks - exact, any case, wildcards, nick!user@host", "[door][irc][who]") {
  door_harness h;
  auto& a = h.irc_user("asker");
  auto& alice = h.irc_user("alice");
  auto& alan = h.irc_user("alan");
  auto& bob = h.irc_user("bob");
  (void)alice;
  (void)alan;
  (void)bob;
  a.send("WHO ALICE");
  auto got = a.lines();
  CHECK(count_lines(got, " 352 ") == 1);
  CHECK(got.back() == ":chat.server 315 asker ALICE :End of /WHO list");
  a.send("WHO al*");
  got = a.lines();
  CHECK(count_lines(got, " 352 ") == 2);
  CHECK(has_line(got, " alice H :0 alice Example"));
  CHECK(has_line(got, " alan H :0 alan Example"));
  a.send("WHO *!~bob@127.0.0.*");
  CHECK(count_lines(a.lines(), " 352 asker * ~bob ") == 1);
  a.send("WHO *");
  CHECK(count_lines(a.lines(), " 352 ") == 4);
  a.send("WHO nob?dy");
  CHECK(a.lines() == lines_t{":chat.server 315 asker nob?dy :End of /WHO list"});
}

TEST_CASE("irc door: invisible users are shown to those who share a channel", "[door][irc][who][mode]") {
  door_harness h;
  auto& ghost = h.irc_user("ghost");
  auto& friend_ = h.irc_user("friend");
  auto& stranger = h.irc_user("stranger");
  ghost.send("MODE ghost +i");
  CHECK(ghost.lines() == lines_t{":ghost MODE ghost :+i"});
  ghost.send("MODE ghost");
  CHECK(ghost.lines() == lines_t{":chat.server 221 ghost :+i"});
  ghost.send("JOIN #den");
  friend_.send("JOIN #den");
  (void)friend_.lines();
  stranger.send("WHO ghost");
  CHECK(count_lines(stranger.lines(), " 352 ") == 0);
  stranger.send("WHO #den");
  const auto outside = stranger.lines();
  CHECK(count_lines(outside, " 352 ") == 1);  // friend, not ghost
  CHECK(has_line(outside, " friend H :0 "));
  stranger.send("NAMES #den");
  CHECK(stranger.lines()[0] == ":chat.server 353 stranger = #den :friend");
  friend_.send("WHO g*");
  CHECK(count_lines(friend_.lines(), " 352 ") == 1);
  friend_.send("NAMES #den");
  CHECK(friend_.lines()[0] == ":chat.server 353 friend = #den :@ghost friend");
}

TEST_CASE("irc door: WHO flags - away, operator, prefixes, bot", "[door][irc][who]") {
  door_harness h;
  h.irc_settings().live->set({.motd = {}, .password = {}, .opers = {{"admin", "pw"}}});
  auto& op = h.irc_user("op");
  auto& bot = h.irc_user("bot");
  op.send("OPER admin pw");
  op.send("JOIN #x");
  bot.send("JOIN #x");
  bot.send("MODE bot +B");
  bot.send("AWAY :zzz");
  op.send("MODE #x +v bot");
  (void)op.lines();
  op.send("WHO #x");
  const auto got = op.lines();
  CHECK(got[0] == ":chat.server 352 op #x ~op 127.0.0.1 chat.server op H*@ :0 op Example");
  CHECK(got[1] == ":chat.server 352 op #x ~bot 127.0.0.1 chat.server bot G+B :0 bot Example");
}

TEST_CASE("irc door: WHOX fields in their fixed order, with the token", "[door][irc][who]") {
  door_harness h;
  auto& a = h.irc_user("a");
  auto& b = h.irc_user("b");
  a.send("JOIN #x");
  b.send("JOIN #x");
  (void)a.lines();
  a.send("WHO #x %tnuhcfar,42");
  const auto got = a.lines();
  REQUIRE(got.size() == 3);
  CHECK(got[0] == ":chat.server 354 a 42 #x ~a 127.0.0.1 a H@ 0 :a Example");
  CHECK(got[1] == ":chat.server 354 a 42 #x ~b 127.0.0.1 b H 0 :b Example");
  CHECK(got[2] == ":chat.server 315 a #x :End of /WHO list");
  a.send("WHO b %n");
  CHECK(a.lines() == lines_t{":chat.server 354 a b", ":chat.server 315 a b :End of /WHO list"});
}

TEST_CASE("irc door: WHOIS - prefixes, operator, bot, idle, secret channels", "[door][irc][whois]") {
  door_harness h;
  h.irc_settings().live->set({.motd = {}, .password = {}, .opers = {{"admin", "pw"}}});
  auto& t = h.irc_user("t");
  auto& v = h.irc_user("v");
  t.send("JOIN #open,#hidden");
  t.send("MODE #hidden +s");
  v.send("JOIN #open");
  t.send("MODE #open +v v");
  t.send("OPER admin pw");
  t.send("MODE t +B");
  (void)t.lines();
  (void)v.lines();
  v.send("WHOIS t");
  const auto got = v.lines();
  CHECK(has_line(got, ":chat.server 319 v t :@#open"));  // not #hidden
  CHECK(has_line(got, ":chat.server 313 v t :is an IRC operator"));
  CHECK(has_line(got, ":chat.server 335 v t :is a bot on ChatNet"));
  CHECK(has_line(got, " 317 v t 0 "));
  t.send("WHOIS v");
  CHECK(has_line(t.lines(), ":chat.server 319 t v :+#open"));
  t.send("WHOIS t");
  CHECK(has_line(t.lines(), ":chat.server 319 t t :@#hidden @#open"));  // its own, secret or not
}

TEST_CASE("irc door: WHOWAS", "[door][irc][whowas]") {
  door_harness h;
  auto& a = h.irc_user("a");
  auto& gone = h.irc_user("gone");
  gone.send("NICK renamed");
  gone.send("QUIT :bye");
  a.send("WHOWAS gone");
  auto got = a.lines();
  CHECK(got[0] == ":chat.server 314 a gone ~gone 127.0.0.1 * :gone Example");
  CHECK(got[1].starts_with(":chat.server 312 a gone chat.server :20"));
  CHECK(got[2] == ":chat.server 369 a gone :End of WHOWAS");
  a.send("WHOWAS renamed");
  CHECK(count_lines(a.lines(), " 314 ") == 1);
  a.send("WHOWAS never");
  CHECK(a.lines() == lines_t{":chat.server 406 a never :There was no such nickname",
                             ":chat.server 369 a never :End of WHOWAS"});
  a.send("WHOWAS");
  CHECK(a.lines() == lines_t{":chat.server 461 a WHOWAS :Not enough parameters"});
  // The count: 0 or negative means all.
  for (int i = 0; i < 3; ++i) {
    auto& again = h.irc_user("gone");
    again.send("QUIT");
  }
  a.send("WHOWAS gone 2");
  CHECK(count_lines(a.lines(), " 314 ") == 2);
  a.send("WHOWAS gone 0");
  CHECK(count_lines(a.lines(), " 314 ") == 4);
  a.send("WHOWAS gone -1");
  CHECK(count_lines(a.lines(), " 314 ") == 4);
}

TEST_CASE("whowas keeps kMaxWhowas departures, the oldest forgotten first", "[chat][whowas]") {
  chat::whowas w;
  for (std::size_t i = 0; i < chat::kMaxWhowas; ++i) w.record({"n" + std::to_string(i), "u", "h", "r", 0});
  CHECK(w.size() == chat::kMaxWhowas);
  CHECK(w.find("n0", 0).size() == 1);
  w.record({"late", "u", "h", "r", 0});
  CHECK(w.size() == chat::kMaxWhowas);
  CHECK(w.find("n0", 0).empty());  // one past the limit: the oldest is gone
  CHECK(w.find("n1", 0).size() == 1);
  CHECK(w.find("LATE", 0).size() == 1);
}

TEST_CASE("irc door: MONITOR", "[door][irc][monitor]") {
  door_harness h;
  auto& w = h.irc_user("w");
  auto& on = h.irc_user("online");
  (void)on;
  w.send("MONITOR + online,offline");
  CHECK(w.lines() == lines_t{":chat.server 730 w :online!~online@127.0.0.1", ":chat.server 731 w :offline"});
  auto& comes = h.irc_user("offline");
  CHECK(w.lines() == lines_t{":chat.server 730 w :offline!~offline@127.0.0.1"});
  comes.send("NICK elsewhere");
  CHECK(w.lines() == lines_t{":chat.server 731 w :offline"});
  comes.send("NICK offline");
  CHECK(w.lines() == lines_t{":chat.server 730 w :offline!~offline@127.0.0.1"});
  comes.send("QUIT");
  CHECK(w.lines() == lines_t{":chat.server 731 w :offline"});
  w.send("MONITOR L");
  CHECK(w.lines() ==
        lines_t{":chat.server 732 w :online,offline", ":chat.server 733 w :End of MONITOR list"});
  w.send("MONITOR S");
  CHECK(w.lines() == lines_t{":chat.server 730 w :online!~online@127.0.0.1", ":chat.server 731 w :offline"});
  w.send("MONITOR - online");
  w.send("MONITOR L");
  CHECK(w.lines() == lines_t{":chat.server 732 w :offline", ":chat.server 733 w :End of MONITOR list"});
  w.send("MONITOR C");
  w.send("MONITOR L");
  CHECK(w.lines() == lines_t{":chat.server 733 w :End of MONITOR list"});
  w.send("MONITOR");
  CHECK(w.lines() == lines_t{":chat.server 461 w MONITOR :Not enough parameters"});
}

TEST_CASE("irc door: MONITOR at its limit", "[door][irc][monitor][limits]") {
  door_harness h;
  auto& w = h.irc_user("w");
  std::string list;
  for (std::size_t i = 0; i < door::kMaxMonitor; ++i) {
    if (!list.empty()) list += ',';
    list += "n" + std::to_string(i);
    if (list.size() > 300) {
      w.send("MONITOR + " + list);
      list.clear();
    }
  }
  if (!list.empty()) w.send("MONITOR + " + list);
  auto got = w.lines();
  CHECK(!has_line(got, " 734 "));
  w.send("MONITOR + extra1,extra2");
  got = w.lines();
  CHECK(got == lines_t{":chat.server 734 w 100 extra1,extra2 :Monitor list is full"});
  w.send("MONITOR - n0");
  w.send("MONITOR + extra1");
  CHECK(w.lines() == lines_t{":chat.server 731 w :extra1"});
}

TEST_CASE("irc door: ADMIN, LINKS, STATS and HELP", "[door][irc][server]") {
  door_harness h;
  h.irc_settings().admin_location = "Here";
  h.irc_settings().admin_institution = "The chat project";
  h.irc_settings().admin_email = "admin@example.org";
  auto& a = h.irc_user("a");
  a.send("ADMIN");
  CHECK(a.lines() == lines_t{":chat.server 256 a chat.server :Administrative info",
                             ":chat.server 257 a :Here", ":chat.server 258 a :The chat project",
                             ":chat.server 259 a :admin@example.org"});
  a.send("LINKS");
  CHECK(a.lines() == lines_t{":chat.server 364 a chat.server chat.server :0 ChatNet",
                             ":chat.server 365 a * :End of /LINKS list"});
  a.send("STATS u");
  const auto up = a.lines();
  REQUIRE(up.size() == 2);
  CHECK(up[0].starts_with(":chat.server 242 a :Server Up 0 days 0:00:0"));
  CHECK(up[1] == ":chat.server 219 a u :End of /STATS report");
  a.send("STATS m");
  const auto counts = a.lines();
  CHECK(has_line(counts, ":chat.server 212 a ADMIN "));  // counted since the start
  CHECK(has_line(counts, ":chat.server 212 a STATS "));
  CHECK(counts.back() == ":chat.server 219 a m :End of /STATS report");
  a.send("HELP");
  const auto list = a.lines();
  CHECK(list.front() == ":chat.server 704 a * :Commands (HELP <command> for one of them):");
  CHECK(list.back() == ":chat.server 706 a * :End of /HELP");
  CHECK(has_line(list, "WHOWAS"));
  CHECK(!has_line(list, "KILL"));  // operators' commands for operators
  // Every command has its help.
  for (const auto& c : door::irc_door::commands()) {
    CAPTURE(c.name);
    CHECK(!c.help.empty());
    a.send("HELP " + std::string(c.name));
    const auto one = a.lines();
    REQUIRE(one.size() == 3);
    CHECK(one[1] == ":chat.server 705 a " + std::string(c.name) + " :" + std::string(c.help));
  }
  a.send("HELPOP join");
  CHECK(a.lines()[1].starts_with(":chat.server 705 a JOIN :JOIN <channel>"));
  a.send("HELP FROB");
  CHECK(a.lines() == lines_t{":chat.server 524 a FROB :No help available on this topic"});
}
