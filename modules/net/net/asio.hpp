// The short asio names every file of the net layer uses.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>

namespace net {

using asio::awaitable;
using tcp = asio::ip::tcp;
using strand = asio::strand<asio::any_io_executor>;

// Completion token that turns expected I/O outcomes (EOF, reset, abort) into
// values: `auto [ec, n] = co_await op(..., use_nothrow);`.
inline constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace net
