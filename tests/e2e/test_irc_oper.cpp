// IRC operators: OPER with credentials from the configuration, KILL (of IRC
// and seed users), WALLOPS, REHASH and DIE, and 481 for everyone else.
#include <atomic>
#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "support/irc_client.hpp"
#include "support/seed_client.hpp"
#include "support/test_server.hpp"

using test::irc_client;
using test::irc_login;
using test::login;
using namespace std::chrono_literals;

namespace {

net::server_config with_oper() {
  auto cfg = test::test_config();
  cfg.irc.live->set({.motd = {}, .password = {}, .opers = {{"admin", "s3cret"}, {"other", "pw"}}});
  return cfg;
}

}  // namespace

TEST_CASE("OPER with the right credentials makes an operator - wrong ones get 464", "[irc][oper]") {
  test::test_server server(with_oper());
  auto op = irc_login(server.irc_port(), "op");
  op.send("OPER admin wrong");
  CHECK(op.expect(" 464 ") == ":chat.server 464 op :Password incorrect");
  op.send("OPER nobody s3cret");
  CHECK(op.expect(" 464 ").has_value());
  op.send("OPER other s3cret");  // another operator's password
  CHECK(op.expect(" 464 ").has_value());
  op.send("MODE op");
  CHECK(op.expect(" 221 ") == ":chat.server 221 op :+");
  op.send("OPER admin s3cret");
  CHECK(op.expect(" 381 ") == ":chat.server 381 op :You are now an IRC operator");
  CHECK(op.expect("MODE op") == ":op MODE op :+ow");
  op.send("MODE op");
  CHECK(op.expect(" 221 ") == ":chat.server 221 op :+ow");
  // -o gives it up; +o cannot take it back.
  op.send("MODE op -o");
  CHECK(op.expect("MODE op") == ":op MODE op :-o");
  op.send("MODE op +o");
  op.send("MODE op");
  CHECK(op.expect(" 221 ") == ":chat.server 221 op :+w");
}

TEST_CASE("OPER needs two parameters - and no operators configured means none", "[irc][oper]") {
  test::test_server server;
  auto op = irc_login(server.irc_port(), "op");
  op.send("OPER admin");
  CHECK(op.expect(" 461 ") == ":chat.server 461 op OPER :Not enough parameters");
  op.send("OPER admin s3cret");
  CHECK(op.expect(" 464 ").has_value());
}

TEST_CASE("operator commands from a non-operator get 481", "[irc][oper]") {
  test::test_server server(with_oper());
  auto user = irc_login(server.irc_port(), "user");
  for (const auto* command : {"KILL user :bye", "WALLOPS :hello", "REHASH", "DIE"}) {
    INFO(command);
    user.send(command);
    CHECK(user.expect(" 481 ") == ":chat.server 481 user :Permission Denied- You're not an IRC operator");
  }
  user.send("PING :alive");
  CHECK(user.expect("PONG").has_value());
}

TEST_CASE("KILL disconnects an IRC user with the reason - its channels see the QUIT", "[irc][oper]") {
  test::test_server server(with_oper());
  auto op = irc_login(server.irc_port(), "op");
  op.send("OPER admin s3cret");
  REQUIRE(op.expect(" 381 ").has_value());
  op.join("#room");
  auto victim = irc_login(server.irc_port(), "victim");
  victim.join("#room");
  REQUIRE(op.expect("JOIN #room").has_value());

  op.send("KILL nobody :gone");
  CHECK(op.expect(" 401 ") == ":chat.server 401 op nobody :No such nick/channel");
  op.send("KILL victim");
  CHECK(op.expect(" 461 ").has_value());
  op.send("KILL victim :spamming");
  CHECK(victim.expect("ERROR") == "ERROR :Closing Link: 127.0.0.1 (Killed (op (spamming)))");
  CHECK(victim.closed_within());
  CHECK(op.expect("QUIT") == ":victim!~victim@127.0.0.1 QUIT :Killed (op (spamming))");
  // The nick is free again.
  CHECK_NOTHROW(irc_login(server.irc_port(), "victim"));
}

TEST_CASE("KILL disconnects a seed user with the reason - others see it leave", "[irc][oper][cross]") {
  test::test_server server(with_oper());
  auto op = irc_login(server.irc_port(), "op");
  op.send("OPER admin s3cret");
  REQUIRE(op.expect(" 381 ").has_value());
  auto bystander = login(server.port(), "bystander");
  auto victim = login(server.port(), "victim");
  REQUIRE(bystander.recv() == "victim has joined the chat!");
  op.send("KILL victim :flooding");
  CHECK(victim.recv() == "You were disconnected by op: flooding");
  CHECK(victim.closed_within());
  CHECK(bystander.recv() == "victim has left the chat!");
}

TEST_CASE("WALLOPS reaches operators and +w users only", "[irc][oper]") {
  test::test_server server(with_oper());
  auto op = irc_login(server.irc_port(), "op");
  op.send("OPER admin s3cret");
  REQUIRE(op.expect(" 381 ").has_value());
  auto listener = irc_login(server.irc_port(), "listener");
  listener.send("MODE listener +w");
  CHECK(listener.expect("MODE listener") == ":listener MODE listener :+w");
  auto plain = irc_login(server.irc_port(), "plain");
  auto seed_user = login(server.port(), "seeduser");

  op.send("WALLOPS :maintenance at noon");
  CHECK(listener.expect("WALLOPS") == ":op!~op@127.0.0.1 WALLOPS :maintenance at noon");
  CHECK(op.expect("WALLOPS") == ":op!~op@127.0.0.1 WALLOPS :maintenance at noon");
  CHECK(plain.silent_for());
  CHECK(seed_user.silent_for());
}

TEST_CASE("REHASH runs the reload and DIE stops the server - for operators", "[irc][oper]") {
  auto cfg = with_oper();
  std::atomic<int> rehashes{0};
  std::atomic<bool> died{false};
  cfg.irc.rehash = [&] {
    ++rehashes;
    return std::string(rehashes == 1 ? "" : "bad.toml: not readable");
  };
  cfg.irc.die = [&] { died = true; };
  test::test_server server(cfg);
  auto op = irc_login(server.irc_port(), "op");
  op.send("OPER admin s3cret");
  REQUIRE(op.expect(" 381 ").has_value());
  op.send("REHASH");
  CHECK(op.expect(" 382 ") == ":chat.server 382 op configuration :Rehashing");
  op.send("REHASH");
  CHECK(op.expect("NOTICE") ==
        ":chat.server NOTICE op :REHASH failed, the old configuration stays: bad.toml: not readable");
  CHECK(rehashes == 2);
  op.send("DIE");
  op.send("PING :after");
  CHECK(op.expect("PONG").has_value());
  CHECK(died);
}
