// IRC registration through real sockets: CAP, PASS, NICK, USER, the welcome
// burst, and every error on the way.
#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "net/limits.hpp"
#include "support/irc_client.hpp"
#include "support/test_server.hpp"

using test::irc_client;
using test::irc_login;
using namespace std::chrono_literals;

TEST_CASE("registration sends 001 to 005 - LUSERS and the MOTD", "[irc][registration]") {
  auto cfg = test::test_config();
  cfg.irc.server_name = "irc.test";
  cfg.irc.network = "TestNet";
  cfg.irc.live->set({.motd = {"first line", "second line"}, .password = {}, .opers = {}});
  test::test_server server(cfg);
  irc_client c(server.irc_port());
  c.send("NICK alice");
  c.send("USER alice 0 * :Alice Example");
  CHECK(c.line() == ":irc.test 001 alice :Welcome to the TestNet IRC Network alice!~alice@127.0.0.1");
  CHECK(c.line()->starts_with(":irc.test 002 alice :Your host is irc.test"));
  CHECK(c.line()->starts_with(":irc.test 003 alice :This server was created"));
  CHECK(c.line()->starts_with(":irc.test 004 alice irc.test "));
  // ISUPPORT: at most 13 tokens a line, so two lines.
  const auto first = c.line();
  const auto second = c.line();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->find(" 005 alice ") != std::string::npos);
  CHECK(second->find(" 005 alice ") != std::string::npos);
  const auto isupport = *first + *second;
  for (const auto* token :
       {"CASEMAPPING=ascii", "CHANTYPES=#", "NICKLEN=30", "CHANNELLEN=50", "NETWORK=TestNet", "PREFIX=(ov)@+",
        "CHANMODES=beIq,k,Hl,imnst", "TOPICLEN=300", "WHOX", "MONITOR=100", "BOT=B", "ELIST=CMNTU",
        "EXCEPTS=e", "INVEX=I", "STATUSMSG=@+"}) {
    INFO(token);
    CHECK(isupport.find(token) != std::string::npos);
  }
  CHECK(c.expect(" 251 alice ").has_value());
  CHECK(c.expect(" 255 alice ").has_value());
  CHECK(c.expect(" 266 alice ").has_value());
  CHECK(c.line() == ":irc.test 375 alice :- irc.test Message of the day - ");
  CHECK(c.line() == ":irc.test 372 alice :- first line");
  CHECK(c.line() == ":irc.test 372 alice :- second line");
  CHECK(c.line() == ":irc.test 376 alice :End of /MOTD command");
}

TEST_CASE("without a MOTD the welcome ends with 422", "[irc][registration]") {
  test::test_server server;
  irc_client c(server.irc_port());
  c.send("NICK bob");
  c.send("USER bob 0 * :Bob");
  CHECK(c.expect(" 422 bob :MOTD File is missing").has_value());
  c.send("MOTD");
  CHECK(c.expect(" 422 bob ").has_value());
}

TEST_CASE("CAP negotiation holds registration until CAP END", "[irc][registration]") {
  test::test_server server;
  irc_client c(server.irc_port());
  c.send("CAP LS 302");
  const auto ls = c.line();
  REQUIRE(ls);
  CHECK(ls->find("CAP * LS :") != std::string::npos);
  for (const auto* cap : {"echo-message", "server-time", "message-tags", "multi-prefix"}) {
    INFO(cap);
    CHECK(ls->find(cap) != std::string::npos);
  }
  c.send("NICK carol");
  c.send("USER carol 0 * :Carol");
  CHECK(c.silent_for());  // no 001 while negotiating
  c.send("CAP REQ :server-time bogus-cap");
  CHECK(c.line()->ends_with("CAP carol NAK :server-time bogus-cap"));
  c.send("CAP REQ :server-time echo-message");
  CHECK(c.line()->ends_with("CAP carol ACK :server-time echo-message"));
  c.send("CAP LIST");
  CHECK(c.line()->ends_with("CAP carol LIST :cap-notify echo-message server-time"));  // cap-notify: LS 302
  c.send("CAP END");
  CHECK(c.expect(" 001 carol ").has_value());
}

TEST_CASE("registration errors: 431 432 433 451 461 462", "[irc][registration]") {
  test::test_server server;
  auto taken = irc_login(server.irc_port(), "taken");
  irc_client c(server.irc_port());
  c.send("JOIN #early");
  CHECK(c.line()->find(" 451 * :You have not registered") != std::string::npos);
  c.send("NICK");
  CHECK(c.line()->find(" 431 * :No nickname given") != std::string::npos);
  c.send("NICK 9bad");
  CHECK(c.line()->find(" 432 * 9bad :Erroneous nickname") != std::string::npos);
  c.send("NICK " + std::string(31, 'n'));
  CHECK(c.line()->find(" 432 * ") != std::string::npos);
  c.send("NICK TAKEN");
  CHECK(c.line()->find(" 433 * TAKEN :Nickname is already in use") != std::string::npos);
  c.send("USER onlyone");
  CHECK(c.line()->find(" 461 * USER :Not enough parameters") != std::string::npos);
  c.send("NICK fine");
  c.send("USER fine 0 * :Fine");
  CHECK(c.expect(" 001 fine ").has_value());
  c.send("USER again 0 * :Again");
  CHECK(c.expect(" 462 fine :You may not reregister").has_value());
}

