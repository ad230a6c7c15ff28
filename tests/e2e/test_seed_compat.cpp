// The seed protocol through real sockets, byte for byte as the original
// Python server speaks it.
#include <tuple>

#include <catch2/catch.hpp>

#include "support/seed_client.hpp"
#include "support/test_server.hpp"

using test::frame;
using test::login;
using test::seed_client;

namespace {

// alice, bob and carol, logged in in that order, with the join notices read.
std::tuple<seed_client, seed_client, seed_client> trio(std::uint16_t port) {
  auto alice = login(port, "alice");
  auto bob = login(port, "bob");
  auto carol = login(port, "carol");
  REQUIRE(alice.recv() == "bob has joined the chat!");
  REQUIRE(alice.recv() == "carol has joined the chat!");
  REQUIRE(bob.recv() == "carol has joined the chat!");
  return {std::move(alice), std::move(bob), std::move(carol)};
}

}  // namespace

TEST_CASE("the server sends nothing before the username", "[seed]") {
  test::test_server server;
  seed_client c(server.port());
  CHECK(c.silent_for());
  c.send("alice");
  CHECK(c.recv() == "You have joined the chat!");
}

TEST_CASE("login: others hear of the newcomer - who then gets the confirmation", "[seed]") {
  test::test_server server;
  auto alice = login(server.port(), "alice");
  auto bob = login(server.port(), "bob");
  CHECK(alice.recv() == "bob has joined the chat!");
  auto carol = login(server.port(), "carol");
  CHECK(alice.recv() == "carol has joined the chat!");
  CHECK(bob.recv() == "carol has joined the chat!");
  CHECK(carol.silent_for());
}

TEST_CASE("the exact bytes of the confirmation frame", "[seed]") {
  test::test_server server;
  seed_client c(server.port());
  c.send_raw("5         alice");
  CHECK(c.recv_bytes(35) == "25        You have joined the chat!");
}

TEST_CASE("broadcast reaches every other user and is not echoed", "[seed]") {
  test::test_server server;
  auto [alice, bob, carol] = trio(server.port());

  alice.send("hello, world");
  CHECK(bob.recv() == "alice > hello, world");
  CHECK(carol.recv() == "alice > hello, world");
  CHECK(alice.silent_for());

  SECTION("a command with a trailing space is ordinary text") {
    bob.send("!who ");
    CHECK(alice.recv() == "bob > !who ");
    CHECK(carol.recv() == "bob > !who ");
  }
  SECTION("commands are case-sensitive") {
    bob.send("!WHO");
    CHECK(alice.recv() == "bob > !WHO");
  }
  SECTION("text that merely starts like !msg is ordinary text") {
    bob.send("!msgs are private");
    CHECK(alice.recv() == "bob > !msgs are private");
  }
}

TEST_CASE("the who command lists the others in join order - in one frame", "[seed]") {
  test::test_server server;
  auto alice = login(server.port(), "alice");
  alice.send("!who");
  CHECK(alice.recv() == "No one but you is active");

  auto bob = login(server.port(), "bob");
  auto carol = login(server.port(), "carol");
  REQUIRE(alice.recv() == "bob has joined the chat!");
  REQUIRE(alice.recv() == "carol has joined the chat!");
  REQUIRE(bob.recv() == "carol has joined the chat!");

  bob.send("!who");
  CHECK(bob.recv() == "-> alice\n-> carol");
  carol.send("!who");
  CHECK(carol.recv() == "-> alice\n-> bob");
  CHECK(alice.silent_for());
}

