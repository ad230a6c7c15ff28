// Load through real sockets: the original benchmark's workload with every
// client starting at once, and many concurrent clients on several server
// threads with no message lost, duplicated or reordered per sender.
// Bounded in count and time; correctness only, never timing.

#include <atomic>
#include <latch>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "support/seed_client.hpp"
#include "support/test_server.hpp"

using test::login;
using test::seed_client;

TEST_CASE("the original benchmark's workload - 60 clients x 25 messages - all at once", "[seed][load]") {
  test::test_server server;
  constexpr int kClients = 60;
  constexpr int kMessages = 25;
  std::vector<std::string> errors(kClients);
  // Everyone is logged in before anyone sends. Otherwise a late starter can
  // find everyone else already gone: with no one to hear it, nothing comes
  // back and it waits forever, against the original server as against ours.
  std::latch logged_in(kClients);

  std::vector<std::thread> threads;
  threads.reserve(kClients);
  for (int id = 0; id < kClients; ++id) {
    threads.emplace_back([&, id] {
      bool counted = false;
      try {
        // What benchmark.py does: log in, then send and wait for any one
        // frame, M times, then close.
        seed_client c(server.port());
        c.send("User" + std::to_string(id));
        const auto welcome = c.recv();
        logged_in.count_down();
        counted = true;
        if (welcome != "You have joined the chat!") {
          errors[static_cast<std::size_t>(id)] = "login failed: " + welcome.value_or("<nothing>");
          return;
        }
        logged_in.wait();
        for (int m = 0; m < kMessages; ++m) {
          c.send("Hello from " + std::to_string(id));
          if (!c.recv()) {
            errors[static_cast<std::size_t>(id)] = "no response to message " + std::to_string(m);
            return;
          }
        }
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(id)] = e.what();
        if (!counted) logged_in.count_down();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int id = 0; id < kClients; ++id) {
    INFO("client " << id << ": " << errors[static_cast<std::size_t>(id)]);
    CHECK(errors[static_cast<std::size_t>(id)].empty());
  }

  // The server survived every abrupt close, still serves, and has seen every
  // departure (they are processed asynchronously: ask until it settles).
  auto alice = login(server.port(), "alice");
  std::optional<std::string> who;
  for (int attempt = 0; attempt < 200 && who != "No one but you is active"; ++attempt) {
    alice.send("!who");
    do {
      who = alice.recv();
    } while (who && who->ends_with(" has left the chat!"));
    if (who != "No one but you is active") std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(who == "No one but you is active");
}

namespace {

struct tally {
  int received = 0;
  int out_of_order = 0;  // a sender's sequence went backwards or repeated
  int foreign = 0;       // a frame that is not a test message
  bool timed_out = false;
};

// Reads `expected` frames "U<sender> > <seq>" (or "privately U<sender> > <seq>"
// when `prefix` says so) and checks that each sender's numbers rise by one.
tally read_sequences(seed_client& c, int expected, const std::string& prefix) {
  tally t;
  std::map<std::string, int> next;
  while (t.received < expected) {
    auto frame = c.recv();
    if (!frame) {
      t.timed_out = true;
      break;
    }
    const auto sep = frame->find(" > ");
    if (sep == std::string::npos || !frame->starts_with(prefix)) {
      ++t.foreign;
      continue;
    }
    const auto sender = frame->substr(prefix.size(), sep - prefix.size());
    const int seq = std::stoi(frame->substr(sep + 3));
    auto& want = next[sender];
    if (seq != want) ++t.out_of_order;
    want = seq + 1;
    ++t.received;
  }
  return t;
}

}  // namespace

TEST_CASE("many clients on several server threads: no loss - no duplicate - per-sender order",
          "[seed][load]") {
  test::test_server server(test::test_config(4));
  constexpr int kClients = 40;
  constexpr int kMessages = 200;

  std::vector<std::optional<seed_client>> clients(kClients);
  for (int i = 0; i < kClients; ++i) {
    clients[static_cast<std::size_t>(i)].emplace(login(server.port(), "U" + std::to_string(i)));
  }
  // Each client first hears of everyone who joined after it.
  for (int i = 0; i < kClients; ++i) {
    for (int j = i + 1; j < kClients; ++j) {
      REQUIRE(clients[static_cast<std::size_t>(i)]->recv() ==
              "U" + std::to_string(j) + " has joined the chat!");
    }
  }

  std::vector<tally> tallies(kClients);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto& c = *clients[static_cast<std::size_t>(i)];
      ++ready;
      while (ready.load() < kClients) std::this_thread::yield();
      for (int m = 0; m < kMessages; ++m) c.send(std::to_string(m));
      tallies[static_cast<std::size_t>(i)] = read_sequences(c, (kClients - 1) * kMessages, "U");
    });
  }
  for (auto& t : threads) t.join();

  for (int i = 0; i < kClients; ++i) {
    INFO("client U" << i);
    const auto& t = tallies[static_cast<std::size_t>(i)];
    CHECK(t.received == (kClients - 1) * kMessages);
    CHECK(t.out_of_order == 0);
    CHECK(t.foreign == 0);
    CHECK_FALSE(t.timed_out);
    // Nothing more: no duplicates trailing behind.
    CHECK(clients[static_cast<std::size_t>(i)]->silent_for(std::chrono::milliseconds(20)));
  }
}

