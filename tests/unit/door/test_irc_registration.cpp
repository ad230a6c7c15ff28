// The IRC door without sockets: registration, CAP, PING, QUIT, the
// connection's deadlines and goodbyes, and dispatch's checks (451, 421, 461,
// 462, 481), through a fake link.
#include <algorithm>
#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "protocol/limits.hpp"
#include "support/door_harness.hpp"

using test::door_harness;
using test::has_line;

TEST_CASE("irc door: NICK and USER register with 001-005, LUSERS and 422", "[door][irc][registration]") {
  door_harness h;
  auto& c = h.irc();
  REQUIRE(c.link->deadline() == h.irc_settings().registration_timeout);
  c.send("NICK alice");
  CHECK(c.lines().empty());
  c.send("USER alice 0 * :Alice Example");
  const auto lines = c.lines();
  REQUIRE(lines.size() >= 14);
  CHECK(lines[0] == ":chat.server 001 alice :Welcome to the ChatNet IRC Network alice!~alice@127.0.0.1");
  CHECK(lines[1] == ":chat.server 002 alice :Your host is chat.server, running version chat-0.1.0");
  CHECK(lines[2] == ":chat.server 003 alice :This server was created 2026-12-01 00:00:00 UTC");
  CHECK(lines[3] == ":chat.server 004 alice chat.server chat-0.1.0 Biow Ibeiklmnoqstv Ibeklmoqv");
  CHECK(lines[4].starts_with(":chat.server 005 alice AWAYLEN=300 BOT=B CASEMAPPING=ascii"));
  CHECK(lines[4].ends_with(":are supported by this server"));
  CHECK(lines[5].starts_with(":chat.server 005 alice MODES=4 MONITOR=100 "));
  CHECK(lines[5].find("WHOX") != std::string::npos);
  for (std::size_t i = 4; i <= 5; ++i) {  // at most 13 tokens a line
    CHECK(std::count(lines[i].begin(), lines[i].end(), ' ') - 3 - 4 <= 13);
  }
  CHECK(lines[6] == ":chat.server 251 alice :There are 1 users and 0 invisible on 1 servers");
  CHECK(lines[7] == ":chat.server 252 alice 0 :operator(s) online");
  CHECK(lines[8] == ":chat.server 253 alice 0 :unknown connection(s)");
  CHECK(lines[9] == ":chat.server 254 alice 1 :channels formed");
  CHECK(lines[10] == ":chat.server 255 alice :I have 1 clients and 0 servers");
  CHECK(lines[11] == ":chat.server 265 alice 1 1 :Current local users 1, max 1");
  CHECK(lines[12] == ":chat.server 266 alice 1 1 :Current global users 1, max 1");
  CHECK(lines[13] == ":chat.server 422 alice :MOTD File is missing");
  // Registered: the deadline is now the PING interval.
  CHECK(c.link->deadline() == h.irc_settings().ping_interval);
}

TEST_CASE("irc door: the MOTD is sent when configured", "[door][irc][registration]") {
  door_harness h;
  h.irc_settings().live->set({.motd = {"first", "second"}, .password = {}, .opers = {}});
  auto& c = h.irc();
  c.send("NICK bob");
  c.send("USER bob 0 * :Bob");
  const auto lines = c.lines();
  CHECK(has_line(lines, ":chat.server 375 bob :- chat.server Message of the day - "));
  CHECK(has_line(lines, ":chat.server 372 bob :- first"));
  CHECK(has_line(lines, ":chat.server 372 bob :- second"));
  CHECK(has_line(lines, ":chat.server 376 bob :End of /MOTD command"));
}

