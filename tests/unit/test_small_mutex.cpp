// chat::small_mutex: mutual exclusion under contention, through std::lock_guard.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "chat/small_mutex.hpp"

TEST_CASE("small_mutex is four bytes", "[small_mutex][memory]") {
  STATIC_REQUIRE(sizeof(chat::small_mutex) == 4);
}

TEST_CASE("small_mutex: try_lock fails while held and succeeds once released", "[small_mutex]") {
  chat::small_mutex m;
  REQUIRE(m.try_lock());
  CHECK_FALSE(m.try_lock());
  std::thread other([&] { CHECK_FALSE(m.try_lock()); });
  other.join();
  m.unlock();
  CHECK(m.try_lock());
  m.unlock();
}

TEST_CASE("small_mutex: contended increments are never lost", "[small_mutex]") {
  constexpr std::size_t kThreads = 4;
  constexpr std::size_t kRounds = 50'000;
  chat::small_mutex m;
  std::size_t counter = 0;  // guarded by m
  {
    std::vector<std::jthread> workers;
    for (std::size_t t = 0; t < kThreads; ++t) {
      workers.emplace_back([&] {
        for (std::size_t i = 0; i < kRounds; ++i) {
          const std::lock_guard lock(m);
          // A non-atomic read-modify-write: a second holder would lose one.
          const auto before = counter;
          counter = before + 1;
        }
      });
    }
  }
  CHECK(counter == kThreads * kRounds);
}

TEST_CASE("small_mutex: a waiter sleeps until the holder releases", "[small_mutex]") {
  chat::small_mutex m;
  m.lock();
  bool released = false;  // guarded by m
  std::thread waiter([&] {
    const std::lock_guard lock(m);
    CHECK(released);
  });
  // The waiter blocks in lock() (contended path) until unlock().
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  released = true;
  m.unlock();
  waiter.join();
}
