// The short asio names every file of the net layer uses.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>

namespace net {

using asio::awaitable;
using tcp = asio::ip::tcp;
using strand = asio::strand<asio::any_io_executor>;

// A timer that holds only its io_context, not a strand. A strand wrapped in
// any_io_executor does not fit that type's small buffer: every timer, and
// every pending wait, would cost a heap block more. Handlers name their
// strand themselves (bind_executor, or the awaiting coroutine's executor).
using timer =
    asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>,
                               asio::io_context::executor_type>;

// Completion token that turns expected I/O outcomes (EOF, reset, abort) into
// values: `auto [ec, n] = co_await op(..., use_nothrow);`.
inline constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace net
