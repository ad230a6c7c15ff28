// net::detached_task and net::async_op: a coroutine resumed by asio
// completion handlers, and freed when asio drops a handler unanswered.
#include <chrono>
#include <memory>
#include <system_error>
#include <tuple>
#include <vector>

#include <asio/bind_executor.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <catch2/catch.hpp>

#include "net/task.hpp"

using namespace std::chrono_literals;

namespace {

// Sets a flag when destroyed: shows whether a coroutine frame was freed.
struct frame_probe {
  explicit frame_probe(bool& destroyed) : destroyed_(destroyed) {}
  frame_probe(const frame_probe&) = delete;
  frame_probe& operator=(const frame_probe&) = delete;
  ~frame_probe() { destroyed_ = true; }
  bool& destroyed_;
};

net::detached_task wait_twice(asio::steady_timer& timer, std::vector<std::error_code>& results, bool& done,
                              bool& frame_destroyed) {
  const frame_probe probe(frame_destroyed);
  auto strand = asio::make_strand(timer.get_executor());
  for (int i = 0; i < 2; ++i) {
    timer.expires_after(1ms);
    auto [ec] = co_await net::async_op<std::error_code>(
        [&](auto resume) { timer.async_wait(asio::bind_executor(strand, std::move(resume))); });
    results.push_back(ec);
  }
  done = true;
}

net::detached_task wait_forever(asio::steady_timer& timer, bool& resumed, bool& frame_destroyed) {
  const frame_probe probe(frame_destroyed);
  timer.expires_at(asio::steady_timer::time_point::max());
  co_await net::async_op<std::error_code>([&](auto resume) { timer.async_wait(std::move(resume)); });
  resumed = true;
}

}  // namespace

TEST_CASE("detached_task resumes on each completion with its results and frees its frame at the end",
          "[task]") {
  asio::io_context io;
  asio::steady_timer timer(io);
  std::vector<std::error_code> results;
  bool done = false;
  bool frame_destroyed = false;
  wait_twice(timer, results, done, frame_destroyed);
  // Started at once, suspended at its first wait: nothing ran yet.
  CHECK(results.empty());
  CHECK_FALSE(frame_destroyed);
  io.run_for(5s);
  CHECK(done);
  CHECK(results == std::vector<std::error_code>{std::error_code{}, std::error_code{}});
  CHECK(frame_destroyed);
}

TEST_CASE("detached_task sees a cancelled operation's error", "[task]") {
  asio::io_context io;
  asio::steady_timer timer(io);
  bool resumed = false;
  bool frame_destroyed = false;
  wait_forever(timer, resumed, frame_destroyed);
  asio::post(io, [&] { timer.cancel(); });
  io.run_for(5s);
  CHECK(resumed);
  CHECK(frame_destroyed);
}

TEST_CASE("a handler asio drops unanswered destroys the suspended frame", "[task]") {
  bool resumed = false;
  bool frame_destroyed = false;
  {
    asio::io_context io;
    asio::steady_timer timer(io);
    wait_forever(timer, resumed, frame_destroyed);
    io.run_for(10ms);  // the wait stays pending
    CHECK_FALSE(frame_destroyed);
    // The timer goes first (cancelling: its handler is queued, never run),
    // then the io_context destroys what is queued.
  }
  CHECK_FALSE(resumed);
  CHECK(frame_destroyed);
}