TEST_CASE("the msg command reaches one user and the sender hears nothing on success", "[seed]") {
  test::test_server server;
  auto [alice, bob, carol] = trio(server.port());

  alice.send("!msg bob psst,  a secret");
  CHECK(bob.recv() == "privately alice > psst,  a secret");
  CHECK(alice.silent_for());
  CHECK(carol.silent_for(std::chrono::milliseconds(50)));

  SECTION("to an unknown user") {
    alice.send("!msg dave hello");
    CHECK(alice.recv() == "dave is not online");
  }
  SECTION("recipient names are case-insensitive, like the names themselves") {
    alice.send("!msg BOB hi");
    CHECK(bob.recv() == "privately alice > hi");
  }
  SECTION("text keeps the spaces after the user, as split(' ', 2) does") {
    alice.send("!msg carol  two spaces");
    CHECK(carol.recv() == "privately alice >  two spaces");
  }
}

TEST_CASE("every kind of departure is announced", "[seed]") {
  test::test_server server;
  auto alice = login(server.port(), "alice");
  auto bob = login(server.port(), "bob");
  REQUIRE(alice.recv() == "bob has joined the chat!");

  SECTION("orderly close") {
    bob.close();
    CHECK(alice.recv() == "bob has left the chat!");
  }
  SECTION("connection reset") {
    bob.reset();
    CHECK(alice.recv() == "bob has left the chat!");
  }
  SECTION("a raw !logout frame logs out and closes, with nothing sent back") {
    bob.send("!logout");
    CHECK(alice.recv() == "bob has left the chat!");
    CHECK(bob.closed_within());
  }
  SECTION("the name is free again afterwards") {
    bob.close();
    REQUIRE(alice.recv() == "bob has left the chat!");
    auto bob2 = login(server.port(), "BOB");
    CHECK(alice.recv() == "BOB has joined the chat!");
    bob2.close();
    CHECK(alice.recv() == "BOB has left the chat!");
  }
  alice.send("!who");
  CHECK(alice.recv() == "No one but you is active");
}

TEST_CASE("headers are read leniently - like int(header.strip())", "[seed]") {
  test::test_server server;
  auto alice = login(server.port(), "alice");
  auto bob = login(server.port(), "bob");
  REQUIRE(alice.recv() == "bob has joined the chat!");

  bob.send_raw("         2hi");  // right-aligned
  CHECK(alice.recv() == "bob > hi");
  bob.send_raw("0000000003hey");  // zero-padded
  CHECK(alice.recv() == "bob > hey");
  bob.send_raw("3\n        yes");  // newline inside the header
  CHECK(alice.recv() == "bob > yes");
  bob.send_raw("+2        ok");  // explicit sign
  CHECK(alice.recv() == "bob > ok");
}

TEST_CASE("frames split across writes are reassembled and merged frames are all read", "[seed]") {
  test::test_server server;
  auto alice = login(server.port(), "alice");
  seed_client bob(server.port());

  SECTION("one byte at a time, username included") {
    const auto bytes = frame("bob") + frame("one byte at a time");
    for (const char ch : bytes) {
      bob.send_raw(std::string_view(&ch, 1));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    CHECK(bob.recv() == "You have joined the chat!");
    CHECK(alice.recv() == "bob has joined the chat!");
    CHECK(alice.recv() == "bob > one byte at a time");
  }
  SECTION("several frames in one write") {
    bob.send_raw(frame("bob") + frame("first") + frame("!who") + frame("second"));
    CHECK(bob.recv() == "You have joined the chat!");
    CHECK(bob.recv() == "-> alice");
    CHECK(alice.recv() == "bob has joined the chat!");
    CHECK(alice.recv() == "bob > first");
    CHECK(alice.recv() == "bob > second");
  }
}

TEST_CASE("text is relayed as data: control bytes and UTF-8 untouched", "[seed]") {
  test::test_server server;
  auto alice = login(server.port(), "alice");
  auto bob = login(server.port(), "bob");
  REQUIRE(alice.recv() == "bob has joined the chat!");
  const std::string text = "caf\xc3\xa9 \xf0\x9f\x98\x80 \x1b[2J tab\there";
  bob.send(text);
  CHECK(alice.recv() == "bob > " + text);
}
