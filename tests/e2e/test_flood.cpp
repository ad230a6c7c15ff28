// Flood control through real sockets: a client past its burst is slowed
// (fake lag), nothing it sent is dropped, and a client whose backlog passes
// the receive-queue limit is disconnected with a reason. Bystanders are
// never slowed. Times are only checked as lower bounds (a loaded machine can
// only make them longer).
#include <chrono>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "support/irc_client.hpp"
#include "support/seed_client.hpp"
#include "support/test_server.hpp"

using test::irc_client;
using test::irc_login;
using test::login;
using namespace std::chrono_literals;

namespace {

net::server_config flood_config(double burst, double rate) {
  auto cfg = test::test_config();
  cfg.lim.flood_burst = burst;
  cfg.lim.flood_rate = rate;
  return cfg;
}

// Sends lines as fast as the socket takes them, until it fails (the server
// closed it) or the time is up. Runs on its own thread: the server stops
// reading a throttled client, so these writes block.
void flood(test::test_socket& s, const std::string& bytes, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  try {
    while (std::chrono::steady_clock::now() < end) s.send_raw(bytes);
  } catch (const std::exception&) {
    // the server closed the connection: expected
  }
}

std::string many_lines(const std::string& line, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += line;
  return out;
}

}  // namespace

TEST_CASE("IRC: past its burst a client is slowed - nothing is dropped", "[flood][irc]") {
  // A burst of 5 (registration uses 2: NICK and USER), then 4 per second.
  test::test_server server(flood_config(5, 4));
  auto bob = irc_login(server.irc_port(), "bob");
  bob.join("#lobby");
  auto ann = irc_login(server.irc_port(), "ann");
  ann.join("#lobby");
  REQUIRE(bob.expect("JOIN #lobby").has_value());

  const auto start = std::chrono::steady_clock::now();
  std::string paste;
  for (int i = 0; i < 10; ++i) paste += "PRIVMSG #lobby :line " + std::to_string(i) + "\r\n";
  ann.send_raw(paste);
  for (int i = 0; i < 10; ++i) {
    INFO("line " << i);
    REQUIRE(bob.expect("PRIVMSG #lobby :line ") ==
            ":ann!~ann@127.0.0.1 PRIVMSG #lobby :line " + std::to_string(i));
  }
  // ann had 2 tokens left after JOIN: at least 8 lines waited 1/4 s each.
  CHECK(std::chrono::steady_clock::now() - start >= 1500ms);

  // bob, who did not flood, is answered at once meanwhile and after.
  bob.send("PING :still-here");
  CHECK(bob.expect("PONG").has_value());
}

TEST_CASE("IRC: a flood past the receive-queue limit is disconnected - Excess Flood", "[flood][irc]") {
  test::test_server server(flood_config(5, 1));
  auto bob = irc_login(server.irc_port(), "bob");
  bob.join("#lobby");
  auto flooder = irc_login(server.irc_port(), "flooder");
  flooder.join("#lobby");
  REQUIRE(bob.expect("JOIN #lobby").has_value());

  const auto lines = many_lines("PRIVMSG #lobby :flooding the room with a line of text\r\n", 1000);
  std::thread sender([&] { flood(flooder, lines, 60s); });
  const auto error = flooder.expect("ERROR", 60s);
  sender.join();
  REQUIRE(error.has_value());
  CHECK(error->find("Excess Flood") != std::string::npos);
  CHECK(flooder.closed_within());
  // The others see why it left, and can still talk.
  CHECK(bob.expect("QUIT") == ":flooder!~flooder@127.0.0.1 QUIT :Excess Flood");
  auto ann = irc_login(server.irc_port(), "ann");
  ann.join("#lobby");
  ann.send("PRIVMSG #lobby :after the flood");
  CHECK(bob.expect("after the flood").has_value());
}

TEST_CASE("seed: past its burst a client is slowed - nothing is dropped", "[flood][seed]") {
  test::test_server server(flood_config(3, 4));
  auto bob = login(server.port(), "bob");
  auto sam = login(server.port(), "sam");
  REQUIRE(bob.recv() == "sam has joined the chat!");
  const auto start = std::chrono::steady_clock::now();
  std::string paste;
  for (int i = 0; i < 8; ++i) paste += test::frame("line " + std::to_string(i));
  sam.send_raw(paste);
  for (int i = 0; i < 8; ++i) {
    INFO("line " << i);
    REQUIRE(bob.recv() == "sam > line " + std::to_string(i));
  }
  // The login frame spent one token: at least 6 frames waited 1/4 s each.
  CHECK(std::chrono::steady_clock::now() - start >= 1200ms);
}

TEST_CASE("seed: a flood past the receive-queue limit is disconnected with an error", "[flood][seed]") {
  test::test_server server(flood_config(5, 1));
  auto bob = login(server.port(), "bob");
  auto flooder = login(server.port(), "flooder");
  REQUIRE(bob.recv() == "flooder has joined the chat!");
  const auto frames = many_lines(test::frame("flooding the chat with a frame of text"), 1000);
  std::thread sender([&] { flood(flooder, frames, 60s); });
  // Frames handled before the throttle are relayed; then the error comes.
  std::optional<std::string> reply;
  do {
    reply = flooder.recv(60s);
  } while (reply && reply->ends_with("has joined the chat!"));
  sender.join();
  CHECK(reply == "Error: too many messages too fast, disconnecting");
  CHECK(flooder.closed_within());
  std::optional<std::string> seen;
  do {
    seen = bob.recv();
  } while (seen && seen->starts_with("flooder > "));
  CHECK(seen == "flooder has left the chat!");
}
