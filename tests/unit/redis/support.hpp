// The redis tests' helpers: an io_context on its own thread with a bounded
// wait for a coroutine, and thread-safe recorders of states and messages
// that a test waits on (with a deadline, never a fixed sleep).
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_future.hpp>

#include "redis/link.hpp"
#include "redis/url.hpp"

namespace redis_test {

using namespace std::chrono_literals;

// Generous: a loaded two-core machine runs these next to other builds.
inline constexpr auto kDeadline = 10s;

class io_thread {
 public:
  explicit io_thread(std::size_t threads = 1) : guard_(asio::make_work_guard(io_)) {
    // Quiet by default; CHAT_TEST_LOG=info shows the connection log.
    const char* level = std::getenv("CHAT_TEST_LOG");
    spdlog::set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::err);
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;
  ~io_thread() {
    guard_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }
  asio::io_context& io() noexcept { return io_; }

  // Runs the coroutine on the io thread and returns its result; throws if
  // it takes longer than the deadline.
  template <class T>
  T run(asio::awaitable<T> a, std::chrono::milliseconds deadline = kDeadline) {
    auto f = asio::co_spawn(io_, std::move(a), asio::use_future);
    if (f.wait_for(deadline) != std::future_status::ready) throw std::runtime_error("coroutine timed out");
    return f.get();
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::vector<std::thread> threads_;
};

// Everything a handler was called with, in order, and a wait for a condition on it.
template <class T>
class recorder {
 public:
  void push(T v) {
    // Notified under the lock: a waiter that wakes may destroy the recorder
    // (it is often on the test's stack) as soon as it can lock.
    std::lock_guard lock(m_);
    seen_.push_back(std::move(v));
    cv_.notify_all();
  }
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds deadline = kDeadline) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, deadline, [&] { return pred(seen_); });
  }
  // True once `v` was recorded at or after index `from`.
  bool wait_for(const T& v, std::size_t from = 0, std::chrono::milliseconds deadline = kDeadline) {
    return wait(
        [&](const std::vector<T>& s) {
          for (std::size_t i = from; i < s.size(); ++i)
            if (s[i] == v) return true;
          return false;
        },
        deadline);
  }
  std::vector<T> snapshot() {
    std::lock_guard lock(m_);
    return seen_;
  }
  std::size_t size() {
    std::lock_guard lock(m_);
    return seen_.size();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<T> seen_;
};

// Polls `pred` until it holds or the deadline passes: for conditions that
// no handler announces (e.g. a command succeeding once a retry has happened).
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds deadline = kDeadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// Returns once everything posted to the link's strand before it has run
// (stop() included), so that a test may free what its handlers use.
inline void drain(redis::link& l) {
  std::promise<void> done;
  auto f = done.get_future();
  asio::post(l.get_strand(), [&done] { done.set_value(); });
  f.wait_for(kDeadline);
}

inline redis::endpoint endpoint_of(const std::string& url) {
  auto ep = redis::parse_url(url);
  if (!ep) throw std::runtime_error(ep.error());
  return *ep;
}

// Short timeouts and backoff so that reconnect tests take seconds.
inline redis::options fast_options() {
  redis::options o;
  o.connect_timeout = 2000ms;
  o.command_timeout = 5000ms;
  o.backoff_initial = 50ms;
  o.backoff_max = 400ms;
  return o;
}

}  // namespace redis_test
