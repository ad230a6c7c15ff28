// Everything that crashed or stalled the original server: each case gets a
// clear error frame, and everyone else keeps chatting.
#include <sys/socket.h>

#include <atomic>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "protocol/limits.hpp"
#include "support/seed_client.hpp"
#include "support/test_server.hpp"

using test::frame;
using test::login;
using test::seed_client;
using namespace std::chrono_literals;

namespace {

// Two well-behaved users who check, after each bad input, that they still
// reach each other.
struct bystanders {
  explicit bystanders(std::uint16_t port) : alice(login(port, "alice")), bob(login(port, "bob")) {
    REQUIRE(alice.recv() == "bob has joined the chat!");
  }
  // Logs `name` in and checks that both bystanders hear of it.
  seed_client newcomer(std::uint16_t port, const std::string& name) {
    auto c = login(port, name);
    REQUIRE(alice.recv() == name + " has joined the chat!");
    REQUIRE(bob.recv() == name + " has joined the chat!");
    return c;
  }
  // Checks that both bystanders hear that `name` left.
  void saw_leave(const std::string& name) {
    CHECK(alice.recv() == name + " has left the chat!");
    CHECK(bob.recv() == name + " has left the chat!");
  }
  void still_chatting(const std::string& text = "still here") {
    alice.send(text);
    CHECK(bob.recv() == "alice > " + text);
  }
  seed_client alice;
  seed_client bob;
};

}  // namespace

TEST_CASE("the msg command with missing parts gets a usage reply and the connection stays", "[seed][bad]") {
  test::test_server server;
  bystanders b(server.port());
  auto mallory = b.newcomer(server.port(), "mallory");

  for (const auto* bad : {"!msg", "!msg bob", "!msg bob ", "!msg  bob hi"}) {
    INFO(bad);
    mallory.send(bad);
    CHECK(mallory.recv() == "Usage: !msg <user> <message>");
  }
  b.still_chatting();
  CHECK(b.alice.silent_for(50ms));
  mallory.send("!msg alice still connected");
  CHECK(b.alice.recv() == "privately mallory > still connected");
}

TEST_CASE("invalid UTF-8 is refused - not relayed - and the connection stays", "[seed][bad]") {
  test::test_server server;
  bystanders b(server.port());
  for (const std::string& bad : {std::string("\xff"), std::string("ab\xc3"), std::string("\xc0\xaf"),
                                 std::string("\xed\xa0\x80"), std::string("ok \xf4\x90\x80\x80")}) {
    b.bob.send(bad);
    CHECK(b.bob.recv() == "Error: message is not valid UTF-8");
  }
  CHECK(b.alice.silent_for());
  b.bob.send("!msg alice \xff");
  CHECK(b.bob.recv() == "Error: message is not valid UTF-8");
  CHECK(b.alice.silent_for(50ms));
  b.still_chatting();
}

TEST_CASE("an empty message is refused - not relayed", "[seed][bad]") {
  test::test_server server;
  bystanders b(server.port());
  b.bob.send("");
  CHECK(b.bob.recv() == "Error: message is empty");
  CHECK(b.alice.silent_for());
  b.still_chatting();
}

TEST_CASE("bad usernames get an error frame - then the connection closes", "[seed][bad]") {
  test::test_server server;
  bystanders b(server.port());

  auto refused = [&](const std::string& name, const std::string& error) {
    INFO(name);
    seed_client c(server.port());
    c.send(name);
    CHECK(c.recv() == error);
    CHECK(c.closed_within());
  };
  refused("", "Error: username is empty");
  refused(std::string(protocol::kMaxNickLength + 1, 'x'), "Error: username is too long (limit 30 bytes)");
  const std::string invalid =
      "Error: username has a character that is not allowed "
      "(use letters, digits and []\\`_^{|}-, not starting with a digit or -)";
  refused("two words", invalid);
  refused("9lives", invalid);
  refused("-dash", invalid);
  refused("esc\x1b[31m", invalid);
  refused("caf\xc3\xa9", invalid);
  refused("\xff\xfe", "Error: message is not valid UTF-8");
  refused("alice", "Error: username alice is already taken");
  refused("ALICE", "Error: username ALICE is already taken");

  CHECK(b.alice.silent_for(50ms));  // no joins or leaves for refused names
  b.still_chatting();

  // The longest allowed name works.
  const std::string longest(protocol::kMaxNickLength, 'n');
  auto c = login(server.port(), longest);
  CHECK(b.alice.recv() == longest + " has joined the chat!");
}

TEST_CASE("frame size limit: at the limit relayed - above it an error and a close", "[seed][bad]") {
  test::test_server server;
  bystanders b(server.port());
  const std::string prefix = "alice > ";

  const std::string largest(protocol::kMaxSeedPayload, 'a');
  b.alice.send(largest);
  CHECK(b.bob.recv() == prefix + largest);

  auto mallory = b.newcomer(server.port(), "mallory");
  // Only the header: the server must not wait for a body it will refuse.
  mallory.send_raw(std::to_string(protocol::kMaxSeedPayload + 1) + "      ");
  CHECK(mallory.recv() == "Error: frame too large (limit 8192 bytes)");
  CHECK(mallory.closed_within());
  b.saw_leave("mallory");
  b.still_chatting();
}