TEST_CASE("irc door: USER and NICK errors", "[door][irc][registration]") {
  door_harness h;
  auto& c = h.irc();
  c.send("USER a b c");
  CHECK(c.lines() == std::vector<std::string>{":chat.server 461 * USER :Not enough parameters"});
  c.send("USER :: 0 * :Real");  // one (trailing) parameter
  c.send("USER  0 * :Real");    // runs of spaces separate like one: three
  CHECK(c.lines() == std::vector<std::string>{":chat.server 461 * USER :Not enough parameters",
                                              ":chat.server 461 * USER :Not enough parameters"});
  c.send("NICK");
  CHECK(c.lines() == std::vector<std::string>{":chat.server 431 * :No nickname given"});
  c.send("NICK 1abc");
  CHECK(c.lines() == std::vector<std::string>{":chat.server 432 * 1abc :Erroneous nickname"});
  c.send("NICK " + std::string(protocol::kMaxNickLength + 1, 'n'));
  CHECK(c.lines()[0].find(" 432 ") != std::string::npos);
  auto& other = h.irc_user("taken");
  (void)other;
  c.send("NICK TAKEN");
  CHECK(c.lines() == std::vector<std::string>{":chat.server 433 * TAKEN :Nickname is already in use"});
  c.send("USER x 0 * :X");
  c.send("USER y 0 * :Y");
  CHECK(c.lines() == std::vector<std::string>{":chat.server 462 * :You may not reregister"});
  c.send("NICK fresh");
  CHECK(c.lines()[0] == ":chat.server 001 fresh :Welcome to the ChatNet IRC Network fresh!~x@127.0.0.1");
  // After registration, USER and PASS are refused whatever their parameters.
  c.send("USER z 0 * :Z");
  c.send("PASS");
  const auto after = c.lines();
  CHECK(after == std::vector<std::string>{":chat.server 462 fresh :You may not reregister",
                                          ":chat.server 462 fresh :You may not reregister"});
}

TEST_CASE("irc door: the user name keeps nick characters only", "[door][irc][registration]") {
  door_harness h;
  auto& c = h.irc();
  c.send("NICK n");
  c.send("USER a!b@c.d-e_f 0 * :R");
  CHECK(c.lines()[0].ends_with("n!~abc.d-e_f@127.0.0.1"));
  auto& d = h.irc();
  d.send("NICK m");
  d.send("USER !!! 0 * :R");
  CHECK(d.lines()[0].ends_with("m!user@127.0.0.1"));
}

TEST_CASE("irc door: before registration other commands get 451, after it unknown ones 421",
          "[door][irc][registration]") {
  door_harness h;
  auto& c = h.irc();
  c.send("JOIN #a");
  c.send("FOO");
  c.send("PRIVMSG x :y");
  CHECK(c.lines() == std::vector<std::string>{":chat.server 451 * :You have not registered",
                                              ":chat.server 451 * :You have not registered",
                                              ":chat.server 451 * :You have not registered"});
  c.send("NICK a");
  c.send("USER a 0 * :A");
  (void)c.lines();
  c.send("FOO bar");
  c.send("foo");
  CHECK(c.lines() == std::vector<std::string>{":chat.server 421 a FOO :Unknown command",
                                              ":chat.server 421 a FOO :Unknown command"});
  // Commands with too few parameters: 461 from the table.
  for (const auto* cmd :
       {"JOIN", "PART", "TOPIC", "MODE", "KICK #a", "INVITE x", "ISON", "USERHOST", "OPER x"}) {
    c.send(cmd);
    const auto name = std::string(cmd).substr(0, std::string(cmd).find(' '));
    CHECK(c.lines() == std::vector<std::string>{":chat.server 461 a " + name + " :Not enough parameters"});
  }
}

TEST_CASE("irc door: a server password", "[door][irc][registration]") {
  door_harness h;
  h.irc_settings().live->set({.motd = {}, .password = "s3cret", .opers = {}});
  SECTION("missing or wrong: 464, then ERROR and a close") {
    auto& c = h.irc();
    c.send("PASS");
    CHECK(c.lines() == std::vector<std::string>{":chat.server 461 * PASS :Not enough parameters"});
    c.send("PASS wrong");
    c.send("NICK a");
    c.send("USER a 0 * :A");
    CHECK(c.lines() == std::vector<std::string>{":chat.server 464 a :Password incorrect",
                                                "ERROR :Closing Link: 127.0.0.1 (Bad password)"});
    CHECK(c.link->closing());
    // The nick is free again.
    auto& d = h.irc();
    d.send("PASS s3cret");
    d.send("NICK a");
    d.send("USER a 0 * :A");
    CHECK(d.lines()[0].find(" 001 a ") != std::string::npos);
  }
  SECTION("right: registered") {
    auto& c = h.irc();
    c.send("PASS s3cret");
    c.send("NICK a");
    c.send("USER a 0 * :A");
    CHECK(c.lines()[0].find(" 001 a ") != std::string::npos);
  }
}