TEST_CASE("a server password is required when configured", "[irc][registration]") {
  auto cfg = test::test_config();
  cfg.irc.live->set({.motd = {}, .password = "s3cret", .opers = {}});
  test::test_server server(cfg);
  SECTION("wrong password") {
    irc_client c(server.irc_port());
    c.send("PASS wrong");
    c.send("NICK mallory");
    c.send("USER mallory 0 * :M");
    CHECK(c.expect(" 464 mallory :Password incorrect").has_value());
    CHECK(c.expect("ERROR :Closing Link").has_value());
    CHECK(c.closed_within());
  }
  SECTION("no password") {
    irc_client c(server.irc_port());
    c.send("NICK mallory");
    c.send("USER mallory 0 * :M");
    CHECK(c.expect(" 464 ").has_value());
    CHECK(c.closed_within());
  }
  SECTION("right password") {
    irc_client c(server.irc_port());
    c.send("PASS s3cret");
    c.send("NICK alice");
    c.send("USER alice 0 * :A");
    CHECK(c.expect(" 001 alice ").has_value());
  }
}

TEST_CASE("two clients racing for one nick: exactly one wins", "[irc][registration]") {
  test::test_server server;
  for (int round = 0; round < 20; ++round) {
    const std::string nick = "racer" + std::to_string(round);
    irc_client a(server.irc_port());
    irc_client b(server.irc_port());
    std::atomic<int> go{0};
    auto race = [&](irc_client& c) {
      ++go;
      while (go.load() < 2) std::this_thread::yield();
      c.send("NICK " + nick);
      c.send("USER u 0 * :racer");
    };
    std::thread ta([&] { race(a); });
    std::thread tb([&] { race(b); });
    ta.join();
    tb.join();
    const auto ra = a.expect(nick);
    const auto rb = b.expect(nick);
    REQUIRE(ra);
    REQUIRE(rb);
    const bool a_won = ra->find(" 001 ") != std::string::npos;
    const bool b_won = rb->find(" 001 ") != std::string::npos;
    INFO("a: " << *ra << "\nb: " << *rb);
    CHECK(a_won != b_won);
    CHECK((a_won ? rb : ra)->find(" 433 ") != std::string::npos);
  }
}

TEST_CASE("a client that never registers is closed after the registration timeout", "[irc][registration]") {
  auto cfg = test::test_config();
  cfg.irc.registration_timeout = 300ms;
  test::test_server server(cfg);
  irc_client c(server.irc_port());
  c.send("NICK slowpoke");
  CHECK(c.expect("ERROR :Closing Link: 127.0.0.1 (Registration timed out)").has_value());
  CHECK(c.closed_within());
  // The nick is free again.
  auto d = irc_login(server.irc_port(), "slowpoke");
  CHECK(d.silent_for(50ms));
}

TEST_CASE("a deadline shorter than the watchdog sweep still fires, on the next sweep", "[irc][limits]") {
  // kWatchdogTick is the sweep's period: a 1 ms registration timeout is
  // found expired by the first sweep after it, never skipped.
  STATIC_REQUIRE(net::kWatchdogTick > 1ms);
  auto cfg = test::test_config();
  cfg.irc.registration_timeout = 1ms;
  test::test_server server(cfg);
  irc_client c(server.irc_port());
  CHECK(c.expect("ERROR :Closing Link: 127.0.0.1 (Registration timed out)").has_value());
  CHECK(c.closed_within());
}

TEST_CASE("PING and PONG both ways - and an idle client times out", "[irc][ping]") {
  auto cfg = test::test_config();
  cfg.irc.ping_interval = 300ms;
  cfg.irc.ping_timeout = 300ms;
  test::test_server server(cfg);
  auto watcher = irc_login(server.irc_port(), "watcher");
  auto idle = irc_login(server.irc_port(), "idle");
  watcher.send("JOIN #room");
  REQUIRE(watcher.expect(" 366 ").has_value());
  idle.send("JOIN #room");
  REQUIRE(idle.expect(" 366 ").has_value());

  idle.send("PING :token 123");
  CHECK(idle.expect("PONG").value_or("").ends_with(" :token 123"));

  // The server pings the idle client; one that answers stays.
  CHECK(idle.expect("PING :").has_value());
  idle.send("PONG :whatever");
  // Keep the watcher alive while the idle client stops answering.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::optional<std::string> quit;
  while (!quit && std::chrono::steady_clock::now() < deadline) {
    auto l = watcher.line(200ms);
    if (l && l->starts_with("PING")) watcher.send("PONG :x");
    if (l && l->find("QUIT") != std::string::npos) quit = l;
  }
  REQUIRE(quit);
  CHECK(quit->starts_with(":idle!~idle@127.0.0.1 QUIT :Ping timeout: "));
  CHECK(idle.expect("ERROR :Closing Link: 127.0.0.1 (Ping timeout: ").has_value());
}