TEST_CASE("private messages between many pairs arrive once and in order", "[seed][load]") {
  test::test_server server(test::test_config(4));
  constexpr int kPairs = 20;
  constexpr int kMessages = 300;

  // Private messages only: a room of its own would mix in joins, so each
  // client discards the join notices it is owed before counting.
  std::vector<std::optional<seed_client>> clients(2 * kPairs);
  for (int i = 0; i < 2 * kPairs; ++i) {
    clients[static_cast<std::size_t>(i)].emplace(login(server.port(), "U" + std::to_string(i)));
  }
  for (int i = 0; i < 2 * kPairs; ++i) {
    for (int j = i + 1; j < 2 * kPairs; ++j) {
      REQUIRE(clients[static_cast<std::size_t>(i)]->recv().has_value());
    }
  }

  std::vector<tally> tallies(2 * kPairs);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2 * kPairs; ++i) {
    threads.emplace_back([&, i] {
      auto& c = *clients[static_cast<std::size_t>(i)];
      const int peer = i ^ 1;
      for (int m = 0; m < kMessages; ++m) c.send("!msg U" + std::to_string(peer) + " " + std::to_string(m));
      tallies[static_cast<std::size_t>(i)] = read_sequences(c, kMessages, "privately U");
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 2 * kPairs; ++i) {
    INFO("client U" << i);
    const auto& t = tallies[static_cast<std::size_t>(i)];
    CHECK(t.received == kMessages);
    CHECK(t.out_of_order == 0);
    CHECK(t.foreign == 0);
  }
}

TEST_CASE("a reader that pauses gets every message intact and in order when it reads again", "[seed][load]") {
  // The server writes to a socket directly while it has room and hands the
  // rest of a batch to async_write when the kernel takes only part of it. A
  // client that stops reading while more arrives than the kernel buffers
  // forces those partial writes, with cuts inside messages of many sizes.
  // (Its buffer sizes stay the kernel's: shrinking SO_RCVBUF also clamps the
  // TCP window for good, and reading 7 MB through it takes minutes.)
  auto cfg = test::test_config();
  cfg.lim.outbox_bytes = 16 * 1024 * 1024;
  test::test_server server(cfg);
  auto alice = login(server.port(), "alice");
  auto paused = login(server.port(), "paused");
  REQUIRE(alice.recv() == "paused has joined the chat!");

  // About 7.4 MB in all: within the outbox, and beyond what the kernel
  // holds for a reader that reads nothing (by default Linux grows a send
  // buffer to 4 MB at most, tcp_wmem; the reader's buffer does not grow
  // while it reads nothing), so some writes are cut short.
  constexpr int kMessages = 12000;
  auto text = [](int i) {
    const auto n = static_cast<std::size_t>(1 + (i * 97) % 1200);
    return std::to_string(i) + ":" + std::string(n, static_cast<char>('a' + i % 26));
  };
  for (int i = 0; i < kMessages; ++i) alice.send(text(i));
  alice.send("!who");  // answered only after all of the above were handled
  REQUIRE(alice.recv() == "-> paused");

  int in_order = 0;
  while (in_order < kMessages) {
    const auto got = paused.recv();
    if (got != "alice > " + text(in_order)) break;
    ++in_order;
  }
  CHECK(in_order == kMessages);
  alice.send("and now?");
  CHECK(paused.recv() == "alice > and now?");
}