TEST_CASE("irc door: CAP LS, REQ, LIST and END", "[door][irc][cap]") {
  door_harness h;
  auto& c = h.irc();
  c.send("CAP LS 302");
  CHECK(c.lines() ==
        std::vector<std::string>{
            ":chat.server CAP * LS :away-notify batch cap-notify chghost draft/channel-rename "
            "echo-message extended-join extended-monitor invite-notify labeled-response message-tags "
            "multi-prefix server-time setname standard-replies userhost-in-names"});
  c.send("NICK a");
  c.send("USER a 0 * :A");
  CHECK(c.lines().empty());  // negotiation holds registration back
  c.send("CAP REQ :server-time echo-message");
  CHECK(c.lines() == std::vector<std::string>{":chat.server CAP a ACK :server-time echo-message"});
  c.send("CAP REQ :server-time bogus");
  CHECK(c.lines() == std::vector<std::string>{":chat.server CAP a NAK :server-time bogus"});
  c.send("CAP REQ :");
  CHECK(c.lines() == std::vector<std::string>{":chat.server CAP a NAK :"});
  c.send("CAP LIST");
  // cap-notify comes with LS 302, and stays.
  CHECK(c.lines() ==
        std::vector<std::string>{":chat.server CAP a LIST :cap-notify echo-message server-time"});
  c.send("CAP REQ -echo-message");
  CHECK(c.lines() == std::vector<std::string>{":chat.server CAP a ACK :-echo-message"});
  c.send("CAP LIST");
  CHECK(c.lines() == std::vector<std::string>{":chat.server CAP a LIST :cap-notify server-time"});
  c.send("CAP BOGUS");
  CHECK(c.lines() == std::vector<std::string>{":chat.server 410 a BOGUS :Invalid CAP command"});
  c.send("CAP END");
  CHECK(c.lines()[0] == ":chat.server 001 a :Welcome to the ChatNet IRC Network a!~a@127.0.0.1");
  c.send("CAP END");  // after registration: nothing
  CHECK(c.lines().empty());
}

TEST_CASE("irc door: PING, PONG and the idle watchdog", "[door][irc][ping]") {
  door_harness h;
  auto& c = h.irc_user("a");
  c.send("PING token");
  c.send("PING");
  c.send("PONG whatever");
  CHECK(c.lines() == std::vector<std::string>{":chat.server PONG chat.server :token",
                                              ":chat.server 409 a :No origin specified"});
  // The last input was long ago: at the deadline the door pings and waits.
  c.link->set_now(door::clock::now() - h.irc_settings().ping_interval - h.irc_settings().ping_timeout);
  c.send("PONG x");  // the last input, at that time
  c.door->on_deadline();
  CHECK(c.lines() == std::vector<std::string>{"PING :chat.server"});
  CHECK(c.link->deadline() == h.irc_settings().ping_timeout);
  // Not answered in time: closed with a reason.
  c.door->on_deadline();
  const auto lines = c.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].starts_with("ERROR :Closing Link: 127.0.0.1 (Ping timeout: "));
  CHECK(c.link->closing());
}

TEST_CASE("irc door: a deadline before the PING interval re-arms for the rest", "[door][irc][ping]") {
  door_harness h;
  auto& c = h.irc_user("a");
  c.door->on_deadline();  // early: nothing idle yet
  CHECK(c.lines().empty());
  const auto left = c.link->deadline();
  REQUIRE(left.has_value());
  CHECK(*left <= h.irc_settings().ping_interval);
  CHECK(*left > h.irc_settings().ping_interval - std::chrono::seconds(10));
}

