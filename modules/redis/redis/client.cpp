// client: commands in, replies out in FIFO order over one pipelined
// connection (the connection loop itself is link.cpp).
#include "redis/client.hpp"

#include <fmt/format.h>

#include <string_view>
#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "redis/sample.hpp"

namespace redis {

std::shared_ptr<client> client::create(asio::io_context& io, endpoint ep, options opts) {
  return std::make_shared<client>(passkey{}, io, std::move(ep), opts);
}

client::client(passkey, asio::io_context& io, endpoint ep, options opts)
    : link(io, std::move(ep), opts, "client") {}

asio::awaitable<result> client::command(std::vector<std::string> args) {
  return command(std::move(args), opts_.command_timeout);
}

asio::awaitable<result> client::command(std::vector<std::string> args, std::chrono::milliseconds timeout) {
  auto self = std::static_pointer_cast<client>(shared_from_this());
  co_return co_await asio::co_spawn(strand_, run_command(std::move(self), std::move(args), timeout),
                                    asio::use_awaitable);
}

asio::awaitable<result> client::run_command(std::shared_ptr<client> self, std::vector<std::string> args,
                                            std::chrono::milliseconds timeout) {
  auto fail = [](errc code, std::string message) {
    return result(tl::unexpect, error{code, std::move(message)});
  };
  if (self->stopped()) co_return fail(errc::stopped, "the redis client is stopped");
  if (args.empty()) co_return fail(errc::invalid, "a command needs a name");
  if (args.size() > kMaxArgs) {
    co_return fail(errc::invalid,
                   fmt::format("{} arguments, more than the {} allowed", args.size(), kMaxArgs));
  }
  if (!self->is_up()) {
    const auto& why = self->last_error();
    co_return fail(errc::down, fmt::format("redis {} is down: {}", describe(self->ep_), why.message));
  }
  if (self->inflight_.size() >= self->opts_.max_pending) {
    co_return fail(errc::busy, fmt::format("{} commands already wait for redis", self->inflight_.size()));
  }

  auto p = std::make_shared<pending>(self->strand_);
  p->wake.expires_after(timeout);
  self->inflight_.push_back(p);
  self->send(encode_command(std::span<const std::string>(args)));
  co_await p->wake.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  if (p->answer) co_return std::move(*p->answer);
  // Still in inflight_: the late reply, if it comes, is matched and dropped.
  p->answer = fail(errc::timeout, "");
  co_return fail(errc::timeout,
                 fmt::format("no reply to {} within {} ms", sample(args[0], 32), timeout.count()));
}

void client::opened() {
  set_state(state::up);
}

tl::expected<void, error> client::received(reply r) {
  if (inflight_.empty()) return tl::unexpected(error{errc::protocol, "a reply to no command"});
  auto p = std::move(inflight_.front());
  inflight_.pop_front();
  if (!p->answer) {
    p->answer = std::move(r);
    p->wake.cancel();
  }
  return {};
}

void client::ping() {
  // Answered already: its reply keeps the FIFO in step and is dropped.
  auto p = std::make_shared<pending>(strand_);
  p->answer = result(tl::unexpect, error{errc::timeout, "health check"});
  inflight_.push_back(std::move(p));
  const std::string_view args[] = {"PING"};
  send(encode_command(args));
}

void client::closed(const error& why) {
  const errc code = why.code == errc::stopped ? errc::stopped : errc::lost;
  for (auto& p : inflight_) {
    if (p->answer) continue;
    p->answer = result(tl::unexpect, error{code, why.message});
    p->wake.cancel();
  }
  inflight_.clear();
}

}  // namespace redis
