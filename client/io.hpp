// The short asio names the client uses: its own, so that it depends on the
// protocol module and asio only, not on the server's network layer.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

namespace client {

using asio::awaitable;
using tcp = asio::ip::tcp;

// Completion token that turns expected I/O outcomes (EOF, reset, abort) into
// values: `auto [ec, n] = co_await op(..., use_nothrow);`.
inline constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace client