TEST_CASE("irc door: registration timeout", "[door][irc][registration]") {
  door_harness h;
  auto& c = h.irc();
  c.send("NICK slow");
  c.door->on_deadline();
  CHECK(c.lines() == std::vector<std::string>{"ERROR :Closing Link: 127.0.0.1 (Registration timed out)"});
  CHECK(c.link->closing());
  auto& d = h.irc_user("slow");  // the nick was freed at once
  (void)d;
}

TEST_CASE("irc door: QUIT, shutdown and excess flood say goodbye and close", "[door][irc][quit]") {
  door_harness h;
  auto& a = h.irc_user("a");
  auto& b = h.irc_user("b");
  a.send("JOIN #x");
  b.send("JOIN #x");
  (void)a.lines();
  (void)b.lines();
  SECTION("QUIT with a reason") {
    a.send("QUIT :bye now");
    CHECK(a.lines() == std::vector<std::string>{"ERROR :Closing Link: 127.0.0.1 (Quit: bye now)"});
    CHECK(a.link->closing());
    CHECK(b.lines() == std::vector<std::string>{":a!~a@127.0.0.1 QUIT :Quit: bye now"});
  }
  SECTION("QUIT without one") {
    a.send("QUIT");
    CHECK(a.lines() == std::vector<std::string>{"ERROR :Closing Link: 127.0.0.1 (Client quit)"});
    CHECK(b.lines() == std::vector<std::string>{":a!~a@127.0.0.1 QUIT :Client quit"});
  }
  SECTION("the server shuts down") {
    a.door->on_shutdown();
    CHECK(a.lines() == std::vector<std::string>{"ERROR :Closing Link: 127.0.0.1 (Server is shutting down)"});
  }
  SECTION("excess flood") {
    a.door->on_excess_flood();
    CHECK(a.lines() == std::vector<std::string>{"ERROR :Closing Link: 127.0.0.1 (Excess Flood)"});
    CHECK(a.link->closing());
    CHECK(b.lines() == std::vector<std::string>{":a!~a@127.0.0.1 QUIT :Excess Flood"});
  }
  SECTION("the connection drops") {
    a.stop();
    CHECK(b.lines() == std::vector<std::string>{":a!~a@127.0.0.1 QUIT :Connection closed"});
    auto& again = h.irc_user("a");  // the nick is free
    (void)again;
  }
}

TEST_CASE("irc door: bad lines", "[door][irc][input]") {
  door_harness h;
  auto& c = h.irc_user("a");
  c.send(std::string(protocol::kIrcMaxLine, 'x'));
  CHECK(c.lines() == std::vector<std::string>{":chat.server 417 a :Input line was too long"});
  c.send("@only=tags");
  CHECK(c.lines() == std::vector<std::string>{":chat.server NOTICE a :Malformed line ignored: no command"});
  c.send("PRIVMSG a :bad \xff here");
  CHECK(c.lines() == std::vector<std::string>{
                         ":chat.server FAIL PRIVMSG INVALID_UTF8 :Message rejected: it is not valid UTF-8"});
  c.send("NOTICE a :bad \xff here");
  CHECK(c.lines().empty());  // NOTICE: never an automatic reply
  c.send("");
  c.send("   ");
  CHECK(c.lines().empty());
  // A bare CR does not end a line, and nothing is injected.
  c.send_raw("PRIVMSG a :one\rQUIT :x\r\n");
  const auto lines = c.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("Malformed line ignored") != std::string::npos);
  CHECK(!c.link->closing());
}

TEST_CASE("irc door: flood control stops handling lines and resumes on empty input", "[door][irc][flood]") {
  door_harness h;
  auto& c = h.irc_user("a");
  c.link->set_tokens(1);
  c.send_raw("PING 1\r\nPING 2\r\nPING 3\r\n");
  CHECK(c.lines() ==
        std::vector<std::string>{":chat.server PONG chat.server :1", ":chat.server PONG chat.server :2"});
  CHECK(c.door->pending_input() == 8);  // "PING 3\r\n" waits
  c.link->set_tokens(10);
  c.send_raw("");
  CHECK(c.lines() == std::vector<std::string>{":chat.server PONG chat.server :3"});
  CHECK(c.door->pending_input() == 0);
}