TEST_CASE("garbage and hostile headers get an error - then a close", "[seed][bad]") {
  test::test_server server;
  bystanders b(server.port());
  for (const std::string& bad : {std::string("GET / HTTP/1.1\r\n\r\n"), std::string("-5        hello"),
                                 std::string("          "), std::string("99999999999999999999"),
                                 std::string("NICK x\r\n", 8), std::string("\0\0\0\0\0\0\0\0\0\0", 10)}) {
    INFO(bad);
    seed_client c(server.port());
    c.send_raw(bad);
    auto reply = c.recv();
    REQUIRE(reply.has_value());
    CHECK((*reply == "Error: invalid frame header" || *reply == "Error: frame too large (limit 8192 bytes)"));
    CHECK(c.closed_within());
  }
  // The same after login: the user is announced as gone.
  auto mallory = b.newcomer(server.port(), "mallory");
  mallory.send_raw("1x        ");
  CHECK(mallory.recv() == "Error: invalid frame header");
  b.saw_leave("mallory");
  b.still_chatting();
}

TEST_CASE("a client silent at login times out without delaying anyone", "[seed][bad]") {
  auto cfg = test::test_config();
  cfg.seed.login_timeout = 400ms;
  test::test_server server(cfg);
  seed_client silent(server.port());
  seed_client half(server.port());
  half.send_raw("5    ");  // half a header, then nothing

  // Others log in and chat while the silent ones wait.
  bystanders b(server.port());
  b.still_chatting("before the timeout");

  CHECK(silent.recv() == "Error: login timed out");
  CHECK(silent.closed_within());
  CHECK(half.recv() == "Error: login timed out");
  CHECK(half.closed_within());
  b.still_chatting("after the timeout");
}

TEST_CASE("a slow reader is dropped at its outbox limit and the others get everything", "[seed][bad]") {
  auto cfg = test::test_config();
  cfg.lim.outbox_bytes = 64 * 1024;
  test::test_server server(cfg);
  bystanders b(server.port());
  auto slow = b.newcomer(server.port(), "slow");
  // Keep the slow reader's kernel buffer small so its outbox fills quickly.
  const int small = 4096;
  ::setsockopt(slow.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);

  // alice sends a lot, never more than a window ahead of bob, who reads
  // everything; slow reads nothing. Bounded: kernel buffers plus the 64 KiB
  // outbox hold far less than the 8 MB sent.
  const std::string text(4000, 'z');
  constexpr int kMessages = 2000;
  constexpr int kWindow = 8;
  // Catch2 assertions are not thread-safe: the reader only records.
  std::atomic<bool> slow_left{false};
  std::atomic<int> in_order{0};
  std::atomic<bool> reader_done{false};
  std::thread reader([&] {
    while (in_order < kMessages) {
      auto got = b.bob.recv();
      if (got == "slow has left the chat!") {
        slow_left = true;
      } else if (got == "alice > " + std::to_string(in_order.load()) + text) {
        ++in_order;
      } else {
        break;  // lost, reordered or timed out
      }
    }
    reader_done = true;
  });
  for (int i = 0; i < kMessages && !reader_done; ++i) {
    while (i - in_order.load() >= kWindow && !reader_done) std::this_thread::yield();
    b.alice.send(std::to_string(i) + text);
  }
  reader.join();
  CHECK(in_order == kMessages);
  if (!slow_left) {
    CHECK(b.bob.recv() == "slow has left the chat!");
  }
  CHECK(b.alice.recv() == "slow has left the chat!");
  b.still_chatting();
}

TEST_CASE("a reset in the middle of a frame is a departure - not a crash", "[seed][bad]") {
  test::test_server server;
  bystanders b(server.port());
  auto mallory = b.newcomer(server.port(), "mallory");
  mallory.send_raw("20        only half");
  mallory.reset();
  b.saw_leave("mallory");
  b.still_chatting();

  // A reset before login is not announced at all.
  seed_client anon(server.port());
  anon.send_raw("3         a");
  anon.reset();
  CHECK(b.alice.silent_for(100ms));
  b.still_chatting();
}

TEST_CASE("messages to a user who just reset are dropped quietly", "[seed][bad]") {
  test::test_server server;
  bystanders b(server.port());
  auto gone = b.newcomer(server.port(), "gone");
  gone.reset();
  for (int i = 0; i < 50; ++i) {
    b.alice.send("!msg gone are you there " + std::to_string(i));
    b.alice.send("broadcast " + std::to_string(i));
  }
  int broadcasts = 0;
  bool saw_left = false;
  while (broadcasts < 50) {
    auto got = b.bob.recv();
    REQUIRE(got.has_value());
    if (*got == "gone has left the chat!") {
      saw_left = true;
    } else {
      CHECK(*got == "alice > broadcast " + std::to_string(broadcasts));
      ++broadcasts;
    }
  }
  if (!saw_left) {
    CHECK(b.bob.recv() == "gone has left the chat!");
  }
}
