// The metrics through real sockets: clients of both doors register, talk and
// leave in each way, and the exposition moves by exactly what they did. The
// server counts on its own threads, so each check first scrapes until the
// expected growth has shown up (bounded by kWait), then asserts it exactly:
// no timing is asserted.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "metrics/metrics.hpp"
#include "support/irc_client.hpp"
#include "support/prometheus_text.hpp"
#include "support/seed_client.hpp"
#include "support/test_server.hpp"

using test::irc_login;
using test::login;
using namespace std::chrono_literals;

namespace {

// The series `name` of IRC, or seed, clients over plain TCP.
std::string irc_tcp(const char* name) {
  return std::string(name) + "{door=\"irc\",transport=\"tcp\"}";
}
std::string seed_tcp(const char* name) {
  return std::string(name) + "{door=\"seed\",transport=\"tcp\"}";
}

std::string reason(const char* r) {
  return std::string("chat_disconnects_total{reason=\"") + r + "\"}";
}

test::exposition scrape() {
  auto e = test::parse_exposition(metrics::render());
  for (const auto& err : e.errors) FAIL_CHECK(err);
  return e;
}

double read(const test::exposition& e, const std::string& series) {
  const auto v = e.value(series);
  INFO(series);
  REQUIRE(v.has_value());
  return *v;
}

using growth = std::vector<std::pair<std::string, double>>;

// Scrapes until every series of `expected` has grown from `before` by
// exactly its amount, all in one scrape (or kWait has passed), then checks
// each. (One close moves two series, and a scrape may see one before the
// other.) Returns the last scrape.
test::exposition expect_growth(const test::exposition& before, const growth& expected) {
  const auto deadline = std::chrono::steady_clock::now() + test::kWait;
  for (;;) {
    auto now = scrape();
    const bool reached = std::all_of(expected.begin(), expected.end(), [&](const auto& g) {
      return read(now, g.first) - read(before, g.first) == g.second;
    });
    if (reached || std::chrono::steady_clock::now() > deadline) {
      for (const auto& [series, amount] : expected) {
        INFO(series);
        CHECK(read(now, series) - read(before, series) == amount);
      }
      return now;
    }
    std::this_thread::sleep_for(10ms);
  }
}

// The reasons that must not have moved when only `moved` did.
void no_other_reasons(const test::exposition& before, const test::exposition& after,
                      const std::vector<std::string>& moved) {
  for (const char* r : {"quit", "closed", "error", "sendq", "flood", "ping_timeout", "login_timeout", "kill",
                        "refused", "shutdown"}) {
    if (std::find(moved.begin(), moved.end(), r) != moved.end()) continue;
    INFO(r);
    CHECK(read(after, reason(r)) == read(before, reason(r)));
  }
}

}  // namespace

TEST_CASE("metrics: registrations, messages, deliveries and departures through both doors",
          "[metrics][e2e]") {
  test::test_server server;
  const auto before = scrape();

  auto ann = irc_login(server.irc_port(), "ann");
  ann.join("#lobby");
  auto sam = login(server.port(), "sam");
  REQUIRE(ann.expect("JOIN #lobby") == ":sam!sam@127.0.0.1 JOIN #lobby");
  auto bob = irc_login(server.irc_port(), "bob");
  bob.join("#lobby");
  REQUIRE(ann.expect("JOIN #lobby") == ":bob!~bob@127.0.0.1 JOIN #lobby");
  REQUIRE(sam.recv() == "bob has joined the chat!");

  ann.send("PRIVMSG #lobby :hi all");  // to bob and sam
  CHECK(bob.expect("hi all") == ":ann!~ann@127.0.0.1 PRIVMSG #lobby :hi all");
  CHECK(sam.recv() == "ann > hi all");
  sam.send("hello");  // to ann and bob
  CHECK(ann.expect("hello") == ":sam!sam@127.0.0.1 PRIVMSG #lobby :hello");
  CHECK(bob.expect("hello") == ":sam!sam@127.0.0.1 PRIVMSG #lobby :hello");
  ann.send("PRIVMSG sam :psst");  // to sam
  CHECK(sam.recv() == "privately ann > psst");
  sam.send("!msg bob yo");  // to bob
  CHECK(bob.expect("yo") == ":sam!sam@127.0.0.1 PRIVMSG bob :yo");
  ann.send("PRIVMSG nobody :lost");  // no such nick: not a message accepted
  CHECK(ann.expect(" 401 ").has_value());

  bob.send("QUIT :bye");
  CHECK(bob.expect("ERROR").has_value());
  CHECK(bob.closed_within());
  bob.close();
  CHECK(ann.expect("QUIT") == ":bob!~bob@127.0.0.1 QUIT :Quit: bye");

  const auto after = expect_growth(before, {
                                               {irc_tcp("chat_connections_opened_total"), 2},
                                               {seed_tcp("chat_connections_opened_total"), 1},
                                               {irc_tcp("chat_connections"), 1},
                                               {seed_tcp("chat_connections"), 1},
                                               {"chat_registrations_total{door=\"irc\"}", 2},
                                               {"chat_registrations_total{door=\"seed\"}", 1},
                                               {"chat_messages_received_total{door=\"irc\"}", 2},
                                               {"chat_messages_received_total{door=\"seed\"}", 2},
                                               {"chat_deliveries_total", 2 + 2 + 1 + 1},
                                               {"chat_fanout_duration_seconds_count", 2},
                                               {reason("quit"), 1},
                                           });
  no_other_reasons(before, after, {"quit"});
  // Every line a client read came out of a payload; at least the six
  // messages delivered did.
  CHECK(read(after, "chat_messages_sent_total") - read(before, "chat_messages_sent_total") >= 6);
  CHECK(read(after, "chat_connections_opened_total{door=\"irc\",transport=\"tls\"}") ==
        read(before, "chat_connections_opened_total{door=\"irc\",transport=\"tls\"}"));

  // The others hang up without a word: closed.
  ann.close();
  sam.close();
  const auto last = expect_growth(after, {
                                             {reason("closed"), 2},
                                             {irc_tcp("chat_connections"), -1},
                                             {seed_tcp("chat_connections"), -1},
                                         });
  no_other_reasons(after, last, {"closed"});
  CHECK(read(last, irc_tcp("chat_connections")) == read(before, irc_tcp("chat_connections")));
  CHECK(read(last, seed_tcp("chat_connections")) == read(before, seed_tcp("chat_connections")));
}

