// Admission through real sockets: a client over a cap is told why in its own
// protocol and closed; the others are not disturbed; a freed slot admits
// the next client.
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "support/irc_client.hpp"
#include "support/seed_client.hpp"
#include "support/test_server.hpp"

using test::irc_client;
using test::irc_login;
using test::login;
using test::seed_client;
using namespace std::chrono_literals;

TEST_CASE("a client past the per-address cap is refused with a reason on both doors", "[admission]") {
  auto cfg = test::test_config();
  cfg.admit.max_per_address = 3;
  test::test_server server(cfg);
  auto a = irc_login(server.irc_port(), "a");
  auto b = irc_login(server.irc_port(), "b");
  auto c = login(server.port(), "c");

  irc_client fourth(server.irc_port());
  CHECK(fourth.line() == "ERROR :Closing Link: 127.0.0.1 (too many connections from your address)");
  CHECK(fourth.closed_within());
  seed_client fifth(server.port());
  CHECK(fifth.recv() == "Error: too many connections from your address");
  CHECK(fifth.closed_within());

  // Those inside are not disturbed.
  a.send("PING :fine");
  CHECK(a.expect("PONG").has_value());

  // Once one leaves, the next is admitted (the slot is freed as it stops).
  b.send("QUIT");
  CHECK(b.closed_within());
  b.close();  // the server keeps a half-closed connection until the client closes too
  std::optional<std::string> welcome;
  for (int attempt = 0; attempt < 100 && !welcome; ++attempt) {
    try {
      auto d = login(server.port(), "d");
      welcome = "in";
    } catch (const std::exception&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  CHECK(welcome.has_value());
}

TEST_CASE("a client past the global connection cap is told the server is full", "[admission]") {
  auto cfg = test::test_config();
  cfg.admit.max_connections = 2;
  test::test_server server(cfg);
  auto a = login(server.port(), "a");
  auto b = irc_login(server.irc_port(), "b");
  seed_client third(server.port());
  CHECK(third.recv() == "Error: the server is full");
  irc_client fourth(server.irc_port());
  CHECK(fourth.line() == "ERROR :Closing Link: 127.0.0.1 (the server is full)");
}

TEST_CASE("an address opening connections too fast is refused until its rate allows", "[admission]") {
  auto cfg = test::test_config();
  cfg.admit.connect_burst = 4;
  cfg.admit.connect_rate = 2;
  test::test_server server(cfg);
  const auto start = std::chrono::steady_clock::now();
  std::vector<seed_client> quick;
  for (int i = 0; i < 4; ++i) quick.push_back(login(server.port(), "u" + std::to_string(i)));
  irc_client fifth(server.irc_port());
  const auto refusal = fifth.line();
  if (std::chrono::steady_clock::now() - start < 500ms) {
    // Within the first half second no token can have come back.
    CHECK(refusal == "ERROR :Closing Link: 127.0.0.1 (connecting too fast, try again later)");
  } else {
    SUCCEED("the machine was too slow to check the burst edge this time");
  }
  // Half a second later one more is welcome.
  std::this_thread::sleep_for(600ms);
  CHECK_NOTHROW(login(server.port(), "late"));
}
