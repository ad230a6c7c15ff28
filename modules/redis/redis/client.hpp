// A Redis connection for commands: many coroutines call command() at once;
// their commands are pipelined (queued, written in batches) and each caller
// gets its own reply, in the order the commands were queued.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <tl/expected.hpp>

#include "redis/error.hpp"
#include "redis/link.hpp"
#include "redis/reply.hpp"
#include "redis/url.hpp"

namespace redis {

using result = tl::expected<reply, error>;

// Guarded by its own strand (get_strand()); command() may be awaited from
// any executor: it runs on the strand and resumes the caller on its own.
//
//   auto c = redis::client::create(io, *redis::parse_url("redis://127.0.0.1"));
//   c->on_state([](redis::state s) { ... });
//   c->start();
//   auto r = co_await c->command({"SET", "k", "v"});
//   c->stop();
class client final : public link {
  struct passkey {};

 public:
  static std::shared_ptr<client> create(asio::io_context& io, endpoint ep, options opts = {});
  client(passkey, asio::io_context& io, endpoint ep, options opts);

  // Sends one command and waits for its reply. A Redis error reply (-ERR)
  // is a value: reply::is_error(). An error is one of: errc::down (not
  // connected: sent nothing), errc::lost (the connection broke; the command
  // may or may not have run), errc::timeout (no reply within
  // options::command_timeout; the late reply is dropped), errc::busy
  // (options::max_pending waiting), errc::invalid, errc::stopped.
  asio::awaitable<result> command(std::vector<std::string> args);
  // The same with its own timeout, for a command that blocks on purpose
  // (BLPOP, WAIT): give it more than it blocks for.
  asio::awaitable<result> command(std::vector<std::string> args, std::chrono::milliseconds timeout);

 private:
  // One command waiting for its reply: the timer expires at the deadline and
  // is cancelled when the reply (or a failure) has been put in `answer`.
  struct pending {
    explicit pending(const strand& s) : wake(s) {}
    asio::steady_timer wake;
    std::optional<result> answer;  // set once: the reply, a failure, or the timeout
  };

  static asio::awaitable<result> run_command(std::shared_ptr<client> self, std::vector<std::string> args,
                                             std::chrono::milliseconds timeout);
  void opened() override;
  tl::expected<void, error> received(reply r) override;
  void closed(const error& why) override;
  void ping() override;

  std::deque<std::shared_ptr<pending>> inflight_;  // sent or queued, in wire order
};

}  // namespace redis