TEST_CASE("metrics: a server shutdown is the reason, for both doors", "[metrics][e2e]") {
  auto cfg = test::test_config();
  // Long enough that the clients' goodbyes always come in time; shutdown
  // returns as soon as they have.
  cfg.shutdown_grace = test::kWait;
  test::test_server server(cfg);
  const auto before = scrape();
  auto ann = irc_login(server.irc_port(), "ann");
  auto sam = login(server.port(), "sam");
  std::thread stopper([&] { server.stop(); });
  CHECK(ann.expect("ERROR") == "ERROR :Closing Link: 127.0.0.1 (Server is shutting down)");
  CHECK(ann.closed_within());
  ann.close();
  CHECK(sam.recv() == "Server is shutting down");
  CHECK(sam.closed_within());
  sam.close();
  stopper.join();
  // The server's threads are done: what it counted is final.
  const auto after = expect_growth(before, {
                                               {reason("shutdown"), 2},
                                               {irc_tcp("chat_connections"), 0},
                                               {seed_tcp("chat_connections"), 0},
                                           });
  no_other_reasons(before, after, {"shutdown"});
}

TEST_CASE("metrics: Excess Flood and SendQ are counted as such", "[metrics][e2e]") {
  SECTION("a flood past the receive-queue limit") {
    auto cfg = test::test_config();
    cfg.lim.flood_burst = 5;
    cfg.lim.flood_rate = 1;
    test::test_server server(cfg);
    const auto before = scrape();
    auto flooder = irc_login(server.irc_port(), "flooder");
    std::string lines;
    for (int i = 0; i < 1000; ++i) lines += "PONG :flooding with a line that has no answer\r\n";
    std::thread sender([&] {
      try {
        for (int i = 0; i < 100; ++i) flooder.send_raw(lines);
      } catch (const std::exception&) {
        // the server closed the connection: expected
      }
    });
    const auto error = flooder.expect("ERROR", 60s);
    sender.join();
    CHECK(error == "ERROR :Closing Link: 127.0.0.1 (Excess Flood)");
    CHECK(flooder.closed_within());
    flooder.close();
    const auto after = expect_growth(before, {{reason("flood"), 1}, {irc_tcp("chat_connections"), 0}});
    no_other_reasons(before, after, {"flood"});
  }
  SECTION("a client that does not read, past its outbox limit") {
    auto cfg = test::test_config();
    cfg.lim.outbox_bytes = std::size_t{64} * 1024;
    test::test_server server(cfg);
    const auto before = scrape();
    auto alice = login(server.port(), "alice");
    auto slow = login(server.port(), "slow");
    REQUIRE(alice.recv() == "slow has joined the chat!");
    const int small = 4096;  // its kernel buffer small too, so that its outbox fills soon
    ::setsockopt(slow.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    // Bounded: kernel buffers and the 64 KiB outbox hold far less than the
    // 8 MB this may send.
    const std::string text(4000, 'z');
    std::optional<std::string> left;
    for (int i = 0; i < 2000 && !left; ++i) {
      alice.send(text);
      pollfd p{alice.fd(), POLLIN, 0};
      if (::poll(&p, 1, 0) > 0) left = alice.recv();  // the only frame alice gets
    }
    if (!left) left = alice.recv();
    CHECK(left == "slow has left the chat!");
    alice.close();
    const auto after = expect_growth(before, {
                                                 {reason("sendq"), 1},
                                                 {reason("closed"), 1},
                                                 {seed_tcp("chat_connections"), 0},
                                             });
    no_other_reasons(before, after, {"sendq", "closed"});
  }
}
