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
// Sockets and acceptors on the io_context's own executor: a socket then
// holds 8 bytes of executor rather than an any_io_executor's 56, and so does
// every operation pending on it.
using stream_socket = tcp::socket::rebind_executor<asio::io_context::executor_type>::other;
using tcp_acceptor = tcp::acceptor::rebind_executor<asio::io_context::executor_type>::other;

// Strands over the io_context's own executor: 24 bytes, small enough to sit
// inside an any_io_executor (a coroutine's executor, a bound handler) with
// no heap block of its own, where a strand over any_io_executor needs one.
using strand = asio::strand<asio::io_context::executor_type>;

// A timer that holds only its io_context, not a strand: handlers name their
// strand themselves (bind_executor, or the awaiting coroutine's executor).
using timer =
    asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>,
                               asio::io_context::executor_type>;

// Completion token that turns expected I/O outcomes (EOF, reset, abort) into
// values: `auto [ec, n] = co_await op(..., use_nothrow);`.
inline constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace net
